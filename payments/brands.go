package payments

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// brandNames are card brands as cardholders write them, by the id a
// processor gives (the simulator's and Stripe's ids are lower case).
var brandNames = map[string]string{
	"visa":             "Visa",
	"mastercard":       "Mastercard",
	"amex":             "American Express",
	"american_express": "American Express",
	"discover":         "Discover",
	"diners":           "Diners Club",
	"jcb":              "JCB",
	"unionpay":         "UnionPay",
	"maestro":          "Maestro",
	"cartes_bancaires": "Cartes Bancaires",
	"eftpos_au":        "eftpos",
	"interac":          "Interac",
}

// BrandName is a card brand as it is shown to people: "visa" is "Visa",
// "amex" "American Express". A brand not known here is shown with its
// first letter in upper case; none or "unknown" is the word for a card
// in lang ("sv" or "en").
func BrandName(brand, lang string) string {
	key := strings.ToLower(strings.TrimSpace(brand))
	if n, ok := brandNames[key]; ok {
		return n
	}
	if key == "" || key == "unknown" {
		if lang == "en" {
			return "Card"
		}
		return "Kort"
	}
	r, size := utf8.DecodeRuneInString(key)
	return string(unicode.ToUpper(r)) + strings.ReplaceAll(key[size:], "_", " ")
}

// CardLabel is a card as emails and receipts show it, "Visa •••• 4242",
// or "" when the last four digits are not known.
func CardLabel(brand, last4, lang string) string {
	if last4 == "" {
		return ""
	}
	return BrandName(brand, lang) + " •••• " + last4
}

// CardLabel is the payment's card as people see it, "Visa •••• 4242" in
// lang, or "" when the card is not known.
func (p *Payment) CardLabel(lang string) string {
	if p.CardBrand == nil || p.CardLast4 == nil {
		return ""
	}
	return CardLabel(*p.CardBrand, *p.CardLast4, lang)
}
