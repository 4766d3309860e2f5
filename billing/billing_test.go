package billing_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"kassa/kassatest"
)

const createSub = `mutation($in: CreateSubscriptionInput!) { createSubscription(input: $in) {
	subscription { id status } paymentLink { url } userErrors { field message code } } }`

type created struct {
	CreateSubscription struct {
		Subscription *struct{ ID, Status string }
		PaymentLink  *struct{ URL string }
		UserErrors   []struct {
			Field   []string
			Message string
			Code    string
		}
	}
}

type subView struct {
	Node struct {
		Status        string
		NextBillingAt *time.Time
		Mandate       *struct{ Card struct{ Last4 string } }
		Invoices      struct {
			Edges []struct {
				Node struct {
					Number   int64
					Status   string
					Attempts int
					Gross    struct{ Amount int64 }
					Period   *struct{ Start, End time.Time }
					Lines    []struct {
						Gross struct {
							Amount   int64
							Currency string
						}
					}
				}
			}
		}
	}
}

const viewSub = `query($id: ID!) { node(id: $id) { ... on BillingSubscription { status nextBillingAt mandate { card { last4 } }
	invoices(first: 50) { edges { node { number status attempts gross { amount } period { start end } lines { gross { amount currency } } } } } } } }`

func (k *kassa) createSubscription(t *testing.T, email string, plan map[string]any, startsAt *time.Time) (string, string) {
	t.Helper()
	in := map[string]any{"customer": map[string]any{"name": "Kim", "email": email}, "plan": plan}
	if startsAt != nil {
		in["startsAt"] = startsAt.Format(time.RFC3339Nano)
	}
	var c created
	k.gql(t, createSub, map[string]any{"in": in}, &c)
	require.Empty(t, c.CreateSubscription.UserErrors)
	return c.CreateSubscription.Subscription.ID, c.CreateSubscription.PaymentLink.URL
}

// activeFixed creates a monthly FIXED subscription starting now and pays
// its first period with 4242…, as most tests begin.
func (k *kassa) activeFixed(t *testing.T, email string, amount int64) (id string, begin time.Time) {
	t.Helper()
	begin = time.Now()
	id, link := k.createSubscription(t, email, map[string]any{"kind": "FIXED", "amount": amount, "interval": "MONTHLY"}, &begin)
	k.pay(t, link, "4242424242424242")
	k.waitPaid(t, id, 1)
	return id, begin
}

func (k *kassa) view(t *testing.T, id string) subView {
	t.Helper()
	var v subView
	k.gql(t, viewSub, map[string]any{"id": id}, &v)
	return v
}

// waitInvoices waits until the subscription has n invoices, all PAID.
func (k *kassa) waitPaid(t *testing.T, id string, n int) subView {
	t.Helper()
	var v subView
	require.Eventually(t, func() bool {
		v = k.view(t, id)
		if len(v.Node.Invoices.Edges) != n {
			return false
		}
		for _, e := range v.Node.Invoices.Edges {
			if e.Node.Status != "PAID" {
				return false
			}
		}
		return true
	}, 30*time.Second, 100*time.Millisecond, "want %d paid invoices", n)
	return v
}

