package simulator

import (
	"time"

	"github.com/google/uuid"

	"kassa/payments"
)

// The JSON the Client and the Server exchange. The API lives under /v1,
// authenticated with "Authorization: Bearer <secret>"; every POST carries
// an Idempotency-Key header.

// wireCardIn is a full card on its way in. It formats redacted, like
// payments.Card, should anything ever print it.
type wireCardIn struct {
	Number   string `json:"number"`
	ExpMonth int    `json:"exp_month"`
	ExpYear  int    `json:"exp_year"`
	CVC      string `json:"cvc"`
	Holder   string `json:"holder,omitempty"`
}

func (c wireCardIn) String() string {
	return payments.Card{Number: c.Number, ExpMonth: c.ExpMonth, ExpYear: c.ExpYear}.String()
}

// authorizeRequest is POST /v1/payments.
type authorizeRequest struct {
	PaymentID   uuid.UUID  `json:"payment_id"`
	Account     string     `json:"account"`
	Amount      int64      `json:"amount"`
	Currency    string     `json:"currency"`
	Capture     bool       `json:"capture"`
	Card        wireCardIn `json:"card"`
	Initiator   string     `json:"initiator"`
	ReturnURL   string     `json:"return_url,omitempty"`
	SaveMandate bool       `json:"save_mandate,omitempty"`
	Description string     `json:"description,omitempty"`
}

// mandateChargeRequest is POST /v1/mandate-charges.
type mandateChargeRequest struct {
	PaymentID    uuid.UUID `json:"payment_id"`
	Account      string    `json:"account"`
	Amount       int64     `json:"amount"`
	Currency     string    `json:"currency"`
	Capture      bool      `json:"capture"`
	MandateToken string    `json:"mandate_token"`
	Description  string    `json:"description,omitempty"`
}

// authorizeResponse answers both.
type authorizeResponse struct {
	Ref            string    `json:"ref"`
	Status         string    `json:"status"` // PENDING, REQUIRES_ACTION, DECLINED
	ActionURL      string    `json:"action_url,omitempty"`
	Card           *wireCard `json:"card,omitempty"`
	MandateToken   string    `json:"mandate_token,omitempty"`
	DeclineCode    string    `json:"decline_code,omitempty"`
	DeclineMessage string    `json:"decline_message,omitempty"`
}

// captureRequest is POST /v1/payments/{ref}/captures; Amount 0 captures
// all that remains.
type captureRequest struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency,omitempty"`
	Final    bool   `json:"final,omitempty"`
}

// refundRequest is POST /v1/payments/{ref}/refunds; Amount 0 refunds all
// that remains.
type refundRequest struct {
	Amount   int64  `json:"amount"`
	Currency string `json:"currency,omitempty"`
	Reason   string `json:"reason,omitempty"`
}

// operationResponse answers a capture, void (POST /v1/payments/{ref}/void)
// or refund.
type operationResponse struct {
	ID      string       `json:"id"`
	Payment wireSnapshot `json:"payment"`
}

// errorResponse is every non-2xx answer of the API. A decline of a
// capture, void or refund is 402 with Type "card_error".
type errorResponse struct {
	Error wireError `json:"error"`
}

type wireError struct {
	Type    string `json:"type"` // card_error, invalid_card, invalid_request, idempotency_error, not_found, unauthorized, api_error
	Code    string `json:"code"`
	Message string `json:"message"`
}

type wireCard struct {
	Brand    string `json:"brand"`
	Last4    string `json:"last4"`
	ExpMonth int    `json:"exp_month"`
	ExpYear  int    `json:"exp_year"`
}

// wireSnapshot is the processor's whole view of a payment: the data of
// every callback, and of every operation's answer.
type wireSnapshot struct {
	Ref            string     `json:"ref"`
	PaymentID      uuid.UUID  `json:"payment_id"`
	Account        string     `json:"account"`
	Status         string     `json:"status"`
	Initiator      string     `json:"initiator"`
	Amount         int64      `json:"amount"`
	Currency       string     `json:"currency"`
	Authorized     int64      `json:"authorized"`
	Captured       int64      `json:"captured"`
	Refunded       int64      `json:"refunded"`
	Voided         bool       `json:"voided"`
	Expired        bool       `json:"expired"`
	Failed         bool       `json:"failed"`
	FailureCode    string     `json:"failure_code,omitempty"`
	FailureMessage string     `json:"failure_message,omitempty"`
	RequiresAction bool       `json:"requires_action"`
	ActionURL      string     `json:"action_url,omitempty"`
	ThreeDS        string     `json:"three_ds,omitempty"`
	Card           *wireCard  `json:"card,omitempty"`
	MandateToken   string     `json:"mandate_token,omitempty"`
	CaptureBefore  *time.Time `json:"capture_before,omitempty"`
}

// wireEvent is the body of a callback.
type wireEvent struct {
	ID      string       `json:"id"`
	Type    string       `json:"type"`
	Created int64        `json:"created"` // unix seconds, business time
	Data    wireSnapshot `json:"data"`
}

// Callback event types.
const (
	EventRequiresAction = "payment.requires_action"
	EventAuthorized     = "payment.authorized"
	EventCaptured       = "payment.captured"
	EventFailed         = "payment.failed"
	EventVoided         = "payment.voided"
	EventRefunded       = "payment.refunded"
	EventExpired        = "payment.expired"
)

func (c *wireCard) info() payments.CardInfo {
	if c == nil {
		return payments.CardInfo{}
	}
	return payments.CardInfo{Brand: c.Brand, Last4: c.Last4, ExpMonth: c.ExpMonth, ExpYear: c.ExpYear}
}

func (s wireSnapshot) snapshot() payments.Snapshot {
	out := payments.Snapshot{
		Amount:         s.Amount,
		Currency:       s.Currency,
		Authorized:     s.Authorized,
		Captured:       s.Captured,
		Refunded:       s.Refunded,
		Voided:         s.Voided,
		Expired:        s.Expired,
		Failed:         s.Failed,
		FailureCode:    s.FailureCode,
		FailureMessage: s.FailureMessage,
		RequiresAction: s.RequiresAction,
		ThreeDS:        s.ThreeDS,
		Card:           s.Card.info(),
		MandateToken:   s.MandateToken,
	}
	if s.CaptureBefore != nil {
		out.CaptureBefore = *s.CaptureBefore
	}
	return out
}
