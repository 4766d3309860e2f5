package e2e

import (
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"kassa/kassatest"
)

// createSubscription creates a subscription through the API and returns
// its id and first-payment link.
func (e *env) createSubscription(t *testing.T, email, locale string, plan map[string]any) (string, string) {
	t.Helper()
	var out struct {
		Create struct {
			Subscription *struct{ ID string }  `json:"subscription"`
			PaymentLink  *struct{ URL string } `json:"paymentLink"`
			UserErrors   []userError           `json:"userErrors"`
		} `json:"createSubscription"`
	}
	e.Query(t, `mutation($in: CreateSubscriptionInput!) { createSubscription(input: $in) {
		subscription { id } paymentLink { url } userErrors { field message code } } }`,
		map[string]any{"in": map[string]any{"customer": map[string]any{"name": "Anna Andersson", "email": email, "locale": locale}, "plan": plan}}, &out)
	require.Empty(t, out.Create.UserErrors)
	require.NotNil(t, out.Create.PaymentLink)
	return out.Create.Subscription.ID, out.Create.PaymentLink.URL
}

// setSupport gives the merchant a support contact: how its customers
// cancel.
func (e *env) setSupport(t *testing.T, email, phone string) {
	t.Helper()
	var out struct {
		Update struct {
			UserErrors []userError `json:"userErrors"`
		} `json:"updateBranding"`
	}
	e.Query(t, `mutation($in: UpdateBrandingInput!) { updateBranding(input: $in) { userErrors { field message code } } }`,
		map[string]any{"in": map[string]any{"supportEmail": email, "supportPhone": phone}}, &out)
	require.Empty(t, out.Update.UserErrors)
}

// paragraphs are the texts of the <p> elements inside the element with
// id in body, unescaped.
func paragraphs(t *testing.T, body, id string) []string {
	t.Helper()
	i := strings.Index(body, `id="`+id+`"`)
	require.GreaterOrEqual(t, i, 0, "no #%s in:\n%s", id, body)
	section := body[i:]
	section = section[:strings.Index(section, "</section>")]
	var out []string
	for _, m := range regexp.MustCompile(`<p>([^<]*)</p>`).FindAllStringSubmatch(section, -1) {
		out = append(out, html.UnescapeString(m[1]))
	}
	return out
}

