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
	"kassa/gid"
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
	// Lang is the staff's language (staffLang); T its words, keyed
	// without "terminal."; Other the language the switch link offers.
	Lang, Other string
	T           map[string]string
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
		lang := p.staffLang(w, r, "")
		p.render(w, r, http.StatusForbidden, "message.html", map[string]any{
			"Title": tr(lang, "terminal.notAllowed"), "Message": tr(lang, "terminal.noAccess"), "Lang": lang,
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

// tlang is the language of the terminal's pages for the staff of m.
func (p *Pages) tlang(w http.ResponseWriter, r *http.Request, m merchants.Merchant) string {
	return p.staffLang(w, r, m.Locale)
}

func (p *Pages) frame(w http.ResponseWriter, r *http.Request, pr *auth.Principal, m merchants.Merchant, title string) terminalFrame {
	lang := p.tlang(w, r, m)
	role := tr(lang, "terminal.role."+string(pr.Role))
	if role == "" {
		role = strings.ToLower(string(pr.Role))
	}
	return terminalFrame{Title: title, CSRF: terminalCSRF(r), Who: pr.UserEmail + " · " + role, Merchant: m.Name,
		Lang: lang, Other: otherLang(lang), T: trSection(lang, "terminal.")}
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
	lang := p.staffLang(w, r, "")
	p.render(w, r, http.StatusServiceUnavailable, "message.html", map[string]any{
		"Title": tr(lang, "terminal.tryAgain"), "Message": tr(lang, "terminal.unavailable"), "Lang": lang,
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
	lang := p.tlang(w, r, m)
	switch n := r.URL.Query().Get("notice"); n {
	case "captured", "voided", "refunded":
		v.Notice = tr(lang, "terminal.notice."+n)
	}
	if ref := r.URL.Query().Get("ref"); v.Notice != "" && len(ref) == 10 && isHex(ref) {
		v.Notice = fmt.Sprintf(tr(lang, "terminal.notice.ref"), strings.ToUpper(ref), strings.ToLower(v.Notice[:1])+v.Notice[1:])
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
	v.terminalFrame = p.frame(w, r, pr, m, "")
	v.Title = v.T["title"]
	v.Nonce = terminal.NewFormNonce()
	v.Currencies = currencies(m.DefaultCurrency)
	if l, ok, err := p.terminal.LimitFor(r.Context(), pr); err == nil && ok {
		v.Limit = fmt.Sprintf(v.T["limit"], money.Format(l.Money(), m.Locale))
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
		v.Rows = append(v.Rows, p.terminalRow(v.Lang, pr, m, s, names))
	}
	if more && len(sales) > 0 {
		v.Older = "/terminal?view=" + v.View + "&after=" + sales[len(sales)-1].ID.String()
	}
	p.render(w, r, status, "terminal.html", map[string]any{"V": v})
}

func (p *Pages) staffNames(r *http.Request, merchantID gid.MerchantID, sales []terminal.Sale) map[uuid.UUID]string {
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

func (p *Pages) terminalRow(lang string, pr *auth.Principal, m merchants.Merchant, s terminal.Sale, names map[uuid.UUID]string) terminalRow {
	pay := s.Payment
	row := terminalRow{
		ID: pay.ID.String(), Ref: terminal.Reference(pay.ID.UUID), When: whenText(pay.CreatedAt, m.TimeZone),
		Amount: money.Format(money.Money{Amount: pay.Amount, Currency: pay.Currency}, m.Locale), Card: pay.CardLabel(lang),
		Description: pay.Description,
	}
	row.Status, row.StatusClass = statusText(lang, pay)
	switch {
	case s.TakenByUser != nil:
		row.Staff = names[*s.TakenByUser]
	case s.TakenByAPIKey != nil:
		row.Staff = tr(lang, "terminal.apiKey")
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

// statusText names a payment's status for staff, in lang, and its class.
func statusText(lang string, pay payments.Payment) (string, string) {
	key, class := "processing", "held"
	switch pay.Status {
	case payments.StatusCaptured:
		key, class = "charged", "ok"
	case payments.StatusPartiallyCaptured:
		key, class = "partlyCharged", "ok"
	case payments.StatusAuthorized:
		key, class = "reserved", "held"
		if pay.CaptureMode == payments.CaptureImmediate {
			key, class = "approved", "ok"
		}
	case payments.StatusFailed:
		key, class = "declined", "bad"
	case payments.StatusVoided:
		key, class = "voided", "off"
	case payments.StatusExpired:
		key, class = "expired", "off"
	case payments.StatusRefunded:
		key, class = "refunded", "off"
	case payments.StatusPartiallyRefunded:
		key, class = "partlyRefunded", "ok"
	case payments.StatusRequiresAction:
		key, class = "needs3ds", "held"
	}
	return tr(lang, "terminal.st."+key), class
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
	lang := p.tlang(w, r, m)
	again := func(status int, msg string, declined bool) {
		if declined {
			form.Expiry = ""
		}
		p.renderTerminal(w, r, status, pr, m, terminalView{Form: form, Error: msg, Declined: declined})
	}
	if msg := formProblem(r, lang); msg != "" {
		again(http.StatusUnprocessableEntity, msg, false)
		return
	}
	id, err := terminal.FormPaymentID(pr.MerchantID, pr.UserID, r.PostFormValue("form"), time.Now())
	if err != nil {
		again(http.StatusConflict, tr(lang, "terminal.formExpired"), false)
		return
	}
	amount, err := terminal.ParseAmount(form.Amount, form.Currency)
	if err != nil {
		again(http.StatusUnprocessableEntity, sentence(lang, err), false)
		return
	}
	month, year, err := payments.ParseExpiry("expiry", form.Expiry, time.Now())
	if err != nil {
		again(http.StatusUnprocessableEntity, sentence(lang, err), false)
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
			again(http.StatusUnprocessableEntity, fmt.Sprintf(tr(lang, "terminal.noOrder"), form.OrderNumber), false)
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
		_, isFault := fault.As(err)
		switch {
		case errors.Is(err, payments.ErrProcessorUnavailable) && pay.ID.UUID != uuid.Nil:
			http.Redirect(w, r, "/terminal/payments/"+pay.ID.String(), http.StatusSeeOther)
		case isFault && !errors.Is(err, fault.ErrForbidden):
			again(http.StatusUnprocessableEntity, sentence(lang, err), false)
		default:
			p.terminalUnavailable(w, r, err)
		}
		return
	}
	if pay.Status == payments.StatusFailed {
		again(http.StatusPaymentRequired, fmt.Sprintf(tr(lang, "terminal.declined"), declineText(lang, pay.FailureCode)), true)
		return
	}
	http.Redirect(w, r, "/terminal/payments/"+pay.ID.String(), http.StatusSeeOther)
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

// terminalSale is the terminal payment the URL names, or answers the
// request itself. With elsewhere, a payment pr may see that was not taken
// at the terminal (a payment link's, a checkout's) is shown on the
// dashboard's payment page instead.
func (p *Pages) terminalSale(w http.ResponseWriter, r *http.Request, pr *auth.Principal, elsewhere bool) (terminal.Sale, bool) {
	id, err := uuid.Parse(r.PathValue("id"))
	var sale terminal.Sale
	if err == nil {
		sale, err = p.terminal.Get(r.Context(), pr, gid.Of[gid.PaymentID](id))
	}
	if err != nil {
		if _, ok := fault.As(err); ok || id == uuid.Nil {
			if elsewhere && id != uuid.Nil && errors.Is(err, fault.ErrNotFound) {
				if _, err := p.payments.GetAs(r.Context(), payments.ActorOf(pr), pr.MerchantID, gid.Of[gid.PaymentID](id)); err == nil {
					//nolint:gosec // G710: a path on this site
					http.Redirect(w, r, "/payments/"+id.String(), http.StatusSeeOther)
					return sale, false
				}
			}
			lang := p.staffLang(w, r, "")
			p.render(w, r, http.StatusNotFound, "message.html", map[string]any{
				"Title": tr(lang, "terminal.notFound"), "Message": tr(lang, "terminal.noSuchPayment"), "Lang": lang,
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
	sale, ok := p.terminalSale(w, r, pr, true)
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
	frame := p.frame(w, r, pr, m, "")
	lang := frame.Lang
	frame.Title = fmt.Sprintf(frame.T["payment"], terminal.Reference(pay.ID.UUID))
	v := paymentView{
		terminalFrame: frame,
		ID:            pay.ID.String(), Ref: terminal.Reference(pay.ID.UUID), Amount: f(pay.Amount), Card: pay.CardLabel(lang),
		Description: pay.Description, Customer: deref(pay.CustomerEmail), When: whenText(pay.CreatedAt, m.TimeZone),
		Moto: pay.Initiator == payments.InitiatorMerchantMOTO, Error: errMsg, Back: "/terminal",
	}
	v.Status, v.StatusClass = statusText(lang, pay)
	switch v.StatusClass {
	case "ok":
		v.Outcome, v.Heading = "approved", tr(lang, "terminal.h.approved")
		if pay.Status == payments.StatusCaptured || pay.Status == payments.StatusPartiallyRefunded {
			v.Heading = tr(lang, "terminal.h.charged")
		}
	case "bad":
		v.Outcome, v.Heading, v.Reason = "declined", tr(lang, "terminal.h.declined"), declineText(lang, pay.FailureCode)
	case "held":
		v.Outcome, v.Heading = "reserved", tr(lang, "terminal.h.reserved")
		if pay.Status != payments.StatusAuthorized {
			v.Outcome, v.Heading, v.Pending = "pending", tr(lang, "terminal.h.processing"), true
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
		v.Staff = tr(lang, "terminal.apiKey")
	}
	for _, e := range evs {
		what, shown := eventText(lang, e.Type)
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
			h.Who = tr(lang, "terminal.apiKey")
		}
		v.History = append(v.History, h)
	}
	p.render(w, r, status, "terminal_payment.html", map[string]any{"V": v})
}

// eventText names a payment event for people; events of no interest to
// staff (a request sent, a duplicate) are not shown.
func eventText(lang, typ string) (string, bool) {
	t, ok := texts[lang]["terminal.ev."+typ]
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
	sale, ok := p.terminalSale(w, r, pr, false)
	if !ok {
		return
	}
	lang := p.tlang(w, r, m)
	if msg := formProblem(r, lang); msg != "" {
		p.renderPayment(w, r, http.StatusUnprocessableEntity, pr, m, sale, msg)
		return
	}
	pay := sale.Payment
	var amount *int64
	if s := strings.TrimSpace(r.PostFormValue("amount")); s != "" {
		a, err := terminal.ParseAmount(s, pay.Currency)
		if err != nil {
			p.renderPayment(w, r, http.StatusUnprocessableEntity, pr, m, sale, sentence(lang, err))
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
		p.render(w, r, http.StatusNotFound, "message.html", map[string]any{
			"Title": tr(lang, "terminal.notFound"), "Message": tr(lang, "terminal.noSuchAction"), "Lang": lang,
		})
		return
	}
	if err != nil {
		if errors.Is(err, fault.ErrForbidden) {
			p.render(w, r, http.StatusForbidden, "message.html", map[string]any{
				"Title": tr(lang, "terminal.notAllowed"), "Message": tr(lang, "terminal.reverseOnly"), "Lang": lang,
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
		p.renderPayment(w, r, http.StatusUnprocessableEntity, pr, m, sale, sentence(lang, err))
		return
	}
	back := safeNext(r.PostFormValue("back"))
	if !strings.HasPrefix(back, "/terminal") {
		back = "/terminal"
	}
	u, _ := url.Parse(back)
	q := u.Query()
	q.Set("notice", notice)
	q.Set("ref", strings.ToLower(terminal.Reference(pay.ID.UUID)))
	u.RawQuery = q.Encode()
	//nolint:gosec // G710: back passed safeNext and must start with /terminal
	http.Redirect(w, r, u.String(), http.StatusSeeOther)
}

// terminalReceipt is the printable receipt, in the merchant's language
// (or ?lang=sv|en).
func (p *Pages) terminalReceipt(w http.ResponseWriter, r *http.Request) {
	pr, m, ok := p.staff(w, r)
	if !ok {
		return
	}
	sale, ok := p.terminalSale(w, r, pr, false)
	if !ok {
		return
	}
	rc, err := p.terminal.Receipt(r.Context(), pr.MerchantID, sale.Payment.ID, r.URL.Query().Get("lang"))
	if err != nil {
		p.terminalUnavailable(w, r, err)
		return
	}
	other := map[string]string{"sv": "en", "en": "sv"}[rc.Lang]
	// ?lang= chooses the receipt's language (the customer's), not the
	// staff's: the frame around it is chosen without it.
	plain := r.Clone(r.Context())
	plain.URL.RawQuery = ""
	p.render(w, r, http.StatusOK, "terminal_receipt.html", map[string]any{
		"F": p.frame(w, plain, pr, m, rc.T["title"]+" "+rc.Reference), "R": rc, "ID": sale.Payment.ID.String(), "Other": other,
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
      if (b) { b.disabled = true; b.textContent = b.getAttribute("data-processing") || "…"; }
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
