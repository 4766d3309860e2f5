package stripe

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"kassa/gid"
	"kassa/payments"
)

const testCardNumber = "4242424242424242"

// sent is one request as it went over the wire.
type sent struct {
	Method string
	Path   string
	Key    string // Idempotency-Key
	Form   url.Values
}

// recorder wraps the HTTP transport and keeps what was sent.
type recorder struct {
	next http.RoundTripper
	mu   sync.Mutex
	reqs []sent
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		_ = req.Body.Close()
		body = b
		req = req.Clone(req.Context())
		req.Body = io.NopCloser(bytes.NewReader(b))
	}
	form, _ := url.ParseQuery(string(body))
	r.mu.Lock()
	r.reqs = append(r.reqs, sent{Method: req.Method, Path: req.URL.Path, Key: req.Header.Get("Idempotency-Key"), Form: form})
	r.mu.Unlock()
	return r.next.RoundTrip(req)
}

func (r *recorder) all() []sent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]sent(nil), r.reqs...)
}

// one returns the only request to path.
func (r *recorder) one(t *testing.T, method, path string) sent {
	t.Helper()
	var found []sent
	for _, s := range r.all() {
		if s.Method == method && s.Path == path {
			found = append(found, s)
		}
	}
	require.Len(t, found, 1, "requests %s %s", method, path)
	return found[0]
}

type bundle struct {
	client *Client
	rec    *recorder
}

func setup(t *testing.T, base string, mutate ...func(*Config)) bundle {
	t.Helper()
	rec := &recorder{next: http.DefaultTransport}
	cfg := Config{
		SecretKey:      "sk_test_123",
		WebhookSecrets: []string{"whsec_test"},
		BackendURL:     base,
		HTTPClient:     &http.Client{Transport: rec},
		Timeout:        10 * time.Second,
	}
	for _, f := range mutate {
		f(&cfg)
	}
	c, err := New(cfg)
	require.NoError(t, err)
	return bundle{client: c, rec: rec}
}

func authorizeRequest(rowID uuid.UUID) payments.AuthorizeRequest {
	return payments.AuthorizeRequest{
		IdempotencyKey: payments.IdempotencyKey("authorize", rowID),
		PaymentID:      rowID,
		MerchantID:     gid.Of[gid.MerchantID](uuid.MustParse("7b0c1b5e-6f1d-4a59-9c39-0f3c2a6f0d11")),
		Amount:         123450,
		Currency:       "SEK",
		Card:           payments.Card{Number: "4242 4242 4242 4242", ExpMonth: 12, ExpYear: 2034, CVC: "123", Holder: "Alva Berg"},
		Initiator:      payments.InitiatorCustomer,
		ReturnURL:      "https://kassa.example/pay/tok/return",
		Description:    "Order 1001",
	}
}

func TestNew(t *testing.T) {
	t.Parallel()

	_, err := New(Config{WebhookSecrets: []string{"whsec_x"}})
	require.Error(t, err)
	_, err = New(Config{SecretKey: "sk_test_x"})
	require.Error(t, err)
	_, err = New(Config{SecretKey: "sk_test_x", WebhookSecrets: []string{""}})
	require.Error(t, err)
	c, err := New(Config{SecretKey: "sk_test_x", WebhookSecrets: []string{"whsec_x"}})
	require.NoError(t, err)
	require.Equal(t, "stripe", c.Name())
}

