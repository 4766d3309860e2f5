package web

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"kassa/fault"
	"kassa/text"
)

// The words of the staff's pages (login, the web terminal, GraphiQL, the
// page for an unknown URL), in Swedish and English. They join texts, so
// tr and trSection find them like the payment page's.
//
//nolint:gosec // G101: page texts; some name passwords
var staffTexts = map[string]map[string]string{
	"sv": {
		"lang.other": "In English",

		"login.title":       "Logga in",
		"login.heading":     "Logga in i kassa",
		"login.email":       "E-post",
		"login.password":    "Lösenord",
		"login.submit":      "Logga in",
		"login.wrong":       "Fel e-postadress eller lösenord.",
		"login.throttled":   "För många misslyckade försök. Försök igen om %s.",
		"login.unavailable": "Det går inte att logga in just nu. Försök igen om en stund.",
		"wait.second":       "1 sekund",
		"wait.seconds":      "%d sekunder",
		"wait.minute":       "1 minut",
		"wait.minutes":      "%d minuter",

		"notfound.title":   "Sidan finns inte",
		"notfound.message": "Det finns ingen sida på den här adressen. Kontrollera adressen eller börja om från startsidan.",
		"notfound.home":    "Till startsidan",
		"notfound.other":   "In English",

		"graphiql.as":        "Inloggad som",
		"graphiql.dashboard": "Översikt",
		"graphiql.loggedOut": "Du är inte inloggad: GraphQL svarar 401 tills du loggar in (eller skickar en API-nyckel i Headers).",
		"graphiql.login":     "Logga in",
		"graphiql.loading":   "Laddar GraphiQL…",
		"graphiql.other":     "In English",

		"terminal.title":                       "Terminal",
		"terminal.dashboard":                   "Översikt",
		"terminal.logout":                      "Logga ut",
		"terminal.other":                       "In English",
		"terminal.take":                        "Ta betalt med kort",
		"terminal.amount":                      "Belopp",
		"terminal.currency":                    "Valuta",
		"terminal.amountHint":                  "Kronor och öre, t.ex. 1 234,50 eller 1234.50.",
		"terminal.limit":                       "Din gräns är %s per betalning.",
		"terminal.when":                        "När",
		"terminal.chargeNow":                   "Dra nu",
		"terminal.reserve":                     "Reservera (dra senare)",
		"terminal.description":                 "Beskrivning eller referens",
		"terminal.descriptionPlaceholder":      "t.ex. Telefonorder, 2 stolar",
		"terminal.customerEmail":               "Kundens e-post",
		"terminal.receiptOptional":             "(kvitto, frivilligt)",
		"terminal.orderNo":                     "Ordernr",
		"terminal.optional":                    "(frivilligt)",
		"terminal.orderPlaceholder":            "Tillägg",
		"terminal.card":                        "Kort",
		"terminal.motoTitle":                   "Post- eller telefonorder: kortet är inte närvarande, ingen 3-D Secure",
		"terminal.cardNumber":                  "Kortnummer",
		"terminal.expiry":                      "Giltig till (MM/ÅÅ)",
		"terminal.expiryPlaceholder":           "MM/ÅÅ",
		"terminal.cvc":                         "CVC",
		"terminal.cardHint":                    "Kortet är inte närvarande (post- eller telefonorder): ingen 3-D Secure. Kortnumret skickas till kortinlösaren och sparas aldrig.",
		"terminal.submit":                      "Ta betalt",
		"terminal.processing":                  "Behandlas…",
		"terminal.recent":                      "Senaste betalningar",
		"terminal.whose":                       "Vems betalningar",
		"terminal.mine":                        "Mina",
		"terminal.allStaff":                    "All personal",
		"terminal.time":                        "Tid",
		"terminal.amountCol":                   "Belopp",
		"terminal.status":                      "Status",
		"terminal.staff":                       "Personal",
		"terminal.details":                     "Detaljer",
		"terminal.capture":                     "Dra",
		"terminal.void":                        "Makulera",
		"terminal.refund":                      "Återbetala",
		"terminal.refundMore":                  "Återbetala…",
		"terminal.older":                       "Äldre betalningar →",
		"terminal.empty":                       "Inga betalningar ännu.",
		"terminal.notice.captured":             "Dragen.",
		"terminal.notice.voided":               "Makulerad: reservationen är släppt.",
		"terminal.notice.refunded":             "Återbetald.",
		"terminal.notice.ref":                  "Betalning %s: %s",
		"terminal.payment":                     "Betalning %s",
		"terminal.reason":                      "Orsak: %s. Ingenting drogs.",
		"terminal.waiting":                     "Väntar på kortinlösaren; sidan uppdateras av sig själv.",
		"terminal.captured":                    "Draget",
		"terminal.refunded":                    "Återbetalt",
		"terminal.captureBefore":               "Dra senast",
		"terminal.descriptionShort":            "Beskrivning",
		"terminal.order":                       "Order",
		"terminal.receiptTo":                   "Kvitto till",
		"terminal.takenBy":                     "Tagen av",
		"terminal.newPayment":                  "Ny betalning",
		"terminal.receipt":                     "Kvitto",
		"terminal.actions":                     "Åtgärder",
		"terminal.captureUpTo":                 "Dra (högst %s)",
		"terminal.voidReservation":             "Makulera reservationen",
		"terminal.refundUpTo":                  "Återbetala (högst %s)",
		"terminal.reasonLabel":                 "Orsak",
		"terminal.history":                     "Historik",
		"terminal.what":                        "Händelse",
		"terminal.by":                          "Av",
		"terminal.apiKey":                      "API-nyckel",
		"terminal.print":                       "Skriv ut",
		"terminal.back":                        "Tillbaka",
		"terminal.printHint":                   "Skriv ut kvittot med webbläsarens utskriftskommando.",
		"terminal.notAllowed":                  "Inte tillåtet",
		"terminal.noAccess":                    "Din roll ger inte tillgång till terminalen.",
		"terminal.tryAgain":                    "Försök igen",
		"terminal.unavailable":                 "Terminalen kan inte svara just nu. Försök igen om en stund.",
		"terminal.notFound":                    "Hittades inte",
		"terminal.noSuchPayment":               "Det finns ingen sådan terminalbetalning, eller så är den inte din att se.",
		"terminal.noSuchAction":                "Det finns ingen sådan åtgärd.",
		"terminal.reverseOnly":                 "Bara ägare och administratörer får makulera eller återbetala.",
		"terminal.formExpired":                 "Formuläret hade gått ut, så ingenting drogs. Kontrollera uppgifterna, ange kortet igen och skicka.",
		"terminal.noOrder":                     "Det finns ingen order med nummer %s.",
		"terminal.declined":                    "Nekad: %s. Ingenting drogs. Be om ett annat kort.",
		"terminal.badDetails":                  "Något är fel i uppgifterna. Kontrollera dem och försök igen.",
		"terminal.role.OWNER":                  "ägare",
		"terminal.role.ADMIN":                  "administratör",
		"terminal.role.SALES":                  "säljare",
		"terminal.role.FINANCE":                "ekonomi",
		"terminal.st.charged":                  "Dragen",
		"terminal.st.partlyCharged":            "Delvis dragen",
		"terminal.st.approved":                 "Godkänd",
		"terminal.st.reserved":                 "Reserverad",
		"terminal.st.declined":                 "Nekad",
		"terminal.st.voided":                   "Makulerad",
		"terminal.st.expired":                  "Utgången",
		"terminal.st.refunded":                 "Återbetald",
		"terminal.st.partlyRefunded":           "Delvis återbetald",
		"terminal.st.needs3ds":                 "Väntar på 3-D Secure",
		"terminal.st.processing":               "Behandlas",
		"terminal.h.approved":                  "Godkänd",
		"terminal.h.charged":                   "Godkänd och dragen",
		"terminal.h.declined":                  "Nekad",
		"terminal.h.reserved":                  "Godkänd och reserverad",
		"terminal.h.processing":                "Behandlas…",
		"terminal.ev.payment.created":          "Betalningen togs",
		"terminal.ev.payment.declined":         "Nekad av kortutgivaren",
		"terminal.ev.payment.failed":           "Kortet nekades",
		"terminal.ev.payment.authorized":       "Godkänd",
		"terminal.ev.payment.captured":         "Dragen",
		"terminal.ev.payment.voided":           "Makulerad",
		"terminal.ev.payment.refunded":         "Återbetald",
		"terminal.ev.payment.expired":          "Reservationen gick ut",
		"terminal.ev.payment.capture_declined": "Dragningen nekades",
		"terminal.ev.payment.void_declined":    "Makuleringen nekades",
		"terminal.ev.payment.refund_declined":  "Återbetalningen nekades",
		// Domain errors come with English messages; the codes the
		// terminal's forms can cause are said in Swedish here.
		"terminal.err.INVALID_AMOUNT":          "Skriv beloppet med siffror, t.ex. 1 234,50 eller 1234.50.",
		"terminal.err.AMOUNT_TOO_LARGE":        "Beloppet är för stort.",
		"terminal.err.AMOUNT_ABOVE_LIMIT":      "Beloppet är över din gräns per betalning: be en ägare eller administratör att ta betalningen eller höja din gräns.",
		"terminal.err.INVALID_EXPIRY":          "Ange giltighetstiden som MM/ÅÅ.",
		"terminal.err.CARD_EXPIRED":            "Kortet har gått ut.",
		"terminal.err.INVALID_CARD_NUMBER":     "Kortnumret är inte giltigt.",
		"terminal.err.INVALID_CVC":             "CVC ska vara 3 eller 4 siffror.",
		"terminal.err.INVALID_EMAIL":           "Kundens e-postadress är inte giltig.",
		"terminal.err.INVALID_DESCRIPTION":     "Beskrivningen får vara en rad på högst 500 tecken.",
		"terminal.err.INVALID_REASON":          "Orsaken får vara högst 500 tecken.",
		"terminal.err.ORDER_CANCELLED":         "Ordern är avbruten.",
		"terminal.err.ORDER_CURRENCY_MISMATCH": "Ett tillägg till en order måste vara i orderns valuta.",
		"terminal.err.FORM_REUSED":             "Formuläret har redan använts: öppna ett nytt. Ingenting mer drogs.",
		"terminal.err.FORM_EXPIRED":            "Formuläret har gått ut: kontrollera uppgifterna och skicka igen.",
		"terminal.err.RESERVATION_EXPIRED":     "Reservationen har gått ut och kan inte längre dras.",
		"terminal.err.INVALID_STATE":           "Det går inte att göra med betalningen i dess nuvarande läge.",
	},
	"en": {
		"lang.other": "På svenska",

		"login.title":       "Log in",
		"login.heading":     "Log in to kassa",
		"login.email":       "Email",
		"login.password":    "Password",
		"login.submit":      "Log in",
		"login.wrong":       "Wrong email or password.",
		"login.throttled":   "Too many failed attempts. Try again in %s.",
		"login.unavailable": "Logging in is not possible right now. Try again in a moment.",
		"wait.second":       "1 second",
		"wait.seconds":      "%d seconds",
		"wait.minute":       "1 minute",
		"wait.minutes":      "%d minutes",

		"notfound.title":   "Page not found",
		"notfound.message": "There is no page at this address. Check the address or start again from the home page.",
		"notfound.home":    "Go to the home page",
		"notfound.other":   "På svenska",

		"graphiql.as":        "Logged in as",
		"graphiql.dashboard": "Dashboard",
		"graphiql.loggedOut": "You are not logged in: GraphQL answers 401 until you log in (or send an API key in Headers).",
		"graphiql.login":     "Log in",
		"graphiql.loading":   "Loading GraphiQL…",
		"graphiql.other":     "På svenska",

		"terminal.title":                       "Terminal",
		"terminal.dashboard":                   "Dashboard",
		"terminal.logout":                      "Log out",
		"terminal.other":                       "På svenska",
		"terminal.take":                        "Take a card payment",
		"terminal.amount":                      "Amount",
		"terminal.currency":                    "Currency",
		"terminal.amountHint":                  "Kronor and öre, e.g. 1 234,50 or 1234.50.",
		"terminal.limit":                       "Your limit is %s per payment.",
		"terminal.when":                        "When",
		"terminal.chargeNow":                   "Charge now",
		"terminal.reserve":                     "Reserve (capture later)",
		"terminal.description":                 "Description or reference",
		"terminal.descriptionPlaceholder":      "e.g. Phone order, 2 chairs",
		"terminal.customerEmail":               "Customer email",
		"terminal.receiptOptional":             "(receipt, optional)",
		"terminal.orderNo":                     "Order no.",
		"terminal.optional":                    "(optional)",
		"terminal.orderPlaceholder":            "Supplement",
		"terminal.card":                        "Card",
		"terminal.motoTitle":                   "Mail or telephone order: card not present, no 3-D Secure",
		"terminal.cardNumber":                  "Card number",
		"terminal.expiry":                      "Expiry (MM/YY)",
		"terminal.expiryPlaceholder":           "MM/YY",
		"terminal.cvc":                         "CVC",
		"terminal.cardHint":                    "Card not present (mail or telephone order): no 3-D Secure. The card number is sent to the card processor and never stored.",
		"terminal.submit":                      "Take payment",
		"terminal.processing":                  "Processing…",
		"terminal.recent":                      "Recent payments",
		"terminal.whose":                       "Whose payments",
		"terminal.mine":                        "Mine",
		"terminal.allStaff":                    "All staff",
		"terminal.time":                        "Time",
		"terminal.amountCol":                   "Amount",
		"terminal.status":                      "Status",
		"terminal.staff":                       "Staff",
		"terminal.details":                     "Details",
		"terminal.capture":                     "Capture",
		"terminal.void":                        "Void",
		"terminal.refund":                      "Refund",
		"terminal.refundMore":                  "Refund…",
		"terminal.older":                       "Older payments →",
		"terminal.empty":                       "No payments yet.",
		"terminal.notice.captured":             "Captured.",
		"terminal.notice.voided":               "Voided: the reservation was released.",
		"terminal.notice.refunded":             "Refunded.",
		"terminal.notice.ref":                  "Payment %s: %s",
		"terminal.payment":                     "Payment %s",
		"terminal.reason":                      "Reason: %s. Nothing was charged.",
		"terminal.waiting":                     "Waiting for the card processor; this page refreshes by itself.",
		"terminal.captured":                    "Captured",
		"terminal.refunded":                    "Refunded",
		"terminal.captureBefore":               "Capture before",
		"terminal.descriptionShort":            "Description",
		"terminal.order":                       "Order",
		"terminal.receiptTo":                   "Receipt to",
		"terminal.takenBy":                     "Taken by",
		"terminal.newPayment":                  "New payment",
		"terminal.receipt":                     "Receipt",
		"terminal.actions":                     "Actions",
		"terminal.captureUpTo":                 "Capture (up to %s)",
		"terminal.voidReservation":             "Void the reservation",
		"terminal.refundUpTo":                  "Refund (up to %s)",
		"terminal.reasonLabel":                 "Reason",
		"terminal.history":                     "History",
		"terminal.what":                        "What",
		"terminal.by":                          "By",
		"terminal.apiKey":                      "API key",
		"terminal.print":                       "Print",
		"terminal.back":                        "Back",
		"terminal.printHint":                   "Use your browser's Print command to print the receipt.",
		"terminal.notAllowed":                  "Not allowed",
		"terminal.noAccess":                    "Your role does not give access to the terminal.",
		"terminal.tryAgain":                    "Try again",
		"terminal.unavailable":                 "The terminal cannot answer right now. Try again in a moment.",
		"terminal.notFound":                    "Not found",
		"terminal.noSuchPayment":               "There is no such terminal payment, or it is not yours to see.",
		"terminal.noSuchAction":                "No such action.",
		"terminal.reverseOnly":                 "Only owners and admins may void or refund.",
		"terminal.formExpired":                 "This form had expired, so nothing was charged. Check the details, enter the card again and submit.",
		"terminal.noOrder":                     "There is no order number %s.",
		"terminal.declined":                    "Declined: %s. Nothing was charged. Ask for another card.",
		"terminal.badDetails":                  "Something is wrong with the details. Check them and try again.",
		"terminal.role.OWNER":                  "owner",
		"terminal.role.ADMIN":                  "admin",
		"terminal.role.SALES":                  "sales",
		"terminal.role.FINANCE":                "finance",
		"terminal.st.charged":                  "Charged",
		"terminal.st.partlyCharged":            "Partly charged",
		"terminal.st.approved":                 "Approved",
		"terminal.st.reserved":                 "Reserved",
		"terminal.st.declined":                 "Declined",
		"terminal.st.voided":                   "Voided",
		"terminal.st.expired":                  "Expired",
		"terminal.st.refunded":                 "Refunded",
		"terminal.st.partlyRefunded":           "Partly refunded",
		"terminal.st.needs3ds":                 "Needs 3-D Secure",
		"terminal.st.processing":               "Processing",
		"terminal.h.approved":                  "Approved",
		"terminal.h.charged":                   "Approved and charged",
		"terminal.h.declined":                  "Declined",
		"terminal.h.reserved":                  "Approved and reserved",
		"terminal.h.processing":                "Processing…",
		"terminal.ev.payment.created":          "Payment taken",
		"terminal.ev.payment.declined":         "Declined by the card issuer",
		"terminal.ev.payment.failed":           "Card refused",
		"terminal.ev.payment.authorized":       "Approved",
		"terminal.ev.payment.captured":         "Captured",
		"terminal.ev.payment.voided":           "Voided",
		"terminal.ev.payment.refunded":         "Refunded",
		"terminal.ev.payment.expired":          "Reservation expired",
		"terminal.ev.payment.capture_declined": "Capture declined",
		"terminal.ev.payment.void_declined":    "Void declined",
		"terminal.ev.payment.refund_declined":  "Refund declined",
	},
}

