package web

import (
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"kassa/auth"
	"kassa/billing"
	"kassa/branding"
	"kassa/checkout"
	"kassa/fault"
	"kassa/orders"
	"kassa/payments"
	"kassa/terminal"
	"kassa/text"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// CSP is the Content-Security-Policy of every page: same-origin only.
const CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"

// Deps are the services the pages call.
type Deps struct {
	Auth      *auth.Service
	Orders    *orders.Service
	Payments  *payments.Service
	Billing   *billing.Service
	Log       *slog.Logger
	PublicURL string
	// Checkouts and Branding, when set, give the payment page the
	// webshop's return URLs and the merchant's look.
	Checkouts *checkout.Service
	Branding  *branding.Service
	// Terminal, when set, serves the web terminal at /terminal.
	Terminal *terminal.Service
}

// Pages serves the HTML pages.
type Pages struct {
	auth      *auth.Service
	orders    *orders.Service
	payments  *payments.Service
	billing   *billing.Service
	publicURL string
	log       *slog.Logger
	tmpl      *template.Template
	secure    bool // cookies get the Secure flag
	sessionTT time.Duration
	checkouts *checkout.Service
	branding  *branding.Service
	terminal  *terminal.Service
}

// New returns the pages. The public URL decides whether cookies are Secure.
func New(d Deps) *Pages {
	tmpl := template.Must(template.New("").Funcs(template.FuncMap{"dict": dict}).ParseFS(templateFS, "templates/*.html"))
	return &Pages{auth: d.Auth, orders: d.Orders, payments: d.Payments, billing: d.Billing, publicURL: d.PublicURL, log: d.Log, tmpl: tmpl,
		secure: strings.HasPrefix(d.PublicURL, "https://"), sessionTT: d.Auth.SessionTTL(), checkouts: d.Checkouts, branding: d.Branding,
		terminal: d.Terminal}
}

// Register adds the pages to mux.
func (p *Pages) Register(mux *http.ServeMux) {
	static, _ := fs.Sub(staticFS, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", cacheFor(time.Hour, http.FileServerFS(static))))
	mux.HandleFunc("GET /login", p.loginForm)
	if p.terminal != nil {
		p.registerTerminal(mux)
	}
	mux.HandleFunc("POST /login", p.login)
	mux.HandleFunc("POST /logout", p.logout)
	mux.HandleFunc("GET /invite/{token}", p.inviteForm)
	mux.HandleFunc("POST /invite/{token}", p.acceptInvite)
	p.registerDashboard(mux)
	mux.HandleFunc("GET /pay/{token}", p.payForm)
	mux.HandleFunc("POST /pay/{token}", p.pay)
	mux.HandleFunc("GET /pay/{token}/status", p.status)
	mux.HandleFunc("GET /pay/{token}/cancel", p.cancel)
	mux.HandleFunc("GET /invoices/{token}", p.invoice)
}

func cacheFor(d time.Duration, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age="+strconv.Itoa(int(d.Seconds())))
		h.ServeHTTP(w, r)
	})
}

const csrfCookie = "kassa_csrf"

// csrfToken returns the request's CSRF token, setting the cookie when the
// browser has none yet.
func (p *Pages) csrfToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) >= 32 {
		return c.Value
	}
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	tok := base64.RawURLEncoding.EncodeToString(b)
	//nolint:gosec // G124: Secure follows the public URL's scheme (http only on a developer's machine)
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: tok, Path: "/", HttpOnly: true, Secure: p.secure, SameSite: http.SameSiteLaxMode})
	return tok
}

// sameOrigin reports whether the request's Origin, or else its Referer,
// names this site (the host the request was sent to, or the public URL's).
func (p *Pages) sameOrigin(r *http.Request) bool {
	from := r.Header.Get("Origin")
	if from == "" {
		from = r.Header.Get("Referer")
		if from == "" {
			return true
		}
	}
	if from == "null" {
		return false
	}
	u, err := url.Parse(from)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return false
	}
	if u.Host == r.Host {
		return true
	}
	pub, err := url.Parse(p.publicURL)
	return err == nil && pub.Host != "" && u.Scheme == pub.Scheme && u.Host == pub.Host
}

// checkCSRF reports whether a form post carries the token of its cookie
// and, when the browser says where it comes from, comes from this origin.
func (p *Pages) checkCSRF(r *http.Request) bool {
	if !p.sameOrigin(r) {
		return false
	}
	c, err := r.Cookie(csrfCookie)
	if err != nil || len(c.Value) < 32 {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(c.Value), []byte(r.PostFormValue("csrf_token"))) == 1
}

func (p *Pages) render(w http.ResponseWriter, r *http.Request, status int, name string, data map[string]any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := p.tmpl.ExecuteTemplate(w, name, data); err != nil {
		p.log.ErrorContext(r.Context(), "render page", "template", name, "error", err)
	}
}

func (p *Pages) forbidden(w http.ResponseWriter, r *http.Request) {
	lang := pickLang(r, "")
	p.render(w, r, http.StatusForbidden, "message.html", map[string]any{
		"Title": tr(lang, "form.title"), "Message": tr(lang, "form.expired"), "Lang": lang,
	})
}

// formProblem checks every field of a posted form once, before a handler
// uses any: text PostgreSQL cannot store (invalid UTF-8, NUL) or control
// characters used to fail deep inside as 503. It says what is wrong, in
// lang, or "" when nothing is.
func formProblem(r *http.Request, lang string) string {
	for name, vs := range r.PostForm {
		for _, v := range vs {
			if text.Problem(name) != "" || text.Problem(v) != "" {
				return fmt.Sprintf(tr(lang, "form.badtext"), text.Clean(name, 40))
			}
		}
	}
	return ""
}

