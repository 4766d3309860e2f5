package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"kassa/auth"
	"kassa/db"
	"kassa/fault"
	"kassa/merchants"
	"kassa/money"
	"kassa/payments"
	"kassa/terminal"
)

// The web terminal: staff key in card payments (MOTO), see their own and
// (OWNER, ADMIN) everyone's recent payments, capture, void and refund, and
// print receipts. The domain rules live in package terminal; these pages
// read forms, call it and show the outcome. The card fields are read from
// the form, handed to the terminal and never rendered back.

func (p *Pages) registerTerminal(mux *http.ServeMux) {
	mux.HandleFunc("GET /terminal", p.terminalHome)
	mux.HandleFunc("POST /terminal", p.terminalCharge)
	mux.HandleFunc("GET /terminal/terminal.js", p.terminalScript)
	mux.HandleFunc("GET /terminal/payments/{id}", p.terminalPayment)
	mux.HandleFunc("GET /terminal/payments/{id}/receipt", p.terminalReceipt)
	mux.HandleFunc("POST /terminal/payments/{id}/{action}", p.terminalAction)
}

// terminalFrame is what every terminal page shows around its content.
// CSRF is the session-bound token (terminalCSRF) of all its forms.
type terminalFrame struct {
	Title, CSRF, Who, Merchant string
}

// staff returns the logged-in member who may use the terminal, or answers
// the request itself: to the login page when no one is logged in (or the
// session expired), 403 for anyone else.
func (p *Pages) staff(w http.ResponseWriter, r *http.Request) (*auth.Principal, merchants.Merchant, bool) {
	pr := p.Principal(r)
	if pr == nil {
		next := "/terminal"
		if r.Method == http.MethodGet {
			next = r.URL.RequestURI()
		}
		http.Redirect(w, r, "/login?next="+url.QueryEscape(next), http.StatusSeeOther)
		return nil, merchants.Merchant{}, false
	}
	if !terminal.MayUse(pr) {
		p.render(w, r, http.StatusForbidden, "message.html", map[string]any{
			"Title": "Not allowed", "Message": "Your role does not give access to the terminal.",
		})
		return nil, merchants.Merchant{}, false
	}
	m, err := p.terminal.Merchant(r.Context(), pr.MerchantID)
	if err != nil {
		p.terminalUnavailable(w, r, err)
		return nil, merchants.Merchant{}, false
	}
	return pr, m, true
}

func (p *Pages) frame(w http.ResponseWriter, r *http.Request, pr *auth.Principal, m merchants.Merchant, title string) terminalFrame {
	return terminalFrame{Title: title, CSRF: terminalCSRF(r),
		Who: pr.UserEmail + " · " + strings.ToLower(string(pr.Role)), Merchant: m.Name}
}