func TestAuthorize(t *testing.T) {
	t.Parallel()
	base := stripeMock(t)

	t.Run("ReserveIsManualCaptureWithOurKey", func(t *testing.T) {
		t.Parallel()
		b := setup(t, base)
		req := authorizeRequest(uuid.New())

		resp, err := b.client.Authorize(context.Background(), req)
		require.NoError(t, err)
		require.True(t, strings.HasPrefix(resp.ProcessorRef, "pi_"), resp.ProcessorRef)
		require.Contains(t, []payments.AuthStatus{payments.AuthPending, payments.AuthRequiresAction, payments.AuthDeclined}, resp.Status)
		require.Equal(t, "visa", resp.Card.Brand)
		require.Len(t, resp.Card.Last4, 4)

		pm := b.rec.one(t, http.MethodPost, "/v1/payment_methods")
		require.Equal(t, req.IdempotencyKey+"-pm", pm.Key)
		require.Equal(t, "card", pm.Form.Get("type"))
		require.Equal(t, testCardNumber, pm.Form.Get("card[number]"), "spaces are taken out")
		require.Equal(t, "12", pm.Form.Get("card[exp_month]"))
		require.Equal(t, "2034", pm.Form.Get("card[exp_year]"))
		require.Equal(t, "123", pm.Form.Get("card[cvc]"))
		require.Equal(t, "Alva Berg", pm.Form.Get("billing_details[name]"))

		pi := b.rec.one(t, http.MethodPost, "/v1/payment_intents")
		require.Equal(t, "kassa-authorize-"+req.PaymentID.String(), pi.Key, "the key on the wire is the one derived from our row id")
		require.Equal(t, "123450", pi.Form.Get("amount"))
		require.Equal(t, "sek", pi.Form.Get("currency"))
		require.Equal(t, "manual", pi.Form.Get("capture_method"))
		require.Equal(t, "true", pi.Form.Get("confirm"))
		require.NotEmpty(t, pi.Form.Get("payment_method"))
		require.True(t, strings.HasPrefix(pi.Form.Get("payment_method"), "pm_"))
		require.Equal(t, "card", pi.Form.Get("payment_method_types[0]"))
		require.Equal(t, req.ReturnURL, pi.Form.Get("return_url"))
		require.Equal(t, req.PaymentID.String(), pi.Form.Get("metadata[kassa_payment_id]"))
		require.Equal(t, req.MerchantID.String(), pi.Form.Get("metadata[kassa_merchant_id]"))
		require.Equal(t, "Order 1001", pi.Form.Get("description"))
		require.Empty(t, pi.Form.Get("setup_future_usage"))
		require.Empty(t, pi.Form.Get("payment_method_options[card][moto]"))
		require.Empty(t, pi.Form.Get("customer"))
	})

	t.Run("ImmediateCapturesAutomatically", func(t *testing.T) {
		t.Parallel()
		b := setup(t, base)
		req := authorizeRequest(uuid.New())
		req.Capture = true

		resp, err := b.client.Authorize(context.Background(), req)
		require.NoError(t, err)
		require.NotEmpty(t, resp.ProcessorRef)

		pi := b.rec.one(t, http.MethodPost, "/v1/payment_intents")
		require.Equal(t, req.IdempotencyKey, pi.Key)
		require.False(t, pi.Form.Has("capture_method"))
		require.Equal(t, "true", pi.Form.Get("confirm"))
	})

	t.Run("MOTOSetsTheMOTOFlag", func(t *testing.T) {
		t.Parallel()
		b := setup(t, base)
		req := authorizeRequest(uuid.New())
		req.Initiator = payments.InitiatorMerchantMOTO
		req.ReturnURL = ""

		_, err := b.client.Authorize(context.Background(), req)
		require.NoError(t, err)

		pi := b.rec.one(t, http.MethodPost, "/v1/payment_intents")
		require.Equal(t, "true", pi.Form.Get("payment_method_options[card][moto]"))
		require.False(t, pi.Form.Has("return_url"))
	})

	t.Run("SaveMandateSavesOnACustomer", func(t *testing.T) {
		t.Parallel()
		b := setup(t, base)
		req := authorizeRequest(uuid.New())
		req.SaveMandate = true

		_, err := b.client.Authorize(context.Background(), req)
		require.NoError(t, err)

		cus := b.rec.one(t, http.MethodPost, "/v1/customers")
		require.Equal(t, req.IdempotencyKey+"-customer", cus.Key)
		require.Equal(t, req.MerchantID.String(), cus.Form.Get("metadata[kassa_merchant_id]"))
		pi := b.rec.one(t, http.MethodPost, "/v1/payment_intents")
		require.Equal(t, "off_session", pi.Form.Get("setup_future_usage"))
		require.True(t, strings.HasPrefix(pi.Form.Get("customer"), "cus_"), pi.Form.Get("customer"))
	})

	t.Run("PaymentMethodIDPassesThrough", func(t *testing.T) {
		t.Parallel()
		b := setup(t, base)
		req := authorizeRequest(uuid.New())
		req.Card = payments.Card{Number: "pm_card_visa"}

		_, err := b.client.Authorize(context.Background(), req)
		require.NoError(t, err)

		for _, s := range b.rec.all() {
			require.NotEqual(t, "/v1/payment_methods", s.Path, "no PaymentMethod is made for a pm_ id")
		}
		pi := b.rec.one(t, http.MethodPost, "/v1/payment_intents")
		require.Equal(t, "pm_card_visa", pi.Form.Get("payment_method"))
	})

	t.Run("MulticaptureIsRequestedWhenConfigured", func(t *testing.T) {
		t.Parallel()
		b := setup(t, base, func(c *Config) { c.Multicapture = true })
		req := authorizeRequest(uuid.New())

		_, err := b.client.Authorize(context.Background(), req)
		require.NoError(t, err)

		pi := b.rec.one(t, http.MethodPost, "/v1/payment_intents")
		require.Equal(t, "if_available", pi.Form.Get("payment_method_options[card][request_multicapture]"))
	})

	t.Run("RetrySendsTheSameKeys", func(t *testing.T) {
		t.Parallel()
		b := setup(t, base)
		req := authorizeRequest(uuid.New())

		_, err := b.client.Authorize(context.Background(), req)
		require.NoError(t, err)
		_, err = b.client.Authorize(context.Background(), req)
		require.NoError(t, err)

		var keys []string
		for _, s := range b.rec.all() {
			keys = append(keys, s.Key)
		}
		require.Equal(t, []string{req.IdempotencyKey + "-pm", req.IdempotencyKey, req.IdempotencyKey + "-pm", req.IdempotencyKey}, keys)
	})

	t.Run("NoKeyNoCall", func(t *testing.T) {
		t.Parallel()
		b := setup(t, base)
		req := authorizeRequest(uuid.New())
		req.IdempotencyKey = ""

		_, err := b.client.Authorize(context.Background(), req)
		require.Error(t, err)
		require.Empty(t, b.rec.all())
	})
}

