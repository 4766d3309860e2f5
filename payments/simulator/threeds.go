package simulator

import (
	"context"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"kassa/money"
	"kassa/payments"
	"kassa/text"
)

// The 3-D Secure challenge: a page as the card issuer's bank would show
// it. It needs no JavaScript and loads nothing from elsewhere. The code
// 1234 passes; any other code fails; Cancel abandons the payment. Each
// ends in a 303 to the return URL given with the authorization, with
// ?ref=<ref> (or &ref=) appended.

// Account is what a processor knows of a merchant account from its
// onboarding: the name cardholders see for it (its statement descriptor)
// and its language. kassa answers for the built-in simulator from its
// merchants (SetAccounts); without an answer the page shows the account.
type Account struct {
	Name   string
	Locale string // "sv" or "en"
}

// SetAccounts tells the simulator how to look up an account (kassa's
// merchant id). Call it before serving.
func (s *Server) SetAccounts(fn func(ctx context.Context, account string) (Account, error)) {
	s.accounts = fn
}

// challengeTexts are the page's words, as the cardholder's bank would show
// them in the cardholder's language.
var challengeTexts = map[string]map[string]string{
	"en": {"title": "Verify your purchase", "merchant": "Merchant", "amount": "Amount", "card": "Card", "for": "For",
		"code": "Enter the code 1234", "verify": "Verify", "cancel": "Cancel",
		"note": "This is kassa's card processor simulator. No real bank is involved."},
	"sv": {"title": "Bekräfta ditt köp", "merchant": "Handlare", "amount": "Belopp", "card": "Kort", "for": "Avser",
		"code": "Ange koden 1234", "verify": "Bekräfta", "cancel": "Avbryt",
		"note": "Det här är kassas simulerade kortinlösare. Ingen riktig bank är inblandad."},
}

// challengeLang is the page's language: the merchant account's, which is
// the language kassa's payment page speaks to the customer unless told
// otherwise (so the bank's page follows it, not a browser left in
// English), else the browser's (Accept-Language, as 3-D Secure 2 passes
// it to the issuer), else English.
func challengeLang(r *http.Request, account string) string {
	if account == "sv" || account == "en" {
		return account
	}
	if l := text.Preferred(r.Header.Get("Accept-Language")); l != "" {
		return l
	}
	return "en"
}

var challengePage = template.Must(template.New("3ds").Parse(`<!doctype html>
<html lang="{{.Lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.T.title}}</title>
<style>
body{margin:0;background:#eef1f5;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1c2430}
main{max-width:26rem;margin:3rem auto;background:#fff;border-radius:10px;box-shadow:0 2px 12px rgba(0,0,0,.12);padding:2rem}
.bank{font-weight:700;letter-spacing:.04em;color:#0b4f8a;margin:0 0 1.5rem}
h1{font-size:1.4rem;margin:0 0 1rem}
dl{display:grid;grid-template-columns:auto 1fr;gap:.35rem 1rem;margin:0 0 1.5rem}
dt{color:#5b6675}dd{margin:0;font-weight:600;overflow-wrap:anywhere}
label{display:block;margin-bottom:.4rem}
input{font-size:1.3rem;padding:.5rem;width:100%;box-sizing:border-box;letter-spacing:.2em;border:1px solid #9aa5b4;border-radius:6px}
.actions{display:flex;gap:.75rem;margin-top:1.25rem}
button{font-size:1rem;padding:.6rem 1.2rem;border-radius:6px;border:0;cursor:pointer}
.verify{background:#0b4f8a;color:#fff}
.cancel{background:transparent;color:#0b4f8a;text-decoration:underline}
.note{color:#5b6675;font-size:.85rem;margin-top:1.5rem}
</style>
</head>
<body>
<main>
<p class="bank">Simulator Bank · 3-D Secure</p>
<h1>{{.T.title}}</h1>
<dl>
<dt>{{.T.merchant}}</dt><dd id="merchant">{{.Merchant}}</dd>
<dt>{{.T.amount}}</dt><dd id="amount">{{.Amount}}</dd>
<dt>{{.T.card}}</dt><dd id="card">{{.Brand}} •••• {{.Last4}}</dd>
{{- if .Description}}
<dt>{{.T.for}}</dt><dd id="description">{{.Description}}</dd>
{{- end}}
</dl>
<form method="post" action="{{.Action}}">
<label for="code">{{.T.code}}</label>
<input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" maxlength="8" autofocus>
<div class="actions">
<button class="verify" type="submit" name="action" value="verify">{{.T.verify}}</button>
<button class="cancel" type="submit" name="action" value="cancel">{{.T.cancel}}</button>
</div>
</form>
<p class="note">{{.T.note}}</p>
</main>
</body>
</html>
`))