// terminalCSRF is the token the terminal's forms carry: an HMAC keyed by
// the session's own secret token (held only in the browser's HttpOnly
// cookie; kassa stores its hash). It is thus bound to the session: a token
// read from another session's page, or set in a cookie by a sibling
// subdomain (which defeats a double-submit cookie), is refused. It needs
// no state and no key shared between nodes.
func terminalCSRF(r *http.Request) string {
	c, err := r.Cookie(auth.SessionCookie)
	if err != nil || c.Value == "" {
		return ""
	}
	mac := hmac.New(sha256.New, []byte(c.Value))
	mac.Write([]byte("kassa terminal form v1"))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// checkTerminalCSRF reports whether a terminal form post comes from this
// site's page of the same session: the session-bound token, and no
// foreign or opaque ("null": sandboxed frames, data: URLs) origin. A post
// without Origin and Referer (not a browser) must still carry the token.
func (p *Pages) checkTerminalCSRF(r *http.Request) bool {
	if !p.sameOrigin(r) {
		return false
	}
	want := terminalCSRF(r)
	return want != "" && hmac.Equal([]byte(want), []byte(r.PostFormValue("csrf_token")))
}

func (p *Pages) terminalUnavailable(w http.ResponseWriter, r *http.Request, err error) {
	p.log.ErrorContext(r.Context(), "terminal", "error", err)
	p.render(w, r, http.StatusServiceUnavailable, "message.html", map[string]any{
		"Title": "Try again", "Message": "The terminal cannot answer right now. Try again in a moment.",
	})
}

// chargeForm is the payment form as typed: it is shown again after an
// error, without the card number and security code.
type chargeForm struct {
	Amount, Currency, Description, CustomerEmail, OrderNumber, Expiry string
	Reserve                                                           bool
}

// terminalView is the terminal's main page: the form and the recent
// payments.
type terminalView struct {
	terminalFrame
	Form       chargeForm
	Nonce      string
	Currencies []string
	Limit      string
	Error      string
	Declined   bool
	Notice     string
	View       string // mine or all
	SeesAll    bool
	Rows       []terminalRow
	Older      string
}

type terminalRow struct {
	ID, Ref, When, Amount, Status, StatusClass, Card, Description, Staff string
	CanCapture, CanVoid, CanRefund                                       bool
}

func currencies(def string) []string {
	out := []string{def}
	for _, c := range []string{"SEK", "EUR", "NOK", "DKK", "USD", "GBP"} {
		if c != def {
			out = append(out, c)
		}
	}
	return out
}

func (p *Pages) terminalHome(w http.ResponseWriter, r *http.Request) {
	pr, m, ok := p.staff(w, r)
	if !ok {
		return
	}
	v := terminalView{Form: chargeForm{Currency: m.DefaultCurrency}}
	switch r.URL.Query().Get("notice") {
	case "captured":
		v.Notice = "Captured."
	case "voided":
		v.Notice = "Voided: the reservation was released."
	case "refunded":
		v.Notice = "Refunded."
	}
	if ref := r.URL.Query().Get("ref"); v.Notice != "" && len(ref) == 10 && isHex(ref) {
		v.Notice = "Payment " + strings.ToUpper(ref) + ": " + strings.ToLower(v.Notice[:1]) + v.Notice[1:]
	}
	p.renderTerminal(w, r, http.StatusOK, pr, m, v)
}

func isHex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil
}

// renderTerminal renders the main page with a fresh form nonce (a new
// payment) and the list the request asks for.
func (p *Pages) renderTerminal(w http.ResponseWriter, r *http.Request, status int, pr *auth.Principal, m merchants.Merchant, v terminalView) {
	v.terminalFrame = p.frame(w, r, pr, m, "Terminal")
	v.Nonce = terminal.NewFormNonce()
	v.Currencies = currencies(m.DefaultCurrency)
	if l, ok, err := p.terminal.LimitFor(r.Context(), pr); err == nil && ok {
		v.Limit = money.Format(l.Money(), m.Locale)
	}
	v.SeesAll = terminal.SeesAll(pr)
	v.View = "mine"
	if v.SeesAll && r.URL.Query().Get("view") == "all" {
		v.View = "all"
	}
	var f terminal.ListFilter
	if v.View == "mine" {
		me := pr.UserID
		f.TakenBy = &me
	}
	page := db.Page{Limit: 20}
	if a, err := uuid.Parse(r.URL.Query().Get("after")); err == nil {
		page.After = a
	}
	sales, more, err := p.terminal.List(r.Context(), pr, f, page)
	if err != nil {
		p.terminalUnavailable(w, r, err)
		return
	}
	names := p.staffNames(r, pr.MerchantID, sales)
	for _, s := range sales {
		v.Rows = append(v.Rows, p.terminalRow(pr, m, s, names))
	}
	if more && len(sales) > 0 {
		v.Older = "/terminal?view=" + v.View + "&after=" + sales[len(sales)-1].ID.String()
	}
	p.render(w, r, status, "terminal.html", map[string]any{"V": v})
}

