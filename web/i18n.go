package web

import (
	"net/http"
	"strings"

	"kassa/text"
)

// texts are the payment page's words, in Swedish and English.
//
//nolint:gosec // G101: page texts; some name passwords
var texts = map[string]map[string]string{
	"sv": {
		"invite.title":                     "Godkänn inbjudan",
		"invite.heading":                   "Gå med i %s",
		"invite.invited":                   "Du har blivit inbjuden som",
		"invite.passwordHave":              "Ditt lösenord för kassa",
		"invite.name":                      "Ditt namn",
		"invite.passwordChoose":            "Välj ett lösenord (minst 10 tecken)",
		"invite.accept":                    "Godkänn",
		"invite.goneTitle":                 "Inbjudan gäller inte",
		"invite.gone":                      "Inbjudan har gått ut, har redan använts eller har dragits tillbaka. Be om en ny.",
		"invite.WEAK_PASSWORD":             "Lösenordet måste vara 10–200 tecken.",
		"invite.INVALID_CREDENTIALS":       "Lösenordet stämmer inte.",
		"invite.INVALID_NAME":              "Namnet får vara högst 200 tecken på en rad.",
		"invite.ACCOUNT_LOCKED":            "För många misslyckade försök. Försök igen om en stund.",
		"form.title":                       "Formuläret har gått ut",
		"form.badtext":                     "Fältet %s innehåller tecken som inte kan användas (styrtecken eller ogiltig text). Rätta det och försök igen.",
		"form.expired":                     "Formuläret har gått ut eller kom inte från kassa. Gå tillbaka, ladda om sidan och försök igen.",
		"pay.title":                        "Betalning",
		"pay.heading":                      "Betala till %s",
		"pay.order":                        "Order %s",
		"pay.check":                        "Kontrollera att orderbekräftelsen stämmer med det ni kommit överens om.",
		"pay.description":                  "Beskrivning",
		"pay.qty":                          "Antal",
		"pay.unitprice":                    "À-pris",
		"pay.vat":                          "Moms",
		"pay.amount":                       "Summa",
		"pay.vatline":                      "Moms %s %% på %s",
		"pay.net":                          "Summa exkl. moms",
		"pay.total":                        "Att betala",
		"pay.reserve":                      "Beloppet reserveras nu på ditt kort och dras när ordern levereras.",
		"pay.accept":                       "Jag har kontrollerat orderbekräftelsen och godkänner den.",
		"pay.email":                        "E-post för kvittot",
		"pay.card":                         "Kortnummer",
		"pay.expiry":                       "Giltig till (MM/ÅÅ)",
		"pay.expiry.placeholder":           "MM/ÅÅ",
		"pay.cvc":                          "CVC",
		"pay.holder":                       "Kortinnehavarens namn",
		"pay.submit":                       "Betala %s",
		"pay.secure":                       "Dina kortuppgifter skickas direkt till kortinlösaren och lämnas aldrig ut till %s. Betalningen skyddas med 3-D Secure.",
		"pay.declined":                     "Betalningen gick inte igenom: %s. Försök med ett annat kort.",
		"pay.processing":                   "Betalningen behandlas…",
		"pay.processing2":                  "Vänta ett ögonblick; sidan uppdateras av sig själv.",
		"pay.done":                         "Tack! Betalningen är klar.",
		"pay.done.reserve":                 "Tack! Beloppet är reserverat på ditt kort och dras vid leverans.",
		"pay.done.mandate":                 "Tack! Ditt kort är sparat för abonnemanget.",
		"pay.mandate.heading":              "Abonnemang",
		"pay.mandate.required":             "Kryssa i rutan för att godkänna att kortet sparas och debiteras för abonnemanget. Utan ditt godkännande dras ingenting.",
		"pay.mandate.changed":              "Villkoren har ändrats sedan sidan visades. Läs dem igen och godkänn dem för att fortsätta.",
		"pay.receipt":                      "Ett kvitto skickas till %s.",
		"pay.gone.paid":                    "Den här ordern är redan betald.",
		"pay.gone.expired":                 "Den här betallänken har gått ut.",
		"pay.gone.off":                     "Den här betallänken är inte längre aktiv.",
		"pay.gone.other":                   "Den här ordern kan inte betalas.",
		"pay.inprogress":                   "En betalning av den här ordern pågår redan.",
		"pay.inprogress.hint":              "Har du börjat betala i ett annat fönster? Slutför betalningen där. Annars kan du försöka igen om några minuter; du debiteras bara en gång.",
		"pay.gone.hint":                    "Kontakta %s om du har frågor.",
		"pay.notfound":                     "Betallänken finns inte. Kontrollera att du har kopierat hela länken.",
		"pay.lang":                         "In English",
		"pay.card.brand":                   "Kort",
		"pay.support":                      "Kundtjänst",
		"pay.cancel":                       "Avbryt och gå tillbaka till butiken",
		"pay.return":                       "Tillbaka till %s",
		"pay.returning":                    "Du skickas tillbaka till %s …",
		"decline.card_declined":            "kortet nekades",
		"decline.insufficient_funds":       "det finns inte tillräckligt med pengar på kontot",
		"decline.expired_card":             "kortet har gått ut",
		"decline.processing_error":         "ett fel uppstod hos kortinlösaren",
		"decline.authentication_failed":    "verifieringen med 3-D Secure misslyckades",
		"decline.authentication_cancelled": "verifieringen med 3-D Secure avbröts",
		"decline.invalid_card":             "kortuppgifterna är inte giltiga",
		"decline.other":                    "betalningen nekades",
	},
	"en": {
		"invite.title":                     "Accept invitation",
		"invite.heading":                   "Join %s",
		"invite.invited":                   "You were invited as",
		"invite.passwordHave":              "Your kassa password",
		"invite.name":                      "Your name",
		"invite.passwordChoose":            "Choose a password (at least 10 characters)",
		"invite.accept":                    "Accept",
		"invite.goneTitle":                 "Invitation not valid",
		"invite.gone":                      "This invitation has expired, was already used or was withdrawn. Ask for a new one.",
		"invite.WEAK_PASSWORD":             "The password must be 10 to 200 characters.",
		"invite.INVALID_CREDENTIALS":       "The password is not right.",
		"invite.INVALID_NAME":              "The name may be at most 200 characters on one line.",
		"invite.ACCOUNT_LOCKED":            "Too many failed attempts. Try again in a while.",
		"form.title":                       "Form expired",
		"form.badtext":                     "The field %s contains characters that cannot be used (control characters or invalid text). Correct it and try again.",
		"form.expired":                     "This form has expired or did not come from kassa. Go back, reload the page and try again.",
		"pay.title":                        "Payment",
		"pay.heading":                      "Pay %s",
		"pay.order":                        "Order %s",
		"pay.check":                        "Please check that the order confirmation matches what you agreed.",
		"pay.description":                  "Description",
		"pay.qty":                          "Qty",
		"pay.unitprice":                    "Unit price",
		"pay.vat":                          "VAT",
		"pay.amount":                       "Amount",
		"pay.vatline":                      "VAT %s %% on %s",
		"pay.net":                          "Total excluding VAT",
		"pay.total":                        "To pay",
		"pay.reserve":                      "The amount is reserved on your card now and charged when the order is delivered.",
		"pay.accept":                       "I have checked the order confirmation and accept it.",
		"pay.email":                        "Email for the receipt",
		"pay.card":                         "Card number",
		"pay.expiry":                       "Expiry (MM/YY)",
		"pay.expiry.placeholder":           "MM/YY",
		"pay.cvc":                          "CVC",
		"pay.holder":                       "Name on card",
		"pay.submit":                       "Pay %s",
		"pay.secure":                       "Your card details go straight to the card processor and are never shared with %s. The payment is protected by 3-D Secure.",
		"pay.declined":                     "The payment did not go through: %s. Try another card.",
		"pay.processing":                   "Processing your payment…",
		"pay.processing2":                  "Please wait a moment; this page refreshes by itself.",
		"pay.done":                         "Thank you! Your payment is complete.",
		"pay.done.reserve":                 "Thank you! The amount is reserved on your card and charged at delivery.",
		"pay.done.mandate":                 "Thank you! Your card has been saved for the subscription.",
		"pay.mandate.heading":              "Subscription",
		"pay.mandate.required":             "Tick the box to agree that your card is stored and charged for the subscription. Nothing is charged without your agreement.",
		"pay.mandate.changed":              "The terms changed since this page was shown. Read them again and agree to them to continue.",
		"pay.receipt":                      "A receipt is on its way to %s.",
		"pay.gone.paid":                    "This order has already been paid.",
		"pay.gone.expired":                 "This payment link has expired.",
		"pay.gone.off":                     "This payment link is no longer active.",
		"pay.gone.other":                   "This order cannot be paid.",
		"pay.inprogress":                   "A payment for this order is already in progress.",
		"pay.inprogress.hint":              "Did you start paying in another window? Finish the payment there. Otherwise try again in a few minutes; you will be charged only once.",
		"pay.gone.hint":                    "Contact %s if you have questions.",
		"pay.notfound":                     "This payment link does not exist. Check that you copied the whole link.",
		"pay.lang":                         "På svenska",
		"pay.card.brand":                   "Card",
		"pay.support":                      "Customer service",
		"pay.cancel":                       "Cancel and return to the shop",
		"pay.return":                       "Back to %s",
		"pay.returning":                    "Taking you back to %s …",
		"decline.card_declined":            "the card was declined",
		"decline.insufficient_funds":       "there are insufficient funds",
		"decline.expired_card":             "the card has expired",
		"decline.processing_error":         "the card processor had an error",
		"decline.authentication_failed":    "3-D Secure verification failed",
		"decline.authentication_cancelled": "3-D Secure verification was cancelled",
		"decline.invalid_card":             "the card details are not valid",
		"decline.other":                    "the payment was declined",
	},
}

// tr returns the text for key in lang.
// trSection is the texts of lang whose keys start with prefix, keyed
// without it (a page's template reads them as .T.name).
func trSection(lang, prefix string) map[string]string {
	out := map[string]string{}
	for _, l := range []string{"sv", lang} {
		for k, v := range texts[l] {
			if strings.HasPrefix(k, prefix) {
				out[strings.TrimPrefix(k, prefix)] = v
			}
		}
	}
	return out
}

func tr(lang, key string) string {
	if s, ok := texts[lang][key]; ok {
		return s
	}
	return texts["sv"][key]
}

// pickLang chooses the page's language: an explicit choice (?lang=), then
// the customer's locale, then the browser's Accept-Language, then Swedish.
func pickLang(r *http.Request, customer string) string {
	if l := r.URL.Query().Get("lang"); l == "sv" || l == "en" {
		return l
	}
	if l := r.PostFormValue("lang"); l == "sv" || l == "en" {
		return l
	}
	if customer == "sv" || customer == "en" {
		return customer
	}
	if l := text.Preferred(r.Header.Get("Accept-Language")); l != "" {
		return l
	}
	return "sv"
}