func TestCapture(t *testing.T) {
	t.Parallel()
	base := stripeMock(t)

	t.Run("PartialSendsAmountToCapture", func(t *testing.T) {
		t.Parallel()
		b := setup(t, base)
		rowID := uuid.New()
		req := payments.CaptureRequest{
			IdempotencyKey: payments.IdempotencyKey("capture", rowID),
			ProcessorRef:   "pi_123",
			Amount:         500,
			Currency:       "SEK",
		}

		resp, err := b.client.Capture(context.Background(), req)
		require.NoError(t, err)
		require.NotEmpty(t, resp.OperationRef)
		require.NotEmpty(t, resp.Snapshot.Currency)

		s := b.rec.one(t, http.MethodPost, "/v1/payment_intents/pi_123/capture")
		require.Equal(t, "kassa-capture-"+rowID.String(), s.Key)
		require.Equal(t, "500", s.Form.Get("amount_to_capture"))
		require.False(t, s.Form.Has("final_capture"), "final_capture needs multicapture")
	})

	t.Run("MulticaptureSendsFinalCapture", func(t *testing.T) {
		t.Parallel()
		b := setup(t, base, func(c *Config) { c.Multicapture = true })
		req := payments.CaptureRequest{IdempotencyKey: payments.IdempotencyKey("capture", uuid.New()), ProcessorRef: "pi_123", Amount: 500}

		_, err := b.client.Capture(context.Background(), req)
		require.NoError(t, err)

		s := b.rec.one(t, http.MethodPost, "/v1/payment_intents/pi_123/capture")
		require.Equal(t, req.IdempotencyKey, s.Key)
		require.Equal(t, "false", s.Form.Get("final_capture"))
	})

	t.Run("ZeroAmountCapturesAll", func(t *testing.T) {
		t.Parallel()
		b := setup(t, base)
		req := payments.CaptureRequest{IdempotencyKey: payments.IdempotencyKey("capture", uuid.New()), ProcessorRef: "pi_123", Final: true}

		_, err := b.client.Capture(context.Background(), req)
		require.NoError(t, err)
		require.False(t, b.rec.one(t, http.MethodPost, "/v1/payment_intents/pi_123/capture").Form.Has("amount_to_capture"))
	})
}