func TestFixedMonthly(t *testing.T) {
	t.Parallel()
	k := start(t, kassatest.WebhookAllowPrivate())
	// An endpoint for invoice events, so they are recorded (deliveries to
	// this closed port fail and retry; the events are what is counted).
	var hook struct {
		CreateWebhookEndpoint struct{ UserErrors []struct{ Code string } }
	}
	k.gql(t, `mutation { createWebhookEndpoint(input: {url: "http://127.0.0.1:9/hook", events: ["INVOICE_PAID"]}) { userErrors { code } } }`, nil, &hook)
	require.Empty(t, hook.CreateWebhookEndpoint.UserErrors)
	invoicePaidEvents := func() int64 { return k.scalar(t, `SELECT count(*) FROM webhook_events WHERE type = 'INVOICE_PAID'`) }
	start := time.Now().Add(time.Minute)
	id, link := k.createSubscription(t, "kim@example.se", map[string]any{"kind": "FIXED", "amount": 9900, "currency": "SEK", "interval": "MONTHLY", "vatRate": 2500}, &start)
	require.Equal(t, "PENDING_MANDATE", k.view(t, id).Node.Status)

	t.Run("FirstPaymentStoresTheMandateAndPaysTheFirstPeriod", func(t *testing.T) {
		k.pay(t, link, "4242 4242 4242 4242")
		v := k.waitPaid(t, id, 1)
		require.Equal(t, "ACTIVE", v.Node.Status)
		require.Equal(t, "4242", v.Node.Mandate.Card.Last4)
		require.Equal(t, int64(9900), v.Node.Invoices.Edges[0].Node.Gross.Amount)
		require.Len(t, v.Node.Invoices.Edges[0].Node.Lines, 1)
		require.Equal(t, int64(9900), v.Node.Invoices.Edges[0].Node.Lines[0].Gross.Amount)
		require.Equal(t, "SEK", v.Node.Invoices.Edges[0].Node.Lines[0].Gross.Currency)
		require.NotNil(t, v.Node.NextBillingAt)
		require.WithinDuration(t, start.AddDate(0, 1, 0), *v.Node.NextBillingAt, 2*time.Hour, "next billing a month after the start")
		// Paid at the capture, announced once; the order's receipt is the
		// customer's receipt, so no invoice email on top.
		require.Equal(t, int64(1), invoicePaidEvents())
		require.Equal(t, int64(1), k.scalar(t, `SELECT count(*) FROM invoices i JOIN payments p ON p.id = i.payment_id
			WHERE i.status = 'PAID' AND p.status = 'CAPTURED'`))
		require.Zero(t, k.mails(t, "invoice_paid", "kim@example.se"))
	})

	t.Run("SweepBeforeDueBillsNothing", func(t *testing.T) {
		k.sweep(t, start.Add(24*time.Hour))
		require.Len(t, k.view(t, id).Node.Invoices.Edges, 1)
	})

	t.Run("AMonthLaterTheSecondPeriodIsCharged", func(t *testing.T) {
		k.sweep(t, start.AddDate(0, 1, 0).Add(time.Hour))
		v := k.waitPaid(t, id, 2)
		require.Equal(t, int64(2), v.Node.Invoices.Edges[0].Node.Number-v.Node.Invoices.Edges[1].Node.Number+1)
		require.Eventually(t, func() bool { return k.mails(t, "invoice_paid", "kim@example.se") == 1 }, 10*time.Second, 50*time.Millisecond)
		var text string
		require.NoError(t, k.SQL.Get(&text, `SELECT args->'message'->>'text' FROM river_job WHERE kind = 'mailer.send' AND args->'message'->>'kind' = 'invoice_paid'`))
		require.Contains(t, text, "Visa •••• 4242", "the card brand as people write it, not \"visa\"")
		require.Equal(t, int64(2), invoicePaidEvents())
	})

	t.Run("RepeatedSweepsChargeNothingTwice", func(t *testing.T) {
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() { defer wg.Done(); k.sweep(t, start.AddDate(0, 1, 0).Add(2*time.Hour)) }()
		}
		wg.Wait()
		// Whatever the sweeps started (charges, their callbacks) is done.
		k.WaitJobs(t, "billing.charge")
		k.WaitCallbacks(t)
		require.Len(t, k.view(t, id).Node.Invoices.Edges, 2)
	})

	t.Run("AfterDowntimeEachMissedPeriodIsBilledOnceOldestFirst", func(t *testing.T) {
		k.sweep(t, start.AddDate(0, 4, 0).Add(time.Hour))
		v := k.waitPaid(t, id, 5)
		edges := v.Node.Invoices.Edges
		for i := 1; i < len(edges); i++ {
			// Newest first: each period ends where the next (newer) starts.
			require.Equal(t, edges[i].Node.Period.End, edges[i-1].Node.Period.Start)
			require.Equal(t, edges[i].Node.Number+1, edges[i-1].Node.Number, "gapless numbers, oldest period first")
		}
		// The simulator charged each invoice once: 1 first payment + 4 charges.
		require.Equal(t, int64(5), k.scalar(t, `SELECT count(*) FROM simulator_payments WHERE status = 'CAPTURED'`))
	})
}

