package e2e

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"kassa/kassatest"
)

// held is what an order's payments hold, queried in SQL: money captured
// and not refunded, reservations not released, and how many payments
// still hold anything.
type held struct {
	Net, Reserved, Holding, Payments int
}

func (e *env) held(t *testing.T, orderGID string) held {
	t.Helper()
	var h held
	require.NoError(t, e.SQL.QueryRow(`
		SELECT coalesce(sum(amount_captured - amount_refunded), 0),
		       coalesce(sum(amount_authorized - amount_captured) FILTER (WHERE status IN ('AUTHORIZED', 'PARTIALLY_CAPTURED')), 0),
		       count(*) FILTER (WHERE amount_captured > amount_refunded OR status IN ('AUTHORIZED', 'PARTIALLY_CAPTURED')),
		       count(*)
		FROM payments WHERE replace(order_id::text, '-', '') = $1`, strings.TrimPrefix(orderGID, "ord_")).
		Scan(&h.Net, &h.Reserved, &h.Holding, &h.Payments))
	return h
}

// challenge answers the simulator's 3-D Secure page at action with code.
func (c *customer) challenge(t *testing.T, action, code string) page {
	t.Helper()
	return c.post(t, action, url.Values{"code": {code}})
}

// waitSettled waits until every payment of the order has left the states
// in which the processor or a reversal is still at work, and the
// reversal jobs are done.
func (e *env) waitSettled(t *testing.T, orderGID string) {
	t.Helper()
	id := strings.TrimPrefix(orderGID, "ord_")
	eventually(t, 60*time.Second, "the order's payments to settle", func() bool {
		return e.Count(t, `SELECT count(*) FROM payments WHERE replace(order_id::text, '-', '') = $1
			AND (status IN ('PENDING', 'REQUIRES_ACTION') OR (capture_mode = 'IMMEDIATE' AND status = 'AUTHORIZED'))`, id) == 0 &&
			e.Count(t, `SELECT count(*) FROM river_job WHERE kind = 'orders.reverse_duplicate' AND state NOT IN ('completed', 'cancelled', 'discarded')`) == 0
	})
}

