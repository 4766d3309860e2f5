package orders

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"kassa/auth"
	"kassa/db"
	"kassa/fault"
	"kassa/gid"
	"kassa/merchants"
	"kassa/payments"
	"kassa/text"
)

// PayTarget is what a payment link asks the customer to pay, as the
// payment page shows it.
type PayTarget struct {
	Link         Link
	MerchantName string
	// Order is nil for a reusable link until the customer starts paying.
	Order *Order
	// Confirmation is the frozen confirmation of an ORDER link.
	Confirmation *Confirmation
	Frozen       *ConfirmationContent
}

// Amount is what the customer pays.
func (t *PayTarget) Amount() int64 {
	if t.Frozen != nil {
		return t.Frozen.Totals.Gross
	}
	if t.Order != nil {
		return t.Order.GrossTotal
	}
	return t.Link.Amount
}

// Locale is the customer's language, when known.
func (t *PayTarget) Locale() string {
	if t.Frozen != nil {
		return t.Frozen.Customer.Locale
	}
	if t.Order != nil && t.Link.Kind != LinkReusable {
		return t.Order.CustomerLocale
	}
	return ""
}

// PayTargetByToken loads what a link pays for.
//
// Errors: fault.ErrNotFound.
func (s *Service) PayTargetByToken(ctx context.Context, token string) (PayTarget, error) {
	l, err := s.LinkByToken(ctx, token)
	if err != nil {
		return PayTarget{}, err
	}
	t := PayTarget{Link: l}
	err = s.db.InTenant(ctx, l.MerchantID, func(tx *sqlx.Tx) error {
		m, err := merchants.GetTx(ctx, tx, l.MerchantID)
		if err != nil {
			return err
		}
		t.MerchantName = m.Name
		if l.OrderID != nil {
			var o Order
			if err := tx.GetContext(ctx, &o, `SELECT `+orderColumns+` FROM orders WHERE id = $1`, *l.OrderID); err != nil {
				return err
			}
			os := []Order{o}
			if err := attachLines(ctx, tx, os); err != nil {
				return err
			}
			t.Order = &os[0]
		}
		if l.ConfirmationID != nil {
			var c Confirmation
			if err := tx.GetContext(ctx, &c, `SELECT `+confirmationColumns+` FROM order_confirmations WHERE id = $1`, *l.ConfirmationID); err != nil {
				return err
			}
			f, err := c.Frozen()
			if err != nil {
				return err
			}
			t.Confirmation, t.Frozen = &c, &f
		}
		return nil
	})
	return t, err
}

// Checkout is a customer's attempt to pay through a link.
type Checkout struct {
	// CheckoutID identifies one customer's visit to a reusable link (kept
	// across a declined card), so retries pay the same order.
	CheckoutID uuid.UUID
	// PaymentID is the payment this attempt will make (derived from the
	// rendered form, so resubmitting the form is the same attempt).
	PaymentID gid.PaymentID
	Accepted  bool
	// Mandate is the customer's consent to store the card for a
	// subscription, for a link that stores it (required there).
	Mandate       *MandateConsent
	CustomerEmail string
	IP, UserAgent string
}