func TestUsage(t *testing.T) {
	t.Parallel()
	k := start(t)
	begin := time.Now()
	id, link := k.createSubscription(t, "meter@example.se", map[string]any{"kind": "USAGE", "unitPrice": 150, "currency": "SEK", "interval": "MONTHLY", "aggregation": "SUM"}, &begin)
	k.pay(t, link, "4242424242424242")
	require.Eventually(t, func() bool { return k.view(t, id).Node.Status == "ACTIVE" }, 10*time.Second, 50*time.Millisecond)

	report := func(key string, qty int, at time.Time) (bool, string) {
		var out struct {
			ReportUsage struct {
				Duplicate  bool
				UserErrors []struct{ Code string }
			}
		}
		k.gql(t, `mutation($in: ReportUsageInput!) { reportUsage(input: $in) { duplicate usageEvent { id } userErrors { code } } }`,
			map[string]any{"in": map[string]any{"subscriptionId": id, "quantity": qty, "occurredAt": at.Format(time.RFC3339Nano), "idempotencyKey": key}}, &out)
		code := ""
		if len(out.ReportUsage.UserErrors) > 0 {
			code = out.ReportUsage.UserErrors[0].Code
		}
		return out.ReportUsage.Duplicate, code
	}

	t.Run("SameKeyReportedConcurrentlyCountsOnce", func(t *testing.T) {
		var wg sync.WaitGroup
		for range 1000 {
			wg.Add(1)
			go func() { defer wg.Done(); report("same-key", 7, time.Now()) }()
			// Throttle goroutine start-up a little so 1000 requests do not
			// exhaust local ports on a 2-core machine.
			time.Sleep(200 * time.Microsecond)
		}
		wg.Wait()
		require.Equal(t, int64(1), k.scalar(t, `SELECT count(*) FROM usage_events WHERE idempotency_key = 'same-key'`))
		dup, code := report("same-key", 7, time.Now())
		require.True(t, dup)
		require.Empty(t, code)
	})

	t.Run("ConcurrentReportsKeepTheirOwnResults", func(t *testing.T) {
		// Reports arriving together are committed together; a refused one
		// must refuse only itself.
		type answer struct {
			dup  bool
			code string
		}
		answers := make([]answer, 200)
		var wg sync.WaitGroup
		for i := range answers {
			wg.Go(func() {
				at, key := time.Now(), fmt.Sprintf("group-%d", i)
				if i%2 == 1 {
					at = at.Add(time.Hour) // FUTURE_EVENT
				}
				if i%10 == 4 {
					key += "\x00" // INVALID_IDEMPOTENCY_KEY (PostgreSQL's jsonb refuses a NUL)
				}
				dup, code := report(key, 0, at)
				answers[i] = answer{dup, code}
			})
		}
		wg.Wait()
		for i, a := range answers {
			switch {
			case i%2 == 1:
				require.Equal(t, "FUTURE_EVENT", a.code, "report %d", i)
			case i%10 == 4:
				require.Equal(t, "INVALID_IDEMPOTENCY_KEY", a.code, "report %d", i)
			default:
				require.Empty(t, a.code, "report %d", i)
				require.False(t, a.dup, "report %d", i)
			}
		}
		require.Equal(t, int64(80), k.scalar(t, `SELECT count(*) FROM usage_events WHERE idempotency_key LIKE 'group-%'`))
	})

	t.Run("FutureAndLateEventsAreRefused", func(t *testing.T) {
		_, code := report("future", 1, time.Now().Add(10*time.Minute))
		require.Equal(t, "FUTURE_EVENT", code)
		_, code = report("late", 1, begin.Add(-time.Hour))
		require.Equal(t, "LATE_EVENT", code)
		_, code = report("soon", 1, time.Now().Add(4*time.Minute))
		require.Empty(t, code, "within the clock-skew tolerance")
	})

	t.Run("BatchReportsEachEventItsOwnResult", func(t *testing.T) {
		var out struct {
			ReportUsageBatch struct {
				Accepted int
				Results  []struct {
					Index      int
					Duplicate  bool
					UserErrors []struct{ Code string }
				}
			}
		}
		now := time.Now().Format(time.RFC3339Nano)
		events := []map[string]any{
			{"subscriptionId": id, "quantity": 10, "occurredAt": now, "idempotencyKey": "b1"},
			{"subscriptionId": id, "quantity": 10, "occurredAt": now, "idempotencyKey": "b1"},
			{"subscriptionId": id, "quantity": 5, "occurredAt": time.Now().Add(time.Hour).Format(time.RFC3339Nano), "idempotencyKey": "b2"},
			{"subscriptionId": "sub_00000000000000000000000000000000", "quantity": 1, "occurredAt": now, "idempotencyKey": "b3"},
			{"subscriptionId": id, "quantity": 3, "occurredAt": now, "idempotencyKey": "same-key"},
		}
		k.gql(t, `mutation($in: ReportUsageBatchInput!) { reportUsageBatch(input: $in) { accepted results { index duplicate userErrors { code } } } }`,
			map[string]any{"in": map[string]any{"events": events}}, &out)
		r := out.ReportUsageBatch.Results
		require.Equal(t, 1, out.ReportUsageBatch.Accepted)
		require.Empty(t, r[0].UserErrors)
		require.True(t, r[1].Duplicate)
		require.Equal(t, "FUTURE_EVENT", r[2].UserErrors[0].Code)
		require.Equal(t, "NOT_FOUND", r[3].UserErrors[0].Code)
		require.True(t, r[4].Duplicate)
	})

	t.Run("SummaryAndPeriodEndBilling", func(t *testing.T) {
		var sum struct {
			UsageSummary struct {
				Quantity int64
				Amount   struct{ Amount int64 }
			}
		}
		k.gql(t, `query($id: ID!) { usageSummary(subscriptionId: $id) { quantity amount { amount } } }`, map[string]any{"id": id}, &sum)
		// same-key 7 + soon 1 + b1 10 = 18 units at 1,50 kr.
		require.Equal(t, int64(18), sum.UsageSummary.Quantity)
		require.Equal(t, int64(18*150), sum.UsageSummary.Amount.Amount)

		// Billed in arrears, after the grace hour following the period end.
		k.sweep(t, begin.AddDate(0, 1, 0).Add(30*time.Minute))
		require.Empty(t, k.view(t, id).Node.Invoices.Edges)
		k.sweep(t, begin.AddDate(0, 1, 0).Add(61*time.Minute))
		v := k.waitPaid(t, id, 1)
		require.Equal(t, int64(18*150), v.Node.Invoices.Edges[0].Node.Gross.Amount)
	})
}

