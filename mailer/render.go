package mailer

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
)

//go:embed templates
var templateFS embed.FS

// Rendered is an email's subject and bodies.
type Rendered struct {
	Subject string
	Text    string
	HTML    string
}

// Render renders template name (e.g. "order_confirmation") in locale ("sv"
// or "en", falling back to "sv") with data. The text template defines
// "subject" and "body"; the HTML template is escaped by html/template, so
// nothing a user typed can inject markup.
func Render(name, locale string, data any) (Rendered, error) {
	if locale != "en" {
		locale = "sv"
	}
	base := "templates/" + name + "." + locale
	txt, err := texttemplate.New(name).Funcs(texttemplate.FuncMap{"oneline": oneLine}).ParseFS(templateFS, base+".txt")
	if err != nil {
		return Rendered{}, fmt.Errorf("mailer: template %s: %w", base, err)
	}
	html, err := htmltemplate.New(name).ParseFS(templateFS, "templates/layout.html", base+".html")
	if err != nil {
		return Rendered{}, fmt.Errorf("mailer: template %s: %w", base, err)
	}
	var subj, body, hb bytes.Buffer
	if err := txt.ExecuteTemplate(&subj, "subject", data); err != nil {
		return Rendered{}, err
	}
	if err := txt.ExecuteTemplate(&body, "body", data); err != nil {
		return Rendered{}, err
	}
	if err := html.ExecuteTemplate(&hb, "layout", data); err != nil {
		return Rendered{}, err
	}
	return Rendered{Subject: oneLine(strings.TrimSpace(subj.String())), Text: strings.TrimSpace(body.String()) + "\n", HTML: hb.String()}, nil
}
