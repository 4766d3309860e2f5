package billing

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"

	"kassa/db"
	"kassa/fault"
	"kassa/gid"
	"kassa/merchants"
	"kassa/money"
	"kassa/orders"
)

// InvoiceStatus is an invoice's state.
type InvoiceStatus string

// The states of an invoice.
const (
	InvoiceOpen   InvoiceStatus = "OPEN"
	InvoicePaid   InvoiceStatus = "PAID"
	InvoiceFailed InvoiceStatus = "FAILED" // every retry failed
	InvoiceVoid   InvoiceStatus = "VOID"
)

// Invoice is what a subscription charges for a period, or by hand.
type Invoice struct {
	MerchantID     gid.MerchantID `db:"merchant_id"`
	ID             uuid.UUID      `db:"id"`
	SubscriptionID uuid.UUID      `db:"subscription_id"`
	Number         int64          `db:"number"`
	Kind           string         `db:"kind"` // PERIOD or MANUAL
	PeriodIndex    *int           `db:"period_index"`
	PeriodStart    *time.Time     `db:"period_start"`
	PeriodEnd      *time.Time     `db:"period_end"`
	Status         InvoiceStatus  `db:"status"`
	Currency       string         `db:"currency"`
	Net            int64          `db:"net"`
	VAT            int64          `db:"vat"`
	Gross          int64          `db:"gross"`
	Description    string         `db:"description"`
	Token          string         `db:"token"`
	Attempts       int            `db:"attempts"`
	NextAttemptAt  *time.Time     `db:"next_attempt_at"`
	PaymentID      *gid.PaymentID `db:"payment_id"`
	OrderID        *uuid.UUID     `db:"order_id"`
	FailureCode    *string        `db:"failure_code"`
	PaidAt         *time.Time     `db:"paid_at"`
	CreatedAt      time.Time      `db:"created_at"`
	UpdatedAt      time.Time      `db:"updated_at"`
	Lines          []orders.Line  `db:"-"`
}

const invoiceColumns = `merchant_id, id, subscription_id, number, kind, period_index, period_start, period_end, status, currency,
	net, vat, gross, description, token, attempts, next_attempt_at, payment_id, order_id, failure_code, paid_at, created_at, updated_at`

// invoiceToken returns an invoice page's token: 130 random bits,
// URL-safe (crypto/rand.Text). Invoices made before have 32-character
// base64url tokens; InvoiceByToken accepts both lengths.
func invoiceToken() string { return rand.Text() }

// priceInvoice makes an invoice (not yet numbered or stored) from lines.
// A period with nothing to charge still gets its invoice, of zero, marked
// paid.
func priceInvoice(sub *Subscription, kind string, per *Period, desc string, lines []orders.LineInput, now time.Time) (Invoice, error) {
	priced, tot, err := orders.PriceLines(lines)
	if errors.Is(err, fault.ErrInvalidAmount) {
		priced, tot, err = zeroLines(lines), orders.Totals{}, nil
	}
	if err != nil {
		return Invoice{}, err
	}
	inv := Invoice{MerchantID: sub.MerchantID, ID: uuid.Must(uuid.NewV7()), SubscriptionID: sub.ID, Kind: kind,
		Status: InvoiceOpen, Currency: sub.Currency, Net: tot.Net, VAT: tot.VAT, Gross: tot.Gross, Description: desc,
		Token: invoiceToken(), CreatedAt: now, UpdatedAt: now, Lines: priced}
	if per != nil {
		i, start, end := per.Index, per.Start, per.End
		inv.PeriodIndex, inv.PeriodStart, inv.PeriodEnd = &i, &start, &end
	}
	if inv.Gross == 0 {
		inv.Status, inv.PaidAt = InvoicePaid, &now
	}
	return inv, nil
}

// newInvoice prices and stores one invoice in tx.
func (s *Service) newInvoice(ctx context.Context, tx *sqlx.Tx, sub *Subscription, kind string, per *Period, desc string, lines []orders.LineInput, now time.Time) (Invoice, error) {
	inv, err := priceInvoice(sub, kind, per, desc, lines, now)
	if err != nil {
		return Invoice{}, err
	}
	invs := []Invoice{inv}
	if err := storeInvoices(ctx, tx, invs); err != nil {
		return Invoice{}, err
	}
	return invs[0], nil
}