// retryLater sets Retry-After on the answer to a throttled login (or
// invitation) and reports whether err is one.
func retryLater(w http.ResponseWriter, err error) bool {
	wait, ok := auth.RetryAfter(err)
	if ok {
		w.Header().Set("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
	}
	return ok
}

func (p *Pages) setSession(w http.ResponseWriter, token string) {
	//nolint:gosec // G124: Secure follows the public URL's scheme (http only on a developer's machine)
	http.SetCookie(w, &http.Cookie{
		Name: auth.SessionCookie, Value: token, Path: "/", HttpOnly: true, Secure: p.secure,
		SameSite: http.SameSiteLaxMode, MaxAge: int(p.sessionTT.Seconds()),
	})
}

func (p *Pages) clearSession(w http.ResponseWriter) {
	//nolint:gosec // G124: Secure follows the public URL's scheme (http only on a developer's machine)
	http.SetCookie(w, &http.Cookie{Name: auth.SessionCookie, Value: "", Path: "/", HttpOnly: true, Secure: p.secure,
		SameSite: http.SameSiteLaxMode, MaxAge: -1})
}

// safeNext keeps a post-login redirect on this site: a path on this origin,
// or "/". URL parsers disagree on hostile input (browsers drop tabs and
// newlines and read a backslash as a slash, so "/\t/evil.example" becomes
// "//evil.example", another host), so anything one of them might read as
// another origin is refused: control and space characters, backslashes,
// anything but printable ASCII, a scheme, a host, and a path that does
// not start with exactly one slash or has dot segments, before or after
// percent-decoding.
func safeNext(next string) string {
	if next == "" || len(next) > 2048 || next[0] != '/' {
		return "/"
	}
	for i := 0; i < len(next); i++ {
		if c := next[i]; c <= ' ' || c >= 0x7f || c == '\\' {
			return "/"
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" ||
		!strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "//") {
		return "/"
	}
	for i := 0; i < len(u.Path); i++ {
		if c := u.Path[i]; c <= ' ' || c >= 0x7f || c == '\\' {
			return "/"
		}
	}
	// Dot segments are resolved differently by each parser ("/.//x" is
	// "//x" to some); no page of kassa needs one.
	for _, seg := range strings.Split(u.Path, "/") {
		if seg == "." || seg == ".." {
			return "/"
		}
	}
	return next
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// loginData is what the login page shows, in the browser's language
// (no merchant is known yet).
func (p *Pages) loginData(w http.ResponseWriter, r *http.Request, next string) map[string]any {
	lang := p.staffLang(w, r, "")
	return map[string]any{"CSRF": p.csrfToken(w, r), "Next": next, "Lang": lang, "Other": otherLang(lang),
		"T": mergeTexts(trSection(lang, "login."), map[string]string{"other": tr(lang, "lang.other")})}
}

func (p *Pages) loginForm(w http.ResponseWriter, r *http.Request) {
	p.render(w, r, http.StatusOK, "login.html", p.loginData(w, r, safeNext(r.URL.Query().Get("next"))))
}

func (p *Pages) login(w http.ResponseWriter, r *http.Request) {
	if !p.checkCSRF(r) {
		p.forbidden(w, r)
		return
	}
	email, next := r.PostFormValue("email"), safeNext(r.PostFormValue("next"))
	_, token, err := p.auth.Login(r.Context(), email, r.PostFormValue("password"), clientIP(r), r.UserAgent())
	if err != nil {
		data := p.loginData(w, r, next)
		lang := data["Lang"].(string)
		status, msg := http.StatusUnauthorized, tr(lang, "login.wrong")
		if retryLater(w, err) {
			wait, _ := auth.RetryAfter(err)
			status, msg = http.StatusTooManyRequests, fmt.Sprintf(tr(lang, "login.throttled"), humanWait(lang, wait))
		} else if _, ok := fault.As(err); !ok {
			p.log.ErrorContext(r.Context(), "login", "error", err)
			status, msg = http.StatusServiceUnavailable, tr(lang, "login.unavailable")
		}
		data["Email"], data["Error"] = email, msg
		p.render(w, r, status, "login.html", data)
		return
	}
	p.setSession(w, token)
	//nolint:gosec // G710: next passed safeNext (a path on this site)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (p *Pages) logout(w http.ResponseWriter, r *http.Request) {
	if !p.checkCSRF(r) && !p.checkTerminalCSRF(r) { // the terminal's pages carry its session-bound token
		p.forbidden(w, r)
		return
	}
	if c, err := r.Cookie(auth.SessionCookie); err == nil {
		if err := p.auth.Logout(r.Context(), c.Value); err != nil {
			p.log.ErrorContext(r.Context(), "logout", "error", err)
		}
	}
	p.clearSession(w)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// Principal returns who the browser is logged in as, or nil.
func (p *Pages) Principal(r *http.Request) *auth.Principal {
	c, err := r.Cookie(auth.SessionCookie)
	if err != nil {
		return nil
	}
	pr, err := p.auth.AuthenticateSession(r.Context(), c.Value)
	if err != nil {
		return nil
	}
	return pr
}

// dict builds a map for passing named values to a sub-template.
func dict(kv ...any) map[string]any {
	m := make(map[string]any, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		if k, ok := kv[i].(string); ok {
			m[k] = kv[i+1]
		}
	}
	return m
}
