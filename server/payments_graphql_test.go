package server_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"kassa/db/dbtest"
	"kassa/gid"
	"kassa/logging"
	"kassa/payments"
	"kassa/payments/simulator"
	"kassa/server"
)

// paymentsBundle is a server whose simulator is reachable at its public
// URL (so authorizations and callbacks really flow), with a business clock
// the test moves.
type paymentsBundle struct {
	*bundle
	clock *simulator.ManualClock
}

func setupPayments(t *testing.T) *paymentsBundle {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	cfg := testConfig()
	cfg.PublicURL = "http://" + ln.Addr().String()
	clock := simulator.NewManualClock(time.Now().UTC().Truncate(time.Second))
	cfg.SimulatorClock = clock
	d, u := dbtest.NewWithURL(t)
	logs := &syncBuffer{}
	srv, err := server.New(cfg, d, logging.New(logs, "debug"))
	require.NoError(t, err)
	ts := httptest.NewUnstartedServer(srv.Handler())
	ts.Listener.Close()
	ts.Listener = ln
	ts.Start()
	t.Cleanup(ts.Close)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Simulator().Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	b := &bundle{cfg: cfg, db: d, dbURL: u, srv: srv, ts: ts, logs: logs}
	b.client = &http.Client{
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	b.a = b.newTenant(t, "Shop A AB", "owner@a.example.com")
	b.b = b.newTenant(t, "Shop B AB", "owner@b.example.com")
	return &paymentsBundle{bundle: b, clock: clock}
}

// authorize authorizes amount öre for merchant a on 4242… and waits for
// the callback to settle it.
func (b *paymentsBundle) authorize(t *testing.T, amount int64, mode payments.CaptureMode) payments.Payment {
	t.Helper()
	p, err := b.srv.Payments().Authorize(context.Background(), payments.NewPayment{
		MerchantID: b.a.Merchant.ID, Amount: amount, Currency: "SEK", CaptureMode: mode, Initiator: payments.InitiatorCustomer,
		Card: payments.Card{Number: "4242424242424242", ExpMonth: 12, ExpYear: time.Now().Year() + 3, CVC: "123"},
	})
	require.NoError(t, err)
	want := payments.StatusAuthorized
	if mode == payments.CaptureImmediate {
		want = payments.StatusCaptured
	}
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		p, err = b.srv.Payments().Get(context.Background(), p.MerchantID, p.ID)
		require.NoError(c, err)
		require.Equal(c, want, p.Status)
	}, 15*time.Second, 10*time.Millisecond)
	return p
}

func (b *paymentsBundle) get(t *testing.T, p payments.Payment) payments.Payment {
	t.Helper()
	q, err := b.srv.Payments().Get(context.Background(), p.MerchantID, p.ID)
	require.NoError(t, err)
	return q
}

func payGID(id gid.PaymentID) string { return "pay_" + hex.EncodeToString(id.UUID[:]) }

const (
	paymentFields   = `id status authorized { amount currency } captured { amount } refunded { amount } capturable { amount } refundable { amount }`
	captureMutation = `mutation($id: ID!, $amount: Int64) { capturePayment(input: {paymentId: $id, amount: $amount}) {
		payment { ` + paymentFields + ` } userErrors { field message code } } }`
	voidMutation = `mutation($id: ID!) { voidPayment(input: {paymentId: $id}) {
		payment { ` + paymentFields + ` } userErrors { field message code } } }`
	refundMutation = `mutation($id: ID!, $amount: Int64, $reason: String) { refundPayment(input: {paymentId: $id, amount: $amount, reason: $reason}) {
		payment { ` + paymentFields + ` } userErrors { field message code } } }`
)

// mutate runs a payment mutation as key and returns its payload.
func (b *paymentsBundle) mutate(t *testing.T, key, mutation, field string, vars map[string]any) map[string]any {
	t.Helper()
	r := ok(t, b.gql(t, key, mutation, vars, nil))
	payload, isMap := r.data(field).(map[string]any)
	require.True(t, isMap, "%s", r)
	return payload
}

