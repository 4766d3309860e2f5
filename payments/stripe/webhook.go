package stripe

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	stripego "github.com/stripe/stripe-go/v82"

	"kassa/payments"
)

// SignatureHeader is the header Stripe signs webhooks in.
const SignatureHeader = "Stripe-Signature"

// Tolerance is how far a webhook's signed timestamp may be from now.
const Tolerance = 5 * time.Minute

// Event types the connector reports; other Stripe events come as
// "stripe.<type>" so kassa can log and acknowledge them.
const (
	EventAuthorized     = "payment.authorized"
	EventCaptured       = "payment.captured"
	EventFailed         = "payment.failed"
	EventVoided         = "payment.voided"
	EventExpired        = "payment.expired"
	EventRefunded       = "payment.refunded"
	EventRequiresAction = "payment.requires_action"
)

var intentEvents = map[string]string{
	"payment_intent.amount_capturable_updated": EventAuthorized,
	"payment_intent.succeeded":                 EventCaptured,
	"payment_intent.payment_failed":            EventFailed,
	"payment_intent.canceled":                  EventVoided,
	"payment_intent.requires_action":           EventRequiresAction,
}

var chargeEvents = map[string]string{
	"charge.captured": EventCaptured,
	"charge.refunded": EventRefunded,
	"charge.expired":  EventExpired,
}

// signatureHeader is a parsed Stripe-Signature header.
type signatureHeader struct {
	timestamp string // as sent: it is signed byte for byte
	signedAt  time.Time
	v1        [][]byte
}

// maxSignatures bounds the work one header can ask for.
const maxSignatures = 16

// parseSignatureHeader parses "t=<unix>,v1=<hex>[,v1=<hex>…]". Other schemes
// (v0) and unknown keys are skipped; a missing or repeated t, or no usable
// v1, is an error.
func parseSignatureHeader(h string) (signatureHeader, error) {
	var sh signatureHeader
	if len(h) > 4096 {
		return sh, errors.New("header too long")
	}
	for part := range strings.SplitSeq(h, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		switch k {
		case "t":
			if sh.timestamp != "" {
				return sh, errors.New("more than one timestamp")
			}
			sec, err := strconv.ParseInt(v, 10, 64)
			if err != nil || sec <= 0 || v[0] == '+' {
				return sh, errors.New("malformed timestamp")
			}
			sh.timestamp, sh.signedAt = v, time.Unix(sec, 0)
		case "v1":
			sig, err := hex.DecodeString(v)
			if err != nil || len(sig) != sha256.Size {
				continue
			}
			if len(sh.v1) < maxSignatures {
				sh.v1 = append(sh.v1, sig)
			}
		}
	}
	if sh.timestamp == "" {
		return sh, errors.New("no timestamp")
	}
	if len(sh.v1) == 0 {
		return sh, errors.New("no v1 signature")
	}
	return sh, nil
}

// sign is the v1 signature of body at timestamp under secret.
func sign(secret []byte, timestamp string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(timestamp))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// verify checks the Stripe-Signature header over body: the timestamp within
// Tolerance of now, and some v1 signature made with some configured secret.
func (c *Client) verify(header string, body []byte) error {
	sh, err := parseSignatureHeader(header)
	if err != nil {
		return fmt.Errorf("%w: %s", payments.ErrBadSignature, err)
	}
	if d := c.now().Sub(sh.signedAt); d > Tolerance || d < -Tolerance {
		return fmt.Errorf("%w: timestamp %s is outside the tolerance", payments.ErrBadSignature, sh.signedAt.UTC().Format(time.RFC3339))
	}
	for _, secret := range c.secrets {
		want := sign(secret, sh.timestamp, body)
		for _, got := range sh.v1 {
			if hmac.Equal(want, got) {
				return nil
			}
		}
	}
	return fmt.Errorf("%w: no signature matches", payments.ErrBadSignature)
}

// ParseCallback verifies a Stripe webhook and maps its event. Nothing in
// the body is read before the signature is checked.
func (c *Client) ParseCallback(header http.Header, body []byte) ([]payments.Event, error) {
	if err := c.verify(header.Get(SignatureHeader), body); err != nil {
		return nil, err
	}
	ev, err := mapEvent(body)
	if err != nil {
		return nil, err
	}
	return []payments.Event{ev}, nil
}

type webhookEvent struct {
	ID      string `json:"id"`
	Type    string `json:"type"`
	Created int64  `json:"created"`
	Data    struct {
		Object json.RawMessage `json:"object"`
	} `json:"data"`
}

// mapEvent maps one (verified) Stripe event to kassa's event.
func mapEvent(body []byte) (payments.Event, error) {
	var we webhookEvent
	if err := json.Unmarshal(body, &we); err != nil {
		return payments.Event{}, fmt.Errorf("stripe: webhook body: %w", err)
	}
	if we.ID == "" || we.Type == "" {
		return payments.Event{}, errors.New("stripe: webhook body has no event id or type")
	}
	ev := payments.Event{ID: we.ID, Type: "stripe." + we.Type}
	if we.Created != 0 {
		ev.Created = time.Unix(we.Created, 0).UTC()
	}
	if t, ok := intentEvents[we.Type]; ok {
		var pi stripego.PaymentIntent
		if err := json.Unmarshal(we.Data.Object, &pi); err != nil {
			return payments.Event{}, fmt.Errorf("stripe: webhook %s: payment intent: %w", we.ID, err)
		}
		ev.Type = t
		ev.ProcessorRef = pi.ID
		ev.PaymentID = paymentID(pi.Metadata)
		ev.Snapshot = snapshotFromIntent(&pi)
		if ev.Snapshot.Expired {
			ev.Type = EventExpired
		}
		return ev, nil
	}
	if t, ok := chargeEvents[we.Type]; ok {
		var ch stripego.Charge
		if err := json.Unmarshal(we.Data.Object, &ch); err != nil {
			return payments.Event{}, fmt.Errorf("stripe: webhook %s: charge: %w", we.ID, err)
		}
		ev.Type = t
		ev.ProcessorRef = ch.ID
		ev.PaymentID = paymentID(ch.Metadata)
		if ch.PaymentIntent != nil && ch.PaymentIntent.ID != "" {
			ev.ProcessorRef = ch.PaymentIntent.ID
			if ev.PaymentID == uuid.Nil {
				ev.PaymentID = paymentID(ch.PaymentIntent.Metadata)
			}
		}
		ev.Snapshot = snapshotFromCharge(&ch)
		if we.Type == "charge.expired" {
			ev.Snapshot.Expired = true
		}
		return ev, nil
	}
	return ev, nil
}