func (p *Pages) staffNames(r *http.Request, merchantID uuid.UUID, sales []terminal.Sale) map[uuid.UUID]string {
	var ids []uuid.UUID
	for _, s := range sales {
		if s.TakenByUser != nil {
			ids = append(ids, *s.TakenByUser)
		}
	}
	us, err := p.terminal.Users(r.Context(), merchantID, ids)
	names := make(map[uuid.UUID]string, len(us))
	if err != nil {
		p.log.WarnContext(r.Context(), "terminal: staff names", "error", err)
		return names
	}
	for id, u := range us {
		names[id] = staffName(u)
	}
	return names
}

func staffName(u auth.User) string {
	if u.Name != "" {
		return u.Name
	}
	return u.Email
}

func (p *Pages) terminalRow(pr *auth.Principal, m merchants.Merchant, s terminal.Sale, names map[uuid.UUID]string) terminalRow {
	pay := s.Payment
	row := terminalRow{
		ID: pay.ID.String(), Ref: terminal.Reference(pay.ID), When: whenText(pay.CreatedAt, m.TimeZone),
		Amount: money.Format(money.Money{Amount: pay.Amount, Currency: pay.Currency}, m.Locale), Card: pay.CardLabel("en"),
		Description: pay.Description,
	}
	row.Status, row.StatusClass = statusText(pay)
	switch {
	case s.TakenByUser != nil:
		row.Staff = names[*s.TakenByUser]
	case s.TakenByAPIKey != nil:
		row.Staff = "API key"
	}
	row.CanCapture, row.CanVoid, row.CanRefund = actionsFor(pr, pay)
	return row
}

// actionsFor says which operations p may offer on pay now.
func actionsFor(pr *auth.Principal, pay payments.Payment) (capture, void, refund bool) {
	open := (pay.Status == payments.StatusAuthorized || pay.Status == payments.StatusPartiallyCaptured) && !pay.Expired && !pay.Voided &&
		(pay.CaptureBefore == nil || time.Now().Before(*pay.CaptureBefore))
	capture = open && pay.Remaining() > 0
	void = terminal.MayReverse(pr) && pay.Status == payments.StatusAuthorized && open
	refund = terminal.MayReverse(pr) && pay.Refundable() > 0
	return capture, void, refund
}

func statusText(pay payments.Payment) (string, string) {
	switch pay.Status {
	case payments.StatusCaptured:
		return "Charged", "ok"
	case payments.StatusPartiallyCaptured:
		return "Partly charged", "ok"
	case payments.StatusAuthorized:
		if pay.CaptureMode == payments.CaptureImmediate {
			return "Approved", "ok"
		}
		return "Reserved", "held"
	case payments.StatusFailed:
		return "Declined", "bad"
	case payments.StatusVoided:
		return "Voided", "off"
	case payments.StatusExpired:
		return "Expired", "off"
	case payments.StatusRefunded:
		return "Refunded", "off"
	case payments.StatusPartiallyRefunded:
		return "Partly refunded", "ok"
	case payments.StatusRequiresAction:
		return "Needs 3-D Secure", "held"
	}
	return "Processing", "held"
}

func whenText(t time.Time, tz string) string {
	loc, err := time.LoadLocation(tz)
	if err != nil {
		loc = time.UTC
	}
	t = t.In(loc)
	if y, m, d := time.Now().In(loc).Date(); t.Year() == y && t.Month() == m && t.Day() == d {
		return t.Format("15:04")
	}
	return t.Format("2006-01-02 15:04")
}

