package branding

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"

	"kassa/fault"
)

// ServeLogo answers GET /branding/logo/{sha256}: the stored image, cached
// for a year (its name changes with its content). It is sent with a CSP
// that allows nothing, as an image is all it may ever be.
func (s *Service) ServeLogo(w http.ResponseWriter, r *http.Request) {
	sha := r.PathValue("sha")
	b, typ, err := s.Logo(r.Context(), sha)
	if err != nil {
		if !errors.Is(err, fault.ErrNotFound) {
			s.log.ErrorContext(r.Context(), "serve logo", "error", err)
			http.Error(w, "try again", http.StatusServiceUnavailable)
			return
		}
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", typ)
	h.Set("Content-Length", fmt.Sprint(len(b)))
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("ETag", `"`+sha+`"`)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Content-Disposition", "inline")
	if r.Header.Get("If-None-Match") == `"`+sha+`"` {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	_, _ = w.Write(b)
}

// ServeTheme answers GET /branding/theme/{rrggbb}.css: the stylesheet that
// gives a page the accent colour, with a readable text colour on it. The
// colour is in the name, so no lookup is needed and the sheet is cached
// for a year.
func (s *Service) ServeTheme(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	hexColor, ok := strings.CutSuffix(name, ".css")
	if !ok || !colorRE.MatchString("#"+hexColor) {
		http.NotFound(w, r)
		return
	}
	c := "#" + strings.ToLower(hexColor)
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	//nolint:gosec // G705: c matched colorRE (#rrggbb) above
	fmt.Fprintf(w, themeCSS, c, TextOn(c), LinkColor(c))
}

const themeCSS = `:root { --accent: %s; --accent-fg: %s; }
button, a.button { background: var(--accent); color: var(--accent-fg); }
a { color: %s; }
a.button { display: block; padding: .7rem; border-radius: 8px; text-align: center; text-decoration: none; font-weight: 600; }
.card { border-top: 4px solid var(--accent); }
.brand { text-align: center; margin: 0 0 1rem; }
.brand-logo { max-height: 56px; max-width: 220px; }
.brand-name { font-size: 1.1rem; }
`

// luminance is the relative luminance of #rrggbb (WCAG 2).
func luminance(c string) float64 {
	var r, g, b int
	_, _ = fmt.Sscanf(strings.TrimPrefix(c, "#"), "%02x%02x%02x", &r, &g, &b)
	lin := func(v int) float64 {
		f := float64(v) / 255
		if f <= 0.03928 {
			return f / 12.92
		}
		return math.Pow((f+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(r) + 0.7152*lin(g) + 0.0722*lin(b)
}

// TextOn is the text colour readable on background c: white or near-black,
// whichever contrasts more.
func TextOn(c string) string {
	l := luminance(c)
	if (1.05)/(l+0.05) >= (l+0.05)/(0.0144+0.05) {
		return "#ffffff"
	}
	return "#1c1c1e"
}

// LinkColor is c when it is readable on white, else the default accent.
func LinkColor(c string) string {
	if 1.05/(luminance(c)+0.05) >= 3 {
		return c
	}
	return DefaultAccent
}
