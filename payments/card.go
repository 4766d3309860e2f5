package payments

import (
	"strconv"
	"strings"
	"time"

	"kassa/fault"
	"kassa/luhn"
)

// ParseCardNumber normalizes a card number typed by a person (spaces and
// dashes allowed) and checks its length and Luhn digit.
//
// Errors: code INVALID_CARD_NUMBER on field.
func ParseCardNumber(field, s string) (string, error) {
	if len(s) > 40 {
		return "", fault.Invalid(field, ErrInvalidCardNumber, "the card number is not valid")
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == ' ' || r == '-':
		default:
			return "", fault.Invalid(field, ErrInvalidCardNumber, "the card number may contain only digits")
		}
	}
	n := b.String()
	if len(n) < 12 || len(n) > 19 || !luhn.Valid(n) {
		return "", fault.Invalid(field, ErrInvalidCardNumber, "the card number is not valid")
	}
	return n, nil
}

// ParseExpiry reads "MM/YY" (also "MM/YYYY", "MMYY", spaces allowed) and
// rejects months past.
//
// Errors: code INVALID_EXPIRY, CARD_EXPIRED on field.
func ParseExpiry(field, s string, now time.Time) (month, year int, err error) {
	s = strings.ReplaceAll(strings.TrimSpace(s), " ", "")
	var mm, yy string
	if i := strings.IndexAny(s, "/-"); i >= 0 {
		mm, yy = s[:i], s[i+1:]
	} else if len(s) == 4 || len(s) == 6 {
		mm, yy = s[:2], s[2:]
	}
	m, err1 := strconv.Atoi(mm)
	y, err2 := strconv.Atoi(yy)
	if err1 != nil || err2 != nil || len(mm) < 1 || len(mm) > 2 || (len(yy) != 2 && len(yy) != 4) || m < 1 || m > 12 || y < 0 {
		return 0, 0, fault.Invalid(field, fault.ErrInvalidExpiry, "the expiry date must be written MM/YY")
	}
	if len(yy) == 2 {
		y += 2000
	}
	return checkExpiry(field, m, y, now)
}

// CheckExpiry validates a month and four-digit year.
func CheckExpiry(field string, month, year int, now time.Time) (int, int, error) {
	if month < 1 || month > 12 || year < 2000 || year > 2200 {
		return 0, 0, fault.Invalid(field, fault.ErrInvalidExpiry, "the expiry month must be 1 to 12 and the year four digits")
	}
	return checkExpiry(field, month, year, now)
}

func checkExpiry(field string, m, y int, now time.Time) (int, int, error) {
	if y > now.Year()+30 {
		return 0, 0, fault.Invalid(field, fault.ErrInvalidExpiry, "the expiry date is too far in the future")
	}
	if y < now.Year() || (y == now.Year() && m < int(now.Month())) {
		return 0, 0, fault.Invalid(field, ErrCardExpired, "the card has expired")
	}
	return m, y, nil
}

// ParseCVC checks a card security code: 3 or 4 digits.
//
// Errors: code INVALID_CVC on field.
func ParseCVC(field, s string) (string, error) {
	s = strings.TrimSpace(s)
	if len(s) < 3 || len(s) > 4 {
		return "", fault.Invalid(field, ErrInvalidCVC, "the security code must be 3 or 4 digits")
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return "", fault.Invalid(field, ErrInvalidCVC, "the security code must be 3 or 4 digits")
		}
	}
	return s, nil
}

// Brand names the card network of a number by its prefix.
func Brand(number string) string {
	switch {
	case strings.HasPrefix(number, "4"):
		return "visa"
	case len(number) >= 2 && number[0] == '5' && number[1] >= '1' && number[1] <= '5':
		return "mastercard"
	case len(number) >= 4 && number[:4] >= "2221" && number[:4] <= "2720":
		return "mastercard"
	case strings.HasPrefix(number, "34"), strings.HasPrefix(number, "37"):
		return "amex"
	}
	return "unknown"
}