func TestVoid(t *testing.T) {
	t.Parallel()
	b := setup(t, stripeMock(t))
	rowID := uuid.New()

	resp, err := b.client.Void(context.Background(), payments.VoidRequest{IdempotencyKey: payments.IdempotencyKey("void", rowID), ProcessorRef: "pi_123"})
	require.NoError(t, err)
	require.NotEmpty(t, resp.OperationRef)

	s := b.rec.one(t, http.MethodPost, "/v1/payment_intents/pi_123/cancel")
	require.Equal(t, "kassa-void-"+rowID.String(), s.Key)
}

func TestRefund(t *testing.T) {
	t.Parallel()
	base := stripeMock(t)

	for _, tc := range []struct {
		reason, want string
	}{
		{"Customer returned the goods", "requested_by_customer"},
		{"Duplicate order", "duplicate"},
		{"suspected FRAUD", "fraudulent"},
		{"", "requested_by_customer"},
	} {
		t.Run(tc.want+"/"+tc.reason, func(t *testing.T) {
			t.Parallel()
			b := setup(t, base)
			rowID := uuid.New()
			req := payments.RefundRequest{
				IdempotencyKey: payments.IdempotencyKey("refund", rowID),
				ProcessorRef:   "pi_123",
				Amount:         300,
				Currency:       "SEK",
				Reason:         tc.reason,
			}

			resp, err := b.client.Refund(context.Background(), req)
			require.NoError(t, err)
			require.True(t, strings.HasPrefix(resp.OperationRef, "re_"), resp.OperationRef)

			s := b.rec.one(t, http.MethodPost, "/v1/refunds")
			require.Equal(t, "kassa-refund-"+rowID.String(), s.Key)
			require.Equal(t, "pi_123", s.Form.Get("payment_intent"))
			require.Equal(t, "300", s.Form.Get("amount"))
			require.Equal(t, tc.want, s.Form.Get("reason"))
			require.Equal(t, tc.reason, s.Form.Get("metadata[kassa_reason]"))
		})
	}
}

func TestChargeMandate(t *testing.T) {
	t.Parallel()
	base := stripeMock(t)

	t.Run("OffSessionWithCustomerAndPaymentMethod", func(t *testing.T) {
		t.Parallel()
		b := setup(t, base)
		rowID := uuid.New()
		req := payments.MandateChargeRequest{
			IdempotencyKey: payments.IdempotencyKey("charge", rowID),
			PaymentID:      rowID,
			MerchantID:     gid.Of[gid.MerchantID](uuid.New()),
			Amount:         9900,
			Currency:       "EUR",
			Capture:        true,
			MandateToken:   "cus_123/pm_456",
			Description:    "Subscription, March",
		}

		resp, err := b.client.ChargeMandate(context.Background(), req)
		require.NoError(t, err)
		require.True(t, strings.HasPrefix(resp.ProcessorRef, "pi_"))

		s := b.rec.one(t, http.MethodPost, "/v1/payment_intents")
		require.Equal(t, "kassa-charge-"+rowID.String(), s.Key)
		require.Equal(t, "cus_123", s.Form.Get("customer"))
		require.Equal(t, "pm_456", s.Form.Get("payment_method"))
		require.Equal(t, "true", s.Form.Get("off_session"))
		require.Equal(t, "true", s.Form.Get("confirm"))
		require.Equal(t, "eur", s.Form.Get("currency"))
		require.Equal(t, "9900", s.Form.Get("amount"))
		require.False(t, s.Form.Has("capture_method"))
		require.Equal(t, rowID.String(), s.Form.Get("metadata[kassa_payment_id]"))
	})

	t.Run("ReserveIsManual", func(t *testing.T) {
		t.Parallel()
		b := setup(t, base)
		req := payments.MandateChargeRequest{IdempotencyKey: "k-1", Amount: 100, Currency: "SEK", MandateToken: "pm_456"}

		_, err := b.client.ChargeMandate(context.Background(), req)
		require.NoError(t, err)
		s := b.rec.one(t, http.MethodPost, "/v1/payment_intents")
		require.Equal(t, "manual", s.Form.Get("capture_method"))
		require.False(t, s.Form.Has("customer"))
	})

	t.Run("BadTokenNoCall", func(t *testing.T) {
		t.Parallel()
		b := setup(t, base)
		for _, tok := range []string{"", "tok_123", "cus_1/card_2", "pm"} {
			_, err := b.client.ChargeMandate(context.Background(), payments.MandateChargeRequest{IdempotencyKey: "k", Amount: 1, Currency: "SEK", MandateToken: tok})
			require.ErrorIs(t, err, payments.ErrInvalidCard, tok)
		}
		require.Empty(t, b.rec.all())
	})
}

