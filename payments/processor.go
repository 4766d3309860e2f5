package payments

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/google/uuid"

	"kassa/gid"
)

// Processor is a card processor connector. Every operation carries an
// idempotency key derived from kassa's own row id (see IdempotencyKey), so
// a retried call never acts twice at the processor.
//
// Results are authoritative only through callbacks, with one exception:
// the synchronous answer to kassa's own capture, void and refund calls.
// An authorization's success is never taken from the synchronous answer:
// a payment becomes AUTHORIZED or CAPTURED only when a verified callback
// says so, with the right amount and currency.
type Processor interface {
	// Name is the processor's name in URLs and rows ("simulator", "stripe").
	Name() string

	// Authorize asks for an authorization (and capture, with Capture set).
	// The answer is PENDING (the result follows by callback),
	// REQUIRES_ACTION (send the customer to ActionURL for 3-D Secure), or
	// DECLINED.
	//
	// Errors: ErrTimeout when the answer did not arrive (retry with the
	// same key); ErrInvalidCard for a card the processor refuses to
	// tokenize; any other error is a failure to reach the processor.
	Authorize(ctx context.Context, req AuthorizeRequest) (AuthorizeResponse, error)

	// Capture takes Amount of an authorization; several partial captures
	// may follow each other up to the authorized amount.
	//
	// Errors: ErrTimeout; ErrDeclined with a code (e.g. authorization_expired,
	// amount_too_large); ErrNotSupported.
	Capture(ctx context.Context, req CaptureRequest) (OperationResponse, error)

	// Void releases an authorization that has not been captured.
	Void(ctx context.Context, req VoidRequest) (OperationResponse, error)

	// Refund returns Amount of what was captured; several partial refunds
	// may follow each other up to the captured amount.
	Refund(ctx context.Context, req RefundRequest) (OperationResponse, error)

	// ChargeMandate charges a stored mandate without the customer
	// (merchant-initiated, for subscriptions). Like Authorize, its success
	// is confirmed by callback.
	ChargeMandate(ctx context.Context, req MandateChargeRequest) (AuthorizeResponse, error)

	// ParseCallback verifies a callback's signature over its raw body and
	// timestamp, then parses its events.
	//
	// Errors: ErrBadSignature (answer 400, change nothing).
	ParseCallback(header http.Header, body []byte) ([]Event, error)
}

// Errors a Processor returns.
var (
	ErrTimeout      = errors.New("payments: processor did not answer in time")
	ErrNotSupported = errors.New("payments: not supported by this processor")
	ErrBadSignature = errors.New("payments: callback signature not valid")
	ErrInvalidCard  = errors.New("payments: card number not valid")
)

// DeclineError is a processor's refusal, with its code.
type DeclineError struct {
	Code    string // e.g. card_declined, insufficient_funds, authorization_expired
	Message string
}

func (e *DeclineError) Error() string { return "payments: declined: " + e.Code + ": " + e.Message }

// ErrDeclined matches every *DeclineError with errors.Is.
var ErrDeclined = &DeclineError{Code: "*"}

// Is makes errors.Is(err, ErrDeclined) true for every decline.
func (e *DeclineError) Is(target error) bool { return target == ErrDeclined }

// Card is a full card, on its way to the processor. It exists only in
// memory: it is never stored, and it formats and logs redacted.
type Card struct {
	Number   string
	ExpMonth int
	ExpYear  int // four digits
	CVC      string
	Holder   string
}

// String redacts the card for fmt.
func (c Card) String() string {
	return fmt.Sprintf("card ****%s %02d/%d", last4(c.Number), c.ExpMonth, c.ExpYear)
}

// GoString redacts the card for %#v.
func (c Card) GoString() string { return c.String() }

// Format redacts the card for every fmt verb, %+v included.
func (c Card) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(c.String())) }

// LogValue redacts the card for slog.
func (c Card) LogValue() slog.Value { return slog.StringValue(c.String()) }

func last4(n string) string {
	if len(n) < 4 {
		return ""
	}
	return n[len(n)-4:]
}

// Initiator says who started a payment.
type Initiator string

