package billing

import (
	"encoding/json"
	"strings"
	"unicode/utf8"

	"kassa/fault"
	"kassa/money"
)

// PlanKind is how a subscription is charged.
type PlanKind string

const (
	Fixed  PlanKind = "FIXED"  // a fixed amount every interval, billed in advance
	Usage  PlanKind = "USAGE"  // metered usage, billed in arrears at period end
	Manual PlanKind = "MANUAL" // charged by hand (chargeSubscription), no schedule
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
	switch p.Kind {
	case Fixed:
		if err := money.CheckAmount("plan.amount", p.Amount); err != nil {
			return err
		}
		if !p.Interval.Valid() {
			return fault.Invalid("plan", fault.ErrInvalidInterval, "a FIXED plan needs an interval: MONTHLY, QUARTERLY, SEMIANNUAL or YEARLY")
		}
		p.UnitPrice, p.Tiers, p.Aggregation = 0, nil, ""
	case Usage:
		if p.Interval == "" {
			p.Interval = Monthly
		}
		if !p.Interval.Valid() {
			return fault.Invalid("plan", fault.ErrInvalidInterval, "interval must be MONTHLY, QUARTERLY, SEMIANNUAL or YEARLY")
		}
		if p.Aggregation == "" {
			p.Aggregation = Sum
		}
		if p.Aggregation != Sum && p.Aggregation != Max {
			return fault.Invalid("plan", ErrInvalidPlan, "aggregation must be SUM or MAX")
		}
		if len(p.Tiers) == 0 && (p.UnitPrice <= 0 || p.UnitPrice > money.MaxAmount) {
			return fault.Invalid("plan", fault.ErrInvalidAmount, "a USAGE plan needs a positive unitPrice or tiers")
		}
		if err := CheckTiers(p.Tiers); err != nil {
			return err
		}
		p.Amount = 0
	case Manual:
		p.Amount, p.UnitPrice, p.Tiers, p.Aggregation, p.Interval = 0, 0, nil, "", ""
	default:
		return fault.Invalid("plan", ErrInvalidPlan, "kind must be FIXED, USAGE or MANUAL")
	}
	return nil
}

// Name is how invoices and emails name the plan.
func (p Plan) Name(locale string) string {
	if p.Description != "" {
		return p.Description
	}
	sv := map[PlanKind]string{Fixed: "Abonnemang", Usage: "Användning", Manual: "Debitering"}
	en := map[PlanKind]string{Fixed: "Subscription", Usage: "Usage", Manual: "Charge"}
	if locale == "en" {
		return en[p.Kind]
	}
	return sv[p.Kind]
}
