package web_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"kassa/auth"
	"kassa/kassatest"
)

// TestDashboardTeamInviteAndLimit: an owner's invitation with an address
// that is not one shows the message beside Email and keeps what was typed;
// corrected, the invitee is an INVITED SALES member, shown with the invite
// link as a fallback. A limit that is not an amount is refused beside its
// field; a real one is stored for the member.
func TestDashboardTeamInviteAndLimit(t *testing.T) {
	t.Parallel()
	e := kassatest.Start(t)
	browser := kassatest.Chromium(t, "en-GB")
	d := e.OpenDashboard(t, browser, e.Owner)

	d.Click(t, "Team", 0)
	d.WaitText(t, "Invite someone")
	d.Fill(t, "Email", 0, "not-an-email")
	d.Fill(t, "Name", 0, "Sam Säljare")
	d.Choose(t, "Role", 0, "SALES")
	d.Click(t, "Invite", 0)
	require.Contains(t, d.WaitFieldError(t, "Email", 0), "not a valid address")
	require.Equal(t, "not-an-email", d.Value(t, "Email", 0), "what was typed stays")
	require.Equal(t, "Sam Säljare", d.Value(t, "Name", 0))
	require.Equal(t, "SALES", d.Value(t, "Role", 0))

	d.Fill(t, "Email", 0, "sam@snickeri.test")
	d.Click(t, "Invite", 0)
	d.WaitText(t, "An invitation was emailed to sam@snickeri.test.")
	d.WaitText(t, "/invite/")
	require.True(t, d.Has(t, "Copy invite link"))
	require.Equal(t, 1, e.Count(t, `SELECT count(*) FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE m.merchant_id = $1 AND lower(u.email) = 'sam@snickeri.test' AND m.status = 'INVITED' AND m.role = 'SALES'`, e.Merchant.Merchant.ID))
	d.WaitText(t, "Invited")

	d.Click(t, "Manage Sam Säljare", 0)
	d.WaitText(t, "Limit per payment at the terminal")
	d.Fill(t, "Most per payment", 0, "fem tusen")
	d.Click(t, "Save limit", 0)
	require.Contains(t, d.WaitFieldError(t, "Most per payment", 0), "Write an amount")
	require.Equal(t, "fem tusen", d.Value(t, "Most per payment", 0))

	d.Fill(t, "Most per payment", 0, "5000")
	d.Click(t, "Save limit", 0)
	d.WaitText(t, "The limit is now")
	require.Equal(t, 1, e.Count(t, `SELECT count(*) FROM terminal_user_limits l JOIN users u ON u.id = l.user_id
		WHERE l.merchant_id = $1 AND lower(u.email) = 'sam@snickeri.test' AND l.max_amount = 500000 AND l.currency = 'SEK'`, e.Merchant.Merchant.ID))
	d.WaitText(t, "Set a payment limit for Sam Säljare")

	d.Click(t, "Deactivate", 0)
	d.WaitText(t, "Sam Säljare was deactivated.")
	require.Equal(t, 1, e.Count(t, `SELECT count(*) FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE m.merchant_id = $1 AND lower(u.email) = 'sam@snickeri.test' AND m.status = 'DEACTIVATED'`, e.Merchant.Merchant.ID))

	// Only owners manage owners: the server refuses an admin, and the page says why.
	da := e.OpenDashboard(t, browser, e.AddStaff(t, "Adam Admin", "adam@snickeri.test", auth.RoleAdmin))
	da.Go(t, "/team")
	da.Click(t, "Manage Olga Owner", 0)
	da.Choose(t, "New role", 0, "SALES")
	da.Click(t, "Change role", 0)
	da.WaitText(t, "Only an owner may make someone an owner or change or deactivate an owner.")
	require.Equal(t, 1, e.Count(t, `SELECT count(*) FROM memberships WHERE merchant_id = $1 AND user_id = $2 AND role = 'OWNER'`,
		e.Merchant.Merchant.ID, e.Owner.ID))

	d.Do(t, "phone", chromedp.EmulateViewport(390, 844))
	require.True(t, d.FitsWidth(t), "the team page fits a phone")
	d.Screenshot(t, "team-phone.png")
}

