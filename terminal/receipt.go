package terminal

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/riverqueue/river"

	"kassa/gid"
	"kassa/mailer"
	"kassa/money"
	"kassa/payments"
)

//go:embed templates
var templateFS embed.FS

var (
	emailHTML = htmltemplate.Must(htmltemplate.ParseFS(templateFS, "templates/receipt.html"))
	emailText = texttemplate.Must(texttemplate.ParseFS(templateFS, "templates/receipt.txt"))
)

// receiptTexts are the receipt's words (the email and the printed page).
var receiptTexts = map[string]map[string]string{
	"sv": {
		"title":       "Kvitto",
		"subject":     "Kvitto från %s",
		"hello":       "Tack för ditt köp!",
		"charged":     "Betald",
		"approved":    "Godkänd",
		"reserved":    "Reserverad",
		"reservedMsg": "Beloppet är reserverat på ditt kort och dras vid leverans.",
		"declined":    "Nekad",
		"pending":     "Behandlas",
		"voided":      "Makulerad",
		"refunded":    "Återbetald",
		"partRefund":  "Delvis återbetald",
		"amount":      "Belopp",
		"refundedAmt": "Återbetalt",
		"card":        "Kort",
		"date":        "Datum",
		"description": "Avser",
		"order":       "Order",
		"reference":   "Referens",
		"staff":       "Betjänad av",
		"status":      "Status",
		"moto":        "Kortet angavs av personal (post-/telefonorder, kortet ej närvarande).",
		"keep":        "Spara kvittot.",
	},
	"en": {
		"title":       "Receipt",
		"subject":     "Receipt from %s",
		"hello":       "Thank you for your purchase!",
		"charged":     "Paid",
		"approved":    "Approved",
		"reserved":    "Reserved",
		"reservedMsg": "The amount is reserved on your card and charged at delivery.",
		"declined":    "Declined",
		"pending":     "Processing",
		"voided":      "Voided",
		"refunded":    "Refunded",
		"partRefund":  "Partially refunded",
		"amount":      "Amount",
		"refundedAmt": "Refunded",
		"card":        "Card",
		"date":        "Date",
		"description": "For",
		"order":       "Order",
		"reference":   "Reference",
		"staff":       "Served by",
		"status":      "Status",
		"moto":        "Card details keyed in by staff (mail/telephone order, card not present).",
		"keep":        "Please keep this receipt.",
	},
}

// Receipt is what a receipt shows, formatted for its language.
type Receipt struct {
	Lang         string
	T            map[string]string
	MerchantName string
	Amount       string
	Refunded     string // "" when nothing was refunded
	Status       string
	Reserved     bool
	Approved     bool
	Card         string
	Date         string
	Description  string
	OrderNumber  string
	Reference    string
	Staff        string
	Accent       string
}

// Reference is the short reference printed on receipts and shown in
// lists: the last 10 hex digits of the payment id, upper case.
func Reference(id uuid.UUID) string {
	s := strings.ReplaceAll(id.String(), "-", "")
	return strings.ToUpper(s[len(s)-10:])
}

