package billing

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/riverqueue/river"

	"kassa/db"
	"kassa/fault"
	"kassa/gid"
	"kassa/money"
	"kassa/orders"
	"kassa/payments"
)

// ChargeArgs is the job that charges an invoice to the subscription's
// mandate (attempt n of the dunning schedule).
type ChargeArgs struct {
	MerchantID gid.MerchantID `json:"merchant_id"`
	InvoiceID  uuid.UUID      `json:"invoice_id"`
	Attempt    int            `json:"attempt"`
}

// Kind names the job.
func (ChargeArgs) Kind() string { return "billing.charge" }

// ReleaseArgs is the job that voids a card check once it stored its
// mandate.
type ReleaseArgs struct {
	MerchantID gid.MerchantID `json:"merchant_id"`
	PaymentID  gid.PaymentID  `json:"payment_id"`
}

// Kind names the job.
func (ReleaseArgs) Kind() string { return "billing.release_card_check" }

func registerWorkers(s *Service) {
	river.AddWorker(s.cfg.Jobs.Workers, &chargeWorker{s: s})
	river.AddWorker(s.cfg.Jobs.Workers, &releaseWorker{s: s})
}

// AttemptPaymentID is the payment that charges an invoice on attempt n. It
// is derived, not random, so a retried job finds the payment it made (and
// sends the processor the same idempotency key): nothing is charged twice.
func AttemptPaymentID(invoiceID uuid.UUID, attempt int) gid.PaymentID {
	return gid.Of[gid.PaymentID](uuid.NewSHA1(invoiceID, []byte(fmt.Sprintf("charge-attempt-%d", attempt))))
}

type chargeWorker struct {
	river.WorkerDefaults[ChargeArgs]
	s *Service
}

func (w *chargeWorker) Work(ctx context.Context, job *river.Job[ChargeArgs]) error {
	_, err := w.s.charge(ctx, job.Args.MerchantID, job.Args.InvoiceID, job.Args.Attempt)
	if f, ok := fault.As(err); ok && !errors.Is(err, payments.ErrProcessorUnavailable) {
		// Nothing to retry: the invoice was settled or cannot be charged.
		w.s.log.InfoContext(ctx, "charge not made", "invoice_id", job.Args.InvoiceID, "reason", f.Message)
		return nil
	}
	return err
}

// charge charges an open invoice to the mandate. The payment's outcome
// arrives by callback (paymentChanged).
func (s *Service) charge(ctx context.Context, merchantID gid.MerchantID, invoiceID uuid.UUID, attempt int) (payments.Payment, error) {
	return s.chargeAs(ctx, payments.System, merchantID, invoiceID, attempt)
}

// chargeAs is charge on behalf of actor, who is recorded on the payment.
func (s *Service) chargeAs(ctx context.Context, actor payments.Actor, merchantID gid.MerchantID, invoiceID uuid.UUID, attempt int) (payments.Payment, error) {
	var inv Invoice
	var sub Subscription
	paymentID := AttemptPaymentID(invoiceID, attempt)
	err := s.db.InTenant(ctx, merchantID, func(tx *sqlx.Tx) error {
		if err := tx.GetContext(ctx, &inv, `SELECT `+invoiceColumns+` FROM invoices WHERE id = $1 FOR UPDATE`, invoiceID); err != nil {
			if db.IsNoRows(err) {
				return fault.NotFound("invoice")
			}
			return err
		}
		if inv.Status != InvoiceOpen {
			return fault.New(ErrInvoiceSettled, "invoice %d is %s", inv.Number, inv.Status)
		}
		if inv.Attempts > attempt || (inv.PaymentID != nil && *inv.PaymentID != paymentID && inv.Attempts == attempt) {
			return fault.New(ErrStaleAttempt, "invoice %d is past attempt %d", inv.Number, attempt)
		}
		if err := tx.GetContext(ctx, &sub, `SELECT `+subscriptionColumns+` FROM subscriptions WHERE id = $1`, inv.SubscriptionID); err != nil {
			return err
		}
		if sub.MandateToken == nil {
			return fault.New(orders.ErrNoMandate, "the subscription has no card to charge")
		}
		_, err := tx.ExecContext(ctx, `UPDATE invoices SET payment_id = $2, attempts = $3, updated_at = $4 WHERE id = $1`,
			inv.ID, paymentID, attempt, s.now().UTC())
		return err
	})
	if err != nil {
		return payments.Payment{}, err
	}
	processor := ""
	if sub.MandateProcessor != nil {
		processor = *sub.MandateProcessor
	}
	return s.cfg.Payments.ChargeMandate(ctx, payments.MandateCharge{
		ID: paymentID.UUID, MerchantID: merchantID, Amount: inv.Gross, Currency: inv.Currency, MandateToken: *sub.MandateToken,
		Processor: processor, Description: fmt.Sprintf("Invoice %d", inv.Number), Actor: actor,
	})
}

