package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"kassa/kassatest"
	"kassa/server"
)

// counts are the rows a bad request must not change.
type counts struct {
	Orders, Lines, Confirmations, Links, Payments, Emails, Numbers int
}

func (e *env) counts(t *testing.T) counts {
	t.Helper()
	var c counts
	require.NoError(t, e.SQL.QueryRow(`SELECT
		(SELECT count(*) FROM orders), (SELECT count(*) FROM order_lines), (SELECT count(*) FROM order_confirmations),
		(SELECT count(*) FROM payment_links), (SELECT count(*) FROM payments),
		(SELECT count(*) FROM river_job WHERE kind = 'mailer.send'),
		(SELECT coalesce(sum(value), 0) FROM merchant_counters)`).
		Scan(&c.Orders, &c.Lines, &c.Confirmations, &c.Links, &c.Payments, &c.Emails, &c.Numbers))
	return c
}

// deactivateLink calls deactivatePaymentLink.
func (e *env) deactivateLink(t *testing.T, id string) (*linkView, []userError) {
	t.Helper()
	var out struct {
		D struct {
			PaymentLink *linkView   `json:"paymentLink"`
			UserErrors  []userError `json:"userErrors"`
		} `json:"deactivatePaymentLink"`
	}
	e.Query(t, `mutation($input: DeactivatePaymentLinkInput!) { deactivatePaymentLink(input: $input) {
		paymentLink { id url status views attempts } userErrors { field message code } } }`,
		map[string]any{"input": map[string]any{"paymentLinkId": id}}, &out)
	return out.D.PaymentLink, out.D.UserErrors
}

// requireGone checks that a link answers 410 to a look and to a payment
// with a form rendered while it was active, and that no payment was made.
func (e *env) requireGone(t *testing.T, c *customer, f payForm, orderID, says string) {
	t.Helper()
	before := e.order(t, orderID)
	p := c.get(t, f.link)
	require.Equal(t, http.StatusGone, p.status, "GET %s:\n%s", f.link, p.body)
	require.Contains(t, p.body, says)
	require.NotContains(t, p.body, `name="cardNumber"`)
	p = c.submit(t, f, cardOK)
	require.Equal(t, http.StatusGone, p.status, "POST %s:\n%s", f.link, p.body)
	require.Contains(t, p.body, says)
	after := e.order(t, orderID)
	require.Equal(t, len(before.Payments), len(after.Payments), "no payment is taken through a dead link")
	require.Equal(t, before.Status, after.Status)
	require.Equal(t, before.PaymentLinks[0].Attempts, after.PaymentLinks[0].Attempts, "no attempt is counted")
}