// storeInvoices numbers and inserts invoices with their lines in a few
// statements whatever their number: one counter update per merchant, one
// insert of invoices, one of lines. Numbers are taken in the order given,
// inside tx, so they are gapless (a rollback returns them). A period
// invoiced twice violates invoices_period_key and fails the transaction:
// the row lock on the subscription makes that impossible, the constraint
// makes it harmless.
func storeInvoices(ctx context.Context, tx *sqlx.Tx, invs []Invoice) error {
	if len(invs) == 0 {
		return nil
	}
	perMerchant := map[gid.MerchantID]int64{}
	var order []gid.MerchantID
	for _, inv := range invs {
		if perMerchant[inv.MerchantID] == 0 {
			order = append(order, inv.MerchantID)
		}
		perMerchant[inv.MerchantID]++
	}
	next := map[gid.MerchantID]int64{}
	for _, m := range order {
		k := perMerchant[m]
		last, err := orders.NextNumbers(ctx, tx, m, "invoice", k)
		if err != nil {
			return err
		}
		next[m] = last - k + 1
	}
	type lineRow struct {
		M gid.MerchantID `json:"m"`
		I uuid.UUID      `json:"i"`
		orders.Line
	}
	var lines []lineRow
	for i := range invs {
		invs[i].Number = next[invs[i].MerchantID]
		next[invs[i].MerchantID]++
		for _, l := range invs[i].Lines {
			//nolint:gosec // G602: i ranges over invs
			lines = append(lines, lineRow{invs[i].MerchantID, invs[i].ID, l})
		}
	}
	b, err := json.Marshal(invs)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `
		INSERT INTO invoices (merchant_id, id, subscription_id, number, kind, period_index, period_start, period_end, status, currency,
		  net, vat, gross, description, token, paid_at, created_at, updated_at)
		SELECT r."MerchantID", r."ID", r."SubscriptionID", r."Number", r."Kind", r."PeriodIndex", r."PeriodStart", r."PeriodEnd", r."Status",
		  r."Currency", r."Net", r."VAT", r."Gross", r."Description", r."Token", r."PaidAt", r."CreatedAt", r."CreatedAt"
		FROM jsonb_to_recordset($1::jsonb) AS r("MerchantID" uuid, "ID" uuid, "SubscriptionID" uuid, "Number" bigint, "Kind" text,
		  "PeriodIndex" int, "PeriodStart" timestamptz, "PeriodEnd" timestamptz, "Status" text, "Currency" text, "Net" bigint,
		  "VAT" bigint, "Gross" bigint, "Description" text, "Token" text, "PaidAt" timestamptz, "CreatedAt" timestamptz)`, b); err != nil {
		return err
	}
	lb, err := json.Marshal(lines)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `
		INSERT INTO invoice_lines (merchant_id, invoice_id, position, description, quantity, unit_price, vat_rate, net, vat, gross)
		SELECT l.m, l.i, l.position, l.description, l.quantity, l."unitPrice", l."vatRate", l.net, l.vat, l.gross
		FROM jsonb_to_recordset($1::jsonb) AS l(m uuid, i uuid, position int, description text, quantity bigint, "unitPrice" bigint,
		  "vatRate" int, net bigint, vat bigint, gross bigint)`, lb)
	return err
}

func zeroLines(in []orders.LineInput) []orders.Line {
	out := make([]orders.Line, len(in))
	for i, l := range in {
		out[i] = orders.Line{Position: i + 1, Description: l.Description, Quantity: max(l.Quantity, 0), UnitPrice: l.UnitPrice, VATRate: l.VATRate}
	}
	return out
}

// InvoicesByIDs loads invoices with their lines.
func (s *Service) InvoicesByIDs(ctx context.Context, merchantID gid.MerchantID, ids []uuid.UUID) (map[uuid.UUID]Invoice, error) {
	var invs []Invoice
	err := s.db.InTenant(ctx, merchantID, func(tx *sqlx.Tx) error {
		q, args, err := sqlx.In(`SELECT `+invoiceColumns+` FROM invoices WHERE id IN (?)`, ids)
		if err != nil {
			return err
		}
		if err := tx.SelectContext(ctx, &invs, tx.Rebind(q), args...); err != nil {
			return err
		}
		return attachInvoiceLines(ctx, tx, invs)
	})
	out := make(map[uuid.UUID]Invoice, len(invs))
	for _, inv := range invs {
		out[inv.ID] = inv
	}
	return out, err
}

