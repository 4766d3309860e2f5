package billing

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"

	"kassa/gid"
	"kassa/webhooks"
)

// The webhook events of subscriptions and invoices.
const (
	SubscriptionActivated webhooks.EventType = "SUBSCRIPTION_ACTIVATED"
	SubscriptionPastDue   webhooks.EventType = "SUBSCRIPTION_PAST_DUE"
	SubscriptionCancelled webhooks.EventType = "SUBSCRIPTION_CANCELLED"
	InvoicePaidEvent      webhooks.EventType = "INVOICE_PAID"
	InvoiceFailedEvent    webhooks.EventType = "INVOICE_PAYMENT_FAILED"
)

func init() {
	webhooks.RegisterEventType(SubscriptionActivated, "A subscription's first payment stored the card: it is active and will be billed.")
	webhooks.RegisterEventType(SubscriptionPastDue, "A subscription's charge failed every retry.")
	webhooks.RegisterEventType(SubscriptionCancelled, "A subscription was cancelled (by the merchant, at period end, or after failed charges).")
	webhooks.RegisterEventType(InvoicePaidEvent, "A subscription invoice was charged.")
	webhooks.RegisterEventType(InvoiceFailedEvent, "A subscription invoice's charge failed (a retry may follow).")
}

// SubscriptionData is a subscription in a webhook event.
type SubscriptionData struct {
	Object        string `json:"object"`
	ID            string `json:"id"`
	Status        Status `json:"status"`
	CustomerEmail string `json:"customer_email"`
	Plan          Plan   `json:"plan"`
}

// InvoiceData is an invoice in a webhook event.
type InvoiceData struct {
	Object        string        `json:"object"`
	ID            string        `json:"id"`
	Number        int64         `json:"number"`
	Subscription  string        `json:"subscription"`
	Status        InvoiceStatus `json:"status"`
	Amount        int64         `json:"amount"`
	Currency      string        `json:"currency"`
	Attempts      int           `json:"attempts"`
	FailureCode   string        `json:"failure_code,omitempty"`
	NextAttemptAt *time.Time    `json:"next_attempt_at,omitempty"`
}

func (s *Service) emitSubscription(ctx context.Context, tx *sqlx.Tx, t webhooks.EventType, sub Subscription, status Status) error {
	if s.cfg.Webhooks == nil {
		return nil
	}
	_, err := s.cfg.Webhooks.EmitTx(ctx, tx, sub.MerchantID, t, SubscriptionData{Object: "subscription",
		ID: gid.Encode(gid.Subscription, sub.ID), Status: status, CustomerEmail: sub.CustomerEmail, Plan: sub.Plan()})
	return err
}

func (s *Service) emitInvoice(ctx context.Context, tx *sqlx.Tx, t webhooks.EventType, inv Invoice, status InvoiceStatus, code string, next *time.Time) error {
	if s.cfg.Webhooks == nil {
		return nil
	}
	_, err := s.cfg.Webhooks.EmitTx(ctx, tx, inv.MerchantID, t, InvoiceData{Object: "invoice", ID: gid.Encode(gid.Invoice, inv.ID),
		Number: inv.Number, Subscription: gid.Encode(gid.Subscription, inv.SubscriptionID), Status: status, Amount: inv.Gross,
		Currency: inv.Currency, Attempts: inv.Attempts, FailureCode: code, NextAttemptAt: next})
	return err
}
