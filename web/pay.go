package web

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"kassa/checkout"
	"kassa/fault"
	"kassa/gid"
	"kassa/money"
	"kassa/orders"
	"kassa/payments"
	"kassa/text"
)

// payLine is an order line as the payment page shows it.
type payLine struct {
	Description, UnitPrice, VAT, Gross string
	Quantity                           int64
}

type payVAT struct{ Percent, Net, VAT string }

// payView is everything the payment page template needs, formatted.
type payView struct {
	Lang, OtherLang, Title, CSRF, Token string
	MerchantName, Heading, OrderLabel   string
	Lines                               []payLine
	VAT                                 []payVAT
	Net, Total                          string
	ShowAccept, AskEmail, Reserve       bool
	Accepted                            bool
	Email, Holder, Expiry               string
	Attempt, Checkout                   string
	Error                               string
	// Brand is the merchant's look; CancelURL, for a webshop checkout,
	// leads back to the shop.
	Brand     brandView
	CancelURL string
	// Mandate is the subscription's terms and the consent to them, when
	// the payment stores the card for later charges; MandateChecked and
	// MandateError carry a refused post back to the form.
	Mandate        *mandateView
	MandateChecked bool
	MandateError   string
	// terms are the subscription's terms once loaded (loadTerms), so a
	// request loads them once.
	terms *orders.MandateTerms
}

// brandView is the merchant's branding on the payment pages: all of it
// served by kassa (same-origin), the colour as a stylesheet because the
// CSP allows no inline style.
type brandView struct {
	Name, LogoURL, ThemeURL    string
	SupportEmail, SupportPhone string
	SupportLabel               string
}

// brandOf loads the merchant's branding; on failure the page still shows,
// plainly, under the merchant's name.
func (p *Pages) brandOf(r *http.Request, merchantID gid.MerchantID, name, lang string) brandView {
	v := brandView{Name: name, SupportLabel: tr(lang, "pay.support")}
	if p.branding == nil {
		return v
	}
	b, err := p.branding.Get(r.Context(), merchantID)
	if err != nil {
		p.log.WarnContext(r.Context(), "load branding", "error", err)
		return v
	}
	v.Name, v.LogoURL, v.ThemeURL, v.SupportEmail, v.SupportPhone = b.Name(), b.LogoPath(), b.ThemePath(), b.SupportEmail, b.SupportPhone
	return v
}

// checkoutOf finds the webshop checkout a link belongs to, or nil.
func (p *Pages) checkoutOf(r *http.Request, l orders.Link) *checkout.Checkout {
	if p.checkouts == nil || l.Kind != orders.LinkCheckout {
		return nil
	}
	c, ok, err := p.checkouts.ByLink(r.Context(), l)
	if err != nil {
		p.log.WarnContext(r.Context(), "load checkout", "error", err)
		return nil
	}
	if !ok {
		return nil
	}
	return &c
}

// cancel sends the shopper of a webshop checkout back to the shop's
// cancelUrl (the checkout stays open until it expires).
func (p *Pages) cancel(w http.ResponseWriter, r *http.Request) {
	t, lang, ok := p.payTarget(w, r)
	if !ok {
		return
	}
	c := p.checkoutOf(r, t.Link)
	if c == nil {
		p.payMessage(w, r, http.StatusNotFound, lang, tr(lang, "pay.title"), tr(lang, "pay.notfound"), "")
		return
	}
	//nolint:gosec // G710: the shop's cancelUrl, checked when the checkout was created
	http.Redirect(w, r, c.CancelRedirect(), http.StatusSeeOther)
}

// returnToShop sends the shopper of a settled checkout to the shop's
// successUrl. It answers with a page that refreshes to it rather than a
// redirect: this response may end a chain of redirects that began with the
// card form's submission, and the CSP's form-action allows such a chain
// to stay on kassa only.
func (p *Pages) returnToShop(w http.ResponseWriter, r *http.Request, lang string, brand brandView, target string) {
	w.Header().Set("Refresh", "0; url="+target)
	p.render(w, r, http.StatusOK, "pay_return.html", map[string]any{"Lang": lang, "Title": tr(lang, "pay.title"), "Brand": brand,
		"Heading": fmt.Sprintf(tr(lang, "pay.returning"), brand.Name), "Target": target, "Label": fmt.Sprintf(tr(lang, "pay.return"), brand.Name)})
}

// Tr is the text for key in the page's language, formatted with args.
func (v payView) Tr(key string, args ...any) string {
	if len(args) == 0 {
		return tr(v.Lang, key)
	}
	return fmt.Sprintf(tr(v.Lang, key), args...)
}

