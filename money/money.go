// Package money is kassa's representation of amounts: an int64 count of the
// currency's minor units (öre for SEK) and an ISO 4217 code. There are no
// floats anywhere near money: arithmetic is on integers, checked for
// overflow, and VAT is computed per line in basis points, rounded half-up
// to the minor unit.
package money

import (
	"context"
	"math"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/bojanz/currency"

	"kassa/fault"
)

// Money is an exact amount.
type Money struct {
	Amount   int64  // minor units
	Currency string // ISO 4217, upper case
}

// MaxAmount bounds any single amount kassa accepts (10^13 minor units: a
// hundred billion kronor), far from int64 overflow even summed over many
// lines.
const MaxAmount = 10_000_000_000_000

// ValidCurrency reports whether code is an ISO 4217 currency kassa knows.
func ValidCurrency(code string) bool {
	return len(code) == 3 && code == strings.ToUpper(code) && currency.IsValid(code)
}

// CheckCurrency returns a fault for an unknown currency on field.
func CheckCurrency(field, code string) error {
	if !ValidCurrency(code) {
		return fault.Invalid(field, fault.ErrInvalidCurrency, "%q is not an ISO 4217 currency code such as SEK", truncate(code))
	}
	return nil
}

// CheckAmount returns a fault unless 0 < amount <= MaxAmount.
func CheckAmount(field string, amount int64) error {
	if amount <= 0 {
		return fault.Invalid(field, fault.ErrInvalidAmount, "amount must be positive (in minor units, e.g. öre)")
	}
	if amount > MaxAmount {
		return fault.Invalid(field, fault.ErrAmountTooLarge, "amount must be at most %d minor units", int64(MaxAmount))
	}
	return nil
}

// Check validates an amount and its currency.
func Check(amountField, currencyField string, m Money) error {
	if err := CheckCurrency(currencyField, m.Currency); err != nil {
		return err
	}
	return CheckAmount(amountField, m.Amount)
}

// Digits is the number of minor-unit digits of the currency (2 for SEK, 0
// for JPY).
func Digits(code string) int {
	d, ok := currency.GetDigits(code)
	if !ok {
		return 2
	}
	return int(d)
}

// Format formats m for a locale by CLDR: "sv" gives "1 234,50 kr" (with
// no-break spaces), "en" gives "SEK 1,234.50".
func Format(m Money, locale string) string {
	amt, err := currency.NewAmountFromInt64(m.Amount, m.Currency)
	if err != nil {
		return formatPlain(m)
	}
	return formatter(localeTag(locale)).Format(amt)
}

// formatters holds one formatter per locale tag, built on first use: a
// page or an email formats many amounts, and building a formatter looks
// up the locale's CLDR data. A Formatter is only read after it is built,
// so one is safe to share between goroutines. The locale comes from
// stored preferences and requests, so at most maxFormatters are kept;
// beyond them a formatter is built per call, as before.
var (
	formatters     sync.Map // locale tag → *currency.Formatter
	formatterCount atomic.Int32
)

const maxFormatters = 64

func formatter(tag string) *currency.Formatter {
	if f, ok := formatters.Load(tag); ok {
		return f.(*currency.Formatter)
	}
	f := currency.NewFormatter(currency.NewLocale(tag))
	if formatterCount.Load() >= maxFormatters {
		return f
	}
	if prev, loaded := formatters.LoadOrStore(tag, f); loaded {
		return prev.(*currency.Formatter)
	}
	formatterCount.Add(1)
	return f
}

func localeTag(l string) string {
	switch l {
	case "sv", "sv-SE", "":
		return "sv-SE"
	case "en":
		return "en"
	}
	return l
}

func formatPlain(m Money) string {
	d := Digits(m.Currency)
	neg := m.Amount < 0
	a := m.Amount
	if neg {
		a = -a
	}
	p := int64(math.Pow10(d))
	s := itoa(a / p)
	if d > 0 {
		frac := itoa(a % p)
		s += "." + strings.Repeat("0", d-len(frac)) + frac
	}
	if neg {
		s = "-" + s
	}
	return s + " " + m.Currency
}

func itoa(n int64) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[i:])
}

func truncate(s string) string {
	if len(s) > 10 {
		return s[:10] + "…"
	}
	return s
}

// Add returns a+b, or false on overflow.
func Add(a, b int64) (int64, bool) {
	c := a + b
	if (c > a) != (b > 0) {
		return 0, false
	}
	return c, true
}

// Mul returns a*b, or false on overflow.
func Mul(a, b int64) (int64, bool) {
	if a == 0 || b == 0 {
		return 0, true
	}
	c := a * b
	if c/b != a || (a == -1 && b == math.MinInt64) || (b == -1 && a == math.MinInt64) {
		return 0, false
	}
	return c, true
}

// VATIncluded splits a gross amount that includes VAT at rate basis points
// (2500 = 25 %) into net and VAT, rounding the VAT half-up to the minor
// unit: vat = gross × rate / (10000 + rate).
func VATIncluded(gross int64, rate int) (net, vat int64) {
	if rate <= 0 || gross == 0 {
		return gross, 0
	}
	num := gross * int64(rate) // gross <= MaxAmount*qty bounds are checked by callers
	den := int64(10000 + rate)
	vat = (2*num + den) / (2 * den)
	if gross < 0 {
		vat = -((2*(-num) + den) / (2 * den))
	}
	return gross - vat, vat
}

// Rate formats a rate in basis points as a percentage without the sign:
// 2500 → "25", 1250 → "12,5" (Swedish decimal comma; rates are shown
// beside amounts formatted for Sweden).
func Rate(bp int) string {
	if bp%100 == 0 {
		return itoa(int64(bp / 100))
	}
	whole, frac := bp/100, bp%100
	f := itoa(int64(frac))
	if frac < 10 {
		f = "0" + f
	}
	return itoa(int64(whole)) + "," + strings.TrimRight(f, "0")
}

type localeKey struct{}

// WithLocale returns ctx in which Money.Formatted formats for the locale
// that locale returns (asked at most once per Formatted call; the caller
// caches it).
func WithLocale(ctx context.Context, locale func() string) context.Context {
	return context.WithValue(ctx, localeKey{}, locale)
}

// Formatted formats m for the locale of ctx (see WithLocale), Swedish when
// ctx names none.
func (m Money) Formatted(ctx context.Context) string {
	locale := "sv"
	if f, ok := ctx.Value(localeKey{}).(func() string); ok {
		locale = f()
	}
	return Format(m, locale)
}
