package billing_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

type payloadErrors struct {
	UserErrors []struct {
		Field []string
		Code  string
	}
}

func TestLifecycle(t *testing.T) {
	t.Parallel()
	k := start(t)
	id, begin := k.activeFixed(t, "life@example.se", 9900)

	mutate := func(name, input string, vars map[string]any) payloadErrors {
		var out map[string]payloadErrors
		k.gql(t, `mutation($in: `+input+`!) { `+name+`(input: $in) { userErrors { field code } } }`, map[string]any{"in": vars}, &out)
		return out[name]
	}

	t.Run("PlanChangeTakesEffectNextPeriod", func(t *testing.T) {
		e := mutate("updateSubscriptionPlan", "UpdateSubscriptionPlanInput", map[string]any{"id": id,
			"plan": map[string]any{"kind": "FIXED", "amount": 14900, "interval": "MONTHLY"}})
		require.Empty(t, e.UserErrors)
		var up struct {
			UpcomingInvoice struct {
				Gross struct{ Amount int64 }
				Lines []struct {
					Quantity  int64
					UnitPrice struct {
						Amount   int64
						Currency string
					}
				}
			}
		}
		k.gql(t, `query($id: ID!) { upcomingInvoice(subscriptionId: $id) { gross { amount } lines { quantity unitPrice { amount currency } } } }`, map[string]any{"id": id}, &up)
		require.Equal(t, int64(14900), up.UpcomingInvoice.Gross.Amount)
		require.Len(t, up.UpcomingInvoice.Lines, 1)
		require.Equal(t, int64(1), up.UpcomingInvoice.Lines[0].Quantity)
		require.Equal(t, int64(14900), up.UpcomingInvoice.Lines[0].UnitPrice.Amount)
		require.Equal(t, "SEK", up.UpcomingInvoice.Lines[0].UnitPrice.Currency)
		k.sweep(t, begin.AddDate(0, 1, 0).Add(time.Minute))
		v := k.waitPaid(t, id, 2)
		require.Equal(t, int64(14900), v.Node.Invoices.Edges[0].Node.Gross.Amount)
		require.Equal(t, int64(9900), v.Node.Invoices.Edges[1].Node.Gross.Amount)
	})

	t.Run("ChangingTheIntervalIsRefused", func(t *testing.T) {
		e := mutate("updateSubscriptionPlan", "UpdateSubscriptionPlanInput", map[string]any{"id": id,
			"plan": map[string]any{"kind": "FIXED", "amount": 100, "interval": "YEARLY"}})
		require.Equal(t, "INVALID_PLAN", e.UserErrors[0].Code)
	})

	t.Run("PausedPeriodsAreSkipped", func(t *testing.T) {
		require.Empty(t, mutate("pauseSubscription", "PauseSubscriptionInput", map[string]any{"id": id}).UserErrors)
		require.Equal(t, "INVALID_STATE", mutate("pauseSubscription", "PauseSubscriptionInput", map[string]any{"id": id}).UserErrors[0].Code)
		k.sweep(t, begin.AddDate(0, 2, 0).Add(time.Minute))
		require.Len(t, k.view(t, id).Node.Invoices.Edges, 2, "nothing is billed while paused")
		require.Empty(t, mutate("resumeSubscription", "ResumeSubscriptionInput", map[string]any{"id": id}).UserErrors)
		v := k.view(t, id)
		require.Equal(t, "ACTIVE", v.Node.Status)
		require.True(t, v.Node.NextBillingAt.After(time.Now()), "billing resumes from the next period, not with the missed ones")
	})

	t.Run("ManualChargeNeedsAnIdempotencyKey", func(t *testing.T) {
		q := `mutation($in: ChargeSubscriptionInput!) { chargeSubscription(input: $in) { invoice { number gross { amount } } payment { id } userErrors { code } } }`
		in := map[string]any{"in": map[string]any{"subscriptionId": id, "amount": 25000, "description": "Extra session"}}
		var out struct {
			ChargeSubscription struct {
				Invoice    *struct{ Gross struct{ Amount int64 } }
				UserErrors []struct{ Code string }
			}
		}
		k.gql(t, q, in, &out)
		require.Equal(t, "IDEMPOTENCY_KEY_REQUIRED", out.ChargeSubscription.UserErrors[0].Code)
		before := k.scalar(t, `SELECT count(*) FROM invoices`)
		k.gql(t, q, in, &out, "Idempotency-Key", "extra-1")
		require.Empty(t, out.ChargeSubscription.UserErrors)
		require.Equal(t, int64(25000), out.ChargeSubscription.Invoice.Gross.Amount)
		k.gql(t, q, in, &out, "Idempotency-Key", "extra-1") // a retry replays, charges nothing more
		require.Equal(t, before+1, k.scalar(t, `SELECT count(*) FROM invoices`))
		require.Eventually(t, func() bool {
			return k.scalar(t, `SELECT count(*) FROM invoices WHERE kind = 'MANUAL' AND status = 'PAID'`) == 1
		},
			10*time.Second, 50*time.Millisecond)
		for _, bad := range []map[string]any{
			{"subscriptionId": id, "amount": 0, "description": "x"},
			{"subscriptionId": id, "amount": 100, "description": ""},
			{"subscriptionId": "sub_00000000000000000000000000000000", "amount": 100, "description": "x"},
		} {
			k.gql(t, q, map[string]any{"in": bad}, &out, "Idempotency-Key", "bad-"+time.Now().String())
			require.NotEmpty(t, out.ChargeSubscription.UserErrors, "%v", bad)
		}
		require.Equal(t, before+1, k.scalar(t, `SELECT count(*) FROM invoices`))
	})

	t.Run("InvoicePageShowsTheInvoice", func(t *testing.T) {
		var token string
		require.NoError(t, k.SQL.QueryRow(`SELECT token FROM invoices WHERE kind = 'MANUAL'`).Scan(&token))
		resp, err := http.Get(k.url + "/invoices/" + token)
		require.NoError(t, err)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Contains(t, string(b), "Extra session")
		require.Contains(t, string(b), "250,00")
		resp, err = http.Get(k.url + "/invoices/" + strings.Repeat("x", 32))
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusNotFound, resp.StatusCode)
	})

	t.Run("CancelAtPeriodEndBillsNoMore", func(t *testing.T) {
		require.Empty(t, mutate("cancelSubscription", "CancelSubscriptionInput", map[string]any{"id": id, "atPeriodEnd": true}).UserErrors)
		before := len(k.view(t, id).Node.Invoices.Edges)
		k.sweep(t, begin.AddDate(1, 0, 0))
		v := k.view(t, id)
		require.Equal(t, "CANCELLED", v.Node.Status)
		require.Len(t, v.Node.Invoices.Edges, before)
		require.Equal(t, "INVALID_STATE", mutate("cancelSubscription", "CancelSubscriptionInput", map[string]any{"id": id}).UserErrors[0].Code)
	})
}