func (p *Pages) payTarget(w http.ResponseWriter, r *http.Request) (orders.PayTarget, string, bool) {
	t, err := p.orders.PayTargetByToken(r.Context(), r.PathValue("token"))
	if err != nil {
		lang := pickLang(r, "")
		if errors.Is(err, fault.ErrNotFound) {
			p.payMessage(w, r, http.StatusNotFound, lang, tr(lang, "pay.title"), tr(lang, "pay.notfound"), "")
		} else {
			p.log.ErrorContext(r.Context(), "payment page", "error", err)
			p.payMessage(w, r, http.StatusServiceUnavailable, lang, tr(lang, "pay.title"), "Try again in a moment.", "")
		}
		return t, lang, false
	}
	return t, pickLang(r, t.Locale()), true
}

// gone answers 410 when a link can no longer take a payment, saying why.
func (p *Pages) gone(w http.ResponseWriter, r *http.Request, t orders.PayTarget, lang string) bool {
	key := ""
	switch p.orders.LinkStatus(t.Link) {
	case orders.LinkPaid:
		key = "pay.gone.paid"
	case orders.LinkExpired:
		key = "pay.gone.expired"
	case orders.LinkDeactivated:
		key = "pay.gone.off"
	}
	if key == "" && t.Order != nil && !t.Order.Status.Payable() {
		key = "pay.gone.other"
		if t.Order.Status == orders.StatusPaid || t.Order.Status == orders.StatusReserved {
			key = "pay.gone.paid"
		}
	}
	if key == "" {
		return false
	}
	brand := p.brandOf(r, t.Link.MerchantID, t.MerchantName, lang)
	data := map[string]any{"Lang": lang, "Title": tr(lang, "pay.title"), "Message": tr(lang, key),
		"Hint": fmt.Sprintf(tr(lang, "pay.gone.hint"), brand.Name), "Brand": brand}
	if c := p.checkoutOf(r, t.Link); c != nil {
		back := c.CancelRedirect()
		if key == "pay.gone.paid" {
			back = c.SuccessRedirect()
		}
		data["Back"], data["BackLabel"] = back, fmt.Sprintf(tr(lang, "pay.return"), brand.Name)
	}
	p.render(w, r, http.StatusGone, "pay_message.html", data)
	return true
}

func (p *Pages) payMessage(w http.ResponseWriter, r *http.Request, status int, lang, title, msg, hint string) {
	p.render(w, r, status, "pay_message.html", map[string]any{"Lang": lang, "Title": title, "Message": msg, "Hint": hint})
}

func nonce() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// payForm renders the confirmation and the card form.
func (p *Pages) payForm(w http.ResponseWriter, r *http.Request) {
	t, lang, ok := p.payTarget(w, r)
	if !ok || p.gone(w, r, t, lang) {
		return
	}
	v := payView{Checkout: nonce()}
	if t.Link.SaveMandate {
		// A link that would store a card for a subscription without terms
		// to agree to (the subscription was cancelled) takes no card.
		if ok, err := p.loadTerms(r, t, &v); err == nil && !ok {
			p.payMessage(w, r, http.StatusGone, lang, tr(lang, "pay.title"), tr(lang, "pay.gone.other"), "")
			return
		}
	}
	if err := p.orders.CountView(r.Context(), t.Link); err != nil {
		p.log.WarnContext(r.Context(), "count link view", "error", err)
	}
	p.renderPay(w, r, http.StatusOK, t, lang, v)
}