func TestDunning(t *testing.T) {
	t.Parallel()
	mp := kassatest.StartMailpit(t)
	k := start(t, kassatest.SMTP("smtp://"+mp.SMTPAddr))
	id, begin := k.activeFixed(t, "broke@example.se", 19900)
	var token string
	owner := k.SQL
	require.NoError(t, owner.QueryRow(`SELECT mandate_token FROM subscriptions`).Scan(&token))
	require.NoError(t, k.srv.Simulator().SetMandateBehaviour(token, "insufficient_funds"))

	due := begin.AddDate(0, 1, 0).Add(time.Minute)
	k.sweep(t, due)
	waitAttempts := func(n int, status string) subView {
		var v subView
		require.Eventually(t, func() bool {
			v = k.view(t, id)
			e := v.Node.Invoices.Edges
			return len(e) == 2 && e[0].Node.Attempts == n && e[0].Node.Status == status && k.scalar(t, `SELECT count(*) FROM invoices WHERE status = 'OPEN' AND next_attempt_at IS NULL`) == 0
		}, 20*time.Second, 100*time.Millisecond, "attempt %d %s", n, status)
		return v
	}
	waitAttempts(1, "OPEN")
	// The customer is told, in a real mailbox, with a link to pay with
	// another card.
	failed := mp.WaitTo(t, "broke@example.se", "Betalningen misslyckades", 1)
	require.Len(t, failed, 1)
	require.Contains(t, string(mp.Raw(t, failed[0].ID)), "/pay/")

	// Retries after 1, 3 and 7 days; each failure mails the customer a link.
	k.sweep(t, due.Add(25*time.Hour))
	waitAttempts(2, "OPEN")
	k.sweep(t, due.Add((24+72+1)*time.Hour))
	waitAttempts(3, "OPEN")
	k.sweep(t, due.Add((24+72+168+2)*time.Hour))
	v := waitAttemptsFinal(t, k, id)
	require.Equal(t, "PAST_DUE", v.Node.Status)
	require.Len(t, mp.WaitTo(t, "broke@example.se", "Betalningen misslyckades", 4), 4)
	// Four attempts, four declined charges at the processor, none captured.
	require.Equal(t, int64(4), k.scalar(t, `SELECT count(*) FROM payments WHERE initiator = 'MERCHANT_RECURRING' AND status = 'FAILED'`))

	t.Run("PayingTheInvoiceWithAnotherCardRecoversTheSubscription", func(t *testing.T) {
		var url string
		require.NoError(t, owner.QueryRow(`SELECT l.token FROM payment_links l JOIN invoices i ON i.order_id = l.order_id`).Scan(&url))
		k.pay(t, k.url+"/pay/"+url, "5555555555554444")
		require.Eventually(t, func() bool {
			v := k.view(t, id)
			return v.Node.Status == "ACTIVE" && v.Node.Mandate.Card.Last4 == "4444"
		}, 20*time.Second, 100*time.Millisecond)
	})
}

func waitAttemptsFinal(t *testing.T, k *kassa, id string) subView {
	var v subView
	require.Eventually(t, func() bool {
		v = k.view(t, id)
		e := v.Node.Invoices.Edges
		// The subscription and its invoices are read in separate
		// transactions: wait until both show the outcome.
		return len(e) == 2 && e[0].Node.Status == "FAILED" && e[0].Node.Attempts == 4 && v.Node.Status == "PAST_DUE"
	}, 20*time.Second, 100*time.Millisecond)
	return v
}
