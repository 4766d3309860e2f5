package web

import (
	"net/http"
	"net/url"

	"kassa/text"
)

// The merchant dashboard is a browser app (web/static/app) that does
// everything through /graphql with the session cookie, like any other
// integrator's client. The server only hands out its shell: one HTML page
// for every dashboard address, so a reload or a bookmarked link opens the
// right page, and a visitor who is not logged in goes to /login and back.

// dashboardPaths are the addresses the app routes itself (see routes in
// web/static/app/main.js). The hosted invoice page keeps /invoices/{token};
// the dashboard's invoice pages live under /subscriptions/invoices/.
var dashboardPaths = []string{
	"GET /{$}",
	"GET /orders", "GET /orders/{rest...}",
	"GET /payment-links", "GET /payment-links/{rest...}",
	"GET /payments", "GET /payments/{rest...}",
	"GET /subscriptions", "GET /subscriptions/{rest...}",
	"GET /invoices",
	"GET /customers", "GET /customers/{rest...}",
	"GET /team", "GET /developers", "GET /settings",
}

func (p *Pages) registerDashboard(mux *http.ServeMux) {
	for _, pat := range dashboardPaths {
		mux.HandleFunc(pat, p.dashboard)
	}
}

func (p *Pages) dashboard(w http.ResponseWriter, r *http.Request) {
	pr := p.Principal(r)
	if pr == nil {
		next := r.URL.Path
		if r.URL.RawQuery != "" {
			next += "?" + r.URL.RawQuery
		}
		http.Redirect(w, r, "/login?next="+url.QueryEscape(next), http.StatusSeeOther)
		return
	}
	// The page is the same for everyone; what it shows comes from the API.
	// It must not be cached: it carries the logout form's CSRF token.
	w.Header().Set("Cache-Control", "no-store")
	// The language is settled by the app: the person's own choice, else
	// the browser's (passed here), else the merchant's.
	browser := text.Preferred(r.Header.Get("Accept-Language"))
	lang := text.ChooseLanguage(pr.Locale, r.Header.Get("Accept-Language"), "")
	p.render(w, r, http.StatusOK, "dashboard.html", map[string]any{"CSRF": p.csrfToken(w, r), "Lang": lang, "Browser": browser})
}