func TestCardAboutToExpireIsWarnedOnce(t *testing.T) {
	t.Parallel()
	k := start(t)
	id, _ := k.activeFixed(t, "expiring@example.se", 9900)
	owner := k.SQL
	now := time.Now()
	_, err := owner.Exec(`UPDATE subscriptions SET card_exp_month = $1, card_exp_year = $2`, int(now.Month()), now.Year())
	require.NoError(t, err)
	k.sweep(t, now)
	k.sweep(t, now.Add(time.Hour))
	require.Eventually(t, func() bool { return k.mails(t, "card_expiring", "expiring@example.se") == 1 }, 10*time.Second, 50*time.Millisecond)
	k.WaitJobs(t, "mailer.send") // every email queued is written
	require.Equal(t, 1, k.mails(t, "card_expiring", "expiring@example.se"), "warned once per expiry")

	// The link in the email stores a new card, which becomes the mandate.
	var token string
	require.NoError(t, owner.QueryRow(`SELECT l.token FROM payment_links l JOIN subscriptions s ON s.card_order_id = l.order_id`).Scan(&token))
	k.pay(t, k.url+"/pay/"+token, "5555555555554444")
	require.Eventually(t, func() bool {
		v := k.view(t, id)
		return v.Node.Mandate != nil && v.Node.Mandate.Card.Last4 == "4444"
	}, 20*time.Second, 100*time.Millisecond)
	// The card check was released, not charged.
	require.Eventually(t, func() bool {
		return k.scalar(t, `SELECT count(*) FROM simulator_payments WHERE last4 = '4444' AND status = 'VOIDED'`) == 1
	}, 20*time.Second, 100*time.Millisecond)
}

// TestSweepWaitsForRowsOthersHold: a sweep must not pass over a due
// subscription (or a due retry) because a payment callback or a merchant's
// mutation holds its row at that moment; only rows another runner is
// billing may be left to that runner.
func TestSweepWaitsForRowsOthersHold(t *testing.T) {
	t.Parallel()
	k := start(t)
	id, begin := k.activeFixed(t, "held@example.se", 9900)
	owner := k.SQL

	// hold locks a row as a callback's transaction would, until the sweep
	// waits for it (or, should the sweep never wait, 20 s); released says
	// whether anyone waited.
	hold := func(query string) (released chan bool) {
		tx, err := owner.Begin()
		require.NoError(t, err)
		var n, pid int
		require.NoError(t, tx.QueryRow(query).Scan(&n))
		require.NoError(t, tx.QueryRow(`SELECT pg_backend_pid()`).Scan(&pid))
		released = make(chan bool, 1)
		go func() {
			waited := false
			for deadline := time.Now().Add(20 * time.Second); !waited && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
				if err := owner.QueryRow(`SELECT EXISTS (SELECT FROM pg_stat_activity WHERE $1 = ANY (pg_blocking_pids(pid)))`, pid).Scan(&waited); err != nil {
					t.Errorf("who waits for the held row: %v", err)
					break
				}
			}
			_ = tx.Commit()
			released <- waited
		}()
		return released
	}

	t.Run("DueSubscription", func(t *testing.T) {
		released := hold(`SELECT 1 FROM subscriptions FOR UPDATE`)
		r, err := k.Server.Billing().Sweep(context.Background(), begin.AddDate(0, 1, 0).Add(time.Minute))
		require.NoError(t, err)
		require.True(t, <-released, "the sweep waited for the held row")
		require.Equal(t, 1, r.Subscriptions, "the held subscription is billed once its row is free")
		require.Equal(t, 1, r.Invoices)
	})

	t.Run("DueRetry", func(t *testing.T) {
		k.waitPaid(t, id, 2)
		_, err := owner.Exec(`UPDATE invoices SET status = 'OPEN', paid_at = NULL, next_attempt_at = now() WHERE number = 2`)
		require.NoError(t, err)
		released := hold(`SELECT 1 FROM invoices WHERE number = 2 FOR UPDATE`)
		r, err := k.Server.Billing().Sweep(context.Background(), time.Now().Add(time.Minute))
		require.NoError(t, err)
		require.True(t, <-released, "the sweep waited for the held row")
		require.Equal(t, 1, r.Retries, "the held invoice's retry is enqueued once its row is free")
	})
}
