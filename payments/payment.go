package payments

import (
	"time"

	"github.com/google/uuid"

	"kassa/gid"
	"kassa/money"
)

// Status of a payment.
type Status string

// The states of a payment.
const (
	StatusPending           Status = "PENDING" // sent to the processor, result not yet known
	StatusRequiresAction    Status = "REQUIRES_ACTION"
	StatusAuthorized        Status = "AUTHORIZED"
	StatusPartiallyCaptured Status = "PARTIALLY_CAPTURED"
	StatusCaptured          Status = "CAPTURED"
	StatusPartiallyRefunded Status = "PARTIALLY_REFUNDED"
	StatusRefunded          Status = "REFUNDED"
	StatusVoided            Status = "VOIDED"
	StatusExpired           Status = "EXPIRED"
	StatusFailed            Status = "FAILED"
)

// Final reports whether no further change of status is possible. EXPIRED
// is not final: a capture the processor made just before the hold lapsed
// may still be reported.
func (s Status) Final() bool {
	return s == StatusFailed || s == StatusVoided || s == StatusRefunded
}

// CaptureMode says when the money is taken.
type CaptureMode string

// The capture modes.
const (
	CaptureImmediate CaptureMode = "IMMEDIATE" // at purchase
	CaptureReserve   CaptureMode = "RESERVE"   // authorize now, capture at delivery
)

// Valid reports whether m is known.
func (m CaptureMode) Valid() bool { return m == CaptureImmediate || m == CaptureReserve }

// Payment is a card payment.
type Payment struct {
	MerchantID       gid.MerchantID `db:"merchant_id"`
	ID               gid.PaymentID  `db:"id"`
	OrderID          *uuid.UUID     `db:"order_id"`
	Amount           int64          `db:"amount"`
	Currency         string         `db:"currency"`
	CaptureMode      CaptureMode    `db:"capture_mode"`
	Status           Status         `db:"status"`
	Initiator        Initiator      `db:"initiator"`
	Processor        string         `db:"processor"`
	ProcessorRef     *string        `db:"processor_ref"`
	AmountAuthorized int64          `db:"amount_authorized"`
	AmountCaptured   int64          `db:"amount_captured"`
	AmountRefunded   int64          `db:"amount_refunded"`
	Voided           bool           `db:"voided"`
	Expired          bool           `db:"expired"`
	Failed           bool           `db:"failed"`
	FailureCode      *string        `db:"failure_code"`
	FailureMessage   *string        `db:"failure_message"`
	ThreeDS          string         `db:"three_ds"`
	NextActionURL    *string        `db:"next_action_url"`
	CardBrand        *string        `db:"card_brand"`
	CardLast4        *string        `db:"card_last4"`
	CardExpMonth     *int           `db:"card_exp_month"`
	CardExpYear      *int           `db:"card_exp_year"`
	MandateToken     *string        `db:"mandate_token"`
	CaptureBefore    *time.Time     `db:"capture_before"`
	Description      string         `db:"description"`
	CustomerEmail    *string        `db:"customer_email"`
	CreatedByUser    *uuid.UUID     `db:"created_by_user"`
	CreatedByAPIKey  *uuid.UUID     `db:"created_by_api_key"`
	ExpiryWarnedAt   *time.Time     `db:"expiry_warned_at"`
	PaymentLinkID    *uuid.UUID     `db:"payment_link_id"`
	CreatedAt        time.Time      `db:"created_at"`
	UpdatedAt        time.Time      `db:"updated_at"`
}

const paymentColumns = `merchant_id, id, order_id, amount, currency, capture_mode, status, initiator, processor, processor_ref,
	amount_authorized, amount_captured, amount_refunded, voided, expired, failed, failure_code, failure_message,
	three_ds, next_action_url, card_brand, card_last4, card_exp_month, card_exp_year, mandate_token, capture_before,
	description, customer_email, created_by_user, created_by_api_key, expiry_warned_at, payment_link_id, created_at, updated_at`

// Remaining is what can still be captured.
func (p *Payment) Remaining() int64 { return p.AmountAuthorized - p.AmountCaptured }

// Refundable is what can still be refunded.
func (p *Payment) Refundable() int64 { return p.AmountCaptured - p.AmountRefunded }

// Capturable is what can still be captured: the uncaptured part of a
// live reservation, else 0.
func (p *Payment) Capturable() int64 {
	if (p.Status == StatusAuthorized || p.Status == StatusPartiallyCaptured) && !p.Expired && !p.Voided {
		return p.Remaining()
	}
	return 0
}