// Bad input is refused with a code the caller can act on, and changes
// nothing: no order, no order number used, no email.
func TestBadInput(t *testing.T) {
	t.Parallel()
	// The orders' clock runs ahead of real time by ahead, which
	// ExpiredLink moves instead of waiting for a link to expire.
	var ahead atomic.Int64
	now := func() time.Time { return time.Now().Add(time.Duration(ahead.Load())) }
	e := setup(t, kassatest.StartMailpit(t), kassatest.Configure(func(c *server.Config) { c.OrdersClock = now }))
	ok := func() map[string]any { return line("Ekbord", 1, 1_000_00, 2500) }
	lines := func(n int) []map[string]any {
		out := make([]map[string]any, n)
		for i := range out {
			out[i] = line(fmt.Sprintf("Rad %d", i+1), 1, 100, 2500)
		}
		return out
	}

	for _, tc := range []struct {
		name  string
		input func() map[string]any
		code  string
	}{
		{"EmptyLines", func() map[string]any { return orderInput("Anna", "anna@example.com") }, "NO_LINES"},
		{"ZeroQuantity", func() map[string]any {
			return orderInput("Anna", "anna@example.com", line("Ekbord", 0, 1_000_00, 2500))
		}, "INVALID_QUANTITY"},
		{"NegativeQuantity", func() map[string]any {
			return orderInput("Anna", "anna@example.com", line("Ekbord", -2, 1_000_00, 2500))
		}, "INVALID_QUANTITY"},
		{"NegativePrice", func() map[string]any { return orderInput("Anna", "anna@example.com", line("Rabatt", 1, -100, 2500)) }, "INVALID_UNIT_PRICE"},
		// 1 000 000 × 9 999 999 999 999 overflows int64.
		{"QuantityTimesPriceOverflows", func() map[string]any {
			return orderInput("Anna", "anna@example.com", line("Ekbord", 1_000_000, 9_999_999_999_999, 2500))
		}, "AMOUNT_TOO_LARGE"},
		{"PriceAtInt64Max", func() map[string]any {
			return orderInput("Anna", "anna@example.com", line("Ekbord", 2, 9_223_372_036_854_775_807, 2500))
		}, "INVALID_UNIT_PRICE"},
		{"TotalTooLarge", func() map[string]any {
			return orderInput("Anna", "anna@example.com", line("Ekbord", 1, 9_000_000_000_000, 2500), line("Stolar", 1, 9_000_000_000_000, 2500))
		}, "AMOUNT_TOO_LARGE"},
		{"InvalidVATRate", func() map[string]any {
			return orderInput("Anna", "anna@example.com", line("Ekbord", 1, 1_000_00, 1000))
		}, "INVALID_VAT_RATE"},
		{"UnknownCurrency", func() map[string]any {
			in := orderInput("Anna", "anna@example.com", ok())
			in["currency"] = "XYZ"
			return in
		}, "INVALID_CURRENCY"},
		{"InvalidEmail", func() map[string]any { return orderInput("Anna", "anna.example.com", ok()) }, "INVALID_EMAIL"},
		{"EmailWithHeader", func() map[string]any { return orderInput("Anna", "anna@example.com\r\nBcc: evil@example.com", ok()) }, "INVALID_EMAIL"},
		{"TooManyLines", func() map[string]any { return orderInput("Anna", "anna@example.com", lines(501)...) }, "TOO_MANY_LINES"},
		{"NameWithCRLF", func() map[string]any { return orderInput("Anna\r\nBcc: evil@example.com", "anna@example.com", ok()) }, "INVALID_NAME"},
		{"NameWithLF", func() map[string]any { return orderInput("Anna\nAndersson", "anna@example.com", ok()) }, "INVALID_NAME"},
		{"DescriptionWithCRLF", func() map[string]any {
			return orderInput("Anna", "anna@example.com", line("Ekbord\r\nBcc: evil@example.com", 1, 1_000_00, 2500))
		}, "INVALID_DESCRIPTION"},
		{"EmptyDescription", func() map[string]any { return orderInput("Anna", "anna@example.com", line("  ", 1, 1_000_00, 2500)) }, "INVALID_DESCRIPTION"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := e.counts(t)
			o, errs := e.createOrder(t, tc.input())
			require.Nil(t, o)
			require.Equal(t, []string{tc.code}, kassatest.Codes(errs), "userErrors: %+v", errs)
			require.NotEmpty(t, errs[0].Message)
			require.Equal(t, before, e.counts(t), "a refused order changed something")
		})
	}

	t.Run("FiveHundredLinesAreAllowed", func(t *testing.T) {
		o := e.mustCreateOrder(t, orderInput("Anna", customerEmail("lines"), lines(500)...))
		require.Len(t, o.Lines, 500)
		require.EqualValues(t, 500*100, o.Totals.Gross.Amount)
	})

	t.Run("HTMLIsEscaped", func(t *testing.T) {
		email := customerEmail("html")
		const desc = `<script>alert("kassa")</script> Ekbord & <b>stolar</b>`
		const name = `Anna <img src=x onerror=alert(1)>`
		o := e.mustCreateOrder(t, orderInput(name, email, line(desc, 1, 1_000_00, 2500)))
		require.Equal(t, desc, o.Lines[0].Description, "the description is kept as typed")
		link := e.mustSend(t, o.ID)

		msg := e.mail.Message(t, e.mail.WaitTo(t, email, "Orderbekräftelse", 1)[0].ID)
		for _, raw := range []string{"<script", "<img", "<b>stolar"} {
			require.NotContains(t, msg.HTML, raw, "the email's HTML part carries markup the seller typed")
		}
		require.Contains(t, msg.HTML, "&lt;script&gt;alert(&#34;kassa&#34;)&lt;/script&gt; Ekbord &amp; &lt;b&gt;stolar&lt;/b&gt;")
		require.Contains(t, msg.HTML, "Anna &lt;img src=x onerror=alert(1)&gt;")
		require.Contains(t, msg.Text, desc, "the text part shows the description as typed")

		p := newCustomer(t).get(t, link.URL)
		require.Equal(t, http.StatusOK, p.status)
		for _, raw := range []string{"<script", "<img", "<b>stolar"} {
			require.NotContains(t, p.body, raw, "the payment page carries markup the seller typed")
		}
		require.Contains(t, p.body, "&lt;script&gt;alert(&#34;kassa&#34;)&lt;/script&gt; Ekbord &amp; &lt;b&gt;stolar&lt;/b&gt;")
	})

	t.Run("ExpiredLink", func(t *testing.T) {
		o := e.mustCreateOrder(t, orderInput("Anna", customerEmail("expired"), ok()))
		expires := now().Add(time.Hour)
		l, errs := e.sendConfirmation(t, map[string]any{"orderId": o.ID, "expiresAt": expires.UTC().Format(time.RFC3339Nano)})
		require.Empty(t, errs)
		c := newCustomer(t)
		f, _ := c.open(t, l.URL) // while it still works
		// The hour passes.
		ahead.Store(int64(time.Hour + time.Second))
		t.Cleanup(func() { ahead.Store(0) })
		e.requireGone(t, c, f, o.ID, "har gått ut")
		after := e.order(t, o.ID)
		require.Equal(t, "EXPIRED", after.PaymentLinks[0].Status)
		require.Equal(t, "CONFIRMATION_SENT", after.Status)
		require.Empty(t, after.Payments)

		// An expiry in the past is refused.
		before := e.counts(t)
		_, errs = e.sendConfirmation(t, map[string]any{"orderId": o.ID, "expiresAt": now().Add(-time.Minute).UTC().Format(time.RFC3339)})
		require.Equal(t, []string{"INVALID_EXPIRY"}, kassatest.Codes(errs))
		require.Equal(t, before, e.counts(t))
	})

	t.Run("PaidLink", func(t *testing.T) {
		o := e.mustCreateOrder(t, orderInput("Anna", customerEmail("paid"), ok()))
		l := e.mustSend(t, o.ID)
		c := newCustomer(t)
		second, _ := c.open(t, l.URL) // another tab, left open
		c.pay(t, l.URL, cardOK)
		e.waitOrder(t, o.ID, "PAID")
		e.requireGone(t, c, second, o.ID, "redan betald")
		require.Len(t, e.order(t, o.ID).Payments, 1)
	})

	t.Run("DeactivatedLink", func(t *testing.T) {
		o := e.mustCreateOrder(t, orderInput("Anna", customerEmail("off"), ok()))
		l := e.mustSend(t, o.ID)
		c := newCustomer(t)
		f, _ := c.open(t, l.URL)
		off, errs := e.deactivateLink(t, l.ID)
		require.Empty(t, errs)
		require.Equal(t, "DEACTIVATED", off.Status)
		e.requireGone(t, c, f, o.ID, "inte längre aktiv")
		require.Empty(t, e.order(t, o.ID).Payments)
	})

	t.Run("UnknownLink", func(t *testing.T) {
		p := newCustomer(t).get(t, e.URL+"/pay/"+strings.Repeat("A", 32))
		require.Equal(t, http.StatusNotFound, p.status)
	})

	t.Run("AnotherMerchantsOrder", func(t *testing.T) {
		_, otherKey := e.NewMerchant(t, "Annan Butik AB")
		email := customerEmail("other")
		theirs, errs := e.createOrderKey(t, otherKey, orderInput("Bo Ek", email, ok()))
		require.Empty(t, errs)
		before := e.counts(t)

		_, errs = e.sendConfirmation(t, map[string]any{"orderId": theirs.ID})
		require.Equal(t, []string{"NOT_FOUND"}, kassatest.Codes(errs))
		_, errs = e.markDelivered(t, theirs.ID, nil)
		require.Equal(t, []string{"NOT_FOUND"}, kassatest.Codes(errs))
		require.Nil(t, e.orderKey(t, e.APIKey, theirs.ID), "another merchant's order is not found")

		require.Equal(t, before, e.counts(t))
		still := e.orderKey(t, otherKey, theirs.ID)
		require.NotNil(t, still)
		require.Equal(t, "DRAFT", still.Status)
		require.Empty(t, still.Confirmations)
		require.Zero(t, e.emailJobs(t, "order_confirmation", email))
	})

	t.Run("DeclinedCardThenAnother", func(t *testing.T) {
		email := customerEmail("declined")
		o := e.mustCreateOrder(t, orderInput("Anna", email, ok()))
		l := e.mustSend(t, o.ID)
		c := newCustomer(t)
		f, _ := c.open(t, l.URL)
		p := c.submit(t, f, cardDeclined)
		if p.status == http.StatusSeeOther { // the decline may come with the callback
			p = c.waitStatus(t, statusURLOf(t, l.URL, p))
		}
		require.Equal(t, http.StatusPaymentRequired, p.status, "a declined card:\n%s", p.body)
		require.Contains(t, p.body, `id="error"`)
		require.Contains(t, p.body, "Betalningen gick inte igenom: kortet nekades.")
		require.Contains(t, p.body, `name="cardNumber"`, "the customer can try another card")
		require.Equal(t, "CONFIRMATION_SENT", e.order(t, o.ID).Status)

		// Another card on the same page succeeds.
		c.waitDone(t, statusURLOf(t, l.URL, c.submit(t, formOf(t, l.URL, p.body), cardOK)))
		paid := e.waitOrder(t, o.ID, "PAID")
		require.Len(t, paid.Payments, 2)
		statuses := []string{paid.Payments[0].Status, paid.Payments[1].Status}
		require.ElementsMatch(t, []string{"FAILED", "CAPTURED"}, statuses)
		e.mail.WaitTo(t, email, "Kvitto", 1)
		e.waitJobsIdle(t)
		require.Len(t, e.mail.To(t, email, "Kvitto"), 1)
	})

	t.Run("DoubleSubmit", func(t *testing.T) {
		email := customerEmail("double")
		o := e.mustCreateOrder(t, orderInput("Anna", email, ok()))
		l := e.mustSend(t, o.ID)
		c := newCustomer(t)
		f, _ := c.open(t, l.URL)

		// The same rendered form submitted twice at once, as an impatient
		// double click does.
		type result struct {
			status   int
			location string
			err      error
		}
		results := make([]result, 2)
		var wg sync.WaitGroup
		for i := range results {
			wg.Go(func() {
				req, err := http.NewRequest(http.MethodPost, l.URL, strings.NewReader(f.values(cardOK).Encode()))
				if err != nil {
					results[i].err = err
					return
				}
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				resp, err := c.c.Do(req)
				if err != nil {
					results[i].err = err
					return
				}
				_ = resp.Body.Close()
				results[i] = result{status: resp.StatusCode, location: resp.Header.Get("Location")}
			})
		}
		wg.Wait()
		var statusURL string
		for _, r := range results {
			require.NoError(t, r.err)
			require.Contains(t, []int{http.StatusSeeOther, http.StatusGone}, r.status)
			if r.status == http.StatusSeeOther {
				if statusURL != "" {
					require.Equal(t, statusURL, r.location, "both submissions are the same payment")
				}
				statusURL = r.location
			}
		}
		require.NotEmpty(t, statusURL)
		c.waitDone(t, statusURL)
		e.waitOrder(t, o.ID, "PAID")
		// And once more after it went through.
		require.Equal(t, http.StatusGone, c.submit(t, f, cardOK).status)

		paid := e.order(t, o.ID)
		require.Len(t, paid.Payments, 1, "one payment for one form")
		require.EqualValues(t, 1_000_00, paid.Paid.Amount)
		e.mail.WaitTo(t, email, "Kvitto", 1)
		e.waitJobsIdle(t)
		require.Len(t, e.mail.To(t, email, "Kvitto"), 1)
	})
}