// Receipt returns the receipt of a terminal payment for its merchant's
// locale (or lang, "sv" or "en", when given).
//
// Errors: fault.ErrNotFound.
func (s *Service) Receipt(ctx context.Context, merchantID gid.MerchantID, paymentID gid.PaymentID, lang string) (Receipt, error) {
	p, err := s.pay.Get(ctx, merchantID, paymentID)
	if err != nil {
		return Receipt{}, err
	}
	m, err := s.merchants.Get(ctx, merchantID)
	if err != nil {
		return Receipt{}, err
	}
	if lang != "sv" && lang != "en" {
		lang = m.Locale
	}
	if lang != "en" {
		lang = "sv"
	}
	t := receiptTexts[lang]
	r := Receipt{Lang: lang, T: t, MerchantName: m.Name, Accent: "#0b5fff", Description: p.Description,
		Amount: money.Format(money.Money{Amount: p.Amount, Currency: p.Currency}, lang), Card: p.CardLabel(lang),
		Reference: Reference(p.ID.UUID), Reserved: p.Status == payments.StatusAuthorized && p.CaptureMode == payments.CaptureReserve}
	loc, err := time.LoadLocation(m.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	r.Date = p.CreatedAt.In(loc).Format("2006-01-02 15:04")
	switch p.Status {
	case payments.StatusAuthorized:
		r.Status, r.Approved = t["approved"], true
		if r.Reserved {
			r.Status = t["reserved"]
		}
	case payments.StatusCaptured, payments.StatusPartiallyCaptured:
		r.Status, r.Approved = t["charged"], true
	case payments.StatusRefunded:
		r.Status, r.Approved = t["refunded"], true
	case payments.StatusPartiallyRefunded:
		r.Status, r.Approved = t["partRefund"], true
	case payments.StatusVoided, payments.StatusExpired:
		r.Status = t["voided"]
	case payments.StatusFailed:
		r.Status = t["declined"]
	default:
		r.Status = t["pending"]
	}
	if p.AmountRefunded > 0 {
		r.Refunded = money.Format(money.Money{Amount: p.AmountRefunded, Currency: p.Currency}, lang)
	}
	if p.OrderID != nil {
		if o, err := s.orders.Get(ctx, merchantID, *p.OrderID); err == nil {
			r.OrderNumber = fmt.Sprint(o.Number)
		}
	}
	if p.CreatedByUser != nil {
		if us, err := s.auth.UsersByID(ctx, merchantID, []uuid.UUID{*p.CreatedByUser}); err == nil {
			if u, ok := us[*p.CreatedByUser]; ok {
				r.Staff = firstName(u.Name)
			}
		}
	}
	return r, nil
}

// firstName is what a receipt says of the staff member: the first name
// only, as on a till receipt.
func firstName(name string) string {
	f := strings.Fields(name)
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

// paymentChanged queues the customer's receipt when a terminal payment
// with a customer email is approved, inside the transaction of the
// callback that approves it, once.
func (s *Service) paymentChanged(ctx context.Context, tx *sqlx.Tx, before, after payments.Payment) error {
	if after.Initiator != payments.InitiatorMerchantMOTO || after.CustomerEmail == nil ||
		before.AmountAuthorized > 0 || after.AmountAuthorized == 0 {
		return nil
	}
	res, err := tx.ExecContext(ctx, `UPDATE terminal_payments SET receipt_queued_at = $3
		WHERE merchant_id = $1 AND payment_id = $2 AND receipt_queued_at IS NULL`, after.MerchantID, after.ID, s.now().UTC())
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil
	}
	return s.jobs.InsertTx(ctx, tx, ReceiptArgs{MerchantID: after.MerchantID, PaymentID: after.ID}, nil)
}

// ReceiptArgs is the job that emails a terminal payment's receipt.
type ReceiptArgs struct {
	MerchantID gid.MerchantID `json:"merchant_id"`
	PaymentID  gid.PaymentID  `json:"payment_id"`
}

// Kind names the job.
func (ReceiptArgs) Kind() string { return "terminal.receipt" }

type receiptWorker struct {
	river.WorkerDefaults[ReceiptArgs]
	s *Service
}

// Work renders the receipt and enqueues the email, once: the message id is
// set on the sale in the same transaction, so a retried job finds it sent.
func (w *receiptWorker) Work(ctx context.Context, job *river.Job[ReceiptArgs]) error {
	s, a := w.s, job.Args
	p, err := s.pay.Get(ctx, a.MerchantID, a.PaymentID)
	if err != nil || p.CustomerEmail == nil {
		return err
	}
	r, err := s.Receipt(ctx, a.MerchantID, a.PaymentID, "")
	if err != nil {
		return err
	}
	msg, err := RenderReceiptEmail(r)
	if err != nil {
		return err
	}
	msg.To = *p.CustomerEmail
	return s.db.InTenant(ctx, a.MerchantID, func(tx *sqlx.Tx) error {
		var sent *string
		if err := tx.GetContext(ctx, &sent, `SELECT receipt_message_id FROM terminal_payments WHERE payment_id = $1 FOR UPDATE`, p.ID); err != nil {
			return err
		}
		if sent != nil {
			return nil
		}
		msg.MerchantID = a.MerchantID
		id, err := s.mailer.EnqueueTx(ctx, tx, msg)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE terminal_payments SET receipt_message_id = $2 WHERE payment_id = $1`, p.ID, id)
		return err
	})
}

// RenderReceiptEmail renders r as an email (without its recipient).
func RenderReceiptEmail(r Receipt) (mailer.Message, error) {
	var html, text bytes.Buffer
	if err := emailHTML.Execute(&html, r); err != nil {
		return mailer.Message{}, err
	}
	if err := emailText.Execute(&text, r); err != nil {
		return mailer.Message{}, err
	}
	return mailer.Message{
		FromName: r.MerchantName, Subject: fmt.Sprintf(r.T["subject"], r.MerchantName),
		Text: strings.TrimSpace(text.String()) + "\n", HTML: html.String(), Kind: "terminal_receipt",
	}, nil
}