// AmountMoney is the amount asked for as Money, in the payment's currency
// (the API's view; so are the five below).
func (p *Payment) AmountMoney() money.Money { return p.money(p.Amount) }

// AuthorizedMoney is the amount the card's issuer holds.
func (p *Payment) AuthorizedMoney() money.Money { return p.money(p.AmountAuthorized) }

// CapturedMoney is the amount taken.
func (p *Payment) CapturedMoney() money.Money { return p.money(p.AmountCaptured) }

// RefundedMoney is the amount given back.
func (p *Payment) RefundedMoney() money.Money { return p.money(p.AmountRefunded) }

// CapturableMoney is what can still be captured.
func (p *Payment) CapturableMoney() money.Money { return p.money(p.Capturable()) }

// RefundableMoney is what can still be refunded.
func (p *Payment) RefundableMoney() money.Money { return p.money(p.Refundable()) }

func (p *Payment) money(n int64) money.Money { return money.Money{Amount: n, Currency: p.Currency} }

// deriveStatus computes the status from the amounts and flags. Because it
// depends only on values that grow monotonically, applying the same
// snapshots in any order gives the same status.
func deriveStatus(p *Payment) Status {
	switch {
	case p.AmountRefunded > 0 && p.AmountRefunded == p.AmountCaptured:
		return StatusRefunded
	case p.AmountRefunded > 0:
		return StatusPartiallyRefunded
	case p.AmountCaptured > 0 && p.AmountCaptured == p.AmountAuthorized:
		return StatusCaptured
	case p.AmountCaptured > 0:
		if p.Voided || p.Expired {
			// The rest of the hold was released: nothing more to capture.
			return StatusCaptured
		}
		return StatusPartiallyCaptured
	case p.Voided:
		return StatusVoided
	case p.Expired && p.AmountAuthorized > 0:
		return StatusExpired
	case p.AmountAuthorized > 0:
		return StatusAuthorized
	case p.Failed:
		return StatusFailed
	case p.ThreeDS == "PENDING" || p.NextActionURL != nil:
		return StatusRequiresAction
	}
	return StatusPending
}

// merge folds a processor snapshot into p monotonically: amounts take the
// larger value, flags stay set once set, card details fill in.
func merge(p *Payment, s Snapshot) {
	p.AmountAuthorized = max(p.AmountAuthorized, min(s.Authorized, p.Amount))
	p.AmountCaptured = max(p.AmountCaptured, min(s.Captured, p.AmountAuthorized))
	p.AmountRefunded = max(p.AmountRefunded, min(s.Refunded, p.AmountCaptured))
	p.Voided = p.Voided || s.Voided
	p.Expired = p.Expired || s.Expired
	if s.Failed && !p.Failed && p.AmountAuthorized == 0 {
		p.Failed = true
		p.FailureCode = strPtr(s.FailureCode)
		p.FailureMessage = strPtr(s.FailureMessage)
	}
	switch s.ThreeDS {
	case "PASSED", "FAILED", "CANCELLED":
		p.ThreeDS = s.ThreeDS
	case "NOT_REQUIRED":
		if p.ThreeDS == "UNKNOWN" {
			p.ThreeDS = s.ThreeDS
		}
	}
	if s.RequiresAction && p.ThreeDS == "UNKNOWN" {
		p.ThreeDS = "PENDING"
	}
	if p.AmountAuthorized > 0 || p.Failed {
		p.NextActionURL = nil
	}
	fillCard(p, s.Card)
	if s.MandateToken != "" {
		p.MandateToken = strPtr(s.MandateToken)
	}
	if !s.CaptureBefore.IsZero() && (p.CaptureBefore == nil || s.CaptureBefore.Before(*p.CaptureBefore)) {
		t := s.CaptureBefore.UTC()
		p.CaptureBefore = &t
	}
	p.Status = deriveStatus(p)
}

func fillCard(p *Payment, c CardInfo) {
	if c.Brand != "" && p.CardBrand == nil {
		p.CardBrand = strPtr(c.Brand)
	}
	if len(c.Last4) == 4 && p.CardLast4 == nil {
		p.CardLast4 = strPtr(c.Last4)
	}
	if c.ExpMonth >= 1 && c.ExpMonth <= 12 && p.CardExpMonth == nil {
		m, y := c.ExpMonth, c.ExpYear
		p.CardExpMonth, p.CardExpYear = &m, &y
	}
}

func strPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
