package web

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"

	"kassa/gid"
	"kassa/orders"
)

// mandateView is the subscription's disclosure on the payment page and
// the checkbox that consents to it. Card-network rules for stored
// credentials want the terms shown before the card is taken and an
// explicit agreement, so the page refuses to take the card without it.
type mandateView struct {
	Terms   []string // the disclosure, one paragraph each
	Label   string   // the checkbox's label: what the customer agrees to
	Digest  string   // of the text shown, to tell whether it changed before the post
	Checked bool
	Error   string
}

// termsDigest identifies the text the customer was shown.
func termsDigest(text string) string {
	sum := sha256.Sum256([]byte(text))
	return hex.EncodeToString(sum[:16])
}

// errNoTerms: the link would store a card for a subscription that has no
// terms to agree to (it was cancelled): it takes no card.
var errNoTerms = errors.New("web: the link stores a card but its subscription has no terms")

// loadTerms loads, once per request, the terms of a link whose payment
// stores the card for a subscription into v.terms; false for any other
// link, or when there are no terms.
func (p *Pages) loadTerms(r *http.Request, t orders.PayTarget, v *payView) (bool, error) {
	if !t.Link.SaveMandate || p.billing == nil {
		return false, nil
	}
	if v.terms != nil {
		return true, nil
	}
	m, ok, err := p.billing.MandateTerms(r.Context(), t)
	if ok && err == nil {
		v.terms = &m
	}
	return ok, err
}

// mandateView fills in the disclosure of v's link, in lang.
func (p *Pages) mandateView(r *http.Request, t orders.PayTarget, lang string, v *payView) {
	ok, err := p.loadTerms(r, t, v)
	if err != nil {
		// The page must not take a card for a subscription without its
		// terms; pay refuses it too (mandateConsent fails the same way).
		p.log.ErrorContext(r.Context(), "load subscription terms", "error", err)
	}
	if !ok {
		return
	}
	m := *v.terms
	v.Mandate = &mandateView{Terms: m.Disclosure(lang), Label: m.Agreement(lang), Digest: termsDigest(m.Text(lang)),
		Checked: v.MandateChecked, Error: v.MandateError}
}

// mandateConsent reads the customer's consent from the card form of link
// t. It returns the consent to record before the card goes to the
// processor (nil when the link stores no card for a subscription), or
// refused, with v.MandateError saying why, when the box was not ticked or
// the terms changed since the page was shown. err means the terms could
// not be loaded: then nothing may be charged either.
func (p *Pages) mandateConsent(r *http.Request, t orders.PayTarget, lang string, paymentID gid.PaymentID, v *payView) (c *orders.MandateConsent, refused bool, err error) {
	v.MandateChecked = r.PostFormValue("mandate") != ""
	if !t.Link.SaveMandate {
		return nil, false, nil
	}
	if p.billing == nil {
		return nil, false, errNoTerms
	}
	ok, err := p.loadTerms(r, t, v)
	if err != nil {
		return nil, false, err
	}
	if !ok {
		return nil, false, errNoTerms
	}
	m := *v.terms
	switch {
	case !v.MandateChecked:
		v.MandateError = tr(lang, "pay.mandate.required")
		return nil, true, nil
	case r.PostFormValue("mandate_terms") != termsDigest(m.Text(lang)):
		// What would be recorded is not what the customer read (the plan
		// changed, or the page was in the other language): show it again.
		v.MandateChecked, v.MandateError = false, tr(lang, "pay.mandate.changed")
		return nil, true, nil
	}
	return &orders.MandateConsent{PaymentID: paymentID, Terms: m, Lang: lang, IP: clientIP(r), UserAgent: r.UserAgent()}, false, nil
}