// terminalCharge takes the payment: CSRF-checked, one payment per rendered
// form however often it is submitted, and answered only once the
// processor's callback has settled it (within a few seconds).
func (p *Pages) terminalCharge(w http.ResponseWriter, r *http.Request) {
	pr, m, ok := p.staff(w, r)
	if !ok {
		return
	}
	if !p.checkTerminalCSRF(r) {
		p.forbidden(w, r)
		return
	}
	form := chargeForm{
		Amount: strings.TrimSpace(r.PostFormValue("amount")), Currency: strings.ToUpper(strings.TrimSpace(r.PostFormValue("currency"))),
		Description: r.PostFormValue("description"), CustomerEmail: strings.TrimSpace(r.PostFormValue("customerEmail")),
		OrderNumber: strings.TrimSpace(r.PostFormValue("orderNumber")), Expiry: strings.TrimSpace(r.PostFormValue("expiry")),
		Reserve: r.PostFormValue("captureMode") == string(payments.CaptureReserve),
	}
	if form.Currency == "" {
		form.Currency = m.DefaultCurrency
	}
	again := func(status int, msg string, declined bool) {
		if declined {
			form.Expiry = ""
		}
		p.renderTerminal(w, r, status, pr, m, terminalView{Form: form, Error: msg, Declined: declined})
	}
	if msg := formProblem(r, "en"); msg != "" {
		again(http.StatusUnprocessableEntity, msg, false)
		return
	}
	id, err := terminal.FormPaymentID(pr.MerchantID, pr.UserID, r.PostFormValue("form"), time.Now())
	if err != nil {
		again(http.StatusConflict, "This form had expired, so nothing was charged. Check the details, enter the card again and submit.", false)
		return
	}
	amount, err := terminal.ParseAmount(form.Amount, form.Currency)
	if err != nil {
		again(http.StatusUnprocessableEntity, sentence(err), false)
		return
	}
	month, year, err := payments.ParseExpiry("expiry", form.Expiry, time.Now())
	if err != nil {
		again(http.StatusUnprocessableEntity, sentence(err), false)
		return
	}
	c := terminal.Charge{
		ID: id, Amount: amount, Currency: form.Currency, Description: form.Description, CustomerEmail: form.CustomerEmail,
		Card:        payments.Card{Number: r.PostFormValue("cardNumber"), ExpMonth: month, ExpYear: year, CVC: r.PostFormValue("cvc")},
		CaptureMode: payments.CaptureImmediate,
	}
	if form.Reserve {
		c.CaptureMode = payments.CaptureReserve
	}
	if form.OrderNumber != "" {
		n, _ := strconv.ParseInt(strings.TrimPrefix(form.OrderNumber, "#"), 10, 64)
		o, err := p.terminal.OrderByNumber(r.Context(), pr.MerchantID, n)
		if errors.Is(err, fault.ErrNotFound) {
			again(http.StatusUnprocessableEntity, fmt.Sprintf("There is no order number %s.", form.OrderNumber), false)
			return
		}
		if err != nil {
			p.terminalUnavailable(w, r, err)
			return
		}
		c.OrderID = &o.ID
	}
	pay, err := p.terminal.Charge(r.Context(), pr, c)
	if err != nil {
		f, isFault := fault.As(err)
		switch {
		case isFault && f.Code == "PROCESSOR_UNAVAILABLE" && pay.ID != uuid.Nil:
			http.Redirect(w, r, "/terminal/payments/"+pay.ID.String(), http.StatusSeeOther)
		case isFault && !errors.Is(err, fault.ErrForbidden):
			again(http.StatusUnprocessableEntity, sentence(err), false)
		default:
			p.terminalUnavailable(w, r, err)
		}
		return
	}
	if pay.Status == payments.StatusFailed {
		again(http.StatusPaymentRequired, "Declined: "+declineText("en", pay.FailureCode)+". Nothing was charged. Ask for another card.", true)
		return
	}
	http.Redirect(w, r, "/terminal/payments/"+pay.ID.String(), http.StatusSeeOther)
}