func (p *Pages) renderPay(w http.ResponseWriter, r *http.Request, status int, t orders.PayTarget, lang string, v payView) {
	cur := t.Link.Currency
	f := func(a int64) string { return money.Format(money.Money{Amount: a, Currency: cur}, lang) }
	v.Lang, v.OtherLang, v.Token = lang, map[string]string{"sv": "en", "en": "sv"}[lang], t.Link.Token
	v.Brand = p.brandOf(r, t.Link.MerchantID, t.MerchantName, lang)
	v.Title, v.MerchantName = tr(lang, "pay.title")+" · "+v.Brand.Name, v.Brand.Name
	if p.checkoutOf(r, t.Link) != nil {
		v.CancelURL = "/pay/" + t.Link.Token + "/cancel"
	}
	v.CSRF = p.csrfToken(w, r)
	v.Attempt = nonce()
	var lines []orders.Line
	var totals orders.Totals
	switch {
	case t.Frozen != nil:
		cur, lines, totals = t.Frozen.Currency, t.Frozen.Lines, t.Frozen.Totals
		v.OrderLabel = fmt.Sprintf(tr(lang, "pay.order"), fmt.Sprint(t.Frozen.OrderNumber))
		v.ShowAccept = true
		v.Reserve = t.Frozen.CaptureMode == payments.CaptureReserve
	case t.Order != nil:
		lines, totals = t.Order.Lines, t.Order.Totals()
		v.Reserve = t.Order.CaptureMode == payments.CaptureReserve
	default:
		lines = []orders.Line{{Description: t.Link.Description, Quantity: 1, UnitPrice: t.Link.Amount, VATRate: t.Link.VATRate}}
		priced, tot, err := orders.PriceLines([]orders.LineInput{{Description: t.Link.Description, Quantity: 1, UnitPrice: t.Link.Amount, VATRate: t.Link.VATRate}})
		if err == nil {
			lines, totals = priced, tot
		}
		v.Reserve = t.Link.CaptureMode == payments.CaptureReserve
	}
	for _, l := range lines {
		v.Lines = append(v.Lines, payLine{Description: l.Description, Quantity: l.Quantity, UnitPrice: f(l.UnitPrice), VAT: money.Rate(l.VATRate), Gross: f(l.Gross)})
	}
	for _, g := range totals.ByRate {
		if g.Rate > 0 {
			v.VAT = append(v.VAT, payVAT{Percent: money.Rate(g.Rate), Net: f(g.Net), VAT: f(g.VAT)})
		}
	}
	v.Net, v.Total = f(totals.Net), f(totals.Gross)
	v.Heading = fmt.Sprintf(tr(lang, "pay.heading"), v.Brand.Name)
	v.AskEmail = t.Link.Kind != orders.LinkOrder && (t.Order == nil || t.Order.CustomerEmail == nil) && t.Link.CustomerEmail == nil
	p.mandateView(r, t, lang, &v)
	p.render(w, r, status, "pay.html", map[string]any{"V": v, "Lang": lang, "Title": v.Title})
}

// payIDs derives the ids of a submission from the rendered form's nonces:
// the same form submitted twice is the same payment.
func payIDs(link orders.Link, checkout, attempt string) (uuid.UUID, uuid.UUID, bool) {
	c, err1 := uuid.Parse(pad(checkout))
	if err1 != nil || len(attempt) != 32 {
		return uuid.Nil, uuid.Nil, false
	}
	if _, err := hex.DecodeString(attempt); err != nil {
		return uuid.Nil, uuid.Nil, false
	}
	return c, uuid.NewSHA1(link.ID, []byte("payment:"+attempt)), true
}

func pad(hexID string) string {
	if len(hexID) != 32 {
		return ""
	}
	return hexID[:8] + "-" + hexID[8:12] + "-" + hexID[12:16] + "-" + hexID[16:20] + "-" + hexID[20:]
}

