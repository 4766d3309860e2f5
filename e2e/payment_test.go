package e2e

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"kassa/kassatest"
	kmoney "kassa/money"
)

func sek(amount int64) string {
	return kmoney.Format(kmoney.Money{Amount: amount, Currency: "SEK"}, "sv")
}

// mimeParts returns the content types of a message's parts, walking
// nested multiparts.
func mimeParts(t *testing.T, raw []byte) []string {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	require.NoError(t, err)
	var out []string
	var walk func(ct string, body io.Reader)
	walk = func(ct string, body io.Reader) {
		mt, params, err := mime.ParseMediaType(ct)
		require.NoError(t, err, "content type %q", ct)
		if !strings.HasPrefix(mt, "multipart/") {
			out = append(out, mt)
			return
		}
		out = append(out, mt)
		r := multipart.NewReader(body, params["boundary"])
		for {
			p, err := r.NextPart()
			if err == io.EOF {
				return
			}
			require.NoError(t, err)
			walk(p.Header.Get("Content-Type"), p)
		}
	}
	walk(msg.Header.Get("Content-Type"), msg.Body)
	return out
}

// twoLineOrder is an order of two lines at 25 % and 6 % VAT.
func twoLineOrder(email string) map[string]any {
	in := orderInput("Anna Andersson", email,
		line("Ekbord, massivt", 2, 1_250_000, 2500), // 2 × 12 500,00 kr
		line("Bok om snickeri", 1, 29_900, 600))     // 299,00 kr
	in["reference"] = "PO-4711"
	return in
}

// Totals of twoLineOrder: VAT is included in the prices and rounded
// half-up per line.
const (
	twoLineGross = 2*1_250_000 + 29_900
	twoLineVAT   = 500_000 + 1_692 // 2 500 000 × 25/125; 29 900 × 6/106 = 1 692,45
)

// The salesperson's flow over HTTP: order → confirmation by email → the
// customer follows the link from the email and pays with 4242… → the
// simulator's callback marks the order PAID → a receipt in the mailbox.
func TestPaymentLinkEndToEnd(t *testing.T) {
	t.Parallel()
	e := setup(t, kassatest.StartMailpit(t))
	email := customerEmail("anna")

	o := e.mustCreateOrder(t, twoLineOrder(email))
	require.EqualValues(t, twoLineGross, o.Totals.Gross.Amount)
	require.EqualValues(t, twoLineVAT, o.Totals.VAT.Amount)
	require.EqualValues(t, twoLineGross-twoLineVAT, o.Totals.Net.Amount)
	link := e.mustSend(t, o.ID)
	require.Equal(t, "CONFIRMATION_SENT", e.order(t, o.ID).Status)

	// The confirmation, as the customer receives it.
	subject := fmt.Sprintf("Orderbekräftelse %d från %s", o.Number, e.Merchant.Merchant.Name)
	got := e.mail.WaitTo(t, email, "Orderbekräftelse", 1)
	require.Len(t, got, 1)
	msg := e.mail.Message(t, got[0].ID)
	require.Equal(t, subject, msg.Subject)
	require.Equal(t, e.Merchant.Merchant.Name, msg.From.Name, "the sender name is the merchant's")
	require.Equal(t, mailFrom, msg.From.Address)
	require.Len(t, msg.To, 1)
	require.Equal(t, "Anna Andersson", msg.To[0].Name)
	for _, want := range []string{"Ekbord, massivt", "Bok om snickeri", "PO-4711", sek(1_250_000), sek(2_500_000), sek(29_900),
		sek(twoLineGross), sek(twoLineGross - twoLineVAT), "Moms 25 %", sek(500_000), "Moms 6 %", sek(1_692), link.URL} {
		require.Contains(t, msg.Text, want, "text part")
		require.Contains(t, msg.HTML, want, "HTML part")
	}
	require.Contains(t, msg.Text, "Moms: "+sek(twoLineVAT))
	require.Equal(t, []string{link.URL}, payLinkRe.FindAllString(msg.Text, -1), "the text part links to the payment page once")
	parts := mimeParts(t, e.mail.Raw(t, got[0].ID))
	require.Contains(t, parts, "multipart/alternative")
	require.Contains(t, parts, "text/plain")
	require.Contains(t, parts, "text/html")

	// The customer follows the link in the email and pays.
	c := newCustomer(t)
	f, pg := c.open(t, payLinkRe.FindString(msg.Text))
	require.Contains(t, pg.body, "Ekbord, massivt")
	require.Contains(t, pg.body, sek(twoLineGross))
	require.Contains(t, pg.body, e.Merchant.Merchant.Name)
	statusURL := statusURLOf(t, link.URL, c.submit(t, f, cardOK))
	done := c.waitDone(t, statusURL)
	require.Contains(t, done.body, sek(twoLineGross))
	require.Contains(t, done.body, "4242")

	paid := e.waitOrder(t, o.ID, "PAID")
	require.EqualValues(t, twoLineGross, paid.Paid.Amount)
	require.NotEmpty(t, paid.PaidAt)
	require.Len(t, paid.Payments, 1)
	require.Equal(t, "CAPTURED", paid.Payments[0].Status)
	require.EqualValues(t, twoLineGross, paid.Payments[0].Captured.Amount)
	require.Len(t, paid.PaymentLinks, 1)
	require.Equal(t, "PAID", paid.PaymentLinks[0].Status)
	require.Equal(t, 1, paid.PaymentLinks[0].Attempts)
	require.Len(t, paid.Confirmations, 1)
	require.NotNil(t, paid.Confirmations[0].AcceptedAt, "the customer's acceptance is recorded")
	require.Equal(t, "127.0.0.1", *paid.Confirmations[0].AcceptedIP)

	// The receipt: exactly one, once all mail has gone out.
	e.mail.WaitTo(t, email, "Kvitto", 1)
	e.waitJobsIdle(t)
	receipts := e.mail.To(t, email, "Kvitto")
	require.Len(t, receipts, 1)
	r := e.mail.Message(t, receipts[0].ID)
	require.Equal(t, fmt.Sprintf("Kvitto för order %d från %s", o.Number, e.Merchant.Merchant.Name), r.Subject)
	require.Equal(t, e.Merchant.Merchant.Name, r.From.Name)
	require.Contains(t, r.Text, sek(twoLineGross))
	require.Contains(t, r.Text, "4242")
	require.Len(t, e.mail.To(t, email, ""), 2, "the customer got the confirmation and the receipt, nothing else")

	// The link is used up.
	gone := c.get(t, link.URL)
	require.Equal(t, http.StatusGone, gone.status)
}