// sentence shows a domain error's message as a sentence.
func sentence(err error) string {
	f, ok := fault.As(err)
	if !ok || f.Message == "" {
		return "Something is wrong with the details. Check them and try again."
	}
	s := strings.ToUpper(f.Message[:1]) + f.Message[1:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

// paymentView is a terminal payment's page: the outcome, what can be done
// with it, and its history.
type paymentView struct {
	terminalFrame
	ID, Ref, Outcome, Heading, Amount, Status, StatusClass, Card, Description string
	Order, Customer, Staff, When, Reason, Captured, Refunded                  string
	Capturable, Refundable, CapturableInput, RefundableInput                  string
	CaptureBefore                                                             string
	Moto, Pending                                                             bool
	CanCapture, CanVoid, CanRefund                                            bool
	History                                                                   []historyRow
	Error                                                                     string
	Back                                                                      string
}

type historyRow struct{ When, What, Amount, Who string }

func (p *Pages) terminalSale(w http.ResponseWriter, r *http.Request, pr *auth.Principal) (terminal.Sale, bool) {
	id, err := uuid.Parse(r.PathValue("id"))
	var sale terminal.Sale
	if err == nil {
		sale, err = p.terminal.Get(r.Context(), pr, id)
	}
	if err != nil {
		if _, ok := fault.As(err); ok || id == uuid.Nil {
			p.render(w, r, http.StatusNotFound, "message.html", map[string]any{
				"Title": "Not found", "Message": "There is no such terminal payment, or it is not yours to see.",
			})
			return sale, false
		}
		p.terminalUnavailable(w, r, err)
		return sale, false
	}
	return sale, true
}

func (p *Pages) terminalPayment(w http.ResponseWriter, r *http.Request) {
	pr, m, ok := p.staff(w, r)
	if !ok {
		return
	}
	sale, ok := p.terminalSale(w, r, pr)
	if !ok {
		return
	}
	p.renderPayment(w, r, http.StatusOK, pr, m, sale, "")
}

func minorInput(a int64, currency string) string {
	d := money.Digits(currency)
	if d == 0 {
		return strconv.FormatInt(a, 10)
	}
	s := fmt.Sprintf("%0*d", d+1, a)
	return s[:len(s)-d] + "," + s[len(s)-d:]
}

func (p *Pages) renderPayment(w http.ResponseWriter, r *http.Request, status int, pr *auth.Principal, m merchants.Merchant, sale terminal.Sale, errMsg string) {
	pay := sale.Payment
	f := func(a int64) string { return money.Format(money.Money{Amount: a, Currency: pay.Currency}, m.Locale) }
	v := paymentView{
		terminalFrame: p.frame(w, r, pr, m, "Payment "+terminal.Reference(pay.ID)),
		ID:            pay.ID.String(), Ref: terminal.Reference(pay.ID), Amount: f(pay.Amount), Card: pay.CardLabel("en"),
		Description: pay.Description, Customer: deref(pay.CustomerEmail), When: whenText(pay.CreatedAt, m.TimeZone),
		Moto: pay.Initiator == payments.InitiatorMerchantMOTO, Error: errMsg, Back: "/terminal",
	}
	v.Status, v.StatusClass = statusText(pay)
	switch v.StatusClass {
	case "ok":
		v.Outcome, v.Heading = "approved", "Approved"
		if pay.Status == payments.StatusCaptured || pay.Status == payments.StatusPartiallyRefunded {
			v.Heading = "Approved and charged"
		}
	case "bad":
		v.Outcome, v.Heading, v.Reason = "declined", "Declined", declineText("en", pay.FailureCode)
	case "held":
		v.Outcome, v.Heading = "reserved", "Approved and reserved"
		if pay.Status != payments.StatusAuthorized {
			v.Outcome, v.Heading, v.Pending = "pending", "Processing…", true
		}
	default:
		v.Outcome, v.Heading = "closed", v.Status
	}
	if v.Pending {
		// The processor has not answered yet: look again shortly.
		w.Header().Set("Refresh", "2")
	}
	if pay.AmountCaptured > 0 {
		v.Captured = f(pay.AmountCaptured)
	}
	if pay.AmountRefunded > 0 {
		v.Refunded = f(pay.AmountRefunded)
	}
	if pay.CaptureBefore != nil && pay.Status == payments.StatusAuthorized {
		v.CaptureBefore = whenText(*pay.CaptureBefore, m.TimeZone)
	}
	v.CanCapture, v.CanVoid, v.CanRefund = actionsFor(pr, pay)
	v.Capturable, v.CapturableInput = f(pay.Remaining()), minorInput(pay.Remaining(), pay.Currency)
	v.Refundable, v.RefundableInput = f(pay.Refundable()), minorInput(pay.Refundable(), pay.Currency)
	if pay.OrderID != nil {
		if o, err := p.orders.Get(r.Context(), pr.MerchantID, *pay.OrderID); err == nil {
			v.Order = strconv.FormatInt(o.Number, 10)
		}
	}
	var ids []uuid.UUID
	if sale.TakenByUser != nil {
		ids = append(ids, *sale.TakenByUser)
	}
	evs, err := p.terminal.History(r.Context(), pr.MerchantID, pay.ID)
	if err != nil {
		p.terminalUnavailable(w, r, err)
		return
	}
	for _, e := range evs {
		if e.ActorUser != nil {
			ids = append(ids, *e.ActorUser)
		}
	}
	names := map[uuid.UUID]string{}
	if us, err := p.terminal.Users(r.Context(), pr.MerchantID, ids); err == nil {
		for id, u := range us {
			names[id] = staffName(u)
		}
	}
	if sale.TakenByUser != nil {
		v.Staff = names[*sale.TakenByUser]
	} else if sale.TakenByAPIKey != nil {
		v.Staff = "API key"
	}
	for _, e := range evs {
		what, shown := eventText(e.Type)
		if !shown {
			continue
		}
		h := historyRow{When: whenText(e.CreatedAt, m.TimeZone), What: what}
		if e.Amount != nil && e.Type != "payment.created" {
			h.Amount = f(*e.Amount)
		}
		if e.Type == "payment.declined" && e.Detail != "" {
			h.What += " (" + e.Detail + ")"
		}
		switch {
		case e.ActorUser != nil:
			h.Who = names[*e.ActorUser]
		case e.ActorAPIKey != nil:
			h.Who = "API key"
		}
		v.History = append(v.History, h)
	}
	p.render(w, r, status, "terminal_payment.html", map[string]any{"V": v})
}

// eventText names a payment event for people; events of no interest to
// staff (a request sent, a duplicate) are not shown.
func eventText(typ string) (string, bool) {
	t, ok := map[string]string{
		"payment.created":          "Payment taken",
		"payment.declined":         "Declined by the card issuer",
		"payment.failed":           "Card refused",
		"payment.authorized":       "Approved",
		"payment.captured":         "Captured",
		"payment.voided":           "Voided",
		"payment.refunded":         "Refunded",
		"payment.expired":          "Reservation expired",
		"payment.capture_declined": "Capture declined",
		"payment.void_declined":    "Void declined",
		"payment.refund_declined":  "Refund declined",
	}[typ]
	return t, ok
}

// terminalAction captures, voids or refunds, then returns to where the
// button was.
func (p *Pages) terminalAction(w http.ResponseWriter, r *http.Request) {
	pr, m, ok := p.staff(w, r)
	if !ok {
		return
	}
	if !p.checkTerminalCSRF(r) {
		p.forbidden(w, r)
		return
	}
	sale, ok := p.terminalSale(w, r, pr)
	if !ok {
		return
	}
	if msg := formProblem(r, "en"); msg != "" {
		p.renderPayment(w, r, http.StatusUnprocessableEntity, pr, m, sale, msg)
		return
	}
	pay := sale.Payment
	var amount *int64
	if s := strings.TrimSpace(r.PostFormValue("amount")); s != "" {
		a, err := terminal.ParseAmount(s, pay.Currency)
		if err != nil {
			p.renderPayment(w, r, http.StatusUnprocessableEntity, pr, m, sale, sentence(err))
			return
		}
		amount = &a
	}
	var err error
	notice := ""
	switch r.PathValue("action") {
	case "capture":
		_, err = p.terminal.Capture(r.Context(), pr, pay.ID, amount)
		notice = "captured"
	case "void":
		_, err = p.terminal.Void(r.Context(), pr, pay.ID)
		notice = "voided"
	case "refund":
		_, err = p.terminal.Refund(r.Context(), pr, pay.ID, amount, r.PostFormValue("reason"))
		notice = "refunded"
	default:
		p.render(w, r, http.StatusNotFound, "message.html", map[string]any{"Title": "Not found", "Message": "No such action."})
		return
	}
	if err != nil {
		if errors.Is(err, fault.ErrForbidden) {
			p.render(w, r, http.StatusForbidden, "message.html", map[string]any{
				"Title": "Not allowed", "Message": "Only owners and admins may void or refund.",
			})
			return
		}
		if _, ok := fault.As(err); !ok {
			p.terminalUnavailable(w, r, err)
			return
		}
		if fresh, err2 := p.terminal.Get(r.Context(), pr, pay.ID); err2 == nil {
			sale = fresh
		}
		p.renderPayment(w, r, http.StatusUnprocessableEntity, pr, m, sale, sentence(err))
		return
	}
	back := safeNext(r.PostFormValue("back"))
	if !strings.HasPrefix(back, "/terminal") {
		back = "/terminal"
	}
	u, _ := url.Parse(back)
	q := u.Query()
	q.Set("notice", notice)
	q.Set("ref", strings.ToLower(terminal.Reference(pay.ID)))
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusSeeOther)
}

// terminalReceipt is the printable receipt, in the merchant's language
// (or ?lang=sv|en).
func (p *Pages) terminalReceipt(w http.ResponseWriter, r *http.Request) {
	pr, m, ok := p.staff(w, r)
	if !ok {
		return
	}
	sale, ok := p.terminalSale(w, r, pr)
	if !ok {
		return
	}
	rc, err := p.terminal.Receipt(r.Context(), pr.MerchantID, sale.Payment.ID, r.URL.Query().Get("lang"))
	if err != nil {
		p.terminalUnavailable(w, r, err)
		return
	}
	other := map[string]string{"sv": "en", "en": "sv"}[rc.Lang]
	p.render(w, r, http.StatusOK, "terminal_receipt.html", map[string]any{
		"F": p.frame(w, r, pr, m, rc.T["title"]+" "+rc.Reference), "R": rc, "ID": sale.Payment.ID.String(), "Other": other,
	})
}

// terminalJS disables the submit button once a payment is on its way and
// wires the print button. The pages work without it.
const terminalJS = `(function () {
  "use strict";
  var form = document.getElementById("charge");
  if (form) {
    form.addEventListener("submit", function (e) {
      if (form.getAttribute("data-sent")) { e.preventDefault(); return; }
      form.setAttribute("data-sent", "1");
      var b = document.getElementById("charge-button");
      if (b) { b.disabled = true; b.textContent = "Processing…"; }
    });
  }
  var expiry = document.getElementById("expiry");
  if (expiry) {
    expiry.addEventListener("input", function (e) {
      if (e.inputType && e.inputType.indexOf("delete") === 0) { return; }
      var v = expiry.value.replace(/\/+/g, "/");
      if (/^\d{2}$/.test(v)) { v = v + "/"; }
      if (v !== expiry.value) { expiry.value = v; }
    });
  }
  var print = document.getElementById("print");
  if (print) {
    print.hidden = false;
    print.addEventListener("click", function () { window.print(); });
  }
})();
`

func (p *Pages) terminalScript(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write([]byte(terminalJS))
}
