package simulator

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"kassa/payments"
)

func TestCallbacksAreRetriedUntilAcknowledged(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.recv.failNextDeliveries(2)
	_, auth := b.authorize(t, "4242424242424242", withCapture)

	b.waitType(t, auth.ProcessorRef, EventCaptured)
	b.drain(t)
	evs := b.recv.eventsFor(auth.ProcessorRef)
	require.Equal(t, []string{EventAuthorized, EventCaptured}, b.recv.typesFor(auth.ProcessorRef),
		"each accepted once, and the later event waited for the earlier one")

	b.recv.mu.Lock()
	attempts := append([]attempt(nil), b.recv.attempts...)
	b.recv.mu.Unlock()
	require.Len(t, attempts, 4)
	for i, a := range attempts[:3] {
		require.Equal(t, evs[0].ID, a.EventID, "the event id is stable across retries")
		require.Equal(t, i == 2, a.Accepted)
		if i > 0 {
			require.GreaterOrEqual(t, a.At.Sub(attempts[i-1].At), 40*time.Millisecond, "retried after the backoff")
		}
	}
	require.Equal(t, attempt{EventID: evs[1].ID, At: attempts[3].At, Accepted: true}, attempts[3])

	var row struct {
		Attempts    int    `db:"attempts"`
		LastError   string `db:"last_error"`
		Undelivered bool   `db:"undelivered"`
	}
	require.NoError(t, b.db.System.Get(&row, `SELECT attempts, last_error, delivered_at IS NULL AS undelivered
		FROM simulator_callbacks WHERE event_id = $1`, evs[0].ID))
	require.Equal(t, 3, row.Attempts)
	require.Empty(t, row.LastError)
	require.False(t, row.Undelivered)
}

func TestDefaultBackoff(t *testing.T) {
	t.Parallel()
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 32 * time.Second, time.Minute, time.Minute}
	for i, w := range want {
		require.Equal(t, w, DefaultBackoff(i+1), "attempt %d", i+1)
	}
	require.Equal(t, time.Minute, DefaultBackoff(1000))
	require.Equal(t, time.Second, DefaultBackoff(0))
}

func testDuplicateCallbacksOutOfOrder(t *testing.T, b *bundle) {
	_, dup := b.authorize(t, "4000000000000259", withCapture)
	_, plain := b.authorize(t, "4242424242424242", withCapture)
	b.drain(t)

	require.Equal(t, []string{EventAuthorized, EventCaptured}, b.recv.typesFor(plain.ProcessorRef))

	evs := b.recv.eventsFor(dup.ProcessorRef)
	require.Equal(t, []string{EventCaptured, EventAuthorized, EventCaptured, EventAuthorized}, b.recv.typesFor(dup.ProcessorRef))
	require.Equal(t, evs[0].ID, evs[2].ID, "the duplicate has the same event id")
	require.Equal(t, evs[1].ID, evs[3].ID)
	require.NotEqual(t, evs[0].ID, evs[1].ID)
	require.Equal(t, evs[0], evs[2])
	require.Equal(t, int64(1000), evs[0].Snapshot.Captured, "the captured event tells its moment")
	require.Zero(t, evs[1].Snapshot.Captured, "the authorized event tells its moment")

	_, err := b.refund(dup.ProcessorRef, 100)
	require.NoError(t, err)
	b.drain(t)
	evs = b.recv.eventsFor(dup.ProcessorRef)[4:]
	require.Len(t, evs, 2)
	require.Equal(t, EventRefunded, evs[0].Type)
	require.Equal(t, evs[0], evs[1])
}