// fakeStripe answers every request with status and body.
func fakeStripe(t *testing.T, status int, body string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestErrors(t *testing.T) {
	t.Parallel()

	capture := func(c *Client) error {
		_, err := c.Capture(context.Background(), payments.CaptureRequest{IdempotencyKey: "k", ProcessorRef: "pi_1", Amount: 100})
		return err
	}
	refund := func(c *Client) error {
		_, err := c.Refund(context.Background(), payments.RefundRequest{IdempotencyKey: "k", ProcessorRef: "pi_1", Amount: 100})
		return err
	}

	for _, tc := range []struct {
		name    string
		status  int
		body    string
		call    func(*Client) error
		is      error
		decline string
	}{
		{"ServerErrorMayHaveHappened", 500, `{"error":{"type":"api_error","message":"boom"}}`, capture, payments.ErrTimeout, ""},
		{"KeyInUseIsRetryable", 409, `{"error":{"type":"invalid_request_error","code":"idempotency_key_in_use","message":"busy"}}`, capture, payments.ErrTimeout, ""},
		{"AlreadyRefunded", 400, `{"error":{"type":"invalid_request_error","code":"charge_already_refunded","message":"x"}}`, refund, payments.ErrDeclined, "charge_already_refunded"},
		{"AmountTooLarge", 400, `{"error":{"type":"invalid_request_error","code":"amount_too_large","message":"x"}}`, capture, payments.ErrDeclined, "amount_too_large"},
		{"CardErrorUsesDeclineCode", 402, `{"error":{"type":"card_error","code":"card_declined","decline_code":"insufficient_funds","message":"x"}}`, refund, payments.ErrDeclined, "insufficient_funds"},
		{"AuthorizationExpired", 400, `{"error":{"type":"invalid_request_error","code":"payment_intent_unexpected_state","message":"x","payment_intent":{"id":"pi_1","status":"canceled","cancellation_reason":"automatic"}}}`, capture, payments.ErrDeclined, "authorization_expired"},
		{"SecondCaptureWithoutMulticapture", 400, `{"error":{"type":"invalid_request_error","code":"payment_intent_unexpected_state","message":"x","payment_intent":{"id":"pi_1","status":"succeeded"}}}`, capture, payments.ErrNotSupported, ""},
		{"BadParameterIsABug", 400, `{"error":{"type":"invalid_request_error","code":"parameter_unknown","param":"foo","message":"x"}}`, capture, nil, ""},
		{"BadKeyIsNotADecline", 401, `{"error":{"type":"invalid_request_error","message":"Invalid API Key"}}`, capture, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, fakeStripe(t, tc.status, tc.body))
			err := tc.call(b.client)
			require.Error(t, err)
			if tc.is != nil {
				require.ErrorIs(t, err, tc.is)
			} else {
				require.NotErrorIs(t, err, payments.ErrTimeout)
				require.NotErrorIs(t, err, payments.ErrDeclined)
			}
			if tc.decline != "" {
				var de *payments.DeclineError
				require.ErrorAs(t, err, &de)
				require.Equal(t, tc.decline, de.Code)
			}
		})
	}

	t.Run("AuthorizeDeclineIsAnAnswer", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			if r.URL.Path == "/v1/payment_methods" {
				_, _ = io.WriteString(w, `{"id":"pm_1","object":"payment_method","card":{"brand":"visa","last4":"0002","exp_month":1,"exp_year":2030}}`)
				return
			}
			w.WriteHeader(402)
			_, _ = io.WriteString(w, `{"error":{"type":"card_error","code":"card_declined","decline_code":"insufficient_funds","message":"Your card has insufficient funds.","payment_intent":{"id":"pi_9","status":"requires_payment_method"}}}`)
		}))
		t.Cleanup(srv.Close)
		b := setup(t, srv.URL)

		resp, err := b.client.Authorize(context.Background(), authorizeRequest(uuid.New()))
		require.NoError(t, err)
		require.Equal(t, payments.AuthDeclined, resp.Status)
		require.Equal(t, "insufficient_funds", resp.DeclineCode)
		require.Equal(t, "pi_9", resp.ProcessorRef)
	})

	t.Run("UntokenizableCardIsInvalid", func(t *testing.T) {
		t.Parallel()
		b := setup(t, fakeStripe(t, 402, `{"error":{"type":"card_error","code":"incorrect_number","param":"number","message":"Your card number is incorrect."}}`))

		_, err := b.client.Authorize(context.Background(), authorizeRequest(uuid.New()))
		require.ErrorIs(t, err, payments.ErrInvalidCard)
		require.NotContains(t, err.Error(), testCardNumber)
	})

	t.Run("ServerErrorDuringAuthorizeIsTimeout", func(t *testing.T) {
		t.Parallel()
		b := setup(t, fakeStripe(t, 503, `{"error":{"type":"api_error","message":"unavailable"}}`))

		_, err := b.client.Authorize(context.Background(), authorizeRequest(uuid.New()))
		require.ErrorIs(t, err, payments.ErrTimeout)
		require.NotContains(t, err.Error(), testCardNumber)
		require.NotContains(t, err.Error(), "4242 4242")
	})
}