// Who can start a payment.
const (
	InitiatorCustomer          Initiator = "CUSTOMER"           // the cardholder, with 3-D Secure
	InitiatorMerchantMOTO      Initiator = "MERCHANT_MOTO"      // mail/telephone order keyed by staff: no 3-D Secure
	InitiatorMerchantRecurring Initiator = "MERCHANT_RECURRING" // a stored mandate, without the customer
)

// AuthorizeRequest asks for an authorization.
type AuthorizeRequest struct {
	IdempotencyKey string
	PaymentID      uuid.UUID // kassa's id, echoed in callbacks
	MerchantID     gid.MerchantID
	Amount         int64
	Currency       string
	Capture        bool // capture at once (IMMEDIATE)
	Card           Card
	Initiator      Initiator
	// ReturnURL is where the 3-D Secure challenge sends the customer back.
	ReturnURL string
	// SaveMandate stores the card for later merchant-initiated charges.
	SaveMandate bool
	Description string
}

// MandateChargeRequest charges a stored mandate.
type MandateChargeRequest struct {
	IdempotencyKey string
	PaymentID      uuid.UUID
	MerchantID     gid.MerchantID
	Amount         int64
	Currency       string
	Capture        bool
	MandateToken   string
	Description    string
}

// AuthStatus is the synchronous answer to an authorization.
type AuthStatus string

// The synchronous answers to an authorization.
const (
	AuthPending        AuthStatus = "PENDING"
	AuthRequiresAction AuthStatus = "REQUIRES_ACTION"
	AuthDeclined       AuthStatus = "DECLINED"
)

// CardInfo is what kassa keeps of a card.
type CardInfo struct {
	Brand    string // visa, mastercard, amex, …
	Last4    string
	ExpMonth int
	ExpYear  int
}

// AuthorizeResponse is the synchronous answer.
type AuthorizeResponse struct {
	ProcessorRef string
	Status       AuthStatus
	ActionURL    string // with REQUIRES_ACTION
	Card         CardInfo
	MandateToken string // with SaveMandate, once authorized
	DeclineCode  string // with DECLINED
	DeclineMsg   string
}

// CaptureRequest captures part or all of an authorization.
type CaptureRequest struct {
	IdempotencyKey string
	ProcessorRef   string
	Amount         int64
	Currency       string
	Final          bool // no further captures will follow
}

// VoidRequest releases an authorization.
type VoidRequest struct {
	IdempotencyKey string
	ProcessorRef   string
}

// RefundRequest refunds part or all of what was captured.
type RefundRequest struct {
	IdempotencyKey string
	ProcessorRef   string
	Amount         int64
	Currency       string
	Reason         string
}

// OperationResponse is the answer to capture, void and refund.
type OperationResponse struct {
	OperationRef string // the processor's id of this capture/refund
	Snapshot     Snapshot
}

// Event is one verified callback event.
type Event struct {
	ID           string         // unique per processor: duplicates are dropped
	Type         string         // e.g. payment.authorized; unknown types are logged and acknowledged
	ProcessorRef string         // the processor's payment id
	PaymentID    uuid.UUID      // kassa's payment id, when the processor echoes it
	MerchantID   gid.MerchantID // kassa's merchant id, when the processor echoes it
	Created      time.Time
	Snapshot     Snapshot
}

// Snapshot is the processor's whole view of a payment at some moment.
// kassa merges snapshots monotonically (amounts only grow, a failure or
// void only happens), so callbacks arriving twice or out of order end in
// the same state as in order.
type Snapshot struct {
	Amount         int64 // requested
	Currency       string
	Authorized     int64 // amount held (0 until authorized)
	Captured       int64
	Refunded       int64
	Voided         bool
	Expired        bool
	Failed         bool
	FailureCode    string
	FailureMessage string
	RequiresAction bool
	ThreeDS        string // NOT_REQUIRED, PASSED, FAILED, CANCELLED, or "" when unknown
	Card           CardInfo
	MandateToken   string
	CaptureBefore  time.Time // zero when not authorized
}

// IdempotencyKey derives the key sent to a processor for an operation on
// kassa's row id, so a retry of the same row always sends the same key.
func IdempotencyKey(kind string, rowID uuid.UUID) string {
	return "kassa-" + kind + "-" + rowID.String()
}
