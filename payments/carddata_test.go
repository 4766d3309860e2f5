package payments_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"kassa/db/pgcluster"
	"kassa/payments"
)

// testCards are every test card the simulator knows, and one it does not.
var testCards = []string{
	cardOK, cardChallenge, cardDeclined, cardNoFunds, cardExpired, cardProcessing, cardDuplicates, cardMastercard,
	"4111111111111111",
}

// cardPattern matches number with any spaces or dashes between its
// digits ("4242 4242 4242 4242", "4242-4242-…", "4242424242424242"). Tabs
// and newlines are not separators: in a dump they part columns and rows.
func cardPattern(number string) *regexp.Regexp {
	digits := strings.Split(number, "")
	return regexp.MustCompile(strings.Join(digits, `[ -]*`))
}

// findCards returns the test card numbers text holds, in any spacing.
func findCards(text string) []string {
	var found []string
	for _, n := range append(testCards, "4242424242424241") {
		if loc := cardPattern(n).FindStringIndex(text); loc != nil {
			lo, hi := max(loc[0]-80, 0), min(loc[1]+80, len(text))
			found = append(found, n+" in …"+text[lo:hi]+"…")
		}
	}
	return found
}

func TestFindCards(t *testing.T) {
	t.Parallel()
	for _, s := range []string{
		"x 4242424242424242 y", "4242 4242 4242 4242", `{"n":"4000-0000-0000-3220"}`, "5555  5555 5555 4444",
	} {
		require.NotEmpty(t, findCards(s), s)
	}
	require.Empty(t, findCards("card ****4242 12/2030, last4 4444, 0000 0000 3220"))
}

// testCardNumbersAreNeverStoredOrLogged runs every test card through
// kassa and the simulator (whose logs go, as JSON, to b.Logs), then searches a full dump of the database and
// every log line for any card number: there must be none.
func testCardNumbersAreNeverStoredOrLogged(t *testing.T, b *bundle) {
	ctx := context.Background()

	var all []payments.Payment
	for _, number := range testCards {
		for _, typed := range []string{number, spaced(number, " "), spaced(number, "-")} {
			for _, mode := range []payments.CaptureMode{payments.CaptureReserve, payments.CaptureImmediate} {
				n := b.Payment(b.merchant, typed, amount)
				n.CaptureMode = mode
				n.Description = "Order paid with card ending " + number[12:]
				p := b.Authorize(t, n)
				if p.Status == payments.StatusRequiresAction {
					b.Challenge(t, *p.NextActionURL, "1234", false)
				}
				all = append(all, p)
			}
		}
		n := b.Payment(b.merchant, number, amount)
		n.Initiator = payments.InitiatorMerchantMOTO
		all = append(all, b.Authorize(t, n))
	}
	// One the processor never sees, one the processor never answers in
	// time.
	bad := b.Payment(b.merchant, "4242424242424241", amount)
	_, err := b.Service.Authorize(ctx, bad)
	requireFault(t, err, payments.ErrInvalidCardNumber)

	// Settle everything, then take the money on what was authorized.
	b.Settle(t)
	for _, p := range all {
		p = b.WaitFor(t, p, func(q payments.Payment) bool {
			return q.Status != payments.StatusPending && q.Status != payments.StatusRequiresAction
		}, "a settled status")
		switch p.Status {
		case payments.StatusAuthorized:
			_, err := b.capture(p, 1000)
			require.NoError(t, err)
		case payments.StatusCaptured:
			_, err := b.refund(p, 500)
			require.NoError(t, err)
		}
	}
	b.Settle(t)

	dump := pgDump(t, b.DBURL)
	// The dump holds the data: the payments, their last four digits.
	require.Contains(t, dump, "COPY public.payments")
	require.Contains(t, dump, all[0].ID.String())
	require.Contains(t, dump, "simulator_tokens")
	for _, n := range testCards {
		require.Contains(t, dump, "\t"+n[12:]+"\t", "last 4 of %s", n)
	}
	require.Contains(t, b.Logs.String(), "simulator: authorization")

	require.Empty(t, findCards(dump), "card numbers in the database dump")
	require.Empty(t, findCards(b.Logs.String()), "card numbers in the logs")
}

func spaced(number, sep string) string {
	var parts []string
	for i := 0; i < len(number); i += 4 {
		parts = append(parts, number[i:min(i+4, len(number))])
	}
	return strings.Join(parts, sep)
}

// pgDump dumps the database at url with the cluster's own pg_dump.
func pgDump(t *testing.T, url string) string {
	t.Helper()
	bin := ""
	if dir, err := pgcluster.FindBinDir(); err == nil {
		bin = filepath.Join(dir, "pg_dump")
	}
	if bin == "" || !executable(bin) {
		p, err := exec.LookPath("pg_dump")
		require.NoError(t, err, "pg_dump not found")
		bin = p
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "--no-owner", "--dbname="+url).Output()
	if ee, ok := err.(*exec.ExitError); ok {
		t.Fatalf("pg_dump: %v: %s", err, ee.Stderr)
	}
	require.NoError(t, err)
	return string(out)
}

func executable(path string) bool {
	_, err := exec.LookPath(path)
	return err == nil
}
