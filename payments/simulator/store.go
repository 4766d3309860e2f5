package simulator

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"kassa/db"
	"kassa/payments"
)

// ErrNotFound means no such payment or mandate.
var ErrNotFound = errors.New("simulator: not found")

// Status is the state of a payment at the processor.
type Status string

// The states of a payment at the processor.
const (
	StatusRequiresAction Status = "REQUIRES_ACTION"
	StatusAuthorized     Status = "AUTHORIZED"
	StatusCaptured       Status = "CAPTURED" // some or all captured; refunds do not change it
	StatusVoided         Status = "VOIDED"
	StatusExpired        Status = "EXPIRED"
	StatusFailed         Status = "FAILED"
)

// Payment is the processor's own record of a payment, for tests that
// compare kassa's books with the processor's.
type Payment struct {
	Ref            string
	Account        string
	PaymentID      uuid.UUID // kassa's id, from the request
	IdempotencyKey string    // the key the authorization was sent with
	Amount         int64
	Currency       string
	Capture        bool
	Initiator      payments.Initiator
	Status         Status
	Authorized     int64
	Captured       int64
	Refunded       int64
	CaptureClosed  bool // a final capture released the rest
	Card           payments.CardInfo
	Token          string
	MandateToken   string // set when the authorization saved a mandate
	ThreeDS        string // NOT_REQUIRED, PASSED, FAILED, CANCELLED; "" while challenged
	FailureCode    string
	FailureMessage string
	AuthorizedAt   time.Time
	CaptureBefore  time.Time
	ReturnURL      string
	CreatedAt      time.Time
	Operations     []Operation // in order
}

// Operation is one capture, void or refund the processor was asked for.
type Operation struct {
	ID              string
	IdempotencyKey  string
	Kind            string // capture, void, refund
	RequestedAmount int64  // 0: all that remained
	Amount          int64
	Result          string // SUCCEEDED, DECLINED
	DeclineCode     string
	CreatedAt       time.Time
}

type paymentRow struct {
	Ref                string         `db:"ref"`
	Account            string         `db:"account"`
	PaymentID          uuid.UUID      `db:"payment_id"`
	IdempotencyKey     string         `db:"idempotency_key"`
	Amount             int64          `db:"amount"`
	Currency           string         `db:"currency"`
	Capture            bool           `db:"capture"`
	Initiator          string         `db:"initiator"`
	Status             Status         `db:"status"`
	Authorized         int64          `db:"authorized_amount"`
	Captured           int64          `db:"captured_amount"`
	Refunded           int64          `db:"refunded_amount"`
	CaptureClosed      bool           `db:"capture_closed"`
	Token              sql.NullString `db:"token"`
	Brand              string         `db:"brand"`
	Last4              string         `db:"last4"`
	ExpMonth           int            `db:"exp_month"`
	ExpYear            int            `db:"exp_year"`
	ThreeDS            sql.NullString `db:"three_ds"`
	FailureCode        string         `db:"failure_code"`
	FailureMessage     string         `db:"failure_message"`
	SaveMandate        bool           `db:"save_mandate"`
	MandateToken       sql.NullString `db:"mandate_token"`
	DuplicateCallbacks bool           `db:"duplicate_callbacks"`
	AuthorizedAt       sql.NullTime   `db:"authorized_at"`
	CaptureBefore      sql.NullTime   `db:"capture_before"`
	ReturnURL          string         `db:"return_url"`
	Description        string         `db:"description"`
	AuthResponse       []byte         `db:"auth_response"`
	CreatedAt          time.Time      `db:"created_at"`
	UpdatedAt          time.Time      `db:"updated_at"`
}

const paymentColumns = `ref, account, payment_id, idempotency_key, amount, currency, capture, initiator, status,
	authorized_amount, captured_amount, refunded_amount, capture_closed, token, brand, last4, exp_month, exp_year,
	three_ds, failure_code, failure_message, save_mandate, mandate_token, duplicate_callbacks, authorized_at,
	capture_before, return_url, description, auth_response, created_at, updated_at`