// pay takes the card: CSRF-checked, one payment per rendered form however
// often it is submitted.
func (p *Pages) pay(w http.ResponseWriter, r *http.Request) {
	if !p.checkCSRF(r) {
		p.forbidden(w, r)
		return
	}
	t, lang, ok := p.payTarget(w, r)
	if !ok || p.gone(w, r, t, lang) {
		return
	}
	view := payView{
		Checkout: r.PostFormValue("checkout"), Accepted: r.PostFormValue("accept") != "",
		Email: r.PostFormValue("email"), Holder: r.PostFormValue("cardholder"), Expiry: r.PostFormValue("expiry"),
	}
	retry := func(status int, msg string) {
		view.Error = msg
		p.renderPay(w, r, status, t, lang, view)
	}
	checkout, paymentID, ok := payIDs(t.Link, r.PostFormValue("checkout"), r.PostFormValue("attempt"))
	if !ok {
		p.forbidden(w, r)
		return
	}
	if msg := formProblem(r, lang); msg != "" {
		view.Holder, view.Email = text.Clean(view.Holder, 200), text.Clean(view.Email, 254)
		retry(http.StatusUnprocessableEntity, msg)
		return
	}
	// A card stored for a subscription needs the customer's consent to
	// its terms first: without it nothing is started or charged.
	mandate, refused, err := p.mandateConsent(r, t, lang, gid.Of[gid.PaymentID](paymentID), &view)
	if errors.Is(err, errNoTerms) {
		p.payMessage(w, r, http.StatusGone, lang, tr(lang, "pay.title"), tr(lang, "pay.gone.other"), "")
		return
	}
	if err != nil {
		p.log.ErrorContext(r.Context(), "load subscription terms", "error", err)
		retry(http.StatusServiceUnavailable, "Try again in a moment.")
		return
	}
	if refused {
		retry(http.StatusUnprocessableEntity, "")
		return
	}
	number, err := payments.ParseCardNumber("cardNumber", r.PostFormValue("cardNumber"))
	if err != nil {
		retry(http.StatusUnprocessableEntity, faultText(lang, err))
		return
	}
	month, year, err := payments.ParseExpiry("expiry", r.PostFormValue("expiry"), time.Now())
	if err != nil {
		retry(http.StatusUnprocessableEntity, faultText(lang, err))
		return
	}
	cvc, err := payments.ParseCVC("cvc", r.PostFormValue("cvc"))
	if err != nil {
		retry(http.StatusUnprocessableEntity, faultText(lang, err))
		return
	}
	o, err := p.orders.StartCheckout(r.Context(), t, orders.Checkout{CheckoutID: checkout, PaymentID: gid.Of[gid.PaymentID](paymentID), Accepted: view.Accepted,
		CustomerEmail: view.Email, IP: clientIP(r), UserAgent: r.UserAgent(), Mandate: mandate})
	if err != nil {
		if errors.Is(err, orders.ErrPaymentInProgress) {
			p.payMessage(w, r, http.StatusConflict, lang, tr(lang, "pay.title"), tr(lang, "pay.inprogress"), tr(lang, "pay.inprogress.hint"))
			return
		}
		if _, ok := fault.As(err); ok {
			if errors.Is(err, orders.ErrLinkNotActive) || errors.Is(err, orders.ErrOrderNotPayable) {
				t2, _ := p.orders.PayTargetByToken(r.Context(), t.Link.Token)
				if !p.gone(w, r, t2, lang) {
					p.payMessage(w, r, http.StatusGone, lang, tr(lang, "pay.title"), tr(lang, "pay.gone.other"), "")
				}
				return
			}
			retry(http.StatusUnprocessableEntity, faultText(lang, err))
			return
		}
		p.log.ErrorContext(r.Context(), "start checkout", "error", err)
		retry(http.StatusServiceUnavailable, "Try again in a moment.")
		return
	}

	returnURL := p.publicURL + "/pay/" + t.Link.Token + "/status?payment=" + paymentID.String() + "&lang=" + lang
	pay, err := p.payments.Authorize(r.Context(), payments.NewPayment{
		ID: paymentID, MerchantID: t.Link.MerchantID, OrderID: &o.ID, LinkID: &t.Link.ID, Amount: o.GrossTotal, Currency: o.Currency,
		CaptureMode: o.CaptureMode, Initiator: payments.InitiatorCustomer, Description: "Order " + fmt.Sprint(o.Number),
		CustomerEmail: deref(o.CustomerEmail), ReturnURL: returnURL, SaveMandate: t.Link.SaveMandate,
		Card: payments.Card{Number: number, ExpMonth: month, ExpYear: year, CVC: cvc, Holder: strings.TrimSpace(view.Holder)},
	})
	if err != nil && !isProcessorUnavailable(err) {
		if _, ok := fault.As(err); ok {
			retry(http.StatusUnprocessableEntity, faultText(lang, err))
			return
		}
		p.log.ErrorContext(r.Context(), "authorize", "error", err)
		retry(http.StatusServiceUnavailable, "Try again in a moment.")
		return
	}
	switch pay.Status {
	case payments.StatusRequiresAction:
		if pay.NextActionURL != nil {
			http.Redirect(w, r, *pay.NextActionURL, http.StatusSeeOther)
			return
		}
	case payments.StatusFailed:
		retry(http.StatusPaymentRequired, fmt.Sprintf(tr(lang, "pay.declined"), declineText(lang, pay.FailureCode)))
		return
	}
	//nolint:gosec // G710: returnURL is built from kassa's own public URL above
	http.Redirect(w, r, returnURL, http.StatusSeeOther)
}

