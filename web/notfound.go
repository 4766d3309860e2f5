package web

import (
	"mime"
	"net/http"
	"strings"
)

// WantsPage reports whether the request for an unknown URL should be
// answered with an HTML page: a browser navigating (GET or HEAD, text/html
// accepted before any JSON) outside the API's paths. Everyone else gets
// the API's JSON error.
func WantsPage(r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	if r.URL.Path == "/graphql" || strings.HasPrefix(r.URL.Path, "/graphql/") || strings.HasPrefix(r.URL.Path, "/callbacks/") {
		return false
	}
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mt {
		case "text/html", "application/xhtml+xml":
			return true
		case "application/json", "application/graphql-response+json":
			return false
		}
	}
	return false
}

// NotFound answers 404 with a page in the site's style, in the browser's
// language, linking to the home page.
func (p *Pages) NotFound(w http.ResponseWriter, r *http.Request) {
	lang := p.staffLang(w, r, "")
	p.render(w, r, http.StatusNotFound, "notfound.html", map[string]any{
		"Lang": lang, "Title": tr(lang, "notfound.title"), "T": trSection(lang, "notfound."),
		"Other": otherLang(lang), "Path": r.URL.Path,
	})
}