func init() {
	for lang, m := range staffTexts {
		for k, v := range m {
			texts[lang][k] = v
		}
	}
}

// otherLang is the language a page's switch link offers.
func otherLang(lang string) string {
	if lang == "en" {
		return "sv"
	}
	return "en"
}

// langCookie remembers a person's explicit choice of language (the sv/en
// link) across the staff's pages.
const langCookie = "kassa_lang"

// staffLang chooses the language of a page for the merchant's staff: an
// explicit choice (?lang=, then remembered in a cookie), the browser's
// Accept-Language, then the merchant's language where known (merchant:
// its locale, or ""), then Swedish.
func (p *Pages) staffLang(w http.ResponseWriter, r *http.Request, merchant string) string {
	if l := r.URL.Query().Get("lang"); l == "sv" || l == "en" {
		if c, err := r.Cookie(langCookie); err != nil || c.Value != l {
			//nolint:gosec // G124: Secure follows the public URL's scheme (http only on a developer's machine)
			http.SetCookie(w, &http.Cookie{Name: langCookie, Value: l, Path: "/", MaxAge: 365 * 24 * 3600, Secure: p.secure,
				HttpOnly: true, SameSite: http.SameSiteLaxMode})
		}
		return l
	}
	if c, err := r.Cookie(langCookie); err == nil && (c.Value == "sv" || c.Value == "en") {
		return c.Value
	}
	if l := text.Preferred(r.Header.Get("Accept-Language")); l != "" {
		return l
	}
	if l := strings.ToLower(merchant); strings.HasPrefix(l, "en") {
		return "en"
	}
	return "sv"
}