func isProcessorUnavailable(err error) bool {
	return errors.Is(err, payments.ErrProcessorUnavailable)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func declineText(lang string, code *string) string {
	if code != nil {
		if s, ok := texts[lang]["decline."+*code]; ok {
			return s
		}
	}
	return tr(lang, "decline.other")
}

// faultText shows a validation error (its message is English; the codes
// the form can cause have Swedish texts).
func faultText(lang string, err error) string {
	f, _ := fault.As(err)
	if lang == "sv" {
		switch {
		case errors.Is(err, payments.ErrInvalidCardNumber):
			return "Kortnumret är inte giltigt."
		case errors.Is(err, fault.ErrInvalidExpiry):
			return "Ange giltighetstiden som MM/ÅÅ."
		case errors.Is(err, payments.ErrCardExpired):
			return "Kortet har gått ut."
		case errors.Is(err, payments.ErrInvalidCVC):
			return "CVC ska vara 3 eller 4 siffror."
		case errors.Is(err, orders.ErrNotAccepted):
			return "Bekräfta att du har kontrollerat ordern."
		case errors.Is(err, fault.ErrInvalidEmail):
			return "E-postadressen är inte giltig."
		}
	}
	return f.Message
}

// status shows the outcome of a payment: processing (the page refreshes
// itself until the processor's callback settles it), done, or declined
// with the form to try another card.
func (p *Pages) status(w http.ResponseWriter, r *http.Request) {
	t, lang, ok := p.payTarget(w, r)
	if !ok {
		return
	}
	id, err := uuid.Parse(r.URL.Query().Get("payment"))
	if err != nil {
		p.payMessage(w, r, http.StatusNotFound, lang, tr(lang, "pay.title"), tr(lang, "pay.notfound"), "")
		return
	}
	pay, err := p.payments.Get(r.Context(), t.Link.MerchantID, gid.Of[gid.PaymentID](id))
	if err != nil || pay.PaymentLinkID == nil || *pay.PaymentLinkID != t.Link.ID {
		p.payMessage(w, r, http.StatusNotFound, lang, tr(lang, "pay.title"), tr(lang, "pay.notfound"), "")
		return
	}
	switch pay.Status {
	case payments.StatusFailed:
		if p.gone(w, r, t, lang) {
			return
		}
		p.renderPay(w, r, http.StatusPaymentRequired, t, lang, payView{Checkout: nonce(), Accepted: true,
			Error: fmt.Sprintf(tr(lang, "pay.declined"), declineText(lang, pay.FailureCode))})
	case payments.StatusPending, payments.StatusRequiresAction:
		w.Header().Set("Refresh", "1")
		p.render(w, r, http.StatusAccepted, "pay_processing.html", map[string]any{"Lang": lang, "Title": tr(lang, "pay.title"),
			"Heading": tr(lang, "pay.processing"), "Message": tr(lang, "pay.processing2"), "Self": r.URL.RequestURI(),
			"Brand": p.brandOf(r, t.Link.MerchantID, t.MerchantName, lang)})
	default:
		brand := p.brandOf(r, t.Link.MerchantID, t.MerchantName, lang)
		if c := p.checkoutOf(r, t.Link); c != nil {
			p.returnToShop(w, r, lang, brand, c.SuccessRedirect())
			return
		}
		msg := tr(lang, "pay.done")
		// An IMMEDIATE payment passes AUTHORIZED on its way to CAPTURED (the
		// callbacks arrive one by one): only a reservation is "reserved".
		if pay.Status == payments.StatusAuthorized && pay.CaptureMode == payments.CaptureReserve {
			msg = tr(lang, "pay.done.reserve")
		}
		card := pay.CardLabel(lang)
		receipt := ""
		if pay.CustomerEmail != nil {
			receipt = fmt.Sprintf(tr(lang, "pay.receipt"), *pay.CustomerEmail)
		} else if o, err := p.orders.Get(r.Context(), t.Link.MerchantID, derefID(pay.OrderID)); err == nil && o.CustomerEmail != nil {
			receipt = fmt.Sprintf(tr(lang, "pay.receipt"), *o.CustomerEmail)
		}
		// A payment that stored the card for a subscription says so, with
		// the terms agreed: it is not a one-off purchase.
		var mandate []string
		if t.Link.SaveMandate {
			if a, ok, err := p.orders.MandateOfPayment(r.Context(), t.Link.MerchantID, pay.ID); err != nil {
				p.log.WarnContext(r.Context(), "load mandate consent", "error", err)
			} else if ok {
				msg, mandate = tr(lang, "pay.done.mandate"), a.Terms.Saved(lang)
			}
		}
		p.render(w, r, http.StatusOK, "pay_done.html", map[string]any{"Lang": lang, "Title": tr(lang, "pay.title"),
			"Heading": msg, "Merchant": brand.Name, "Brand": brand, "Amount": money.Format(money.Money{Amount: pay.Amount, Currency: pay.Currency}, lang),
			"Card": card, "Receipt": receipt, "Mandate": mandate})
	}
}

func derefID(id *uuid.UUID) uuid.UUID {
	if id == nil {
		return uuid.Nil
	}
	return *id
}