// StartCheckout prepares the order a link's payment pays for: it records
// the customer's acceptance of the confirmation (evidence: time, IP, user
// agent), counts the attempt, and for a reusable link makes the order for
// this checkout.
//
// It also makes this attempt the order's one live payment attempt, under
// the order's row lock: while another attempt is with the processor or
// holds money, it refuses with PAYMENT_IN_PROGRESS; an attempt left at
// 3-D Secure (another tab, an abandoned challenge) is superseded, and should
// it still be authorized, it is reversed (see paymentChanged).
//
// Errors: fault.ErrNotFound; codes LINK_NOT_ACTIVE, ORDER_NOT_PAYABLE,
// NOT_ACCEPTED, INVALID_EMAIL, PAYMENT_IN_PROGRESS.
func (s *Service) StartCheckout(ctx context.Context, t PayTarget, c Checkout) (Order, error) {
	c.CustomerEmail = strings.TrimSpace(c.CustomerEmail)
	if c.CustomerEmail != "" {
		if err := auth.ValidateEmail(c.CustomerEmail); err != nil {
			return Order{}, fault.Invalid("email", fault.ErrInvalidEmail, "the email address is not valid")
		}
	}
	if c.PaymentID.UUID == uuid.Nil {
		return Order{}, errors.New("orders: a checkout needs the id of the payment it will make")
	}
	if t.Link.Kind == LinkOrder && !c.Accepted {
		return Order{}, fault.Invalid("accept", ErrNotAccepted, "confirm that you have checked the order")
	}
	var o Order
	err := s.db.InTenant(ctx, t.Link.MerchantID, func(tx *sqlx.Tx) error {
		var l Link
		if err := tx.GetContext(ctx, &l, `SELECT `+linkColumns+` FROM payment_links WHERE id = $1 FOR UPDATE`, t.Link.ID); err != nil {
			return err
		}
		if l.EffectiveStatus(s.now()) != LinkActive {
			return fault.New(ErrLinkNotActive, "this payment link is %s", strings.ToLower(string(l.EffectiveStatus(s.now()))))
		}
		if _, err := tx.ExecContext(ctx, `UPDATE payment_links SET attempts = attempts + 1 WHERE id = $1`, l.ID); err != nil {
			return err
		}
		orderID := l.OrderID
		if l.Kind == LinkReusable {
			id := uuid.NewSHA1(l.ID, []byte("checkout:"+c.CheckoutID.String()))
			orderID = &id
			var exists bool
			if err := tx.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM orders WHERE id = $1)`, id); err != nil {
				return err
			}
			if !exists {
				n := NewOrder{ID: id, Customer: Customer{Email: c.CustomerEmail, Locale: "sv"}, Currency: l.Currency, CaptureMode: l.CaptureMode,
					Lines: []LineInput{{Description: l.Description, Quantity: 1, UnitPrice: l.Amount, VATRate: l.VATRate}}}
				lines, tot, err := n.normalize()
				if err != nil {
					return err
				}
				created, err := s.CreateTx(ctx, tx, payments.Actor{UserID: l.CreatedByUser, APIKeyID: l.CreatedByAPIKey}, l.MerchantID, "", n, lines, tot)
				if err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, `UPDATE orders SET status = 'CONFIRMATION_SENT' WHERE id = $1`, created.ID); err != nil {
					return err
				}
			}
		}
		if orderID == nil {
			return fault.NotFound("order")
		}
		var err error
		if o, err = s.lock(ctx, tx, *orderID); err != nil {
			return err
		}
		if !o.Status.Payable() {
			return fault.New(ErrOrderNotPayable, "this order is %s", strings.ToLower(string(o.Status)))
		}
		if err := s.claimAttempt(ctx, tx, &o, c.PaymentID); err != nil {
			return err
		}
		if l.SaveMandate {
			if c.Mandate == nil {
				return fault.Invalid("mandate", ErrMandateNotAccepted, "agree to the subscription's terms to store the card")
			}
			if err := s.recordMandateConsentTx(ctx, tx, l, *c.Mandate); err != nil {
				return err
			}
		}
		if c.CustomerEmail != "" && o.CustomerEmail == nil {
			o.CustomerEmail = &c.CustomerEmail
			if _, err := tx.ExecContext(ctx, `UPDATE orders SET customer_email = $2 WHERE id = $1`, o.ID, c.CustomerEmail); err != nil {
				return err
			}
			if err := s.recustomerTx(ctx, tx, &o); err != nil {
				return err
			}
		}
		if l.ConfirmationID != nil && c.Accepted {
			ua := text.Clean(c.UserAgent, 300)
			if _, err := tx.ExecContext(ctx, `
				UPDATE order_confirmations SET accepted_at = coalesce(accepted_at, $2), accepted_ip = coalesce(accepted_ip, $3),
				  accepted_user_agent = coalesce(accepted_user_agent, $4)
				WHERE id = $1`, *l.ConfirmationID, s.now().UTC(), c.IP, ua); err != nil {
				return err
			}
		}
		return nil
	})
	if db.IsNoRows(err) {
		return o, fault.NotFound("payment link")
	}
	return o, err
}

// How long an attempt keeps others out while its outcome is unknown: the
// payment row is about to be written (the post is between StartCheckout
// and the processor), or the processor has not answered yet. Past that
// the attempt is taken to be dead and a new one supersedes it; should it
// still be authorized, it is reversed.
const (
	attemptUnrecordedGrace = time.Minute
	attemptPendingGrace    = 5 * time.Minute
)

// ErrPaymentInProgress means another attempt to pay the order is with the
// processor or already holds the money.
var ErrPaymentInProgress = fault.New(fault.Define("PAYMENT_IN_PROGRESS",
	"Another attempt to pay the order is with the processor or already holds the money."), "a payment for this order is already in progress")

// claimAttempt makes paymentID the order's live payment attempt, or
// refuses while another one is live. The caller holds the order's row lock.
func (s *Service) claimAttempt(ctx context.Context, tx *sqlx.Tx, o *Order, paymentID gid.PaymentID) error {
	now := s.now().UTC()
	if o.PaymentAttemptID != nil && *o.PaymentAttemptID != paymentID {
		busy, err := s.attemptLive(ctx, tx, *o.PaymentAttemptID, o.PaymentAttemptAt, now)
		if err != nil {
			return err
		}
		if busy {
			return ErrPaymentInProgress
		}
	}
	if o.PaymentAttemptID != nil && *o.PaymentAttemptID == paymentID {
		return nil // the same form again: the same attempt
	}
	o.PaymentAttemptID, o.PaymentAttemptAt = &paymentID, &now
	_, err := tx.ExecContext(ctx, `UPDATE orders SET payment_attempt_id = $2, payment_attempt_at = $3 WHERE id = $1`, o.ID, paymentID, now)
	return err
}

// attemptLive reports whether the attempt id keeps a new one out.
func (s *Service) attemptLive(ctx context.Context, tx *sqlx.Tx, id gid.PaymentID, startedAt *time.Time, now time.Time) (bool, error) {
	p, err := payments.GetTx(ctx, tx, id.UUID)
	if errors.Is(err, fault.ErrNotFound) {
		return startedAt != nil && now.Sub(*startedAt) < attemptUnrecordedGrace, nil
	}
	if err != nil {
		return false, err
	}
	switch p.Status {
	case payments.StatusPending:
		return now.Sub(p.UpdatedAt) < attemptPendingGrace, nil
	case payments.StatusRequiresAction:
		// The customer started over (another tab, a closed challenge
		// window): the new attempt supersedes this one.
		return false, nil
	case payments.StatusFailed, payments.StatusVoided, payments.StatusExpired, payments.StatusRefunded:
		return false, nil
	}
	return true, nil // it holds money: the order is being paid
}