func attachInvoiceLines(ctx context.Context, tx *sqlx.Tx, invs []Invoice) error {
	if len(invs) == 0 {
		return nil
	}
	ids := make([]uuid.UUID, len(invs))
	idx := map[uuid.UUID]int{}
	for i, inv := range invs {
		ids[i], idx[inv.ID] = inv.ID, i
	}
	var rows []struct {
		InvoiceID uuid.UUID `db:"invoice_id"`
		orders.Line
	}
	q, args, err := sqlx.In(`SELECT invoice_id, position, description, quantity, unit_price, vat_rate, net, vat, gross
		FROM invoice_lines WHERE invoice_id IN (?) ORDER BY invoice_id, position`, ids)
	if err != nil {
		return err
	}
	if err := tx.SelectContext(ctx, &rows, tx.Rebind(q), args...); err != nil {
		return err
	}
	for _, r := range rows {
		i := idx[r.InvoiceID]
		invs[i].Lines = append(invs[i].Lines, r.Line)
	}
	return nil
}

// InvoiceFilter narrows Invoices.
type InvoiceFilter struct {
	SubscriptionID *uuid.UUID
	Statuses       []InvoiceStatus
}

// Invoices lists invoices with their lines, newest first.
func (s *Service) Invoices(ctx context.Context, merchantID gid.MerchantID, f InvoiceFilter, page db.Page) ([]Invoice, bool, error) {
	var invs []Invoice
	var more bool
	err := s.db.InTenant(ctx, merchantID, func(tx *sqlx.Tx) error {
		where := "id < ?"
		args := []any{page.AfterOrMax()}
		if f.SubscriptionID != nil {
			where += " AND subscription_id = ?"
			args = append(args, *f.SubscriptionID)
		}
		if len(f.Statuses) > 0 {
			ss := make([]string, len(f.Statuses))
			for i, st := range f.Statuses {
				ss[i] = string(st)
			}
			where += " AND status IN (?)"
			args = append(args, ss)
		}
		args = append(args, page.Fetch())
		q, a, err := sqlx.In(`SELECT `+invoiceColumns+` FROM invoices WHERE `+where+` ORDER BY id DESC LIMIT ?`, args...)
		if err != nil {
			return err
		}
		if err := tx.SelectContext(ctx, &invs, tx.Rebind(q), a...); err != nil {
			return err
		}
		invs, more = db.Trim(page, invs)
		return attachInvoiceLines(ctx, tx, invs)
	})
	return invs, more, err
}

// InvoicePage is an invoice as its public page shows it.
type InvoicePage struct {
	Invoice      Invoice
	Subscription Subscription
	MerchantName string
}

// InvoiceByToken finds an invoice by its page's token, across merchants.
//
// Errors: fault.ErrNotFound.
func (s *Service) InvoiceByToken(ctx context.Context, token string) (InvoicePage, error) {
	var pg InvoicePage
	if len(token) < 20 || len(token) > 64 {
		return pg, fault.NotFound("invoice")
	}
	var merchantID gid.MerchantID
	err := s.db.InSystem(ctx, func(tx *sqlx.Tx) error {
		return tx.GetContext(ctx, &merchantID, `SELECT merchant_id FROM invoices WHERE token = $1`, token)
	})
	if db.IsNoRows(err) {
		return pg, fault.NotFound("invoice")
	}
	if err != nil {
		return pg, err
	}
	err = s.db.InTenant(ctx, merchantID, func(tx *sqlx.Tx) error {
		if err := tx.GetContext(ctx, &pg.Invoice, `SELECT `+invoiceColumns+` FROM invoices WHERE token = $1`, token); err != nil {
			return err
		}
		invs := []Invoice{pg.Invoice}
		if err := attachInvoiceLines(ctx, tx, invs); err != nil {
			return err
		}
		pg.Invoice = invs[0]
		if err := tx.GetContext(ctx, &pg.Subscription, `SELECT `+subscriptionColumns+` FROM subscriptions WHERE id = $1`, pg.Invoice.SubscriptionID); err != nil {
			return err
		}
		m, err := merchants.GetTx(ctx, tx, merchantID)
		pg.MerchantName = m.Name
		return err
	})
	return pg, err
}

// InvoiceURL is the public page of an invoice.
func (s *Service) InvoiceURL(inv Invoice) string { return s.publicURL() + "/invoices/" + inv.Token }

func (s *Service) publicURL() string { return s.cfg.PublicURL }

func format(a int64, cur, locale string) string {
	return money.Format(money.Money{Amount: a, Currency: cur}, locale)
}