func TestParseCallback(t *testing.T) {
	t.Parallel()
	client := NewClient("http://simulator.invalid", testSecret)
	id := uuid.New()
	cb := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	body := []byte(`{"id":"evt_1","type":"payment.captured","created":1700000000,"data":{"ref":"pay_1","payment_id":"` + id.String() +
		`","account":"acct","status":"CAPTURED","initiator":"CUSTOMER","amount":1000,"currency":"SEK","authorized":1000,"captured":600,` +
		`"refunded":100,"voided":false,"expired":false,"failed":false,"requires_action":false,"three_ds":"PASSED",` +
		`"card":{"brand":"visa","last4":"4242","exp_month":12,"exp_year":2030},"mandate_token":"tok_1","capture_before":"2030-01-02T03:04:05Z"}}`)
	header := func(v string) http.Header {
		h := http.Header{}
		if v != "" {
			h.Set(SignatureHeader, v)
		}
		return h
	}
	now := time.Now()

	t.Run("Good", func(t *testing.T) {
		evs, err := client.ParseCallback(header(signatureHeader(testSecret, now, body)), body)
		require.NoError(t, err)
		require.Equal(t, []payments.Event{{
			ID: "evt_1", Type: EventCaptured, ProcessorRef: "pay_1", PaymentID: id, Created: time.Unix(1700000000, 0).UTC(),
			Snapshot: payments.Snapshot{
				Amount: 1000, Currency: "SEK", Authorized: 1000, Captured: 600, Refunded: 100, ThreeDS: "PASSED",
				Card:         payments.CardInfo{Brand: "visa", Last4: "4242", ExpMonth: 12, ExpYear: 2030},
				MandateToken: "tok_1", CaptureBefore: cb,
			},
		}}, evs)
	})

	t.Run("WithinTolerance", func(t *testing.T) {
		for _, d := range []time.Duration{-4 * time.Minute, 4 * time.Minute} {
			_, err := client.ParseCallback(header(signatureHeader(testSecret, now.Add(d), body)), body)
			require.NoError(t, err, d)
		}
	})

	t.Run("SeveralSignaturesOneGood", func(t *testing.T) {
		good := signatureHeader(testSecret, now, body)
		_, v1, _ := strings.Cut(good, ",")
		bad := "v1=" + strings.Repeat("00", 32)
		h := "t=" + strconv.FormatInt(now.Unix(), 10) + "," + bad + "," + v1 + ",v0=ignored"
		_, err := client.ParseCallback(header(h), body)
		require.NoError(t, err)
	})

	bad := map[string]string{
		"BadSecret":         signatureHeader("whsec_other", now, body),
		"Stale":             signatureHeader(testSecret, now.Add(-6*time.Minute), body),
		"FromTheFuture":     signatureHeader(testSecret, now.Add(6*time.Minute), body),
		"Missing":           "",
		"NoTimestamp":       "v1=" + hex.EncodeToString(sign(testSecret, strconv.FormatInt(now.Unix(), 10), body)),
		"NoSignature":       "t=" + strconv.FormatInt(now.Unix(), 10),
		"TimestampNotDigit": "t=12a4,v1=" + strings.Repeat("ab", 32),
		"NegativeTimestamp": "t=-1,v1=" + strings.Repeat("ab", 32),
		"TwoTimestamps":     "t=1,t=2,v1=" + strings.Repeat("ab", 32),
		"SignatureNotHex":   "t=" + strconv.FormatInt(now.Unix(), 10) + ",v1=" + strings.Repeat("zz", 32),
		"SignatureTooShort": "t=" + strconv.FormatInt(now.Unix(), 10) + ",v1=abcd",
		"NoEquals":          "garbage",
		"OnlyCommas":        ",,,",
		"WrongScheme":       strings.Replace(signatureHeader(testSecret, now, body), "v1=", "v2=", 1),
	}
	for name, h := range bad {
		t.Run(name, func(t *testing.T) {
			_, err := client.ParseCallback(header(h), body)
			require.ErrorIs(t, err, payments.ErrBadSignature)
		})
	}

	t.Run("ChangedBody", func(t *testing.T) {
		h := header(signatureHeader(testSecret, now, body))
		changed := []byte(strings.Replace(string(body), `"captured":600`, `"captured":1000`, 1))
		_, err := client.ParseCallback(h, changed)
		require.ErrorIs(t, err, payments.ErrBadSignature)
	})

	t.Run("SignedButNotAnEvent", func(t *testing.T) {
		junk := []byte(`{"hello":1}`)
		_, err := client.ParseCallback(header(signatureHeader(testSecret, now, junk)), junk)
		require.Error(t, err)
		require.NotErrorIs(t, err, payments.ErrBadSignature)
	})

	t.Run("WhatTheServerSendsParses", func(t *testing.T) {
		var ev wireEvent
		require.NoError(t, json.Unmarshal(body, &ev))
		require.Equal(t, body, mustJSON(ev), "the wire format round-trips")
	})
}

func FuzzParseSignatureHeader(f *testing.F) {
	body := []byte(`{"id":"evt_1"}`)
	f.Add(signatureHeader(testSecret, time.Unix(1700000000, 0), body))
	f.Add("t=1700000000,v1=" + strings.Repeat("ab", 32) + ",v1=" + strings.Repeat("cd", 32))
	f.Add("t=1,v0=x,v1=" + strings.Repeat("00", 32))
	f.Add("")
	f.Add("t=,v1=")
	f.Add(" t = 1 , v1 = 00 ")
	f.Add("t=99999999999999999999,v1=" + strings.Repeat("ab", 32))
	f.Fuzz(func(t *testing.T, h string) {
		ts, sigs, err := ParseSignatureHeader(h)
		if err != nil {
			if ts != 0 || sigs != nil {
				t.Fatalf("error with results: %d %x", ts, sigs)
			}
			return
		}
		if ts < 0 || len(sigs) == 0 {
			t.Fatalf("accepted %q: t=%d, %d signatures", h, ts, len(sigs))
		}
		for _, s := range sigs {
			if len(s) != 32 {
				t.Fatalf("accepted a %d-byte signature from %q", len(s), h)
			}
		}
		// Whatever parses verifies only with the right HMAC.
		if verifySignature(testSecret, h, body, time.Unix(ts, 0)) == nil {
			want := sign(testSecret, strconv.FormatInt(ts, 10), body)
			found := false
			for _, s := range sigs {
				found = found || string(s) == string(want)
			}
			if !found {
				t.Fatalf("verified without a matching signature: %q", h)
			}
		}
	})
}

// TestSeveralRunners runs three Run loops on one database, as several
// kassa processes would: every callback is delivered once, and every
// lapsed hold expires once.
func TestSeveralRunners(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for range 2 {
		other := NewServer(Config{DB: b.db, PublicURL: b.srv.publicURL, CallbackURL: b.srv.callbackURL, Secret: testSecret,
			Clock: b.clock, Logger: b.srv.log, Backoff: b.srv.backoff})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			other.Run(ctx)
		}()
		t.Cleanup(func() {
			cancel()
			<-done
		})
	}

	var refs []string
	for range 20 {
		_, resp := b.authorize(t, "4242424242424242", withMOTO)
		refs = append(refs, resp.ProcessorRef)
	}
	b.drain(t)
	b.clock.Advance(6 * 24 * time.Hour)
	for _, ref := range refs {
		b.waitType(t, ref, EventExpired)
	}
	b.drain(t)

	b.recv.mu.Lock()
	defer b.recv.mu.Unlock()
	seen := map[string]int{}
	for _, a := range b.recv.attempts {
		seen[a.EventID]++
	}
	require.Len(t, seen, 40)
	for id, n := range seen {
		require.Equal(t, 1, n, "event %s delivered %d times", id, n)
	}
}
