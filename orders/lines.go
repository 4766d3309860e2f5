package orders

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"kassa/fault"
	"kassa/money"
)

// MaxLines bounds an order.
const MaxLines = 500

// VATRates are the rates kassa accepts, in basis points: Sweden's 25, 12,
// 6 and 0 percent.
var VATRates = []int{2500, 1200, 600, 0}

// LineInput is a line as the seller gives it: the unit price includes VAT.
type LineInput struct {
	Description string
	Quantity    int64
	UnitPrice   int64 // minor units, VAT included
	VATRate     int   // basis points
}

// Line is a priced order line: gross = quantity × unit price; VAT is
// rounded half-up to the minor unit per line; net = gross - VAT.
type Line struct {
	Position    int    `db:"position" json:"position"`
	Description string `db:"description" json:"description"`
	Quantity    int64  `db:"quantity" json:"quantity"`
	UnitPrice   int64  `db:"unit_price" json:"unitPrice"`
	VATRate     int    `db:"vat_rate" json:"vatRate"`
	Net         int64  `db:"net" json:"net"`
	VAT         int64  `db:"vat" json:"vat"`
	Gross       int64  `db:"gross" json:"gross"`
}

// VATGroup sums the lines of one VAT rate.
type VATGroup struct {
	Rate  int   `json:"rate"`
	Net   int64 `json:"net"`
	VAT   int64 `json:"vat"`
	Gross int64 `json:"gross"`
}

// Totals are an order's sums, computed from its lines.
type Totals struct {
	Net    int64      `json:"net"`
	VAT    int64      `json:"vat"`
	Gross  int64      `json:"gross"`
	ByRate []VATGroup `json:"byRate"`
}

// PriceLines validates and prices lines and sums them.
//
// Errors: codes NO_LINES, TOO_MANY_LINES, INVALID_DESCRIPTION,
// INVALID_QUANTITY, INVALID_UNIT_PRICE, INVALID_VAT_RATE,
// AMOUNT_TOO_LARGE (a line or the total overflows), INVALID_AMOUNT (the
// total is zero).
func PriceLines(in []LineInput) ([]Line, Totals, error) {
	if len(in) == 0 {
		return nil, Totals{}, fault.Invalid("lines", ErrNoLines, "an order needs at least one line")
	}
	if len(in) > MaxLines {
		return nil, Totals{}, fault.Invalid("lines", ErrTooManyLines, "an order may have at most %d lines", MaxLines)
	}
	lines := make([]Line, len(in))
	var t Totals
	groups := map[int]*VATGroup{}
	for i, l := range in {
		field := func(name string) []string { return []string{"input", "lines", fmt.Sprint(i), name} }
		desc := strings.TrimSpace(l.Description)
		if desc == "" || utf8.RuneCountInString(desc) > 500 || strings.ContainsAny(desc, "\r\n\x00") {
			return nil, Totals{}, &fault.Error{Code: fault.ErrInvalidDescription, Field: field("description"), Message: "each line needs a description of at most 500 characters on one line"}
		}
		if l.Quantity <= 0 || l.Quantity > 1_000_000 {
			return nil, Totals{}, &fault.Error{Code: fault.ErrInvalidQuantity, Field: field("quantity"), Message: "quantity must be between 1 and 1000000"}
		}
		if l.UnitPrice < 0 || l.UnitPrice > money.MaxAmount {
			return nil, Totals{}, &fault.Error{Code: ErrInvalidUnitPrice, Field: field("unitPrice"), Message: "unit price must be between 0 and 10^13 minor units"}
		}
		if !validRate(l.VATRate) {
			return nil, Totals{}, &fault.Error{Code: fault.ErrInvalidVATRate, Field: field("vatRate"), Message: "VAT rate must be one of 2500, 1200, 600, 0 (basis points)"}
		}
		gross, ok := money.Mul(l.Quantity, l.UnitPrice)
		if !ok || gross > money.MaxAmount {
			return nil, Totals{}, &fault.Error{Code: fault.ErrAmountTooLarge, Field: field("quantity"), Message: "quantity × unit price is too large"}
		}
		net, vat := money.VATIncluded(gross, l.VATRate)
		lines[i] = Line{Position: i + 1, Description: desc, Quantity: l.Quantity, UnitPrice: l.UnitPrice, VATRate: l.VATRate, Net: net, VAT: vat, Gross: gross}
		g := groups[l.VATRate]
		if g == nil {
			g = &VATGroup{Rate: l.VATRate}
			groups[l.VATRate] = g
		}
		g.Net += net
		g.VAT += vat
		g.Gross += gross
		t.Net += net
		t.VAT += vat
		t.Gross += gross
		if t.Gross > money.MaxAmount {
			return nil, Totals{}, fault.Invalid("lines", fault.ErrAmountTooLarge, "the order total is too large")
		}
	}
	if t.Gross <= 0 {
		return nil, Totals{}, fault.Invalid("lines", fault.ErrInvalidAmount, "the order total must be more than zero")
	}
	for _, g := range groups {
		t.ByRate = append(t.ByRate, *g)
	}
	sort.Slice(t.ByRate, func(i, j int) bool { return t.ByRate[i].Rate > t.ByRate[j].Rate })
	return lines, t, nil
}

func validRate(r int) bool {
	for _, v := range VATRates {
		if r == v {
			return true
		}
	}
	return false
}

// totalsOf sums lines already priced (as stored).
func totalsOf(lines []Line) Totals {
	var t Totals
	groups := map[int]*VATGroup{}
	for _, l := range lines {
		g := groups[l.VATRate]
		if g == nil {
			g = &VATGroup{Rate: l.VATRate}
			groups[l.VATRate] = g
		}
		g.Net += l.Net
		g.VAT += l.VAT
		g.Gross += l.Gross
		t.Net += l.Net
		t.VAT += l.VAT
		t.Gross += l.Gross
	}
	for _, g := range groups {
		t.ByRate = append(t.ByRate, *g)
	}
	sort.Slice(t.ByRate, func(i, j int) bool { return t.ByRate[i].Rate > t.ByRate[j].Rate })
	return t
}
