package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"kassa/kassatest"
)

// SMTP is down while 100 confirmations are sent: every email waits in the
// job queue, retried with backoff, and when the server is back all 100
// arrive, each exactly once.
func TestSMTPOutage(t *testing.T) {
	t.Parallel()
	mp := kassatest.StartMailpit(t)
	e := setup(t, mp)
	mp.Stop(t)

	const n = 100
	subjects := map[string]string{} // subject → recipient
	for i := range n {
		email := customerEmail(fmt.Sprintf("outage%03d", i))
		o := e.mustCreateOrder(t, orderInput(fmt.Sprintf("Kund %d", i), email, line("Konsulttimme", int64(i+1), 1_250_00, 2500)))
		e.mustSend(t, o.ID)
		subjects[fmt.Sprintf("Orderbekräftelse %d från %s", o.Number, e.Merchant.Merchant.Name)] = email
	}
	require.Len(t, subjects, n)

	// Every email was tried and failed: the outage is real.
	eventually(t, 60*time.Second, "every email to fail at least once", func() bool {
		return e.Count(t, `SELECT count(*) FROM river_job WHERE kind = 'mailer.send' AND cardinality(errors) > 0`) == n
	})
	require.Zero(t, e.Count(t, `SELECT count(*) FROM river_job WHERE kind = 'mailer.send' AND state = 'completed'`))

	mp.Start(t)
	eventually(t, 90*time.Second, fmt.Sprintf("%d confirmations in mailpit", n), func() bool {
		return len(mp.All(t)) >= n
	})
	e.waitJobsIdle(t)

	got := mp.All(t)
	seen := map[string]int{}
	for _, m := range got {
		seen[m.Subject]++
		to, ok := subjects[m.Subject]
		require.True(t, ok, "unexpected message %q", m.Subject)
		require.Len(t, m.To, 1)
		require.Equal(t, to, m.To[0].Address, "message %q", m.Subject)
	}
	for subject := range subjects {
		require.Equal(t, 1, seen[subject], "copies of %q", subject)
	}
	require.Len(t, got, n)
}