func TestNetworkErrors(t *testing.T) {
	t.Parallel()

	t.Run("SlowAnswerIsTimeout", func(t *testing.T) {
		t.Parallel()
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			<-release
		}))
		t.Cleanup(func() { close(release); srv.Close() })
		b := setup(t, srv.URL, func(c *Config) { c.Timeout = 200 * time.Millisecond })

		_, err := b.client.Void(context.Background(), payments.VoidRequest{IdempotencyKey: "k", ProcessorRef: "pi_1"})
		require.ErrorIs(t, err, payments.ErrTimeout)
		require.ErrorIs(t, err, context.DeadlineExceeded)
	})

	t.Run("DroppedConnectionIsTimeout", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.ReadAll(r.Body)
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				_ = conn.Close()
			}
		}))
		t.Cleanup(srv.Close)
		b := setup(t, srv.URL)

		_, err := b.client.Refund(context.Background(), payments.RefundRequest{IdempotencyKey: "k", ProcessorRef: "pi_1", Amount: 1})
		require.ErrorIs(t, err, payments.ErrTimeout, "the request was sent: it may have been carried out")
	})

	t.Run("RefusedConnectionIsNotSent", func(t *testing.T) {
		t.Parallel()
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		addr := l.Addr().String()
		require.NoError(t, l.Close())
		b := setup(t, "http://"+addr)

		_, err = b.client.Capture(context.Background(), payments.CaptureRequest{IdempotencyKey: "k", ProcessorRef: "pi_1"})
		require.Error(t, err)
		require.False(t, errors.Is(err, payments.ErrTimeout), "nothing reached Stripe: %v", err)
	})
}
