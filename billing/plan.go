package billing

import (
	"encoding/json"
	"strings"
	"unicode/utf8"

	"kassa/fault"
	"kassa/money"
)

// Plan is what a subscription charges. Amounts include VAT.
type Plan struct {
	Kind        PlanKind    `json:"kind"`
	Description string      `json:"description,omitempty"`
	Amount      int64       `json:"amount,omitempty"`    // FIXED
	UnitPrice   int64       `json:"unitPrice,omitempty"` // USAGE without tiers
	Tiers       []Tier      `json:"tiers,omitempty"`     // USAGE, graduated
	Aggregation Aggregation `json:"aggregation,omitempty"`
	Currency    string      `json:"currency"`
	Interval    Interval    `json:"interval,omitempty"`
	VATRate     int         `json:"vatRate"`
	// EffectivePeriod is, for a pending plan change, the first period it
	// applies to.
	EffectivePeriod int `json:"effectivePeriod,omitempty"`
}

func (p Plan) value() []byte {
	b, _ := json.Marshal(p)
	return b
}

// Check validates and normalizes a plan.
//
// Errors: codes INVALID_PLAN, INVALID_AMOUNT, AMOUNT_TOO_LARGE,
// INVALID_CURRENCY, INVALID_INTERVAL, INVALID_VAT_RATE, INVALID_TIERS.
func (p *Plan) Check() error {
	if p.Currency == "" {
		p.Currency = "SEK"
	}
	if err := money.CheckCurrency("plan.currency", p.Currency); err != nil {
		return err
	}
	p.Description = strings.TrimSpace(p.Description)
	if utf8.RuneCountInString(p.Description) > 200 || strings.ContainsAny(p.Description, "\r\n") {
		return fault.Invalid("plan", ErrInvalidPlan, "description must be at most 200 characters on one line")
	}
	switch p.VATRate {
	case 2500, 1200, 600, 0:
	default:
		return fault.Invalid("plan", fault.ErrInvalidVATRate, "vatRate must be one of 2500, 1200, 600, 0 (basis points)")
	}
	return p.checkKind()
}

// Name is how invoices and emails name the plan.
func (p Plan) Name(locale string) string {
	if p.Description != "" {
		return p.Description
	}
	s, _ := p.Kind.spec()
	if locale == "en" {
		return s.name["en"]
	}
	return s.name["sv"]
}