// TestDashboardDevelopersKeysAndWebhooks: a new API key's secret is shown
// once and works; revoked, it no longer does, and it is not on the page
// again. A webhook endpoint with a bad URL keeps what was typed; a good
// one is stored and its signing secret shown once; an edit is saved.
func TestDashboardDevelopersKeysAndWebhooks(t *testing.T) {
	t.Parallel()
	var received atomic.Int32
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		received.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(receiver.Close)
	e := kassatest.Start(t, kassatest.WebhookAllowPrivate())
	browser := kassatest.Chromium(t, "en-GB")
	d := e.OpenDashboard(t, browser, e.Owner)

	d.Click(t, "Developers", 0)
	d.WaitText(t, "Getting started")
	d.WaitText(t, e.URL+"/graphql")

	d.Click(t, "Create API key", 0)
	require.Contains(t, d.WaitFieldError(t, "Key name", 0), "name must be")
	d.Fill(t, "Key name", 0, "Webshop")
	d.Click(t, "Create API key", 0)
	d.WaitText(t, "This is the only time the key is shown")
	secret, _ := d.Eval(t, `document.querySelector('[data-secret]').textContent`).(string)
	require.True(t, strings.HasPrefix(secret, "kassa_test_"), "secret %q", secret)
	r := e.GraphQLKey(t, secret, `{ viewer { apiKey { name } } }`, nil)
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Raw)
	require.Empty(t, r.Errors, "%s", r.Raw)
	require.Contains(t, string(r.Data), "Webshop")

	d.Click(t, "Revoke key Webshop", 0)
	d.WaitText(t, "The key Webshop was revoked.")
	r = e.GraphQLKey(t, secret, `{ viewer { apiKey { name } } }`, nil)
	require.True(t, r.Status == http.StatusUnauthorized || len(r.Errors) > 0, "a revoked key is refused: %d %s", r.Status, r.Raw)

	d.Click(t, "Team", 0)
	d.WaitText(t, "Invite someone")
	d.Click(t, "Developers", 0)
	d.WaitText(t, "Getting started")
	require.NotContains(t, d.Eval(t, `document.body.innerText`), secret, "the secret is gone once the page is left")

	d.Fill(t, "Endpoint URL", 0, "javascript:alert(1)")
	d.Fill(t, "Description", 0, "Our shop")
	check := d.Control(t, "order.paid", 0)
	d.Do(t, "tick order.paid", chromedp.Click(chromedp.CSS(check)))
	d.Do(t, "tick payment.captured", chromedp.Click(chromedp.CSS(d.Control(t, "payment.captured", 0))))
	d.Click(t, "Add endpoint", 0)
	require.NotEmpty(t, d.WaitFieldError(t, "Endpoint URL", 0))
	require.Equal(t, "javascript:alert(1)", d.Value(t, "Endpoint URL", 0), "what was typed stays")
	require.Equal(t, "Our shop", d.Value(t, "Description", 0))
	require.Equal(t, true, d.Eval(t, `document.querySelector('`+check+`').checked`), "the ticked event stays ticked")

	url := receiver.URL + "/hooks"
	d.Fill(t, "Endpoint URL", 0, url)
	d.Click(t, "Add endpoint", 0)
	d.WaitText(t, "This is the only time the secret is shown")
	hookSecret, _ := d.Eval(t, `document.querySelector('[data-secret]').textContent`).(string)
	require.True(t, strings.HasPrefix(hookSecret, "whsec_"), "secret %q", hookSecret)
	require.Equal(t, 1, e.Count(t, `SELECT count(*) FROM webhook_endpoints WHERE merchant_id = $1 AND url = $2
		AND events = ARRAY['ORDER_PAID', 'PAYMENT_CAPTURED'] AND description = 'Our shop' AND status = 'ENABLED'`, e.Merchant.Merchant.ID, url))

	d.Click(t, "Edit "+url, 0)
	d.Fill(t, "Description", 0, "Our shop, v2")
	d.Click(t, "Save changes", 0)
	d.WaitText(t, "Saved.")
	require.Equal(t, 1, e.Count(t, `SELECT count(*) FROM webhook_endpoints WHERE merchant_id = $1 AND description = 'Our shop, v2'`, e.Merchant.Merchant.ID))

	// A captured payment is delivered; its delivery can be sent again.
	e.Query(t, `mutation($input: CreateTerminalPaymentInput!) { createTerminalPayment(input: $input) { payment { id } } }`,
		map[string]any{"input": map[string]any{"amount": 12500, "currency": "SEK",
			"card": map[string]any{"number": kassatest.CardOK, "expMonth": 12, "expYear": time.Now().Year() + 3, "cvc": "123"}}}, nil)
	kassatest.Eventually(t, 20*time.Second, "the delivery to succeed", func() bool {
		return e.Count(t, `SELECT count(*) FROM webhook_deliveries WHERE merchant_id = $1 AND status = 'SUCCEEDED'`, e.Merchant.Merchant.ID) == 1
	})
	d.Go(t, "/developers")
	d.WaitText(t, "Delivered")
	redeliver, _ := d.Eval(t, `[...document.querySelectorAll('button')].map((b) => b.getAttribute('aria-label') || '')
		.find((l) => l.startsWith('Redeliver payment.captured')) || ''`).(string)
	require.NotEmpty(t, redeliver)
	d.Click(t, redeliver, 0)
	d.WaitText(t, "Sent again.")
	kassatest.Eventually(t, 20*time.Second, "the delivery sent again", func() bool { return received.Load() == 2 })

	d.Click(t, "Rotate the secret of "+url, 0)
	rotated := ""
	kassatest.Eventually(t, 10*time.Second, "the new signing secret", func() bool {
		rotated, _ = d.Eval(t, `document.querySelector('[data-secret]')?.textContent || ''`).(string)
		return strings.HasPrefix(rotated, "whsec_") && rotated != hookSecret
	})

	d.Do(t, "phone", chromedp.EmulateViewport(390, 844))
	require.True(t, d.FitsWidth(t), "the developers page fits a phone")
	d.Screenshot(t, "developers-phone.png")

	d.Click(t, "Delete "+url, 0)
	d.WaitText(t, "No webhook endpoints yet.")
	require.Equal(t, 0, e.Count(t, `SELECT count(*) FROM webhook_endpoints WHERE merchant_id = $1`, e.Merchant.Merchant.ID))
}

// TestDashboardSalesHasNoTeamOrDevelopers: a SALES member's menu has no
// Team, Developers or Settings, and opening /team or /developers says why
// instead of showing the forms.
func TestDashboardSalesHasNoTeamOrDevelopers(t *testing.T) {
	t.Parallel()
	e := kassatest.Start(t)
	browser := kassatest.Chromium(t, "en-GB")
	d := e.OpenDashboard(t, browser, e.AddStaff(t, "Sara Sälj", "sara@snickeri.test", auth.RoleSales))

	d.WaitText(t, "Orders")
	require.False(t, d.Has(t, "Team"))
	require.False(t, d.Has(t, "Developers"))
	require.False(t, d.Has(t, "Settings"))

	d.Go(t, "/team")
	d.WaitText(t, "Only owners and admins manage the team.")
	require.False(t, d.Has(t, "Invite"))
	d.Go(t, "/developers")
	d.WaitText(t, "Only owners and admins manage API keys and webhooks.")
	require.False(t, d.Has(t, "Create API key"))
}
