package stripe

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	stripego "github.com/stripe/stripe-go/v82"

	"kassa/payments"
)

var (
	webhookNow = time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC)
	paymentID1 = uuid.MustParse("3f1c2a9e-8a55-4e7e-a3c2-57d1c0d9e001")
)

// webhookClient is a client that only verifies webhooks, its clock at
// webhookNow.
func webhookClient(t *testing.T, secrets ...string) *Client {
	t.Helper()
	c, err := New(Config{SecretKey: "sk_test_123", WebhookSecrets: secrets})
	require.NoError(t, err)
	c.now = func() time.Time { return webhookNow }
	return c
}

// signature computes a Stripe-Signature header the way Stripe does.
func signature(secret string, at time.Time, body []byte) string {
	ts := strconv.FormatInt(at.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(sign([]byte(secret), ts, body))
}

func header(sig string) http.Header {
	h := http.Header{}
	h.Set("Stripe-Signature", sig)
	return h
}

const unknownEvent = `{"id":"evt_unknown","object":"event","type":"customer.created","created":1773489600,"data":{"object":{"id":"cus_1","object":"customer"}}}`

func TestParseCallbackSignature(t *testing.T) {
	t.Parallel()
	body := []byte(unknownEvent)

	t.Run("Valid", func(t *testing.T) {
		t.Parallel()
		c := webhookClient(t, "whsec_new")
		evs, err := c.ParseCallback(header(signature("whsec_new", webhookNow, body)), body)
		require.NoError(t, err)
		require.Len(t, evs, 1)
		require.Equal(t, "evt_unknown", evs[0].ID)
	})

	t.Run("WrongSecret", func(t *testing.T) {
		t.Parallel()
		c := webhookClient(t, "whsec_new")
		_, err := c.ParseCallback(header(signature("whsec_other", webhookNow, body)), body)
		require.ErrorIs(t, err, payments.ErrBadSignature)
	})

	t.Run("RotationAcceptsOldAndNewWhileBothConfigured", func(t *testing.T) {
		t.Parallel()
		both := webhookClient(t, "whsec_old", "whsec_new")
		for _, s := range []string{"whsec_old", "whsec_new"} {
			_, err := both.ParseCallback(header(signature(s, webhookNow, body)), body)
			require.NoError(t, err, s)
		}
		newOnly := webhookClient(t, "whsec_new")
		_, err := newOnly.ParseCallback(header(signature("whsec_old", webhookNow, body)), body)
		require.ErrorIs(t, err, payments.ErrBadSignature, "the old secret is refused once removed")
	})

	t.Run("AnyV1EntryMayMatch", func(t *testing.T) {
		t.Parallel()
		// During rotation Stripe signs with each of the endpoint's
		// secrets and sends every signature.
		c := webhookClient(t, "whsec_new")
		ts := strconv.FormatInt(webhookNow.Unix(), 10)
		h := "t=" + ts +
			",v1=" + hex.EncodeToString(sign([]byte("whsec_old"), ts, body)) +
			",v0=" + strings.Repeat("ab", 32) +
			",v1=" + hex.EncodeToString(sign([]byte("whsec_new"), ts, body))
		_, err := c.ParseCallback(header(h), body)
		require.NoError(t, err)
	})

	t.Run("ChangedBody", func(t *testing.T) {
		t.Parallel()
		c := webhookClient(t, "whsec_new")
		sig := signature("whsec_new", webhookNow, body)
		changed := []byte(strings.Replace(unknownEvent, "cus_1", "cus_2", 1))
		_, err := c.ParseCallback(header(sig), changed)
		require.ErrorIs(t, err, payments.ErrBadSignature)
	})

	t.Run("ChangedTimestamp", func(t *testing.T) {
		t.Parallel()
		c := webhookClient(t, "whsec_new")
		sig := signature("whsec_new", webhookNow, body)
		sig = strings.Replace(sig, "t="+strconv.FormatInt(webhookNow.Unix(), 10), "t="+strconv.FormatInt(webhookNow.Unix()-1, 10), 1)
		_, err := c.ParseCallback(header(sig), body)
		require.ErrorIs(t, err, payments.ErrBadSignature)
	})

	t.Run("Tolerance", func(t *testing.T) {
		t.Parallel()
		c := webhookClient(t, "whsec_new")
		for _, tc := range []struct {
			at time.Time
			ok bool
		}{
			{webhookNow.Add(-4*time.Minute - 59*time.Second), true},
			{webhookNow.Add(-5 * time.Minute), true},
			{webhookNow.Add(-5*time.Minute - time.Second), false},
			{webhookNow.Add(-24 * time.Hour), false},
			{webhookNow.Add(2 * time.Minute), true},
			{webhookNow.Add(6 * time.Minute), false},
		} {
			_, err := c.ParseCallback(header(signature("whsec_new", tc.at, body)), body)
			if tc.ok {
				require.NoError(t, err, tc.at)
			} else {
				require.ErrorIs(t, err, payments.ErrBadSignature, tc.at)
			}
		}
	})

	t.Run("Malformed", func(t *testing.T) {
		t.Parallel()
		c := webhookClient(t, "whsec_new")
		ts := strconv.FormatInt(webhookNow.Unix(), 10)
		good := hex.EncodeToString(sign([]byte("whsec_new"), ts, body))
		for _, h := range []string{
			"",
			"garbage",
			"v1=" + good,                           // no timestamp
			"t=" + ts,                              // no signature
			"t=" + ts + ",v0=" + good,              // only the old scheme
			"t=abc,v1=" + good,                     // timestamp not a number
			"t=" + ts + ",t=" + ts + ",v1=" + good, // two timestamps
			"t=" + ts + ",v1=" + good[:63],         // odd hex
			"t=" + ts + ",v1=" + good[:62],         // short
			"t=" + ts + ",v1=" + strings.ToUpper("zz"+good[2:]), // not hex
			"t=-" + ts + ",v1=" + good,
			"t=+" + ts + ",v1=" + good,
		} {
			_, err := c.ParseCallback(header(h), body)
			require.ErrorIs(t, err, payments.ErrBadSignature, "header %q", h)
		}
	})

	t.Run("NoHeader", func(t *testing.T) {
		t.Parallel()
		c := webhookClient(t, "whsec_new")
		_, err := c.ParseCallback(http.Header{}, body)
		require.ErrorIs(t, err, payments.ErrBadSignature)
	})

	t.Run("SignedButNotJSON", func(t *testing.T) {
		t.Parallel()
		c := webhookClient(t, "whsec_new")
		junk := []byte("not json")
		_, err := c.ParseCallback(header(signature("whsec_new", webhookNow, junk)), junk)
		require.Error(t, err)
		require.NotErrorIs(t, err, payments.ErrBadSignature)
	})
}

// event wraps a Stripe object in an event of type typ.
func event(id, typ, object string) []byte {
	return fmt.Appendf(nil, `{"id":%q,"object":"event","api_version":%q,"type":%q,"created":1773489600,"livemode":false,"data":{"object":%s}}`,
		id, stripego.APIVersion, typ, object)
}

func TestParseCallbackEvents(t *testing.T) {
	t.Parallel()
	created := int64(1773489000)
	hold := time.Unix(created, 0).UTC().Add(7 * 24 * time.Hour)
	meta := `"metadata":{"kassa_payment_id":"` + paymentID1.String() + `","kassa_merchant_id":"7b0c1b5e-6f1d-4a59-9c39-0f3c2a6f0d11"}`

	for _, tc := range []struct {
		name string
		body []byte
		want payments.Event
	}{
		{
			name: "AmountCapturableUpdatedIsAuthorized",
			body: event("evt_1", "payment_intent.amount_capturable_updated", `{"id":"pi_1","object":"payment_intent","amount":12345,"amount_capturable":12345,"amount_received":0,"currency":"sek","capture_method":"manual","created":1773489000,"status":"requires_capture","customer":"cus_7","payment_method":"pm_7","setup_future_usage":"off_session","latest_charge":"ch_1",`+meta+`}`),
			want: payments.Event{ID: "evt_1", Type: "payment.authorized", ProcessorRef: "pi_1", PaymentID: paymentID1, Snapshot: payments.Snapshot{
				Amount: 12345, Currency: "SEK", Authorized: 12345, MandateToken: "cus_7/pm_7", CaptureBefore: hold,
			}},
		},
		{
			name: "SucceededIsCaptured",
			body: event("evt_2", "payment_intent.succeeded", `{"id":"pi_2","object":"payment_intent","amount":5000,"amount_capturable":0,"amount_received":5000,"currency":"eur","created":1773489000,"status":"succeeded","payment_method":"pm_2",`+meta+`}`),
			want: payments.Event{ID: "evt_2", Type: "payment.captured", ProcessorRef: "pi_2", PaymentID: paymentID1, Snapshot: payments.Snapshot{
				Amount: 5000, Currency: "EUR", Authorized: 5000, Captured: 5000, CaptureBefore: hold,
			}},
		},
		{
			name: "PartialCaptureKeepsTheAuthorizedAmount",
			body: event("evt_3", "payment_intent.succeeded", `{"id":"pi_3","object":"payment_intent","amount":10000,"amount_capturable":0,"amount_received":6000,"currency":"sek","created":1773489000,"status":"succeeded",`+meta+`}`),
			want: payments.Event{ID: "evt_3", Type: "payment.captured", ProcessorRef: "pi_3", PaymentID: paymentID1, Snapshot: payments.Snapshot{
				Amount: 10000, Currency: "SEK", Authorized: 10000, Captured: 6000, CaptureBefore: hold,
			}},
		},
		{
			name: "PaymentFailedCarriesTheDeclineCode",
			body: event("evt_4", "payment_intent.payment_failed", `{"id":"pi_4","object":"payment_intent","amount":2000,"currency":"sek","created":1773489000,"status":"requires_payment_method","last_payment_error":{"type":"card_error","code":"card_declined","decline_code":"insufficient_funds","message":"Your card has insufficient funds."},`+meta+`}`),
			want: payments.Event{ID: "evt_4", Type: "payment.failed", ProcessorRef: "pi_4", PaymentID: paymentID1, Snapshot: payments.Snapshot{
				Amount: 2000, Currency: "SEK", Failed: true, FailureCode: "insufficient_funds", FailureMessage: "Your card has insufficient funds.",
			}},
		},
		{
			name: "ThreeDSFailure",
			body: event("evt_5", "payment_intent.payment_failed", `{"id":"pi_5","object":"payment_intent","amount":2000,"currency":"sek","created":1773489000,"status":"requires_payment_method","last_payment_error":{"type":"invalid_request_error","code":"payment_intent_authentication_failure","message":"auth failed"},`+meta+`}`),
			want: payments.Event{ID: "evt_5", Type: "payment.failed", ProcessorRef: "pi_5", PaymentID: paymentID1, Snapshot: payments.Snapshot{
				Amount: 2000, Currency: "SEK", Failed: true, FailureCode: "payment_intent_authentication_failure", FailureMessage: "auth failed", ThreeDS: "FAILED",
			}},
		},
		{
			name: "CanceledIsVoided",
			body: event("evt_6", "payment_intent.canceled", `{"id":"pi_6","object":"payment_intent","amount":3000,"amount_capturable":0,"currency":"sek","created":1773489000,"status":"canceled","cancellation_reason":"requested_by_customer",`+meta+`}`),
			want: payments.Event{ID: "evt_6", Type: "payment.voided", ProcessorRef: "pi_6", PaymentID: paymentID1, Snapshot: payments.Snapshot{
				Amount: 3000, Currency: "SEK", Voided: true,
			}},
		},
		{
			name: "AutomaticCancelIsExpiry",
			body: event("evt_7", "payment_intent.canceled", `{"id":"pi_7","object":"payment_intent","amount":3000,"currency":"sek","created":1773489000,"status":"canceled","cancellation_reason":"automatic",`+meta+`}`),
			want: payments.Event{ID: "evt_7", Type: "payment.expired", ProcessorRef: "pi_7", PaymentID: paymentID1, Snapshot: payments.Snapshot{
				Amount: 3000, Currency: "SEK", Expired: true,
			}},
		},
		{
			name: "RequiresAction",
			body: event("evt_8", "payment_intent.requires_action", `{"id":"pi_8","object":"payment_intent","amount":3000,"currency":"sek","created":1773489000,"status":"requires_action","next_action":{"type":"redirect_to_url","redirect_to_url":{"url":"https://hooks.stripe.com/3ds","return_url":"https://kassa.example/r"}},`+meta+`}`),
			want: payments.Event{ID: "evt_8", Type: "payment.requires_action", ProcessorRef: "pi_8", PaymentID: paymentID1, Snapshot: payments.Snapshot{
				Amount: 3000, Currency: "SEK", RequiresAction: true,
			}},
		},
		{
			name: "ChargeRefundedAfterPartialCapture",
			// 10000 authorized, 6000 captured (Stripe counts the released
			// 4000 as refunded), then 1500 refunded: 5500 in amount_refunded.
			body: event("evt_9", "charge.refunded", `{"id":"ch_9","object":"charge","amount":10000,"amount_captured":6000,"amount_refunded":5500,"captured":true,"refunded":false,"paid":true,"status":"succeeded","currency":"sek","created":1773489000,"payment_intent":"pi_9","payment_method":"pm_9",`+meta+`,"payment_method_details":{"type":"card","card":{"brand":"mastercard","last4":"4444","exp_month":3,"exp_year":2031,"capture_before":1774000000,"three_d_secure":{"result":"authenticated"}}}}`),
			want: payments.Event{ID: "evt_9", Type: "payment.refunded", ProcessorRef: "pi_9", PaymentID: paymentID1, Snapshot: payments.Snapshot{
				Amount: 10000, Currency: "SEK", Authorized: 10000, Captured: 6000, Refunded: 1500, ThreeDS: "PASSED",
				Card:          payments.CardInfo{Brand: "mastercard", Last4: "4444", ExpMonth: 3, ExpYear: 2031},
				CaptureBefore: time.Unix(1774000000, 0).UTC(),
			}},
		},
		{
			name: "ChargeRefundedInFull",
			body: event("evt_10", "charge.refunded", `{"id":"ch_10","object":"charge","amount":5000,"amount_captured":5000,"amount_refunded":5000,"captured":true,"refunded":true,"paid":true,"status":"succeeded","currency":"sek","created":1773489000,"payment_intent":"pi_10",`+meta+`}`),
			want: payments.Event{ID: "evt_10", Type: "payment.refunded", ProcessorRef: "pi_10", PaymentID: paymentID1, Snapshot: payments.Snapshot{
				Amount: 5000, Currency: "SEK", Authorized: 5000, Captured: 5000, Refunded: 5000, CaptureBefore: hold,
			}},
		},
		{
			name: "ReleasedAuthorizationIsNoRefund",
			body: event("evt_11", "charge.refunded", `{"id":"ch_11","object":"charge","amount":5000,"amount_captured":0,"amount_refunded":5000,"captured":false,"refunded":true,"paid":true,"status":"succeeded","currency":"sek","created":1773489000,"payment_intent":"pi_11",`+meta+`}`),
			want: payments.Event{ID: "evt_11", Type: "payment.refunded", ProcessorRef: "pi_11", PaymentID: paymentID1, Snapshot: payments.Snapshot{
				Amount: 5000, Currency: "SEK", Authorized: 5000, CaptureBefore: hold,
			}},
		},
		{
			name: "ChargeCaptured",
			body: event("evt_12", "charge.captured", `{"id":"ch_12","object":"charge","amount":5000,"amount_captured":5000,"amount_refunded":0,"captured":true,"paid":true,"status":"succeeded","currency":"nok","created":1773489000,"payment_intent":"pi_12",`+meta+`,"payment_method_details":{"type":"card","card":{"brand":"visa","last4":"4242","exp_month":12,"exp_year":2034}}}`),
			want: payments.Event{ID: "evt_12", Type: "payment.captured", ProcessorRef: "pi_12", PaymentID: paymentID1, Snapshot: payments.Snapshot{
				Amount: 5000, Currency: "NOK", Authorized: 5000, Captured: 5000, ThreeDS: "NOT_REQUIRED",
				Card: payments.CardInfo{Brand: "visa", Last4: "4242", ExpMonth: 12, ExpYear: 2034}, CaptureBefore: hold,
			}},
		},
		{
			name: "ChargeExpired",
			body: event("evt_13", "charge.expired", `{"id":"ch_13","object":"charge","amount":5000,"amount_captured":0,"amount_refunded":5000,"captured":false,"refunded":true,"paid":true,"status":"succeeded","currency":"sek","created":1773489000,"payment_intent":"pi_13",`+meta+`}`),
			want: payments.Event{ID: "evt_13", Type: "payment.expired", ProcessorRef: "pi_13", PaymentID: paymentID1, Snapshot: payments.Snapshot{
				Amount: 5000, Currency: "SEK", Authorized: 5000, Expired: true, CaptureBefore: hold,
			}},
		},
		{
			name: "NoMetadataNoPaymentID",
			body: event("evt_14", "payment_intent.succeeded", `{"id":"pi_14","object":"payment_intent","amount":100,"amount_received":100,"currency":"sek","created":1773489000,"status":"succeeded","metadata":{"kassa_payment_id":"not-a-uuid"}}`),
			want: payments.Event{ID: "evt_14", Type: "payment.captured", ProcessorRef: "pi_14", Snapshot: payments.Snapshot{
				Amount: 100, Currency: "SEK", Authorized: 100, Captured: 100, CaptureBefore: hold,
			}},
		},
		{
			name: "UnknownIsPrefixed",
			body: []byte(unknownEvent),
			want: payments.Event{ID: "evt_unknown", Type: "stripe.customer.created"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := webhookClient(t, "whsec_test")
			evs, err := c.ParseCallback(header(signature("whsec_test", webhookNow, tc.body)), tc.body)
			require.NoError(t, err)
			require.Len(t, evs, 1)
			tc.want.Created = time.Unix(1773489600, 0).UTC()
			require.Equal(t, tc.want, evs[0])
		})
	}
}

func TestAuthResponse(t *testing.T) {
	t.Parallel()

	for _, tc := range []struct {
		name string
		pi   string
		want payments.AuthorizeResponse
	}{
		{
			name: "RequiresActionRedirects",
			pi:   `{"id":"pi_1","status":"requires_action","amount":100,"currency":"sek","next_action":{"type":"redirect_to_url","redirect_to_url":{"url":"https://hooks.stripe.com/3d_secure_2/x","return_url":"https://kassa.example/r"}}}`,
			want: payments.AuthorizeResponse{ProcessorRef: "pi_1", Status: payments.AuthRequiresAction, ActionURL: "https://hooks.stripe.com/3d_secure_2/x"},
		},
		{
			name: "RequiresActionWithoutRedirectIsDeclined",
			pi:   `{"id":"pi_2","status":"requires_action","amount":100,"currency":"sek","next_action":{"type":"use_stripe_sdk"}}`,
			want: payments.AuthorizeResponse{ProcessorRef: "pi_2", Status: payments.AuthDeclined, DeclineCode: "authentication_required", DeclineMsg: "the card requires authentication and no redirect was offered"},
		},
		{
			name: "RequiresPaymentMethodIsDeclined",
			pi:   `{"id":"pi_3","status":"requires_payment_method","amount":100,"currency":"sek","last_payment_error":{"type":"card_error","code":"expired_card","message":"Your card has expired."}}`,
			want: payments.AuthorizeResponse{ProcessorRef: "pi_3", Status: payments.AuthDeclined, DeclineCode: "expired_card", DeclineMsg: "Your card has expired."},
		},
		{
			name: "RequiresCaptureIsPending",
			pi:   `{"id":"pi_4","status":"requires_capture","amount":100,"amount_capturable":100,"currency":"sek","created":1773489000,"payment_method":{"id":"pm_4","object":"payment_method","card":{"brand":"amex","last4":"0005","exp_month":2,"exp_year":2030}}}`,
			want: payments.AuthorizeResponse{ProcessorRef: "pi_4", Status: payments.AuthPending, Card: payments.CardInfo{Brand: "amex", Last4: "0005", ExpMonth: 2, ExpYear: 2030}},
		},
		{
			name: "SucceededIsPending",
			pi:   `{"id":"pi_5","status":"succeeded","amount":100,"amount_received":100,"currency":"sek","created":1773489000,"customer":"cus_5","payment_method":"pm_5","setup_future_usage":"off_session"}`,
			want: payments.AuthorizeResponse{ProcessorRef: "pi_5", Status: payments.AuthPending, MandateToken: "cus_5/pm_5"},
		},
		{
			name: "ProcessingIsPending",
			pi:   `{"id":"pi_6","status":"processing","amount":100,"currency":"sek"}`,
			want: payments.AuthorizeResponse{ProcessorRef: "pi_6", Status: payments.AuthPending},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var pi stripego.PaymentIntent
			require.NoError(t, json.Unmarshal([]byte(tc.pi), &pi))
			require.Equal(t, tc.want, authResponse(&pi))
		})
	}
}