// humanWait says how long to wait, in lang ("15 minuter").
func humanWait(lang string, d time.Duration) string {
	if d < time.Minute {
		s := int((d + time.Second - 1) / time.Second)
		if s == 1 {
			return tr(lang, "wait.second")
		}
		return fmt.Sprintf(tr(lang, "wait.seconds"), s)
	}
	m := int((d + time.Minute - 1) / time.Minute)
	if m == 1 {
		return tr(lang, "wait.minute")
	}
	return fmt.Sprintf(tr(lang, "wait.minutes"), m)
}

// sentence shows a domain error's message as a sentence in lang: the
// codes the terminal's forms can cause have Swedish texts; anything else
// is the error's own (English) message.
func sentence(lang string, err error) string {
	f, ok := fault.As(err)
	if !ok || f.Message == "" {
		return tr(lang, "terminal.badDetails")
	}
	if lang == "sv" {
		if s, ok := texts["sv"]["terminal.err."+f.Code.String()]; ok {
			return s
		}
	}
	s := strings.ToUpper(f.Message[:1]) + f.Message[1:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

// mergeTexts adds extra to m (a page's section of texts) and returns it.
func mergeTexts(m, extra map[string]string) map[string]string {
	for k, v := range extra {
		m[k] = v
	}
	return m
}
