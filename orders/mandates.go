package orders

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"kassa/db"
	"kassa/fault"
	"kassa/gid"
	"kassa/money"
	"kassa/payments"
	"kassa/text"
)

// MandateOrder is what NewMandateOrderTx takes: an order the customer pays
// through a link whose payment stores the card as a mandate (a
// subscription's first payment, a card update, a failed invoice paid with
// another card).
type MandateOrder struct {
	Order     NewOrder
	ExpiresAt time.Time
}

// NewMandateOrderTx creates the order and its single-use link in the
// caller's transaction. The order is sent (CONFIRMATION_SENT) at once:
// the link is the confirmation.
func (s *Service) NewMandateOrderTx(ctx context.Context, tx *sqlx.Tx, actor payments.Actor, merchantID gid.MerchantID, m MandateOrder) (Order, Link, error) {
	lines, tot, err := m.Order.normalize()
	if err != nil {
		return Order{}, Link{}, err
	}
	o, err := s.CreateTx(ctx, tx, actor, merchantID, "", m.Order, lines, tot)
	if err != nil {
		return Order{}, Link{}, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE orders SET status = 'CONFIRMATION_SENT' WHERE id = $1`, o.ID); err != nil {
		return Order{}, Link{}, err
	}
	o.Status = StatusConfirmationSent
	exp := m.ExpiresAt.UTC()
	desc := ""
	if len(lines) > 0 {
		desc = lines[0].Description
	}
	l := Link{MerchantID: merchantID, ID: uuid.Must(uuid.NewV7()), Token: newLinkToken(), Kind: LinkAmount, Status: LinkActive,
		OrderID: &o.ID, Amount: o.GrossTotal, Currency: o.Currency, Description: desc, CustomerEmail: o.CustomerEmail,
		CaptureMode: o.CaptureMode, SaveMandate: true, ExpiresAt: &exp, CreatedByUser: actor.UserID, CreatedByAPIKey: actor.APIKeyID,
		CreatedAt: s.now().UTC()}
	if len(lines) > 0 {
		l.VATRate = lines[0].VATRate
	}
	return o, l, insertLink(ctx, tx, l)
}

// LinkURL is the public URL of a link's token.
func (s *Service) LinkURL(token string) string { return s.cfg.PublicURL + "/pay/" + token }

// MandateTerms are what a customer agrees to when a payment stores their
// card for later charges without them: card-network rules for stored
// credentials require them shown before the payment and kept with the
// consent. Billing, which knows the plan, fills them in; they are stored
// as JSON with the consent, so a receipt or a dispute shows what was
// agreed, not what the plan says today.
type MandateTerms struct {
	Kind      string        `json:"kind"`           // the plan's kind (billing.PlanKind), which words the charges
	Plan      string        `json:"plan,omitempty"` // the plan's own name, if it has one
	Currency  string        `json:"currency"`
	Amount    int64         `json:"amount,omitempty"`    // a fixed amount charged each interval
	Interval  string        `json:"interval,omitempty"`  // MONTHLY, QUARTERLY, SEMIANNUAL or YEARLY
	UnitPrice int64         `json:"unitPrice,omitempty"` // metered, without tiers
	Tiers     []MandateTier `json:"tiers,omitempty"`     // metered, graduated
	// Today is what this payment takes; TodayIsCheck says it is only
	// reserved to check the card and released again.
	Today        int64      `json:"today"`
	TodayIsCheck bool       `json:"todayIsCheck"`
	NextChargeAt *time.Time `json:"nextChargeAt,omitempty"` // nil for plans charged by hand
	TimeZone     string     `json:"timeZone"`
	// Merchant and its support contact: how the customer cancels.
	Merchant     string `json:"merchant"`
	SupportEmail string `json:"supportEmail,omitempty"`
	SupportPhone string `json:"supportPhone,omitempty"`
}

// MandateTier is a price tier of a metered plan.
type MandateTier struct {
	UpTo      *int64 `json:"upTo,omitempty"`
	UnitPrice int64  `json:"unitPrice"`
	FlatFee   int64  `json:"flatFee,omitempty"`
}

func (m MandateTerms) money(a int64, lang string) string {
	return money.Format(money.Money{Amount: a, Currency: m.Currency}, lang)
}

// MandateCharges words what a merchant charges the card under mandate
// terms m, after "charges it" / "drar", in lang; mine speaks as the
// customer ("my usage").
type MandateCharges func(m MandateTerms, lang string, mine bool) string

// mandateCharges is the wording of each plan kind, registered by the
// package that owns the kinds (billing): orders shows the terms, stored
// ones included, without knowing what a kind means.
var mandateCharges = map[string]MandateCharges{}

// RegisterMandateCharges sets how terms of plan kind kind word their
// charges. It is called from init functions, before any terms are shown.
func RegisterMandateCharges(kind string, w MandateCharges) {
	mandateCharges[kind] = w
}

// charges is what the merchant charges the card, as the terms' kind words
// it; mine speaks as the customer.
func (m MandateTerms) charges(lang string, mine bool) string {
	w, ok := mandateCharges[m.Kind]
	if !ok {
		// Only a kind no longer known: its amount, if any, is still what
		// the customer agreed to.
		return m.money(m.Amount, lang)
	}
	return w(m, lang, mine)
}

// Date is a day in the terms' time zone, written for lang.
func (m MandateTerms) Date(t time.Time, lang string) string {
	loc, err := time.LoadLocation(m.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	if lang == "en" {
		return t.In(loc).Format("2 January 2006")
	}
	return t.In(loc).Format("2006-01-02")
}

// planName names the plan, when the merchant gave it a name.
func (m MandateTerms) planName() string {
	if m.Plan == "" {
		return ""
	}
	return " (" + m.Plan + ")"
}

// contact is how to reach the merchant: support email and phone.
func (m MandateTerms) contact() string {
	var c []string
	for _, s := range []string{m.SupportEmail, m.SupportPhone} {
		if s != "" {
			c = append(c, s)
		}
	}
	if len(c) == 0 {
		return ""
	}
	return " (" + strings.Join(c, ", ") + ")"
}

// nextCharge and cancel are lines both the disclosure and the summary
// after payment show.
func (m MandateTerms) nextCharge(lang string) string {
	if m.NextChargeAt == nil {
		return ""
	}
	if lang == "en" {
		return "Next charge: " + m.Date(*m.NextChargeAt, lang) + "."
	}
	return "Nästa dragning: " + m.Date(*m.NextChargeAt, lang) + "."
}

func (m MandateTerms) cancel(lang string) string {
	if lang == "en" {
		return fmt.Sprintf("To cancel, contact %s%s.", m.Merchant, m.contact())
	}
	return fmt.Sprintf("Du säger upp abonnemanget genom att kontakta %s%s.", m.Merchant, m.contact())
}

// Disclosure is what the payment page shows before the card form, in
// lang ("sv" or "en"): that this is a subscription, what is charged and
// how often, what is charged today, the next charge, how to cancel.
func (m MandateTerms) Disclosure(lang string) []string {
	var out []string
	if lang == "en" {
		out = append(out, fmt.Sprintf("This is a subscription%s: %s stores your card and charges it %s until you cancel.", m.planName(), m.Merchant, m.charges(lang, false)))
		if m.TodayIsCheck {
			out = append(out, fmt.Sprintf("Nothing is charged today: %s is reserved to check the card and released at once.", m.money(m.Today, lang)))
		} else {
			out = append(out, fmt.Sprintf("First charge: %s today.", m.money(m.Today, lang)))
		}
	} else {
		out = append(out, fmt.Sprintf("Det här är ett abonnemang%s: %s sparar ditt kort och drar %s tills du säger upp det.", m.planName(), m.Merchant, m.charges(lang, false)))
		if m.TodayIsCheck {
			out = append(out, fmt.Sprintf("I dag dras ingenting: %s reserveras för att kontrollera kortet och släpps direkt.", m.money(m.Today, lang)))
		} else {
			out = append(out, fmt.Sprintf("Första dragningen: %s i dag.", m.money(m.Today, lang)))
		}
	}
	if n := m.nextCharge(lang); n != "" {
		out = append(out, n)
	}
	return append(out, m.cancel(lang))
}

// Agreement is the label of the checkbox the customer ticks to consent.
func (m MandateTerms) Agreement(lang string) string {
	if lang == "en" {
		return fmt.Sprintf("I agree that %s stores my card and charges it %s until I cancel.", m.Merchant, m.charges(lang, true))
	}
	return fmt.Sprintf("Jag godkänner att %s sparar mitt kort och drar %s tills jag säger upp abonnemanget.", m.Merchant, m.charges(lang, true))
}

// Text is the whole text the customer consents to, as shown: the
// disclosure and the checkbox's label, one per line. It is what is
// stored as evidence.
func (m MandateTerms) Text(lang string) string {
	return strings.Join(append(m.Disclosure(lang), m.Agreement(lang)), "\n")
}

// Saved is what the success page and the receipt say once the card is
// stored: for which subscription, what is charged and how often, the
// next charge, how to cancel.
func (m MandateTerms) Saved(lang string) []string {
	var out []string
	if lang == "en" {
		out = append(out, fmt.Sprintf("Your card has been saved for the subscription%s: %s charges it %s until you cancel.", m.planName(), m.Merchant, m.charges(lang, false)))
	} else {
		out = append(out, fmt.Sprintf("Ditt kort är sparat för abonnemanget%s: %s drar %s tills du säger upp det.", m.planName(), m.Merchant, m.charges(lang, false)))
	}
	if n := m.nextCharge(lang); n != "" {
		out = append(out, n)
	}
	return append(out, m.cancel(lang))
}

// MandateConsent is a customer's consent to a mandate, as the payment
// page took it.
type MandateConsent struct {
	// PaymentID is the payment the consent goes with (the attempt's id,
	// known before the processor is called).
	PaymentID     gid.PaymentID
	Terms         MandateTerms
	Lang          string // the language the text was shown in
	IP, UserAgent string
}

// recordMandateConsentTx stores the consent given on link l's payment
// page, with the exact text shown, in the transaction that starts the
// payment (StartCheckout), so no card is sent to the processor without it.
// Recording the same payment's consent again (the form submitted twice)
// keeps the first.
//
// Errors: code NO_MANDATE when the link stores no card.
func (s *Service) recordMandateConsentTx(ctx context.Context, tx *sqlx.Tx, l Link, c MandateConsent) error {
	if !l.SaveMandate || l.OrderID == nil {
		return fault.New(ErrNoMandate, "this payment link does not store a card")
	}
	if c.Lang != "en" {
		c.Lang = "sv"
	}
	terms, err := json.Marshal(c.Terms)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `
		INSERT INTO mandate_consents (merchant_id, id, order_id, payment_link_id, payment_id, lang, text, terms, accepted_at, accepted_ip, accepted_user_agent)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		ON CONFLICT ON CONSTRAINT mandate_consents_payment_key DO NOTHING`,
		l.MerchantID, uuid.Must(uuid.NewV7()), *l.OrderID, l.ID, c.PaymentID, c.Lang, c.Terms.Text(c.Lang), terms,
		s.now().UTC(), text.Clean(c.IP, 64), text.Clean(c.UserAgent, 300))
	return err
}

// AcceptedMandate is a stored consent.
type AcceptedMandate struct {
	Terms      MandateTerms
	Lang, Text string
	AcceptedAt time.Time
}

type consentRow struct {
	Lang       string    `db:"lang"`
	Text       string    `db:"text"`
	Terms      []byte    `db:"terms"`
	AcceptedAt time.Time `db:"accepted_at"`
}

func mandateOfPayment(ctx context.Context, tx *sqlx.Tx, paymentID gid.PaymentID) (AcceptedMandate, bool, error) {
	var r consentRow
	err := tx.GetContext(ctx, &r, `SELECT lang, text, terms, accepted_at FROM mandate_consents WHERE payment_id = $1`, paymentID)
	if db.IsNoRows(err) {
		return AcceptedMandate{}, false, nil
	}
	if err != nil {
		return AcceptedMandate{}, false, err
	}
	a := AcceptedMandate{Lang: r.Lang, Text: r.Text, AcceptedAt: r.AcceptedAt}
	return a, true, json.Unmarshal(r.Terms, &a.Terms)
}

// MandateOfPayment returns the consent a payment was made with, if any.
func (s *Service) MandateOfPayment(ctx context.Context, merchantID gid.MerchantID, paymentID gid.PaymentID) (AcceptedMandate, bool, error) {
	var a AcceptedMandate
	var ok bool
	err := s.db.InTenant(ctx, merchantID, func(tx *sqlx.Tx) error {
		var err error
		a, ok, err = mandateOfPayment(ctx, tx, paymentID)
		return err
	})
	return a, ok, err
}

// MerchantContactTx is the merchant's name and support contact as its
// branding presents them (how a customer reaches it to cancel), for the
// merchant of tx.
func (s *Service) MerchantContactTx(ctx context.Context, tx *sqlx.Tx) (name, email, phone string, err error) {
	m, err := s.merchantInfo(ctx, tx)
	if err != nil {
		return "", "", "", err
	}
	return m.Name, m.Brand.SupportEmail, m.Brand.SupportPhone, nil
}