type releaseWorker struct {
	river.WorkerDefaults[ReleaseArgs]
	s *Service
}

func (w *releaseWorker) Work(ctx context.Context, job *river.Job[ReleaseArgs]) error {
	p, err := w.s.cfg.Payments.Get(ctx, job.Args.MerchantID, job.Args.PaymentID)
	if err != nil {
		return err
	}
	if p.Status != payments.StatusAuthorized {
		return nil
	}
	_, err = w.s.cfg.Payments.Void(ctx, payments.System, job.Args.MerchantID, job.Args.PaymentID)
	if errors.Is(err, fault.ErrInvalidState) {
		return nil
	}
	return err
}

// paymentChanged follows the payments that matter to billing, inside the
// payment's transaction: a first payment or card update that stores a
// mandate, and the charge of an invoice.
func (s *Service) paymentChanged(ctx context.Context, tx *sqlx.Tx, before, after payments.Payment) error {
	if before.Status == after.Status {
		return nil
	}
	settled := after.Status == payments.StatusCaptured || after.Status == payments.StatusAuthorized
	if after.OrderID != nil && after.MandateToken != nil && settled {
		if err := s.mandateStored(ctx, tx, after); err != nil {
			return err
		}
	}
	var inv Invoice
	err := tx.GetContext(ctx, &inv, `SELECT `+invoiceColumns+` FROM invoices WHERE payment_id = $1 OR order_id = $2 FOR UPDATE`,
		after.ID, after.OrderID)
	if db.IsNoRows(err) {
		return nil
	}
	if err != nil {
		return err
	}
	now := s.now().UTC()
	switch {
	case after.Status == payments.StatusCaptured && inv.Status != InvoicePaid:
		if _, err := tx.ExecContext(ctx, `UPDATE invoices SET status = 'PAID', paid_at = $2, payment_id = $3, next_attempt_at = NULL, failure_code = NULL, updated_at = $2 WHERE id = $1`,
			inv.ID, now, after.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE subscriptions SET status = 'ACTIVE', updated_at = $2 WHERE id = $1 AND status = 'PAST_DUE'`,
			inv.SubscriptionID, now); err != nil {
			return err
		}
		inv.PaymentID = &after.ID
		if err := s.emitInvoice(ctx, tx, InvoicePaidEvent, inv, InvoicePaid, "", nil); err != nil {
			return err
		}
		if after.OrderID != nil {
			// Paid through a payment link: the order's receipt is the
			// customer's receipt.
			return nil
		}
		return s.mailInvoicePaid(ctx, tx, inv)
	case after.Status == payments.StatusFailed && inv.PaymentID != nil && *inv.PaymentID == after.ID && inv.Status == InvoiceOpen:
		return s.chargeFailed(ctx, tx, inv, after, now)
	}
	return nil
}

// chargeFailed schedules the next retry, emails the customer a link to pay
// with another card, and after the last retry gives the invoice up.
func (s *Service) chargeFailed(ctx context.Context, tx *sqlx.Tx, inv Invoice, p payments.Payment, now time.Time) error {
	code := ""
	if p.FailureCode != nil {
		code = *p.FailureCode
	}
	var sub Subscription
	if err := tx.GetContext(ctx, &sub, `SELECT `+subscriptionColumns+` FROM subscriptions WHERE id = $1 FOR UPDATE`, inv.SubscriptionID); err != nil {
		return err
	}
	if inv.Attempts > len(s.cfg.Dunning) {
		if _, err := tx.ExecContext(ctx, `UPDATE invoices SET status = 'FAILED', failure_code = $2, next_attempt_at = NULL, updated_at = $3 WHERE id = $1`,
			inv.ID, code, now); err != nil {
			return err
		}
		status := PastDue
		if s.cfg.CancelAfterDunning {
			status = Cancelled
		}
		_, err := tx.ExecContext(ctx, `UPDATE subscriptions SET status = $2, cancelled_at = CASE WHEN $2 = 'CANCELLED' THEN $3::timestamptz ELSE cancelled_at END,
			next_billing_at = CASE WHEN $2 = 'CANCELLED' THEN NULL ELSE next_billing_at END, updated_at = $3 WHERE id = $1`,
			sub.ID, status, now)
		if err != nil {
			return err
		}
		if err := s.emitInvoice(ctx, tx, InvoiceFailedEvent, inv, InvoiceFailed, code, nil); err != nil {
			return err
		}
		ev := SubscriptionPastDue
		if status == Cancelled {
			ev = SubscriptionCancelled
		}
		if err := s.emitSubscription(ctx, tx, ev, sub, status); err != nil {
			return err
		}
		return s.mailChargeFailed(ctx, tx, sub, inv, code, nil, true)
	}
	next := now.Add(s.cfg.Dunning[inv.Attempts-1])
	orderID := inv.OrderID
	var link *orders.Link
	if orderID == nil {
		// A link to pay this invoice with another card (which also becomes
		// the new mandate), made once and reused by later reminders.
		o, l, err := s.cfg.Orders.NewMandateOrderTx(ctx, tx, payments.Actor{}, inv.MerchantID, orders.MandateOrder{
			Order: orders.NewOrder{
				Customer:    orders.Customer{Name: sub.CustomerName, Email: sub.CustomerEmail, Locale: sub.CustomerLocale},
				Currency:    inv.Currency,
				CaptureMode: payments.CaptureImmediate,
				Lines:       []orders.LineInput{{Description: fmt.Sprintf("%s (%d)", inv.Description, inv.Number), Quantity: 1, UnitPrice: inv.Gross, VATRate: dominantRate(inv)}},
			},
			ExpiresAt: now.Add(60 * 24 * time.Hour),
		})
		if err != nil {
			return err
		}
		orderID, link = &o.ID, &l
	}
	if _, err := tx.ExecContext(ctx, `UPDATE invoices SET next_attempt_at = $2, failure_code = $3, order_id = $4, updated_at = $5 WHERE id = $1`,
		inv.ID, next, code, orderID, now); err != nil {
		return err
	}
	if err := s.emitInvoice(ctx, tx, InvoiceFailedEvent, inv, InvoiceOpen, code, &next); err != nil {
		return err
	}
	return s.mailChargeFailed(ctx, tx, sub, inv, code, link, false)
}

// dominantRate is the VAT rate of an invoice's first line (invoices of a
// plan have one rate).
func dominantRate(inv Invoice) int {
	if len(inv.Lines) > 0 {
		return inv.Lines[0].VATRate
	}
	if inv.Gross == 0 || inv.VAT == 0 {
		return 0
	}
	for _, r := range []int{2500, 1200, 600} {
		if inv.VAT*int64(10000+r) == inv.Gross*int64(r) {
			return r
		}
	}
	return 2500
}

// mandateStored activates a subscription whose first payment (or card
// update) just settled, storing the card as its mandate.
func (s *Service) mandateStored(ctx context.Context, tx *sqlx.Tx, p payments.Payment) error {
	// The subscription's own link, or an invoice of it paid with another
	// card, whose subscription then charges that card from now on.
	sub, ok, err := subscriptionOfOrder(ctx, tx, *p.OrderID, true)
	if err != nil || !ok {
		return err
	}
	now := s.now().UTC()
	sub.MandateToken, sub.MandateProcessor = p.MandateToken, &p.Processor
	sub.CardBrand, sub.CardLast4, sub.CardExpMonth, sub.CardExpYear = p.CardBrand, p.CardLast4, p.CardExpMonth, p.CardExpYear
	sub.CardWarnedFor = nil
	var releases []river.JobArgs
	if sub.Status == PendingMandate && sub.FirstOrderID != nil && *sub.FirstOrderID == *p.OrderID {
		sub.Status = Active
		if err := s.emitSubscription(ctx, tx, SubscriptionActivated, sub, Active); err != nil {
			return err
		}
		plan := sub.Plan()
		sch, scheduled := sub.Schedule()
		switch {
		case plan.Kind.InAdvance() && scheduled:
			// The first payment paid the first period: record its invoice.
			per := sch.Period(0)
			lines, err := plan.periodLines(ctx, tx, &sub, per)
			if err != nil {
				return err
			}
			inv, err := s.newInvoice(ctx, tx, &sub, "PERIOD", &per, plan.Name(sub.CustomerLocale)+" "+periodLabel(per, sub.TimeZone), lines, now)
			if err != nil {
				return err
			}
			// The first payment pays it, once captured, like an order: the
			// caller (paymentChanged) marks it PAID in this transaction if
			// the payment is captured already, else at its capture.
			if _, err := tx.ExecContext(ctx, `UPDATE invoices SET payment_id = $2, attempts = 1 WHERE id = $1`, inv.ID, p.ID); err != nil {
				return err
			}
			sub.NextPeriod = 1
			due := s.dueAt(plan, sch.Period(1))
			sub.NextBillingAt = &due
		case scheduled:
			sub.NextPeriod = 0
			due := s.dueAt(plan, sch.Period(0))
			sub.NextBillingAt = &due
		}
	}
	if p.Status == payments.StatusAuthorized && p.CaptureMode == payments.CaptureReserve {
		// A card check: release the reservation now that the card is stored.
		releases = append(releases, ReleaseArgs{MerchantID: p.MerchantID, PaymentID: p.ID})
	}
	if _, err := tx.ExecContext(ctx, `
		UPDATE subscriptions SET status = $2, mandate_token = $3, mandate_processor = $4, card_brand = $5, card_last4 = $6,
		  card_exp_month = $7, card_exp_year = $8, card_warned_for = NULL, next_period = $9, next_billing_at = $10, updated_at = $11
		WHERE id = $1`, sub.ID, sub.Status, sub.MandateToken, sub.MandateProcessor, sub.CardBrand, sub.CardLast4,
		sub.CardExpMonth, sub.CardExpYear, sub.NextPeriod, sub.NextBillingAt, now); err != nil {
		return err
	}
	return s.cfg.Jobs.InsertManyTx(ctx, tx, releases)
}

func prefixed(alias string) string {
	cols := strings.Split(subscriptionColumns, ",")
	for i, c := range cols {
		cols[i] = alias + "." + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}

// ChargeManually creates a MANUAL invoice and charges the mandate at once.
//
// Errors: fault.ErrNotFound; codes INVALID_AMOUNT, AMOUNT_TOO_LARGE,
// INVALID_DESCRIPTION, INVALID_STATE, NO_MANDATE; PROCESSOR_UNAVAILABLE.
func (s *Service) ChargeManually(ctx context.Context, actor payments.Actor, merchantID gid.MerchantID, id uuid.UUID, amount int64, description string, vatRate *int) (Invoice, payments.Payment, error) {
	if err := checkActor(actor); err != nil {
		return Invoice{}, payments.Payment{}, err
	}
	if err := money.CheckAmount("amount", amount); err != nil {
		return Invoice{}, payments.Payment{}, err
	}
	description = strings.TrimSpace(description)
	if description == "" || utf8.RuneCountInString(description) > 500 || strings.ContainsAny(description, "\r\n") {
		return Invoice{}, payments.Payment{}, fault.Invalid("description", fault.ErrInvalidDescription, "description must be 1 to 500 characters on one line")
	}
	if vatRate != nil && *vatRate != 2500 && *vatRate != 1200 && *vatRate != 600 && *vatRate != 0 {
		return Invoice{}, payments.Payment{}, fault.Invalid("vatRate", fault.ErrInvalidVATRate, "vatRate must be one of 2500, 1200, 600, 0")
	}
	var inv Invoice
	err := s.db.InTenant(ctx, merchantID, func(tx *sqlx.Tx) error {
		var sub Subscription
		if err := tx.GetContext(ctx, &sub, `SELECT `+subscriptionColumns+` FROM subscriptions WHERE id = $1 FOR UPDATE`, id); err != nil {
			if db.IsNoRows(err) {
				return fault.NotFound("subscription")
			}
			return err
		}
		if sub.Status == Cancelled || sub.Status == PendingMandate {
			return fault.Invalid("subscriptionId", fault.ErrInvalidState, "a %s subscription cannot be charged", sub.Status)
		}
		if sub.MandateToken == nil {
			return fault.Invalid("subscriptionId", orders.ErrNoMandate, "the subscription has no card to charge")
		}
		rate := sub.Plan().VATRate
		if vatRate != nil {
			rate = *vatRate
		}
		var err error
		inv, err = s.newInvoice(ctx, tx, &sub, "MANUAL", nil, description, []orders.LineInput{{Description: description, Quantity: 1, UnitPrice: amount, VATRate: rate}}, s.now().UTC())
		if err != nil {
			return err
		}
		if inv.Gross <= 0 {
			return fault.Invalid("amount", fault.ErrInvalidAmount, "amount must be positive")
		}
		if s.cfg.Limits != nil {
			if err := s.cfg.Limits.CheckLimit(ctx, actor, merchantID, inv.Gross, inv.Currency); err != nil {
				return err
			}
		}
		pid := AttemptPaymentID(inv.ID, 1)
		return s.recordTx(ctx, tx, actor, merchantID, "subscription.charged", &pid, inv.Gross, inv.Currency, fmt.Sprintf("subscription %s: invoice %d", id, inv.Number))
	})
	if err != nil {
		return Invoice{}, payments.Payment{}, err
	}
	p, err := s.chargeAs(ctx, actor, merchantID, inv.ID, 1)
	if err != nil && !errors.Is(err, context.Canceled) {
		return inv, p, err
	}
	return inv, p, nil
}
