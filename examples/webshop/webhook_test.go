package main

import (
	"testing"
	"time"
)

// TestVerifyWebhookTestVector checks the shop's own verifier against the
// test vector published with the Standard Webhooks specification.
func TestVerifyWebhookTestVector(t *testing.T) {
	t.Parallel()
	const (
		secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
		id     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
		ts     = "1614265330"
		body   = `{"test": 2432232314}`
		sig    = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
	)
	at := time.Unix(1614265330, 0)
	for _, tc := range []struct {
		name         string
		id, ts, sigs string
		body         string
		now          time.Time
		wantErr      bool
	}{
		{"Valid", id, ts, sig, body, at, false},
		{"ValidAmongOthers", id, ts, "v1,AAAA v2,xyz " + sig, body, at, false},
		{"ChangedBody", id, ts, sig, `{"test": 1}`, at, true},
		{"ChangedID", "msg_other", ts, sig, body, at, true},
		{"Replayed", id, ts, sig, body, at.Add(10 * time.Minute), true},
		{"FromTheFuture", id, ts, sig, body, at.Add(-10 * time.Minute), true},
		{"WrongVersion", id, ts, "v2," + sig[3:], body, at, true},
		{"NoSignature", id, ts, "", body, at, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := verifyWebhook(secret, tc.id, tc.ts, tc.sigs, []byte(tc.body), tc.now, 5*time.Minute)
			if (err != nil) != tc.wantErr {
				t.Fatalf("verifyWebhook: %v, want error %v", err, tc.wantErr)
			}
		})
	}
}

func TestKronor(t *testing.T) {
	t.Parallel()
	for ore, want := range map[int64]string{34900: "349,00 kr", 5: "0,05 kr", 123456: "1234,56 kr", -250: "-2,50 kr"} {
		if got := kr(ore); got != want {
			t.Errorf("kr(%d) = %q, want %q", ore, got, want)
		}
	}
}