// insert stores a new payment unless its idempotency key is taken; it
// reports whether it did.
func (p *paymentRow) insert(ctx context.Context, tx *sqlx.Tx) (bool, error) {
	res, err := tx.NamedExecContext(ctx, `INSERT INTO simulator_payments (`+paymentColumns+`) VALUES (
		:ref, :account, :payment_id, :idempotency_key, :amount, :currency, :capture, :initiator, :status,
		:authorized_amount, :captured_amount, :refunded_amount, :capture_closed, :token, :brand, :last4, :exp_month, :exp_year,
		:three_ds, :failure_code, :failure_message, :save_mandate, :mandate_token, :duplicate_callbacks, :authorized_at,
		:capture_before, :return_url, :description, :auth_response, :created_at, :updated_at)
		ON CONFLICT (idempotency_key) DO NOTHING`, p)
	if err != nil {
		return false, fmt.Errorf("simulator: insert payment: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// update writes the fields that change after creation.
func (p *paymentRow) update(ctx context.Context, tx *sqlx.Tx) error {
	_, err := tx.NamedExecContext(ctx, `UPDATE simulator_payments SET
		status = :status, authorized_amount = :authorized_amount, captured_amount = :captured_amount,
		refunded_amount = :refunded_amount, capture_closed = :capture_closed, three_ds = :three_ds,
		failure_code = :failure_code, failure_message = :failure_message, mandate_token = :mandate_token,
		authorized_at = :authorized_at, capture_before = :capture_before, updated_at = :updated_at
		WHERE ref = :ref`, p)
	if err != nil {
		return fmt.Errorf("simulator: update payment %s: %w", p.Ref, err)
	}
	return nil
}

func getPayment(ctx context.Context, q sqlx.QueryerContext, ref string, forUpdate bool) (*paymentRow, error) {
	query := `SELECT ` + paymentColumns + ` FROM simulator_payments WHERE ref = $1`
	if forUpdate {
		query += ` FOR UPDATE`
	}
	var p paymentRow
	if err := sqlx.GetContext(ctx, q, &p, query, ref); err != nil {
		if db.IsNoRows(err) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("simulator: load payment: %w", err)
	}
	return &p, nil
}

func getPaymentByKey(ctx context.Context, q sqlx.QueryerContext, key string) (*paymentRow, error) {
	var p paymentRow
	if err := sqlx.GetContext(ctx, q, &p, `SELECT `+paymentColumns+` FROM simulator_payments WHERE idempotency_key = $1`, key); err != nil {
		if db.IsNoRows(err) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("simulator: load payment: %w", err)
	}
	return &p, nil
}

func (p *paymentRow) card() *wireCard {
	if p.Last4 == "" {
		return nil
	}
	return &wireCard{Brand: p.Brand, Last4: p.Last4, ExpMonth: p.ExpMonth, ExpYear: p.ExpYear}
}

func (p *paymentRow) snapshot(publicURL string) wireSnapshot {
	s := wireSnapshot{
		Ref:            p.Ref,
		PaymentID:      p.PaymentID,
		Account:        p.Account,
		Status:         string(p.Status),
		Initiator:      p.Initiator,
		Amount:         p.Amount,
		Currency:       p.Currency,
		Authorized:     p.Authorized,
		Captured:       p.Captured,
		Refunded:       p.Refunded,
		Voided:         p.Status == StatusVoided,
		Expired:        p.Status == StatusExpired,
		Failed:         p.Status == StatusFailed,
		FailureCode:    p.FailureCode,
		FailureMessage: p.FailureMessage,
		RequiresAction: p.Status == StatusRequiresAction,
		ThreeDS:        p.ThreeDS.String,
		Card:           p.card(),
		MandateToken:   p.MandateToken.String,
	}
	if s.RequiresAction {
		s.ActionURL = actionURL(publicURL, p.Ref)
	}
	if p.CaptureBefore.Valid {
		t := p.CaptureBefore.Time.UTC()
		s.CaptureBefore = &t
	}
	return s
}

func actionURL(publicURL, ref string) string { return publicURL + "/3ds/" + ref }

func (p *paymentRow) public() Payment {
	return Payment{
		Ref:            p.Ref,
		Account:        p.Account,
		PaymentID:      p.PaymentID,
		IdempotencyKey: p.IdempotencyKey,
		Amount:         p.Amount,
		Currency:       p.Currency,
		Capture:        p.Capture,
		Initiator:      payments.Initiator(p.Initiator),
		Status:         p.Status,
		Authorized:     p.Authorized,
		Captured:       p.Captured,
		Refunded:       p.Refunded,
		CaptureClosed:  p.CaptureClosed,
		Card:           p.card().info(),
		Token:          p.Token.String,
		MandateToken:   p.MandateToken.String,
		ThreeDS:        p.ThreeDS.String,
		FailureCode:    p.FailureCode,
		FailureMessage: p.FailureMessage,
		AuthorizedAt:   p.AuthorizedAt.Time,
		CaptureBefore:  p.CaptureBefore.Time,
		ReturnURL:      p.ReturnURL,
		CreatedAt:      p.CreatedAt,
	}
}

type tokenRow struct {
	Token              string    `db:"token"`
	Account            string    `db:"account"`
	Brand              string    `db:"brand"`
	Last4              string    `db:"last4"`
	ExpMonth           int       `db:"exp_month"`
	ExpYear            int       `db:"exp_year"`
	DeclineCode        string    `db:"decline_code"`
	Challenge          bool      `db:"challenge"`
	DuplicateCallbacks bool      `db:"duplicate_callbacks"`
	Mandate            bool      `db:"mandate"`
	MandateDeclineCode string    `db:"mandate_decline_code"`
	CreatedAt          time.Time `db:"created_at"`
}

const tokenColumns = `token, account, brand, last4, exp_month, exp_year, decline_code, challenge,
	duplicate_callbacks, mandate, mandate_decline_code, created_at`

func (t *tokenRow) insert(ctx context.Context, tx *sqlx.Tx) error {
	_, err := tx.NamedExecContext(ctx, `INSERT INTO simulator_tokens (`+tokenColumns+`) VALUES (
		:token, :account, :brand, :last4, :exp_month, :exp_year, :decline_code, :challenge,
		:duplicate_callbacks, :mandate, :mandate_decline_code, :created_at)`, t)
	if err != nil {
		return fmt.Errorf("simulator: insert token: %w", err)
	}
	return nil
}

func getToken(ctx context.Context, q sqlx.QueryerContext, token string) (*tokenRow, error) {
	var t tokenRow
	if err := sqlx.GetContext(ctx, q, &t, `SELECT `+tokenColumns+` FROM simulator_tokens WHERE token = $1`, token); err != nil {
		if db.IsNoRows(err) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("simulator: load token: %w", err)
	}
	return &t, nil
}

type operationRow struct {
	ID              string    `db:"id"`
	IdempotencyKey  string    `db:"idempotency_key"`
	Ref             string    `db:"ref"`
	Kind            string    `db:"kind"`
	RequestedAmount int64     `db:"requested_amount"`
	Amount          int64     `db:"amount"`
	Result          string    `db:"result"`
	DeclineCode     string    `db:"decline_code"`
	ResponseStatus  int       `db:"response_status"`
	Response        []byte    `db:"response"`
	CreatedAt       time.Time `db:"created_at"`
}

const operationColumns = `id, idempotency_key, ref, kind, requested_amount, amount, result, decline_code,
	response_status, response, created_at`

func (o *operationRow) insert(ctx context.Context, tx *sqlx.Tx) error {
	_, err := tx.NamedExecContext(ctx, `INSERT INTO simulator_operations (`+operationColumns+`) VALUES (
		:id, :idempotency_key, :ref, :kind, :requested_amount, :amount, :result, :decline_code,
		:response_status, :response, :created_at)`, o)
	if err != nil {
		return fmt.Errorf("simulator: insert operation: %w", err)
	}
	return nil
}

func getOperationByKey(ctx context.Context, q sqlx.QueryerContext, key string) (*operationRow, error) {
	var o operationRow
	if err := sqlx.GetContext(ctx, q, &o, `SELECT `+operationColumns+` FROM simulator_operations WHERE idempotency_key = $1`, key); err != nil {
		if db.IsNoRows(err) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("simulator: load operation: %w", err)
	}
	return &o, nil
}

func (o *operationRow) public() Operation {
	return Operation{
		ID:              o.ID,
		IdempotencyKey:  o.IdempotencyKey,
		Kind:            o.Kind,
		RequestedAmount: o.RequestedAmount,
		Amount:          o.Amount,
		Result:          o.Result,
		DeclineCode:     o.DeclineCode,
		CreatedAt:       o.CreatedAt,
	}
}

// Payment returns the processor's record of the payment ref, with its
// operations. Errors: ErrNotFound.
func (s *Server) Payment(ctx context.Context, ref string) (Payment, error) {
	var out Payment
	err := s.db.InSystem(ctx, func(tx *sqlx.Tx) error {
		p, err := getPayment(ctx, tx, ref, false)
		if err != nil {
			return err
		}
		out = p.public()
		ops, err := operations(ctx, tx, []string{ref})
		out.Operations = ops[ref]
		return err
	})
	return out, err
}

// Payments returns every payment of account, oldest first.
func (s *Server) Payments(ctx context.Context, account string) ([]Payment, error) {
	var out []Payment
	err := s.db.InSystem(ctx, func(tx *sqlx.Tx) error {
		var rows []paymentRow
		if err := tx.SelectContext(ctx, &rows, `SELECT `+paymentColumns+` FROM simulator_payments
			WHERE account = $1 ORDER BY seq`, account); err != nil {
			return fmt.Errorf("simulator: list payments: %w", err)
		}
		refs := make([]string, len(rows))
		for i := range rows {
			refs[i] = rows[i].Ref
		}
		ops, err := operations(ctx, tx, refs)
		if err != nil {
			return err
		}
		for i := range rows {
			p := rows[i].public()
			p.Operations = ops[rows[i].Ref]
			out = append(out, p)
		}
		return nil
	})
	return out, err
}

func operations(ctx context.Context, tx *sqlx.Tx, refs []string) (map[string][]Operation, error) {
	out := map[string][]Operation{}
	if len(refs) == 0 {
		return out, nil
	}
	var rows []operationRow
	if err := tx.SelectContext(ctx, &rows, `SELECT `+operationColumns+` FROM simulator_operations
		WHERE ref = ANY($1) ORDER BY seq`, pq.StringArray(refs)); err != nil {
		return nil, fmt.Errorf("simulator: list operations: %w", err)
	}
	for i := range rows {
		out[rows[i].Ref] = append(out[rows[i].Ref], rows[i].public())
	}
	return out, nil
}

// SetMandateBehaviour makes every later charge of the mandate token
// decline with code (e.g. insufficient_funds), as a card that ran dry
// would; "" restores the card's own behaviour. Errors: ErrNotFound.
func (s *Server) SetMandateBehaviour(token, code string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return s.db.InSystem(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE simulator_tokens SET mandate_decline_code = $2 WHERE token = $1 AND mandate`, token, code)
		if err != nil {
			return fmt.Errorf("simulator: set mandate behaviour: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return nil
	})
}

func newID(prefix string) string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func validString(s string) sql.NullString { return sql.NullString{String: s, Valid: true} }

func validTime(t time.Time) sql.NullTime { return sql.NullTime{Time: t, Valid: true} }