// TestSubscriptionFirstPayment: a subscription's first payment tells the
// customer it is one, and takes their consent to store and charge the
// card. createSubscription emails the link; the page shows the recurring
// amount, interval, next charge and how to cancel; posting without the
// consent is refused (422, the message by the checkbox, the form kept
// but for the card number and CVC) and charges nothing; with it, the
// consent (time, IP, browser, the exact text) is stored before the card
// is charged, and the success page and the receipt say the card was
// saved for the subscription.
func TestSubscriptionFirstPayment(t *testing.T) {
	t.Parallel()
	e := setup(t, kassatest.StartMailpit(t))
	e.setSupport(t, "kundtjanst@snickeri.test", "08-123 45 67")
	email := customerEmail("abonnent")
	subID, link := e.createSubscription(t, email, "sv", map[string]any{"kind": "FIXED", "amount": 9900, "interval": "MONTHLY"})

	// The email: the link, and what the customer will be asked to agree to.
	mail := e.mail.WaitTo(t, email, "Ditt abonnemang hos Snickeri Nord AB", 1)
	msg := e.mail.Message(t, mail[0].ID)
	require.Equal(t, link, payLinkRe.FindString(msg.Text))
	require.Contains(t, msg.Text, "99,00\u00a0kr varje månad")
	require.Contains(t, msg.HTML, link)

	// The page: the disclosure and the checkbox.
	c := newCustomer(t)
	f, p := c.open(t, link)
	terms := paragraphs(t, p.body, "mandate-terms")
	require.Len(t, terms, 4, "%q", terms)
	require.Equal(t, "Det här är ett abonnemang: Snickeri Nord AB sparar ditt kort och drar 99,00\u00a0kr varje månad tills du säger upp det.", terms[0])
	require.Equal(t, "Första dragningen: 99,00\u00a0kr i dag.", terms[1])
	require.Regexp(t, `^Nästa dragning: \d{4}-\d{2}-\d{2}\.$`, terms[2])
	require.Equal(t, "Du säger upp abonnemanget genom att kontakta Snickeri Nord AB (kundtjanst@snickeri.test, 08-123 45 67).", terms[3])
	label := "Jag godkänner att Snickeri Nord AB sparar mitt kort och drar 99,00\u00a0kr varje månad tills jag säger upp abonnemanget."
	require.Contains(t, html.UnescapeString(p.body), label)
	require.Contains(t, p.body, `name="mandate"`)
	require.NotEmpty(t, f.hidden.Get("mandate_terms"))
	require.Equal(t, 1, strings.Count(msg.Text, terms[2]), "the email names the same next charge:\n%s", msg.Text)

	t.Run("WithoutConsentIsRefusedAndChargesNothing", func(t *testing.T) {
		v := f.values(cardOK)
		v.Del("mandate")
		refused := c.post(t, link, v)
		require.Equal(t, http.StatusUnprocessableEntity, refused.status, refused.body)
		require.Regexp(t, `id="mandate-label">[^<]*</span></label>\s*<p class="error" role="alert" id="mandate-error">Kryssa i rutan`, refused.body,
			"the message is by the checkbox")
		require.NotContains(t, refused.body, `id="error"`)
		require.Contains(t, refused.body, `value="Anna Andersson"`, "the form keeps the cardholder")
		require.Contains(t, refused.body, `value="`+expiry()+`"`, "and the expiry")
		require.NotContains(t, refused.body, "4242 4242", "but not the card number")
		require.NotContains(t, refused.body, "4242424242424242")
		require.NotContains(t, refused.body, `value="123"`, "nor the CVC")
		require.Zero(t, e.Count(t, `SELECT count(*) FROM payments`), "nothing was charged")
		require.Zero(t, e.Count(t, `SELECT count(*) FROM mandate_consents`))
		require.Zero(t, e.Count(t, `SELECT attempts FROM payment_links`), "no checkout was started")
	})

	t.Run("TermsChangedSinceShownAreShownAgain", func(t *testing.T) {
		f, _ := c.open(t, link)
		v := f.values(cardOK)
		v.Set("mandate", "yes")
		v.Set("mandate_terms", strings.Repeat("0", 32))
		refused := c.post(t, link, v)
		require.Equal(t, http.StatusUnprocessableEntity, refused.status, refused.body)
		require.Contains(t, refused.body, `id="mandate-error">Villkoren har ändrats`)
		require.Zero(t, e.Count(t, `SELECT count(*) FROM payments`))
	})

	// With the consent: paid, and the consent is on record.
	f, _ = c.open(t, link)
	v := f.values(cardOK)
	v.Set("mandate", "yes")
	done := c.waitDone(t, statusURLOf(t, link, c.post(t, link, v)))
	require.Contains(t, done.body, "Tack! Ditt kort är sparat för abonnemanget.")
	saved := paragraphs(t, done.body, "mandate")
	require.Equal(t, []string{
		"Ditt kort är sparat för abonnemanget: Snickeri Nord AB drar 99,00\u00a0kr varje månad tills du säger upp det.",
		terms[2], terms[3]}, saved)

	var consent struct {
		Text, Lang, IP, UA string
		PaymentStatus      string
		AcceptedAt         time.Time
		Before             bool
	}
	require.NoError(t, e.SQL.QueryRow(`
		SELECT c.text, c.lang, c.accepted_ip, c.accepted_user_agent, p.status, c.accepted_at, c.accepted_at <= p.created_at
		FROM mandate_consents c JOIN payments p ON p.id = c.payment_id AND p.order_id = c.order_id`).
		Scan(&consent.Text, &consent.Lang, &consent.IP, &consent.UA, &consent.PaymentStatus, &consent.AcceptedAt, &consent.Before))
	require.Equal(t, strings.Join(append(terms, label), "\n"), consent.Text, "the exact text shown")
	require.Equal(t, "sv", consent.Lang)
	require.Equal(t, "127.0.0.1", consent.IP)
	require.Equal(t, "Go-http-client/1.1", consent.UA)
	require.WithinDuration(t, time.Now(), consent.AcceptedAt, time.Minute)
	require.True(t, consent.Before, "the consent is recorded before the card goes to the processor")
	require.Equal(t, 1, e.Count(t, `SELECT count(*) FROM mandate_consents`))

	var sub struct {
		Node struct {
			Status        string
			NextBillingAt time.Time
		}
	}
	e.Query(t, `query($id: ID!) { node(id: $id) { ... on BillingSubscription { status nextBillingAt } } }`, map[string]any{"id": subID}, &sub)
	require.Equal(t, "ACTIVE", sub.Node.Status)
	stockholm, err := time.LoadLocation("Europe/Stockholm")
	require.NoError(t, err)
	require.Equal(t, "Nästa dragning: "+sub.Node.NextBillingAt.In(stockholm).Format("2006-01-02")+".", terms[2], "the next charge shown is the one billed")

	// The receipt says subscription, not a one-off purchase.
	receipt := e.mail.Message(t, e.mail.WaitTo(t, email, "Kvitto", 1)[0].ID)
	require.Contains(t, receipt.Text, "Abonnemang:")
	require.Contains(t, receipt.HTML, ">Abonnemang</h2>")
	for _, want := range saved {
		require.Contains(t, receipt.Text, want)
		require.Contains(t, html.UnescapeString(receipt.HTML), want)
	}
}

