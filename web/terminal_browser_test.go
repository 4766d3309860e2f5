package web_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"kassa/auth"
	"kassa/kassatest"
)

// staffTab is a person at their own browser: a separate browser context,
// so their cookies (session) are theirs alone.
type staffTab struct {
	ctx   context.Context
	staff kassatest.Staff
	e     *kassatest.Env
}

func openTab(t *testing.T, browser context.Context, e *kassatest.Env, s kassatest.Staff) *staffTab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	require.NoError(t, chromedp.Do(ctx))
	return &staffTab{ctx: ctx, staff: s, e: e}
}

// do runs browser steps with a bound, failing t with a screenshot.
func (b *staffTab) do(t *testing.T, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.screenshot(t, "failed-"+strings.ReplaceAll(what, " ", "-")+".png")
		t.Fatalf("%s (%s): %v", what, b.staff.Email, err)
	}
}

func (b *staffTab) text(t *testing.T, sel string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	require.NoError(t, err, "text of %s", sel)
	return strings.TrimSpace(s)
}

func (b *staffTab) value(t *testing.T, sel string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(sel)))
	require.NoError(t, err, "value of %s", sel)
	return s
}

func (b *staffTab) eval(t *testing.T, js string) any {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[any](js))
	require.NoError(t, err, js)
	return v
}

func (b *staffTab) screenshot(t *testing.T, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Logf("screenshot %s: %v", name, err)
		return
	}
	p := kassatest.ArtifactPath(t, name)
	require.NoError(t, os.WriteFile(p, png, 0o644))
	t.Logf("screenshot: %s", p)
}

func (b *staffTab) login(t *testing.T) {
	t.Helper()
	b.do(t, "log in",
		chromedp.Navigate(b.e.URL+"/terminal"),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), b.staff.Email),
		chromedp.SendKeys(chromedp.CSS("#password"), b.staff.Password),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS("#charge")),
	)
}

// charge fills and submits the terminal's form and waits for the answer.
func (b *staffTab) charge(t *testing.T, amount, card string, reserve bool, fields map[string]string) {
	t.Helper()
	steps := []chromedp.Action[chromedp.Void]{
		chromedp.Navigate(b.e.URL + "/terminal"),
		chromedp.WaitVisible(chromedp.CSS("#charge")),
		chromedp.SendKeys(chromedp.CSS("#amount"), amount),
	}
	for id, v := range fields {
		steps = append(steps, chromedp.SendKeys(chromedp.CSS("#"+id), v))
	}
	if reserve {
		steps = append(steps, chromedp.Click(chromedp.CSS(`input[name="captureMode"][value="RESERVE"]`)))
	}
	steps = append(steps,
		chromedp.SendKeys(chromedp.CSS("#cardNumber"), card),
		chromedp.SendKeys(chromedp.CSS("#expiry"), kassatest.Expiry()),
		chromedp.SendKeys(chromedp.CSS("#cvc"), "123"),
		chromedp.Click(chromedp.CSS("#charge-button")),
		chromedp.WaitVisible(chromedp.CSS("#outcome, #error")),
	)
	b.do(t, "take a payment of "+amount, steps...)
}

// paymentID is the payment of the result page shown.
func (b *staffTab) paymentID(t *testing.T) uuid.UUID {
	t.Helper()
	loc, err := chromedp.Run(b.ctx, chromedp.Location())
	require.NoError(t, err)
	i := strings.Index(loc, "/terminal/payments/")
	require.GreaterOrEqual(t, i, 0, "not on a payment's page: %s", loc)
	return uuid.MustParse(loc[i+len("/terminal/payments/"):][:36])
}

// listed is the payments in the list shown, newest first.
func (b *staffTab) listed(t *testing.T) []string {
	t.Helper()
	v := b.eval(t, `Array.from(document.querySelectorAll("#payments tbody tr")).map(r => r.dataset.payment)`)
	var out []string
	if list, ok := v.([]any); ok {
		for _, x := range list {
			out = append(out, fmt.Sprint(x))
		}
	}
	return out
}