var donePage = template.Must(template.New("done").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Verification finished</title></head>
<body style="font-family:system-ui,sans-serif;max-width:26rem;margin:3rem auto">
<h1>Verification finished</h1><p>Payment {{.Ref}}: {{.Status}}. You can close this window.</p>
</body></html>
`))

func (s *Server) handleChallengePage(w http.ResponseWriter, r *http.Request) {
	p, err := s.payment(r.Context(), r.PathValue("ref"))
	if errors.Is(err, ErrNotFound) {
		http.Error(w, "No such payment.", http.StatusNotFound)
		return
	}
	if err != nil {
		s.log.ErrorContext(r.Context(), "simulator: 3-D Secure page", "error", err)
		http.Error(w, "Something went wrong.", http.StatusInternalServerError)
		return
	}
	if p.Status != StatusRequiresAction {
		s.finishChallenge(w, r, p)
		return
	}
	// The merchant by the name the cardholder knows, not the account id;
	// the id stays when the account cannot be looked up, as the page
	// must still let the purchase be verified.
	acct := Account{Name: p.Account}
	if s.accounts != nil {
		a, err := s.accounts(r.Context(), p.Account)
		if err != nil {
			s.log.WarnContext(r.Context(), "simulator: 3-D Secure page: account unknown", "account", p.Account, "error", err)
		} else if a.Name != "" {
			acct = a
		}
	}
	lang := challengeLang(r, acct.Locale)
	t := challengeTexts[lang]
	brand := payments.BrandName(p.Brand, lang)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Language", lang)
	w.Header().Set("Vary", "Accept-Language")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	_ = challengePage.Execute(w, map[string]any{
		"Lang":        lang,
		"T":           t,
		"Merchant":    acct.Name,
		"Amount":      money.Format(money.Money{Amount: p.Amount, Currency: p.Currency}, lang),
		"Brand":       brand,
		"Last4":       p.Last4,
		"Description": p.Description,
		"Action":      s.publicURL + "/3ds/" + p.Ref,
	})
}

func (s *Server) handleChallengeForm(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "Bad form.", http.StatusBadRequest)
		return
	}
	outcome := challengeFailed
	switch {
	case r.PostForm.Get("action") == "cancel":
		outcome = challengeCancelled
	case strings.TrimSpace(r.PostForm.Get("code")) == "1234":
		outcome = challengePassed
	}
	p, err := s.completeChallenge(r.Context(), r.PathValue("ref"), outcome)
	if errors.Is(err, ErrNotFound) {
		http.Error(w, "No such payment.", http.StatusNotFound)
		return
	}
	if err != nil {
		s.log.ErrorContext(r.Context(), "simulator: 3-D Secure form", "error", err)
		http.Error(w, "Something went wrong.", http.StatusInternalServerError)
		return
	}
	s.finishChallenge(w, r, p)
}

// finishChallenge sends the cardholder back to the merchant.
func (s *Server) finishChallenge(w http.ResponseWriter, r *http.Request, p *paymentRow) {
	if p.ReturnURL == "" {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = donePage.Execute(w, map[string]string{"Ref": p.Ref, "Status": string(p.Status)})
		return
	}
	//nolint:gosec // G710: the return URL kassa gave with the payment, as a processor's 3-D Secure page does
	http.Redirect(w, r, returnURL(p.ReturnURL, p.Ref), http.StatusSeeOther)
}

// returnURL appends ref to the merchant's return URL, keeping its query
// and fragment as they were.
func returnURL(base, ref string) string {
	frag := ""
	if i := strings.IndexByte(base, '#'); i >= 0 {
		base, frag = base[:i], base[i:]
	}
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
		if strings.HasSuffix(base, "?") || strings.HasSuffix(base, "&") {
			sep = ""
		}
	}
	return base + sep + "ref=" + url.QueryEscape(ref) + frag
}