// TestSubscriptionFirstPaymentUsageInEnglish: a USAGE plan's first payment
// only checks the card; the English page and email say how usage is
// priced and that nothing is charged today.
func TestSubscriptionFirstPaymentUsageInEnglish(t *testing.T) {
	t.Parallel()
	e := setup(t, kassatest.StartMailpit(t))
	email := customerEmail("usage")
	_, link := e.createSubscription(t, email, "en", map[string]any{"kind": "USAGE", "unitPrice": 150, "interval": "MONTHLY"})

	msg := e.mail.Message(t, e.mail.WaitTo(t, email, "Your subscription with Snickeri Nord AB", 1)[0].ID)
	require.Equal(t, link, payLinkRe.FindString(msg.Text))

	c := newCustomer(t)
	_, p := c.open(t, link)
	terms := paragraphs(t, p.body, "mandate-terms")
	require.Len(t, terms, 4, "%q", terms)
	require.Equal(t, "This is a subscription: Snickeri Nord AB stores your card and charges it every month for your usage (SEK\u00a01.50 per unit) until you cancel.", terms[0])
	require.Equal(t, "Nothing is charged today: SEK\u00a01.00 is reserved to check the card and released at once.", terms[1])
	require.Regexp(t, `^Next charge: \d{1,2} [A-Z][a-z]+ \d{4}\.$`, terms[2])
	require.Equal(t, "To cancel, contact Snickeri Nord AB.", terms[3])
	require.Contains(t, html.UnescapeString(p.body), "I agree that Snickeri Nord AB stores my card and charges it every month for my usage (SEK\u00a01.50 per unit) until I cancel.")
	for _, term := range terms {
		require.Contains(t, msg.Text, term)
	}
}

// A link that would store a card for a subscription that has no terms any
// more (cancelled while a card-update link was still out) takes no card:
// with no terms to agree to, there is no consent to record.
func TestCardLinkOfACancelledSubscriptionTakesNoCard(t *testing.T) {
	t.Parallel()
	e := setup(t, kassatest.StartMailpit(t))
	subID, link := e.createSubscription(t, customerEmail("avslutad"), "sv", map[string]any{"kind": "FIXED", "amount": 9900, "interval": "MONTHLY"})
	c := newCustomer(t)
	f, _ := c.open(t, link)
	// Cancelled behind the link's back, as a dunning link outlives a
	// cancellation (cancelSubscription deactivates only the first one).
	_, err := e.SQL.Exec(`UPDATE subscriptions SET status = 'CANCELLED', cancelled_at = now() WHERE replace(id::text, '-', '') = $1`,
		strings.TrimPrefix(subID, "sub_"))
	require.NoError(t, err)
	payments := e.Count(t, `SELECT count(*) FROM payments`)

	v := f.values(cardOK)
	v.Set("mandate", "yes")
	p := c.post(t, link, v)
	require.Equal(t, http.StatusGone, p.status, p.body)
	require.Equal(t, http.StatusGone, c.get(t, link).status)
	require.Equal(t, payments, e.Count(t, `SELECT count(*) FROM payments`), "no card was sent to the processor")
	require.Zero(t, e.Count(t, `SELECT count(*) FROM mandate_consents`))
}