// A RESERVE order: paying reserves the amount (order RESERVED, payment
// AUTHORIZED); markOrderDelivered captures it, in full or in parts.
func TestReserveOrderCapturedOnDelivery(t *testing.T) {
	t.Parallel()
	e := setup(t, kassatest.StartMailpit(t))

	reserve := func(t *testing.T) (orderView, string) {
		email := customerEmail("reserve")
		in := twoLineOrder(email)
		in["captureMode"] = "RESERVE"
		o := e.mustCreateOrder(t, in)
		require.Equal(t, "RESERVE", o.CaptureMode)
		link := e.mustSend(t, o.ID)
		c := newCustomer(t)
		f, pg := c.open(t, link.URL)
		require.Contains(t, pg.body, "reserveras")
		done := c.waitDone(t, statusURLOf(t, link.URL, c.submit(t, f, cardOK)))
		require.Contains(t, done.body, "reserverat")
		r := e.waitOrder(t, o.ID, "RESERVED")
		require.Len(t, r.Payments, 1)
		require.Equal(t, "AUTHORIZED", r.Payments[0].Status)
		require.EqualValues(t, 0, r.Paid.Amount)
		require.EqualValues(t, twoLineGross, r.Payments[0].Capturable.Amount)
		require.Equal(t, "PAID", r.PaymentLinks[0].Status)
		return r, email
	}

	t.Run("FullCapture", func(t *testing.T) {
		o, email := reserve(t)
		got, errs := e.markDelivered(t, o.ID, nil)
		require.Empty(t, errs)
		require.NotNil(t, got)
		p := e.waitOrder(t, o.ID, "PAID")
		require.EqualValues(t, twoLineGross, p.Paid.Amount)
		require.Equal(t, "CAPTURED", p.Payments[0].Status)
		require.EqualValues(t, twoLineGross, p.Payments[0].Captured.Amount)
		require.EqualValues(t, 0, p.Payments[0].Capturable.Amount)

		// Delivered again: nothing left to capture.
		_, errs = e.markDelivered(t, o.ID, nil)
		require.Equal(t, []string{"ORDER_NOT_RESERVED"}, kassatest.Codes(errs))

		// One receipt (at the reservation), not another at capture.
		e.mail.WaitTo(t, email, "Kvitto", 1)
		e.waitJobsIdle(t)
		require.Len(t, e.mail.To(t, email, "Kvitto"), 1)
	})

	t.Run("PartialCaptures", func(t *testing.T) {
		o, _ := reserve(t)
		// More than was reserved: refused, nothing captured.
		tooMuch := int64(twoLineGross + 1)
		_, errs := e.markDelivered(t, o.ID, &tooMuch)
		require.NotEmpty(t, errs, "capturing more than the reservation must fail")
		require.Equal(t, "RESERVED", e.order(t, o.ID).Status)

		// The table is delivered first.
		first := int64(2_500_000)
		_, errs = e.markDelivered(t, o.ID, &first)
		require.Empty(t, errs)
		p := e.waitOrder(t, o.ID, "PAID")
		require.EqualValues(t, first, p.Paid.Amount)
		require.Equal(t, "PARTIALLY_CAPTURED", p.Payments[0].Status)
		require.EqualValues(t, first, p.Payments[0].Captured.Amount)
		require.EqualValues(t, twoLineGross-first, p.Payments[0].Capturable.Amount)

		// Then the book: the rest.
		_, errs = e.markDelivered(t, o.ID, nil)
		require.Empty(t, errs)
		eventually(t, 30*time.Second, "the whole reservation to be captured", func() bool {
			p = e.order(t, o.ID)
			return p.Paid.Amount == twoLineGross
		})
		require.Equal(t, "PAID", p.Status)
		require.Equal(t, "CAPTURED", p.Payments[0].Status)
		require.EqualValues(t, twoLineGross, p.Payments[0].Captured.Amount)
	})
}