// TestTerminalInBrowser: two staff members, logged in at the same time in
// their own browsers, take payments side by side. Anna (SALES) is
// approved once and declined once; Bertil (ADMIN) reserves and later
// captures from the list. Each sees their own list, Bertil also everyone's,
// and the audit trail names who did what. Screenshots go to
// test-artifacts/.
func TestTerminalInBrowser(t *testing.T) {
	t.Parallel()
	e := kassatest.Start(t)
	browser := kassatest.Chromium(t, "")
	anna := openTab(t, browser, e, e.AddStaff(t, "Anna Andersson", "anna@snickeri.test", auth.RoleSales))
	bertil := openTab(t, browser, e, e.AddStaff(t, "Bertil Berg", "bertil@snickeri.test", auth.RoleAdmin))
	anna.login(t)
	bertil.login(t)

	var annaApproved, annaDeclined, bertilReserved uuid.UUID
	t.Run("Side by side", func(t *testing.T) {
		t.Run("Anna", func(t *testing.T) {
			t.Parallel()
			anna.do(t, "phone-sized screen", chromedp.EmulateViewport(390, 844), chromedp.Navigate(e.URL+"/terminal"),
				chromedp.WaitVisible(chromedp.CSS("#charge")))
			require.Equal(t, true, anna.eval(t, `document.documentElement.scrollWidth <= window.innerWidth`),
				"the terminal fits a phone's width")
			anna.screenshot(t, "terminal-phone.png")
			anna.do(t, "desktop", chromedp.EmulateViewport(1280, 1000))

			anna.charge(t, "1 234,50", "4242 4242 4242 4242", false, map[string]string{
				"description": "Telefonorder, matbord", "customerEmail": "kund@example.com"})
			require.Equal(t, "Approved and charged", anna.text(t, "#outcome"))
			require.Equal(t, "1\u00a0234,50\u00a0kr", anna.text(t, "#amount"))
			require.Equal(t, "Visa •••• 4242", anna.text(t, "#card"))
			annaApproved = anna.paymentID(t)
			anna.screenshot(t, "terminal-approved.png")

			anna.do(t, "open the receipt", chromedp.Click(chromedp.CSS("#receipt")), chromedp.WaitVisible(chromedp.CSS("article.receipt")))
			receipt := strings.ToLower(anna.text(t, "article.receipt"))
			for _, want := range []string{"snickeri nord ab", "kvitto", "1\u00a0234,50\u00a0kr", "betald", "visa •••• 4242", "telefonorder, matbord", "anna"} {
				require.Contains(t, receipt, want)
			}
			require.Equal(t, false, anna.eval(t, `document.getElementById("print").hidden`), "the print button works with the script")
			anna.screenshot(t, "terminal-receipt.png")

			anna.charge(t, "99", "4000 0000 0000 0002", false, map[string]string{"description": "Mässa"})
			require.Contains(t, anna.text(t, "#error"), "Declined: the card was declined")
			require.Equal(t, "99", anna.value(t, "#amount"), "the form is kept")
			require.Equal(t, "Mässa", anna.value(t, "#description"))
			require.Empty(t, anna.value(t, "#cardNumber"), "but not the card number")
			require.Empty(t, anna.value(t, "#cvc"))
			anna.screenshot(t, "terminal-declined.png")
			var id uuid.UUID
			require.NoError(t, e.SQL.Get(&id, `SELECT id FROM payments WHERE status = 'FAILED' AND amount = 9900`))
			annaDeclined = id
		})
		t.Run("Bertil", func(t *testing.T) {
			t.Parallel()
			bertil.charge(t, "250", "5555 5555 5555 4444", true, map[string]string{"description": "Reservation, leverans fredag"})
			require.Equal(t, "Approved and reserved", bertil.text(t, "#outcome"))
			require.Equal(t, "250,00\u00a0kr", bertil.text(t, "#amount"))
			require.Equal(t, "Mastercard •••• 4444", bertil.text(t, "#card"))
			bertilReserved = bertil.paymentID(t)

			bertil.do(t, "capture from the list",
				chromedp.Navigate(e.URL+"/terminal"),
				chromedp.WaitVisible(chromedp.CSS(`tr[data-payment="`+bertilReserved.String()+`"] button.capture`)),
				chromedp.Click(chromedp.CSS(`tr[data-payment="`+bertilReserved.String()+`"] button.capture`)),
				chromedp.WaitVisible(chromedp.CSS("#notice")),
			)
			require.Contains(t, bertil.text(t, "#notice"), "captured")
			require.Equal(t, "Charged", bertil.text(t, `tr[data-payment="`+bertilReserved.String()+`"] .status`))
		})
	})

	t.Run("EachSeesTheirOwnList", func(t *testing.T) {
		anna.do(t, "Anna's list", chromedp.Navigate(e.URL+"/terminal"), chromedp.WaitVisible(chromedp.CSS("#payments")))
		require.Equal(t, []string{annaDeclined.String(), annaApproved.String()}, anna.listed(t))
		require.Equal(t, false, anna.eval(t, `!!document.getElementById("tab-all")`), "SALES have no all-staff list")
		anna.screenshot(t, "terminal-list-mine.png")

		bertil.do(t, "Bertil's list", chromedp.Navigate(e.URL+"/terminal"), chromedp.WaitVisible(chromedp.CSS("#payments")))
		require.Equal(t, []string{bertilReserved.String()}, bertil.listed(t))

		bertil.do(t, "all staff", chromedp.Click(chromedp.CSS("#tab-all")), chromedp.WaitVisible(chromedp.CSS(`#tab-all[aria-current="page"]`)))
		require.ElementsMatch(t, []string{annaDeclined.String(), annaApproved.String(), bertilReserved.String()}, bertil.listed(t))
		require.Equal(t, "Anna Andersson", bertil.text(t, `tr[data-payment="`+annaApproved.String()+`"] .staff`))
		require.Equal(t, "Bertil Berg", bertil.text(t, `tr[data-payment="`+bertilReserved.String()+`"] .staff`))
		bertil.screenshot(t, "terminal-list-all.png")
	})

	t.Run("AuditTrailNamesTheRightPerson", func(t *testing.T) {
		var out struct {
			AuditEvents struct {
				Edges []struct {
					Node struct {
						Action  string
						Actor   *struct{ Email string }
						Payment *struct{ ID string }
					} `json:"node"`
				} `json:"edges"`
			} `json:"auditEvents"`
		}
		e.GraphQL(t, `{ auditEvents(first: 20) { edges { node { action actor { email } payment { id } } } } }`, nil).Decode(t, &out)
		got := map[string]string{}
		for _, ed := range out.AuditEvents.Edges {
			n := ed.Node
			require.NotNil(t, n.Actor, "%s has no actor", n.Action)
			got[n.Payment.ID+" "+n.Action] = n.Actor.Email
		}
		require.Equal(t, map[string]string{
			kassatest.PaymentGlobalID(annaApproved) + " payment.created":    "anna@snickeri.test",
			kassatest.PaymentGlobalID(annaDeclined) + " payment.created":    "anna@snickeri.test",
			kassatest.PaymentGlobalID(bertilReserved) + " payment.created":  "bertil@snickeri.test",
			kassatest.PaymentGlobalID(bertilReserved) + " payment.captured": "bertil@snickeri.test",
		}, got)
	})

	t.Run("NoCardInLogsOrDump", func(t *testing.T) {
		e.ScanForCards(t, kassatest.CardOK, kassatest.CardDeclined, kassatest.CardMastercard)
	})
}
