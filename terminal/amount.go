package terminal

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"kassa/fault"
	"kassa/money"
)

// ParseAmount reads an amount typed by a person into minor units of
// currency: "1 234,50", "1234.50", "1 234", "1.234,50", "1,234.50",
// "250:-" and "1 234,50 kr" all work for SEK. A lone separator followed by
// exactly three digits ("1.234") is refused as ambiguous when the currency
// has fewer decimals, rather than guessed: with money, a wrong guess costs
// a factor of a thousand.
//
// Errors: code INVALID_AMOUNT (malformed, zero, negative, too many
// decimals, ambiguous) or AMOUNT_TOO_LARGE on field "amount".
func ParseAmount(s, currency string) (int64, error) {
	const field = "amount"
	bad := func(format string, args ...any) (int64, error) {
		return 0, fault.Invalid(field, fault.ErrInvalidAmount, format, args...)
	}
	if len(s) > 64 {
		return bad("the amount is too long")
	}
	s = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '\u00a0' || r == '\u202f' || r == '\u2009' {
			return -1
		}
		return r
	}, s)
	var ok bool
	if s, ok = stripCurrency(s, currency); !ok {
		return bad("write the amount with digits only, e.g. 1 234,50")
	}
	whole := false
	for _, suffix := range []string{":-", ",-", ".-"} {
		if strings.HasSuffix(s, suffix) {
			s, whole = strings.TrimSuffix(s, suffix), true
			break
		}
	}
	if strings.HasPrefix(s, "-") || strings.HasPrefix(s, "\u2212") {
		return bad("the amount must be more than zero")
	}
	if s == "" {
		return bad("enter an amount, e.g. 1 234,50")
	}
	for _, r := range s {
		if (r < '0' || r > '9') && r != ',' && r != '.' {
			return bad("write the amount with digits only, e.g. 1 234,50")
		}
	}
	digits := money.Digits(currency)
	intPart, frac := s, ""
	commas, dots := strings.Count(s, ","), strings.Count(s, ".")
	last := strings.LastIndexAny(s, ",.")
	switch {
	case commas > 0 && dots > 0:
		// Both: the last is the decimal separator, the other groups.
		dec := s[last]
		if strings.Count(s, string(dec)) > 1 {
			return bad("the amount %q has more than one decimal separator", s)
		}
		intPart, frac = s[:last], s[last+1:]
		group := byte(',')
		if dec == ',' {
			group = '.'
		}
		if !validGroups(intPart, group) {
			return bad("the amount %q is not written correctly: use a space between thousands, e.g. 1 234,50", s)
		}
		intPart = strings.ReplaceAll(intPart, string(group), "")
	case commas+dots == 1:
		after := len(s) - last - 1
		switch {
		case after == 3 && digits == 0 && last > 0:
			intPart = s[:last] + s[last+1:]
		case after == 3 && digits < 3 && last > 0:
			return bad("%q is ambiguous: write %s or %s", s, s[:last]+s[last+1:], s[:last]+","+s[last+1:last+1+min(2, digits)])
		case after > digits:
			if digits == 0 {
				return bad("%s has no decimals", currency)
			}
			return bad("%s has at most %d decimals", currency, digits)
		}
		if intPart == s {
			intPart, frac = s[:last], s[last+1:]
		}
	case commas+dots > 1:
		// One kind, several times: thousands groups.
		sep := s[last]
		if !validGroups(s, sep) {
			return bad("the amount %q is not written correctly: use a space between thousands, e.g. 1 234,50", s)
		}
		intPart = strings.ReplaceAll(s, string(sep), "")
	}
	if whole && frac != "" && strings.Trim(frac, "0") != "" {
		return bad("the amount %q is not written correctly", s)
	}
	if intPart == "" && frac == "" {
		return bad("enter an amount, e.g. 1 234,50")
	}
	if len(frac) > digits {
		return bad("%s has at most %d decimals", currency, digits)
	}
	intPart = strings.TrimLeft(intPart, "0")
	if len(intPart) > 15 {
		return 0, fault.Invalid(field, fault.ErrAmountTooLarge, "the amount is too large")
	}
	var v int64
	for _, r := range intPart + frac + strings.Repeat("0", digits-len(frac)) {
		v = v*10 + int64(r-'0')
	}
	if v == 0 {
		return bad("the amount must be more than zero")
	}
	if err := money.CheckAmount(field, v); err != nil {
		return 0, err
	}
	return v, nil
}

// validGroups reports whether s is digits in thousands groups separated by
// sep: 1 to 3 digits, then groups of exactly 3.
func validGroups(s string, sep byte) bool {
	parts := strings.Split(s, string(sep))
	for i, p := range parts {
		if p == "" || len(p) > 3 || (i > 0 && len(p) != 3) || strings.Trim(p, "0123456789") != "" {
			return false
		}
	}
	return true
}

// stripCurrency removes a currency marker before or after the number: the
// currency's code, "kr", or a currency symbol ("€", "US$"). Anything else
// that is not part of a number is refused.
func stripCurrency(s, currency string) (string, bool) {
	mark := func(r rune) bool { return unicode.IsLetter(r) || unicode.Is(unicode.Sc, r) }
	i := strings.IndexFunc(s, func(r rune) bool { return !mark(r) })
	if i < 0 {
		i = len(s)
	}
	prefix, rest := s[:i], s[i:]
	// The suffix is a run of marks, with the abbreviation's dot ("kr.").
	j := len(strings.TrimRightFunc(strings.TrimSuffix(rest, "."), mark))
	if j == len(strings.TrimSuffix(rest, ".")) {
		j = len(rest) // no mark at the end: a trailing dot is the number's
	}
	num, suffix := rest[:j], rest[j:]
	known := func(m string) bool {
		if m == "" {
			return true
		}
		m = strings.TrimSuffix(strings.ToUpper(m), ".")
		if m == currency || (m == "KR" && (currency == "SEK" || currency == "NOK" || currency == "DKK" || currency == "ISK")) {
			return true
		}
		return utf8.RuneCountInString(m) <= 4 && strings.ContainsFunc(m, func(r rune) bool { return unicode.Is(unicode.Sc, r) })
	}
	if !known(prefix) || !known(suffix) || strings.ContainsFunc(num, mark) {
		return s, false
	}
	return num, true
}