// The simulator delivers every callback of 4000000000000259 twice, the
// later events first: the order becomes PAID once and the customer gets
// one receipt.
func TestDuplicateOutOfOrderCallbacks(t *testing.T) {
	t.Parallel()
	e := setup(t, kassatest.StartMailpit(t))
	email := customerEmail("dup")
	o := e.mustCreateOrder(t, twoLineOrder(email))
	link := e.mustSend(t, o.ID)

	newCustomer(t).pay(t, link.URL, cardDuplicate)
	paid := e.waitOrder(t, o.ID, "PAID")
	require.Len(t, paid.Payments, 1)
	pay := paid.Payments[0]

	// Wait until the simulator delivered every copy of every callback.
	var ref string
	require.NoError(t, e.SQL.Get(&ref, `SELECT processor_ref FROM payments WHERE order_id = (SELECT id FROM orders WHERE number = $1)`, o.Number))
	eventually(t, 30*time.Second, "every callback copy to be delivered", func() bool {
		return e.Count(t, `SELECT count(*) FROM simulator_callbacks WHERE ref = $1 AND delivered_at IS NULL`, ref) == 0
	})
	require.Positive(t, e.Count(t, `SELECT count(*) FROM simulator_callbacks WHERE ref = $1 AND copy = 2`, ref),
		"the simulator sent no duplicate callbacks")
	e.waitJobsIdle(t)

	// Each processor event was applied once.
	require.Zero(t, e.Count(t, `SELECT count(*) FROM (SELECT processor_event_id FROM payment_events
		WHERE processor_event_id IS NOT NULL GROUP BY processor_event_id HAVING count(*) > 1) d`))
	// The payment's history enters CAPTURED once.
	final := e.order(t, o.ID)
	require.Equal(t, "PAID", final.Status)
	require.Equal(t, paid.PaidAt, final.PaidAt, "paidAt did not move")
	require.EqualValues(t, twoLineGross, final.Paid.Amount)
	p := final.Payments[0]
	require.Equal(t, pay.ID, p.ID)
	require.Equal(t, "CAPTURED", p.Status)
	captured, prev := 0, ""
	for _, ev := range p.Events {
		if ev.Status == "CAPTURED" && prev != "CAPTURED" {
			captured++
		}
		prev = ev.Status
	}
	require.Equal(t, 1, captured, "payment history: %+v", p.Events)

	// One receipt queued, one received.
	require.Equal(t, 1, e.emailJobs(t, "receipt", email))
	e.mail.WaitTo(t, email, "Kvitto", 1)
	require.Len(t, e.mail.To(t, email, "Kvitto"), 1)
}
