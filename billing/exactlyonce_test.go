package billing_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"kassa/billing"
)

// TestExactlyOnceWithRunnersKilled is the billing guarantee under fire:
// 2,000 due subscriptions (FIXED and USAGE), three runner processes
// (`kassa billing run-once`) sweeping at once, each killed with SIGKILL at
// random moments and restarted, twenty kills in all. At the end every
// subscription has exactly one invoice per due period, invoice numbers have
// no gaps, and the processor shows exactly one charge per invoice.
func TestExactlyOnceWithRunnersKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	k := start(t)
	bin := buildKassa(t)

	// One real mandate, from a customer's first payment.
	id, begin := k.activeFixed(t, "seed@example.se", 100)
	owner := k.SQL
	var token string
	require.NoError(t, owner.QueryRow(`SELECT mandate_token FROM subscriptions`).Scan(&token))

	// 2,000 active subscriptions on that card: half FIXED (period 0 paid,
	// periods 1–3 due), half USAGE (periods 0–2 due, with usage).
	const n = 2000
	anchor := begin.Add(-time.Minute)
	sch, err := billing.NewSchedule(anchor, billing.Monthly, "Europe/Stockholm")
	require.NoError(t, err)
	tx, err := owner.Begin()
	require.NoError(t, err)
	for i := range n {
		kind, nextPeriod, next := "FIXED", 1, sch.Period(1).Start
		plan := `{"kind":"FIXED","amount":4900,"currency":"SEK","interval":"MONTHLY","vatRate":2500}`
		if i%2 == 1 {
			kind, nextPeriod, next = "USAGE", 0, sch.Period(0).End.Add(time.Hour)
			plan = `{"kind":"USAGE","unitPrice":150,"aggregation":"SUM","currency":"SEK","interval":"MONTHLY","vatRate":2500}`
		}
		sid := uuid.Must(uuid.NewV7())
		_, err := tx.Exec(`INSERT INTO subscriptions (merchant_id, id, status, customer_email, plan, currency, time_zone, anchor,
			next_period, next_billing_at, mandate_token, mandate_processor, card_brand, card_last4)
			VALUES ($1, $2, 'ACTIVE', $3, $4, 'SEK', 'Europe/Stockholm', $5, $6, $7, $8, 'simulator', 'visa', '4242')`,
			k.merchantID, sid, fmt.Sprintf("c%d@example.se", i), plan, anchor, nextPeriod, next, token)
		require.NoError(t, err)
		if kind == "USAGE" {
			_, err = tx.Exec(`INSERT INTO usage_events (merchant_id, subscription_id, id, idempotency_key, quantity, occurred_at)
				VALUES ($1, $2, $3, $4, $5, $6)`, k.merchantID, sid, uuid.Must(uuid.NewV7()), "u-"+sid.String(), 1+i%7, anchor.Add(time.Hour))
			require.NoError(t, err)
		}
	}
	require.NoError(t, tx.Commit())

	t.Logf("%s: %d subscriptions inserted", time.Since(begin).Round(time.Millisecond), n)
	now := anchor.AddDate(0, 3, 0).Add(2 * time.Hour) // three periods due for each
	runner := func() *exec.Cmd {
		cmd := exec.Command(bin, "billing", "run-once", "--now", now.UTC().Format(time.RFC3339))
		cmd.Env = append(os.Environ(), "KASSA_DATABASE_URL="+k.ownerURL, "KASSA_DATA_DIR="+t.TempDir(), "KASSA_PUBLIC_URL="+k.url,
			"KASSA_SIMULATOR_SECRET=test-secret", "KASSA_LOG_LEVEL=error")
		require.NoError(t, cmd.Start())
		return cmd
	}
	var mu sync.Mutex
	procs := []*exec.Cmd{runner(), runner(), runner()}
	kills := 0
	for kills < 20 {
		time.Sleep(time.Duration(20+rand.IntN(150)) * time.Millisecond)
		mu.Lock()
		i := rand.IntN(len(procs))
		_ = procs[i].Process.Signal(syscall.SIGKILL)
		_ = procs[i].Wait()
		procs[i] = runner()
		kills++
		mu.Unlock()
	}
	for _, p := range procs {
		_ = p.Wait()
	}
	// A last, undisturbed sweep finds whatever the killed ones left due.
	last := exec.Command(bin, "billing", "run-once", "--now", now.UTC().Format(time.RFC3339))
	last.Env = append(os.Environ(), "KASSA_DATABASE_URL="+k.ownerURL, "KASSA_DATA_DIR="+t.TempDir(), "KASSA_PUBLIC_URL="+k.url, "KASSA_SIMULATOR_SECRET=test-secret")
	out, err := last.CombinedOutput()
	require.NoError(t, err, "%s", out)

	count := func(q string, args ...any) int64 {
		var c int64
		require.NoError(t, owner.QueryRow(q, args...).Scan(&c))
		return c
	}
	// Exactly one invoice per due period, three per subscription.
	require.Equal(t, int64(3*n), count(`SELECT count(*) FROM invoices WHERE subscription_id <> $1::uuid AND kind = 'PERIOD'`, uuidOf(t, id)))
	require.Equal(t, int64(0), count(`SELECT count(*) FROM (SELECT subscription_id FROM invoices GROUP BY subscription_id HAVING count(*) <> 3 AND subscription_id <> $1::uuid) x`, uuidOf(t, id)))
	require.Equal(t, int64(0), count(`SELECT count(*) FROM subscriptions WHERE next_billing_at <= $1 AND status = 'ACTIVE'`, now))
	// Gapless numbers.
	require.Equal(t, count(`SELECT count(*) FROM invoices`), count(`SELECT max(number) FROM invoices`))

	t.Logf("%s: swept", time.Since(begin).Round(time.Millisecond))
	// Every charge is worked (by the server's River workers) and each
	// invoice was charged exactly once at the processor.
	require.Eventually(t, func() bool {
		return count(`SELECT count(*) FROM invoices WHERE status = 'PAID'`) == count(`SELECT count(*) FROM invoices`)
	}, 5*time.Minute, time.Second, "not every invoice was charged")
	t.Logf("%s: every invoice charged", time.Since(begin).Round(time.Millisecond))
	require.Equal(t, count(`SELECT count(*) FROM invoices WHERE payment_id IS NOT NULL`)-1,
		count(`SELECT count(*) FROM simulator_payments WHERE initiator = 'MERCHANT_RECURRING'`))
	require.Equal(t, int64(0), count(`SELECT count(*) FROM (SELECT payment_id FROM simulator_payments GROUP BY payment_id HAVING count(*) > 1) x`))
	require.Equal(t, int64(0), count(`SELECT count(*) FROM invoices i LEFT JOIN simulator_payments s ON s.payment_id = i.payment_id
		WHERE i.gross > 0 AND (s.status IS DISTINCT FROM 'CAPTURED' OR s.captured_amount <> i.gross)`))
}

func uuidOf(t *testing.T, gid string) string {
	t.Helper()
	require.Len(t, gid, 36)
	return gid[4:12] + "-" + gid[12:16] + "-" + gid[16:20] + "-" + gid[20:24] + "-" + gid[24:]
}

// buildKassa builds the binary once for the test run.
func buildKassa(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "kassa")
	out, err := exec.Command("go", "build", "-o", bin, "kassa/cmd/kassa").CombinedOutput()
	require.NoError(t, err, "%s", out)
	return bin
}