func TestMandateToken(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ tok, cus, pm string }{
		{"cus_1/pm_2", "cus_1", "pm_2"},
		{"pm_2", "", "pm_2"},
		{"", "", ""},
		{"cus_1/", "", ""},
		{"/pm_2", "", ""},
		{"card_1", "", ""},
	} {
		cus, pm := parseMandateToken(tc.tok)
		require.Equal(t, tc.cus, cus, tc.tok)
		require.Equal(t, tc.pm, pm, tc.tok)
		if pm != "" {
			require.Equal(t, tc.tok, mandateToken(cus, pm))
		}
	}
}

func FuzzParseSignatureHeader(f *testing.F) {
	body := []byte(unknownEvent)
	ts := strconv.FormatInt(webhookNow.Unix(), 10)
	good := hex.EncodeToString(sign([]byte("whsec_test"), ts, body))
	for _, s := range []string{
		"t=" + ts + ",v1=" + good,
		"t=" + ts + ",v1=" + good + ",v0=" + good,
		"t=" + ts + ", v1=" + good + " ,v1=00",
		"t=,v1=",
		"t=1,t=2",
		"=,==,,",
		"t=99999999999999999999,v1=" + good,
		"",
	} {
		f.Add(s)
	}
	c, err := New(Config{SecretKey: "sk_test_123", WebhookSecrets: []string{"whsec_test"}})
	if err != nil {
		f.Fatal(err)
	}
	c.now = func() time.Time { return webhookNow }

	f.Fuzz(func(t *testing.T, h string) {
		sh, err := parseSignatureHeader(h)
		if err == nil {
			if sh.timestamp == "" || len(sh.v1) == 0 || len(sh.v1) > maxSignatures {
				t.Fatalf("accepted %q as %+v", h, sh)
			}
			for _, s := range sh.v1 {
				if len(s) != 32 {
					t.Fatalf("accepted a %d-byte signature from %q", len(s), h)
				}
			}
		}
		// Only a header carrying the right signature verifies.
		if err := c.verify(h, body); err == nil && !strings.Contains(strings.ToLower(h), good) {
			t.Fatalf("verified %q without the right signature", h)
		}
	})
}

func FuzzMapEvent(f *testing.F) {
	f.Add([]byte(unknownEvent))
	f.Add(event("evt_1", "payment_intent.succeeded", `{"id":"pi_1","amount":1,"currency":"sek","status":"succeeded"}`))
	f.Add(event("evt_2", "charge.refunded", `{"id":"ch_1","amount":1,"amount_refunded":9,"captured":true}`))
	f.Add(event("evt_3", "charge.refunded", `"ch_1"`))
	f.Add([]byte(`{"id":"evt","type":"payment_intent.canceled","data":{"object":null}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := mapEvent(body)
		if err != nil {
			return
		}
		s := ev.Snapshot
		if ev.ID == "" || ev.Type == "" {
			t.Fatalf("event without id or type: %+v", ev)
		}
		if s.Refunded > s.Captured && s.Refunded > 0 {
			t.Fatalf("refunded %d > captured %d", s.Refunded, s.Captured)
		}
	})
}
