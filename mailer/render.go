package mailer

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"strings"
	"sync"
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
	t, err := parsed(name, locale)
	if err != nil {
		return Rendered{}, err
	}
	var subj, body, hb bytes.Buffer
	if err := t.txt.ExecuteTemplate(&subj, "subject", data); err != nil {
		return Rendered{}, err
	}
	if err := t.txt.ExecuteTemplate(&body, "body", data); err != nil {
		return Rendered{}, err
	}
	if err := t.html.ExecuteTemplate(&hb, "layout", data); err != nil {
		return Rendered{}, err
	}
	return Rendered{Subject: oneLine(strings.TrimSpace(subj.String())), Text: strings.TrimSpace(body.String()) + "\n", HTML: hb.String()}, nil
}

type templates struct {
	txt  *texttemplate.Template
	html *htmltemplate.Template
}

// cache holds each template parsed once: they are embedded, so they never
// change while the process runs.
var cache sync.Map // "name.locale" -> *templates

func parsed(name, locale string) (*templates, error) {
	key := name + "." + locale
	if t, ok := cache.Load(key); ok {
		return t.(*templates), nil
	}
	base := "templates/" + key
	// parts.<locale>.txt holds what several texts share (the VAT summary).
	txt, err := texttemplate.New(name).Funcs(texttemplate.FuncMap{"oneline": oneLine}).
		ParseFS(templateFS, "templates/parts."+locale+".txt", base+".txt")
	if err != nil {
		return nil, fmt.Errorf("mailer: template %s: %w", base, err)
	}
	html, err := htmltemplate.New(name).ParseFS(templateFS, "templates/layout.html", base+".html")
	if err != nil {
		return nil, fmt.Errorf("mailer: template %s: %w", base, err)
	}
	t, _ := cache.LoadOrStore(key, &templates{txt: txt, html: html})
	return t.(*templates), nil
}