// An order is paid once, however many tabs the customer opens: a started
// attempt keeps a second one out, an attempt left at 3-D Secure is
// superseded, and an authorization that still arrives for an order paid
// (or cancelled) otherwise is reversed, recorded and announced.
func TestAnOrderIsPaidOnce(t *testing.T) {
	t.Parallel()
	e := setup(t, kassatest.StartMailpit(t))
	newLink := func(t *testing.T, mode string) (orderView, linkView) {
		in := orderInput("Anna Andersson", customerEmail("anna"), line("Ekbord", 1, 5_648_00, 2500))
		in["captureMode"] = mode
		o := e.mustCreateOrder(t, in)
		return o, e.mustSend(t, o.ID)
	}
	// challenged opens the link in a tab of its own and gets as far as
	// the 3-D Secure challenge.
	challenged := func(t *testing.T, link string) (*customer, string) {
		c := newCustomer(t)
		f, _ := c.open(t, link)
		p := c.submit(t, f, card3DS)
		require.Equal(t, http.StatusSeeOther, p.status, "3-D Secure card:\n%s", p.body)
		require.Contains(t, p.location, "/3ds/", "redirect to the challenge, not %q", p.location)
		return c, p.location
	}

	t.Run("ChallengeInOneTabCardInAnother", func(t *testing.T) {
		o, l := newLink(t, "IMMEDIATE")
		tab1, action := challenged(t, l.URL)
		tab2 := newCustomer(t)
		tab2.pay(t, l.URL, cardOK)
		e.waitOrder(t, o.ID, "PAID")

		// Tab 1's challenge is answered after the order was paid.
		p := tab1.challenge(t, action, "1234")
		require.Less(t, p.status, 500, "challenge:\n%s", p.body)
		e.waitSettled(t, o.ID)

		h := e.held(t, o.ID)
		require.Equal(t, 5_648_00, h.Net, "the order's money is taken once")
		require.Equal(t, 1, h.Holding, "one payment holds money")
		got := e.order(t, o.ID)
		require.Equal(t, "PAID", got.Status)
		require.Equal(t, int64(5_648_00), got.Paid.Amount)
		statuses := map[string]int{}
		duplicates := 0
		for _, p := range got.Payments {
			statuses[p.Status]++
			for _, ev := range p.Events {
				if ev.Type == "payment.duplicate" {
					duplicates++
				}
			}
		}
		require.Equal(t, map[string]int{"CAPTURED": 1, "REFUNDED": 1}, statuses, "the late authorization is refunded")
		require.Equal(t, 1, duplicates, "the reversal is on the payment's timeline")
	})

	t.Run("ReserveChallengeInOneTabCardInAnother", func(t *testing.T) {
		o, l := newLink(t, "RESERVE")
		tab1, action := challenged(t, l.URL)
		newCustomer(t).pay(t, l.URL, cardOK)
		e.waitOrder(t, o.ID, "RESERVED")
		tab1.challenge(t, action, "1234")
		e.waitSettled(t, o.ID)

		h := e.held(t, o.ID)
		require.Equal(t, 5_648_00, h.Reserved, "one reservation holds the order's amount")
		require.Equal(t, 1, h.Holding)
		got := e.order(t, o.ID)
		require.Equal(t, "RESERVED", got.Status)
		statuses := map[string]int{}
		for _, p := range got.Payments {
			statuses[p.Status]++
		}
		require.Equal(t, map[string]int{"AUTHORIZED": 1, "VOIDED": 1}, statuses, "the late reservation is voided")

		// Delivering captures the order's own reservation.
		_, errs := e.markDelivered(t, o.ID, nil)
		require.Empty(t, errs)
		e.waitOrder(t, o.ID, "PAID")
	})

	t.Run("TwoPostsAtOnce", func(t *testing.T) {
		o, l := newLink(t, "IMMEDIATE")
		const tabs = 4
		forms := make([]payForm, tabs)
		custs := make([]*customer, tabs)
		for i := range forms {
			custs[i] = newCustomer(t)
			forms[i], _ = custs[i].open(t, l.URL)
		}
		pages := make([]page, tabs)
		var wg sync.WaitGroup
		for i := range forms {
			wg.Go(func() { pages[i] = custs[i].submit(t, forms[i], cardOK) })
		}
		wg.Wait()
		started := 0
		for i, p := range pages {
			switch p.status {
			case http.StatusSeeOther:
				started++
				custs[i].waitDone(t, statusURLOf(t, l.URL, p))
			case http.StatusConflict:
				require.Contains(t, p.body, "pågår redan", "the customer is told a payment is in progress")
			case http.StatusGone:
			default:
				t.Fatalf("tab %d: unexpected answer %d:\n%s", i, p.status, p.body)
			}
		}
		require.Equal(t, 1, started, "one post starts a payment")
		e.waitSettled(t, o.ID)
		h := e.held(t, o.ID)
		require.Equal(t, held{Net: 5_648_00, Holding: 1, Payments: 1}, h, "one payment, made once")
		require.Equal(t, "PAID", e.order(t, o.ID).Status)
	})

	t.Run("AuthorizedAfterTheOrderWasCancelled", func(t *testing.T) {
		o, l := newLink(t, "IMMEDIATE")
		tab1, action := challenged(t, l.URL)
		var out struct {
			C struct {
				Order      *orderView  `json:"order"`
				UserErrors []userError `json:"userErrors"`
			} `json:"cancelOrder"`
		}
		e.Query(t, `mutation($input: CancelOrderInput!) { cancelOrder(input: $input) { order { id status } userErrors { field message code } } }`,
			map[string]any{"input": map[string]any{"orderId": o.ID}}, &out)
		require.Empty(t, out.C.UserErrors)
		tab1.challenge(t, action, "1234")
		e.waitSettled(t, o.ID)
		h := e.held(t, o.ID)
		require.Zero(t, h.Net, "nothing is kept for a cancelled order")
		require.Zero(t, h.Holding)
		require.Equal(t, "CANCELLED", e.order(t, o.ID).Status)
	})
}
