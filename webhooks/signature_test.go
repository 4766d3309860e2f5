package webhooks_test

import (
	"encoding/base64"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"kassa/webhooks"
)

// The test vector published with the Standard Webhooks specification
// (github.com/standard-webhooks/standard-webhooks, libraries' tests).
const (
	vectorSecret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	vectorMsgID     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	vectorTimestamp = 1614265330
	vectorPayload   = `{"test": 2432232314}`
	vectorSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

func TestStandardWebhooksTestVector(t *testing.T) {
	t.Parallel()
	sig, err := webhooks.Sign(vectorSecret, vectorMsgID, vectorTimestamp, []byte(vectorPayload))
	require.NoError(t, err)
	require.Equal(t, vectorSignature, sig)

	at := time.Unix(vectorTimestamp, 0)
	require.NoError(t, webhooks.Verify(vectorSecret, vectorMsgID, strconv.Itoa(vectorTimestamp), vectorSignature, []byte(vectorPayload), at, webhooks.DefaultTolerance))
}

func TestVerify(t *testing.T) {
	t.Parallel()
	now := time.Unix(vectorTimestamp, 0)
	ts := strconv.Itoa(vectorTimestamp)
	body := []byte(vectorPayload)
	other := webhooks.NewSecret()
	otherSig, err := webhooks.Sign(other, vectorMsgID, vectorTimestamp, body)
	require.NoError(t, err)

	cases := []struct {
		name       string
		secret     string
		msgID, ts  string
		signatures string
		body       string
		now        time.Time
		want       error
	}{
		{"Valid", vectorSecret, vectorMsgID, ts, vectorSignature, vectorPayload, now, nil},
		{"ChangedBody", vectorSecret, vectorMsgID, ts, vectorSignature, `{"test": 2432232315}`, now, webhooks.ErrNoValidSignature},
		{"ChangedID", vectorSecret, "msg_other", ts, vectorSignature, vectorPayload, now, webhooks.ErrNoValidSignature},
		{"ChangedTimestamp", vectorSecret, vectorMsgID, strconv.Itoa(vectorTimestamp + 1), vectorSignature, vectorPayload, now, webhooks.ErrNoValidSignature},
		{"WrongSecret", other, vectorMsgID, ts, vectorSignature, vectorPayload, now, webhooks.ErrNoValidSignature},
		{"TooOld", vectorSecret, vectorMsgID, ts, vectorSignature, vectorPayload, now.Add(6 * time.Minute), webhooks.ErrStaleTimestamp},
		{"TooNew", vectorSecret, vectorMsgID, ts, vectorSignature, vectorPayload, now.Add(-6 * time.Minute), webhooks.ErrStaleTimestamp},
		{"MissingSignature", vectorSecret, vectorMsgID, ts, "", vectorPayload, now, webhooks.ErrMissingHeaders},
		{"UnknownVersionOnly", vectorSecret, vectorMsgID, ts, "v2," + strings.TrimPrefix(vectorSignature, "v1,"), vectorPayload, now, webhooks.ErrNoValidSignature},
		// During a rotation two signatures arrive; either may match.
		{"RotationNewFirst", vectorSecret, vectorMsgID, ts, otherSig + " " + vectorSignature, vectorPayload, now, nil},
		{"RotationOldFirst", other, vectorMsgID, ts, vectorSignature + " " + otherSig, vectorPayload, now, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := webhooks.Verify(tc.secret, tc.msgID, tc.ts, tc.signatures, []byte(tc.body), tc.now, webhooks.DefaultTolerance)
			if tc.want == nil {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, tc.want)
			}
		})
	}
	_ = body
}

func TestSignatureHeaderSignsWithEverySecret(t *testing.T) {
	t.Parallel()
	a, b := webhooks.NewSecret(), webhooks.NewSecret()
	h, err := webhooks.SignatureHeader([]string{a, b}, "evt_1", 1700000000, []byte(`{}`))
	require.NoError(t, err)
	parts := strings.Fields(h)
	require.Len(t, parts, 2)
	for i, s := range []string{a, b} {
		want, err := webhooks.Sign(s, "evt_1", 1700000000, []byte(`{}`))
		require.NoError(t, err)
		require.Equal(t, want, parts[i])
	}
}

func TestNewSecret(t *testing.T) {
	t.Parallel()
	s := webhooks.NewSecret()
	require.True(t, strings.HasPrefix(s, "whsec_"))
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, "whsec_"))
	require.NoError(t, err)
	require.Len(t, key, 32)
	require.NotEqual(t, s, webhooks.NewSecret())
	_, err = webhooks.Sign("whsec_not base64!", "m", 1, nil)
	require.ErrorIs(t, err, webhooks.ErrBadSecret)
}

func TestEventTypes(t *testing.T) {
	t.Parallel()
	require.Equal(t, "order.paid", webhooks.OrderPaid.Dotted())
	require.Equal(t, "reservation.expiring", webhooks.ReservationExpiring.Dotted())
	require.Equal(t, "subscription.payment_failed", webhooks.EventType("SUBSCRIPTION_PAYMENT_FAILED").Dotted())
	var names []webhooks.EventType
	for _, e := range webhooks.EventTypes() {
		names = append(names, e.Type)
		require.NotEmpty(t, e.Description)
	}
	require.Subset(t, names, []webhooks.EventType{webhooks.OrderPaid, webhooks.OrderReserved, webhooks.PaymentCaptured,
		webhooks.PaymentRefunded, webhooks.PaymentFailed, webhooks.ReservationExpiring})
	require.False(t, webhooks.EventType("ORDER_EATEN").Known())
	require.Panics(t, func() { webhooks.RegisterEventType(webhooks.OrderPaid, "again") })
	require.Panics(t, func() { webhooks.RegisterEventType("order.paid", "dotted") })
}

// FuzzVerify feeds arbitrary headers and bodies to the verifier: it never
// panics, and accepts only what the secret signed.
func FuzzVerify(f *testing.F) {
	f.Add(vectorMsgID, strconv.Itoa(vectorTimestamp), vectorSignature, vectorPayload)
	f.Add("", "", "", "")
	f.Add("id", "-1", "v1, v1,,, v1,====", "{}")
	f.Add("id", "99999999999999999999", "v1,AAAA", "x")
	f.Fuzz(func(t *testing.T, id, ts, sigs, body string) {
		now := time.Unix(vectorTimestamp, 0)
		err := webhooks.Verify(vectorSecret, id, ts, sigs, []byte(body), now, webhooks.DefaultTolerance)
		if err != nil {
			return
		}
		n, perr := strconv.ParseInt(ts, 10, 64)
		require.NoError(t, perr)
		want, _ := webhooks.Sign(vectorSecret, id, n, []byte(body))
		require.Contains(t, strings.Fields(sigs), want, "accepted a message the secret did not sign")
	})
}
