// Package text holds the checks kassa makes of text from outside before
// it is used or stored. PostgreSQL refuses invalid UTF-8 and NUL in text
// columns (such text used to surface as internal errors), and control
// characters break mail headers, logs and pages. Fields with rules of their
// own (one line, a length) keep them in the domain that owns the field.
package text

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Problem says what is wrong with s as text a caller sent, or "" when
// nothing is: it is not UTF-8, or holds a control character other than
// tab and line breaks (NUL, ESC, DEL, C1 controls).
func Problem(s string) string {
	if !utf8.ValidString(s) {
		return "is not valid UTF-8"
	}
	for _, r := range s {
		if r == 0 {
			return "contains a NUL character"
		}
		if unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r' {
			return fmt.Sprintf("contains the control character U+%04X", r)
		}
	}
	return ""
}

// Storable reports whether PostgreSQL can store every one of ss: valid
// UTF-8 without NUL.
func Storable(ss ...string) bool {
	for _, s := range ss {
		if !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
			return false
		}
	}
	return true
}

// Clean makes text that arrives in a header (a User-Agent, a client
// address) fit to store and show: invalid bytes become U+FFFD, control
// characters go, and it is cut to at most max bytes at a character
// boundary.
func Clean(s string, max int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut]
	}
	return s
}

// Preferred is the first of the languages kassa speaks (sv, en) that an
// Accept-Language header names, in the header's order, or "" for none.
func Preferred(acceptLanguage string) string {
	for _, part := range strings.Split(acceptLanguage, ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		switch {
		case strings.HasPrefix(tag, "sv"):
			return "sv"
		case strings.HasPrefix(tag, "en"):
			return "en"
		}
	}
	return ""
}

// ChooseLanguage is the language ("sv" or "en") to show a person: the one
// they chose (userLocale), else the first kassa speaks that their browser
// asks for (acceptLanguage, an Accept-Language header), else the
// merchant's (merchantLocale), else Swedish. Values other than "sv" and
// "en" count as no choice.
func ChooseLanguage(userLocale, acceptLanguage, merchantLocale string) string {
	if l := known(userLocale); l != "" {
		return l
	}
	if l := Preferred(acceptLanguage); l != "" {
		return l
	}
	if l := known(merchantLocale); l != "" {
		return l
	}
	return "sv"
}

func known(locale string) string {
	switch l := strings.ToLower(strings.TrimSpace(locale)); l {
	case "sv", "en":
		return l
	}
	return ""
}