func userErrorCode(payload map[string]any) string {
	s, _ := dig(payload, "userErrors", 0, "code").(string)
	return s
}

func TestPaymentsGraphQL(t *testing.T) {
	t.Parallel()
	b := setupPayments(t)
	key := b.a.Secret

	t.Run("CaptureInPartsThenBeyondWhatRemains", func(t *testing.T) {
		t.Parallel()
		p := b.authorize(t, 10000, payments.CaptureReserve)
		for _, part := range []int{3000, 2000} {
			pl := b.mutate(t, key, captureMutation, "capturePayment", map[string]any{"id": payGID(p.ID), "amount": part})
			require.Equal(t, []any{}, pl["userErrors"])
			require.Equal(t, "PARTIALLY_CAPTURED", dig(pl, "payment", "status"))
		}
		pl := b.mutate(t, key, captureMutation, "capturePayment", map[string]any{"id": payGID(p.ID), "amount": 5001})
		require.Equal(t, "AMOUNT_TOO_LARGE", userErrorCode(pl))
		require.Equal(t, []any{"input", "amount"}, dig(pl, "userErrors", 0, "field"))
		// The payload may show the payment as it stands: unchanged.
		if pl["payment"] != nil {
			require.EqualValues(t, 5000, dig(pl, "payment", "captured", "amount"))
		}
		for amount, code := range map[int]string{0: "INVALID_AMOUNT", -5: "INVALID_AMOUNT"} {
			pl = b.mutate(t, key, captureMutation, "capturePayment", map[string]any{"id": payGID(p.ID), "amount": amount})
			require.Equal(t, code, userErrorCode(pl))
		}
		require.Equal(t, int64(5000), b.get(t, p).AmountCaptured, "refused captures changed nothing")

		pl = b.mutate(t, key, captureMutation, "capturePayment", map[string]any{"id": payGID(p.ID)})
		require.Equal(t, []any{}, pl["userErrors"])
		require.Equal(t, "CAPTURED", dig(pl, "payment", "status"))
		require.EqualValues(t, 10000, dig(pl, "payment", "captured", "amount"))
		require.EqualValues(t, 0, dig(pl, "payment", "capturable", "amount"))
		require.EqualValues(t, 10000, dig(pl, "payment", "refundable", "amount"))

		pl = b.mutate(t, key, captureMutation, "capturePayment", map[string]any{"id": payGID(p.ID), "amount": 1})
		require.Equal(t, "INVALID_STATE", userErrorCode(pl))
	})

	t.Run("VoidThenCaptureIsInvalid", func(t *testing.T) {
		t.Parallel()
		p := b.authorize(t, 10000, payments.CaptureReserve)
		pl := b.mutate(t, key, voidMutation, "voidPayment", map[string]any{"id": payGID(p.ID)})
		require.Equal(t, []any{}, pl["userErrors"])
		require.Equal(t, "VOIDED", dig(pl, "payment", "status"))
		pl = b.mutate(t, key, voidMutation, "voidPayment", map[string]any{"id": payGID(p.ID)})
		require.Equal(t, "INVALID_STATE", userErrorCode(pl))
		pl = b.mutate(t, key, captureMutation, "capturePayment", map[string]any{"id": payGID(p.ID), "amount": 100})
		require.Equal(t, "INVALID_STATE", userErrorCode(pl))
		require.Equal(t, payments.StatusVoided, b.get(t, p).Status)
	})

	t.Run("RefundInPartsThenBeyondWhatWasCaptured", func(t *testing.T) {
		t.Parallel()
		p := b.authorize(t, 10000, payments.CaptureImmediate)
		pl := b.mutate(t, key, refundMutation, "refundPayment", map[string]any{"id": payGID(p.ID), "amount": 4000, "reason": "damaged"})
		require.Equal(t, []any{}, pl["userErrors"])
		require.Equal(t, "PARTIALLY_REFUNDED", dig(pl, "payment", "status"))
		require.EqualValues(t, 4000, dig(pl, "payment", "refunded", "amount"))
		pl = b.mutate(t, key, refundMutation, "refundPayment", map[string]any{"id": payGID(p.ID), "amount": 6001})
		require.Equal(t, "AMOUNT_TOO_LARGE", userErrorCode(pl))
		pl = b.mutate(t, key, refundMutation, "refundPayment", map[string]any{"id": payGID(p.ID), "amount": 0})
		require.Equal(t, "INVALID_AMOUNT", userErrorCode(pl))
		pl = b.mutate(t, key, refundMutation, "refundPayment", map[string]any{"id": payGID(p.ID)})
		require.Equal(t, []any{}, pl["userErrors"])
		require.Equal(t, "REFUNDED", dig(pl, "payment", "status"))
		pl = b.mutate(t, key, refundMutation, "refundPayment", map[string]any{"id": payGID(p.ID), "amount": 1})
		require.Equal(t, "INVALID_STATE", userErrorCode(pl))
	})

	t.Run("AnotherMerchantsPaymentIsNotFound", func(t *testing.T) {
		t.Parallel()
		p := b.authorize(t, 10000, payments.CaptureReserve)
		other := b.b.Secret
		for _, m := range []struct{ mutation, field string }{
			{captureMutation, "capturePayment"}, {voidMutation, "voidPayment"}, {refundMutation, "refundPayment"},
		} {
			pl := b.mutate(t, other, m.mutation, m.field, map[string]any{"id": payGID(p.ID), "amount": 100})
			require.Equal(t, "NOT_FOUND", userErrorCode(pl), m.field)
			require.Nil(t, pl["payment"])
		}
		r := ok(t, b.gql(t, other, `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": payGID(p.ID)}, nil))
		require.Nil(t, r.data("node"))
		r = ok(t, b.gql(t, key, `query($id: ID!) { node(id: $id) { id ... on Payment { status } } }`, map[string]any{"id": payGID(p.ID)}, nil))
		require.Equal(t, "AUTHORIZED", r.data("node", "status"), "the owner sees it")
		r = ok(t, b.gql(t, other, `{ payments(first: 100) { edges { node { id } } } reservations { edges { node { id } } } }`, nil, nil))
		require.Empty(t, r.data("payments", "edges"))
		require.Empty(t, r.data("reservations", "edges"))
		require.Equal(t, p, b.get(t, p), "nothing changed")
	})

	t.Run("SalesCanCaptureButNotRefundOrVoid", func(t *testing.T) {
		t.Parallel()
		ok(t, b.gql(t, key, `mutation($in: CreateUserInput!) { createUser(input: $in) { user { id } userErrors { code } } }`,
			map[string]any{"in": map[string]any{"email": "seller@a.example.com", "role": "SALES", "password": "seller password"}}, nil))
		session := b.login(t, "seller@a.example.com", "seller password")
		asSales := func(query string, vars map[string]any) response {
			return b.gqlCookie(t, session, "application/json", jsonBody(t, query, vars), nil)
		}

		reserved := b.authorize(t, 10000, payments.CaptureReserve)
		r := asSales(voidMutation, map[string]any{"id": payGID(reserved.ID)})
		require.Equal(t, "FORBIDDEN", r.code(), "%s", r)
		require.Nil(t, r.data("voidPayment"))
		require.Equal(t, payments.StatusAuthorized, b.get(t, reserved).Status)

		r = ok(t, asSales(captureMutation, map[string]any{"id": payGID(reserved.ID), "amount": 2500}))
		require.Equal(t, []any{}, r.data("capturePayment", "userErrors"))
		require.Equal(t, "PARTIALLY_CAPTURED", r.data("capturePayment", "payment", "status"))

		r = asSales(refundMutation, map[string]any{"id": payGID(reserved.ID), "amount": 100})
		require.Equal(t, "FORBIDDEN", r.code(), "%s", r)
		require.Nil(t, r.data("refundPayment"))
		q := b.get(t, reserved)
		require.Equal(t, int64(2500), q.AmountCaptured)
		require.Zero(t, q.AmountRefunded)
	})
}

// TestPaymentsGraphQLLists: the payments connection's filters and the
// reservations, soonest expiry first. The processor's clock is moved
// between authorizations, so each has its own captureBefore.
func TestPaymentsGraphQLLists(t *testing.T) {
	t.Parallel()
	b := setupPayments(t)
	key := b.a.Secret
	day := 24 * time.Hour
	start := b.clock.Now()

	// Authorized at start+2d, start, start+1d: they expire in the order
	// second, third, first.
	b.clock.Advance(2 * day)
	late := b.authorize(t, 10000, payments.CaptureReserve)
	b.clock.Set(start)
	soon := b.authorize(t, 10000, payments.CaptureReserve)
	b.clock.Advance(day)
	middle := b.authorize(t, 10000, payments.CaptureReserve)
	captured := b.authorize(t, 10000, payments.CaptureImmediate)
	voided := b.authorize(t, 10000, payments.CaptureReserve)
	_, err := b.srv.Payments().Void(context.Background(), payments.System, voided.MerchantID, voided.ID)
	require.NoError(t, err)
	amt := int64(1000)
	_, err = b.srv.Payments().Capture(context.Background(), payments.System, middle.MerchantID, middle.ID, &amt)
	require.NoError(t, err)
	require.True(t, soon.CaptureBefore.Before(*middle.CaptureBefore) && middle.CaptureBefore.Before(*late.CaptureBefore))

	ids := func(r response, field string) []string {
		var out []string
		for _, e := range r.data(field, "edges").([]any) {
			out = append(out, dig(e, "node", "id").(string))
		}
		return out
	}

	t.Run("ReservationsSoonestExpiryFirst", func(t *testing.T) {
		r := ok(t, b.gql(t, key, `{ reservations { edges { node { id status captureBefore } } } }`, nil, nil))
		require.Equal(t, []string{payGID(soon.ID), payGID(middle.ID), payGID(late.ID)}, ids(r, "reservations"),
			"open reservations only (not captured in full, not voided), soonest expiry first")
		require.Equal(t, "PARTIALLY_CAPTURED", r.data("reservations", "edges", 1, "node", "status"))

		const paged = `query($after: String) { reservations(first: 2, after: $after) { edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }`
		r = ok(t, b.gql(t, key, paged, nil, nil))
		require.Equal(t, []string{payGID(soon.ID), payGID(middle.ID)}, ids(r, "reservations"))
		require.Equal(t, true, r.data("reservations", "pageInfo", "hasNextPage"))
		r = ok(t, b.gql(t, key, paged, map[string]any{"after": r.data("reservations", "pageInfo", "endCursor")}, nil))
		require.Equal(t, []string{payGID(late.ID)}, ids(r, "reservations"))
		require.Equal(t, false, r.data("reservations", "pageInfo", "hasNextPage"))
	})

	t.Run("FilterByStatus", func(t *testing.T) {
		const q = `query($f: PaymentFilter) { payments(first: 50, filter: $f) { edges { node { id status } } } }`
		r := ok(t, b.gql(t, key, q, map[string]any{"f": map[string]any{"status": []string{"AUTHORIZED"}}}, nil))
		require.ElementsMatch(t, []string{payGID(late.ID), payGID(soon.ID)}, ids(r, "payments"))
		r = ok(t, b.gql(t, key, q, map[string]any{"f": map[string]any{"status": []string{"CAPTURED", "VOIDED"}}}, nil))
		require.ElementsMatch(t, []string{payGID(captured.ID), payGID(voided.ID)}, ids(r, "payments"))
		r = ok(t, b.gql(t, key, q, nil, nil))
		require.Len(t, ids(r, "payments"), 5)
		require.Equal(t, payGID(voided.ID), ids(r, "payments")[0], "newest first")
	})

	t.Run("FilterByCaptureBeforeWindow", func(t *testing.T) {
		const q = `query($f: PaymentFilter) { payments(first: 50, filter: $f) { edges { node { id captureBefore } } } }`
		window := func(from, to time.Time) []string {
			r := ok(t, b.gql(t, key, q, map[string]any{"f": map[string]any{
				"status":            []string{"AUTHORIZED", "PARTIALLY_CAPTURED"},
				"captureBeforeFrom": from.Format(time.RFC3339Nano), "captureBeforeTo": to.Format(time.RFC3339Nano),
			}}, nil))
			return ids(r, "payments")
		}
		require.Equal(t, []string{payGID(middle.ID)}, window(*middle.CaptureBefore, middle.CaptureBefore.Add(time.Hour)), "from is inclusive")
		require.Empty(t, window(soon.CaptureBefore.Add(time.Second), *middle.CaptureBefore), "to is exclusive")
		require.ElementsMatch(t, []string{payGID(soon.ID), payGID(middle.ID)}, window(*soon.CaptureBefore, late.CaptureBefore.Add(-time.Second)))
		require.ElementsMatch(t, []string{payGID(soon.ID), payGID(middle.ID), payGID(late.ID)}, window(start, start.Add(30*day)))
	})
}

// TestPaymentCallbackEndpoint: POST /callbacks/simulator verifies the
// signature before anything else.
func TestPaymentCallbackEndpoint(t *testing.T) {
	t.Parallel()
	b := setupPayments(t)
	p := b.authorize(t, 10000, payments.CaptureReserve)
	post := func(processor string, body []byte, header string) response {
		req := b.request(t, http.MethodPost, "/callbacks/"+processor, bytes.NewReader(body), map[string]string{"Content-Type": "application/json"})
		if header != "" {
			req.Header.Set(simulator.SignatureHeader, header)
		}
		return b.do(t, req)
	}
	signWith := func(secret string, at time.Time, body []byte) string {
		ts := strconv.FormatInt(at.Unix(), 10)
		m := hmac.New(sha256.New, []byte(secret))
		m.Write([]byte(ts + "."))
		m.Write(body)
		return "t=" + ts + ",v1=" + hex.EncodeToString(m.Sum(nil))
	}
	sign := func(at time.Time, body []byte) string {
		return signWith(b.cfg.ProcessorSettings["KASSA_SIMULATOR_SECRET"], at, body)
	}
	event := func(id, typ string, authorized int64) []byte {
		return fmt.Appendf(nil, `{"id":%q,"type":%q,"created":%d,"data":{"ref":%q,"payment_id":%q,"status":"AUTHORIZED","amount":10000,"currency":"SEK","authorized":%d,"captured":10000}}`,
			id, typ, time.Now().Unix(), *p.ProcessorRef, p.ID, authorized)
	}
	captured := event("evt_forged_capture", "payment.captured", 10000)

	for name, tc := range map[string]struct {
		body   []byte
		header string
	}{
		"WrongSecret":    {captured, signWith("not-the-secret", time.Now(), captured)},
		"ChangedBody":    {captured, sign(time.Now(), event("evt_forged_capture", "payment.captured", 9999))},
		"StaleTimestamp": {captured, sign(time.Now().Add(-10*time.Minute), captured)},
		"NoSignature":    {captured, ""},
	} {
		r := post("simulator", tc.body, tc.header)
		require.Equal(t, http.StatusBadRequest, r.status, "%s: %s", name, r)
		require.Equal(t, "BAD_SIGNATURE", r.code(), "%s: %s", name, r)
	}
	require.Equal(t, p, b.get(t, p), "a refused callback changes nothing")

	r := post("acme", captured, sign(time.Now(), captured))
	require.Equal(t, http.StatusNotFound, r.status, "%s", r)

	unknown := event("evt_unknown", "payment.disputed", 10000)
	r = post("simulator", unknown, sign(time.Now(), unknown))
	require.Equal(t, http.StatusOK, r.status, "an unknown event type is acknowledged: %s", r)
	require.Equal(t, p, b.get(t, p))

	// Correctly signed, it counts.
	r = post("simulator", captured, sign(time.Now(), captured))
	require.Equal(t, http.StatusOK, r.status, "%s", r)
	require.Equal(t, payments.StatusCaptured, b.get(t, p).Status)
}
