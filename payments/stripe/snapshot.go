package stripe

import (
	"strings"
	"time"

	"github.com/google/uuid"
	stripego "github.com/stripe/stripe-go/v82"

	"kassa/payments"
)

// defaultHold is how long Stripe holds an online card authorization when
// the charge does not say (payment_method_details.card.capture_before).
const defaultHold = 7 * 24 * time.Hour

// expanded tells a full charge from a bare id (an unexpanded field).
func expanded(ch *stripego.Charge) bool {
	return ch != nil && (ch.Object == "charge" || ch.Created != 0)
}

// snapshotFromIntent is Stripe's view of a payment from its PaymentIntent,
// completed from the latest charge when that is expanded.
func snapshotFromIntent(pi *stripego.PaymentIntent) payments.Snapshot {
	s := payments.Snapshot{
		Amount:   pi.Amount,
		Currency: strings.ToUpper(string(pi.Currency)),
		Captured: pi.AmountReceived,
	}
	var ch *stripego.Charge
	if expanded(pi.LatestCharge) {
		ch = pi.LatestCharge
	}
	switch pi.Status {
	case stripego.PaymentIntentStatusRequiresCapture, stripego.PaymentIntentStatusSucceeded:
		// After a partial capture Stripe keeps amount at what was asked and
		// amount_received at what was taken; the hold was the whole amount
		// (more with overcapture).
		s.Authorized = max(pi.Amount, pi.AmountCapturable+pi.AmountReceived)
	case stripego.PaymentIntentStatusCanceled:
		if ch != nil && ch.Paid {
			s.Authorized = ch.Amount
		}
		if isExpiry(pi.CancellationReason) {
			s.Expired = true
		} else {
			s.Voided = true
		}
	case stripego.PaymentIntentStatusRequiresAction:
		s.RequiresAction = true
	case stripego.PaymentIntentStatusRequiresPaymentMethod:
		if pi.LastPaymentError != nil {
			s.Failed = true
			s.FailureCode, s.FailureMessage = failure(pi.LastPaymentError)
		}
	}
	if pi.LastPaymentError != nil && pi.LastPaymentError.Code == stripego.ErrorCodePaymentIntentAuthenticationFailure {
		s.ThreeDS = "FAILED"
	}
	if ch != nil {
		s.Refunded = min(refunded(ch), s.Captured)
		s.Card = cardFromCharge(ch)
		if t := threeDS(ch); t != "" {
			s.ThreeDS = t
		}
	}
	if s.Card == (payments.CardInfo{}) && pi.PaymentMethod != nil {
		s.Card = cardFromPaymentMethod(pi.PaymentMethod)
	}
	if s.Authorized > 0 {
		created := pi.Created
		if ch != nil && ch.Created != 0 {
			created = ch.Created
		}
		s.CaptureBefore = captureBefore(ch, created)
		if pi.SetupFutureUsage == stripego.PaymentIntentSetupFutureUsageOffSession && pi.PaymentMethod != nil {
			cus := ""
			if pi.Customer != nil {
				cus = pi.Customer.ID
			}
			s.MandateToken = mandateToken(cus, pi.PaymentMethod.ID)
		}
	}
	return s
}

// snapshotFromCharge is Stripe's view of a payment from its charge (charge
// webhooks, refund answers).
func snapshotFromCharge(ch *stripego.Charge) payments.Snapshot {
	s := payments.Snapshot{
		Amount:   ch.Amount,
		Currency: strings.ToUpper(string(ch.Currency)),
		Captured: ch.AmountCaptured,
		Refunded: refunded(ch),
		Card:     cardFromCharge(ch),
		ThreeDS:  threeDS(ch),
	}
	if ch.Paid {
		s.Authorized = max(ch.Amount, ch.AmountCaptured)
	}
	if ch.Status == stripego.ChargeStatusFailed {
		s.Failed = true
		s.FailureCode = ch.FailureCode
		if s.FailureCode == "" {
			s.FailureCode = string(stripego.ErrorCodeCardDeclined)
		}
		s.FailureMessage = ch.FailureMessage
	}
	if s.Authorized > 0 {
		s.CaptureBefore = captureBefore(ch, ch.Created)
	}
	return s
}

// refunded is what was refunded of what was captured. Stripe counts the
// uncaptured rest of an authorization as refunded once it is released (a
// partial capture, a cancel, an expiry), so that part is taken off, and
// the result never exceeds what was captured.
func refunded(ch *stripego.Charge) int64 {
	r := ch.AmountRefunded
	if ch.Captured || ch.Refunded {
		r -= ch.Amount - ch.AmountCaptured
	}
	return min(max(r, 0), ch.AmountCaptured)
}

func captureBefore(ch *stripego.Charge, created int64) time.Time {
	if ch != nil && ch.PaymentMethodDetails != nil && ch.PaymentMethodDetails.Card != nil && ch.PaymentMethodDetails.Card.CaptureBefore > 0 {
		return time.Unix(ch.PaymentMethodDetails.Card.CaptureBefore, 0).UTC()
	}
	if created == 0 {
		return time.Time{}
	}
	return time.Unix(created, 0).UTC().Add(defaultHold)
}

func isExpiry(r stripego.PaymentIntentCancellationReason) bool {
	return r == stripego.PaymentIntentCancellationReasonAutomatic || r == stripego.PaymentIntentCancellationReasonExpired
}

func threeDS(ch *stripego.Charge) string {
	if ch.PaymentMethodDetails == nil || ch.PaymentMethodDetails.Card == nil {
		return ""
	}
	t := ch.PaymentMethodDetails.Card.ThreeDSecure
	if t == nil || t.Result == "" {
		if ch.Paid {
			return "NOT_REQUIRED"
		}
		return ""
	}
	switch t.Result {
	case stripego.ChargePaymentMethodDetailsCardThreeDSecureResultAuthenticated,
		stripego.ChargePaymentMethodDetailsCardThreeDSecureResultAttemptAcknowledged:
		return "PASSED"
	case stripego.ChargePaymentMethodDetailsCardThreeDSecureResultFailed:
		return "FAILED"
	case stripego.ChargePaymentMethodDetailsCardThreeDSecureResultExempted,
		stripego.ChargePaymentMethodDetailsCardThreeDSecureResultNotSupported:
		return "NOT_REQUIRED"
	}
	return ""
}

func cardFromCharge(ch *stripego.Charge) payments.CardInfo {
	if ch.PaymentMethodDetails == nil || ch.PaymentMethodDetails.Card == nil {
		return payments.CardInfo{}
	}
	c := ch.PaymentMethodDetails.Card
	return payments.CardInfo{Brand: string(c.Brand), Last4: c.Last4, ExpMonth: int(c.ExpMonth), ExpYear: int(c.ExpYear)}
}

func cardFromPaymentMethod(pm *stripego.PaymentMethod) payments.CardInfo {
	if pm == nil || pm.Card == nil {
		return payments.CardInfo{}
	}
	return payments.CardInfo{Brand: string(pm.Card.Brand), Last4: pm.Card.Last4, ExpMonth: int(pm.Card.ExpMonth), ExpYear: int(pm.Card.ExpYear)}
}

// paymentID is kassa's payment id from Stripe metadata; uuid.Nil when
// missing or malformed.
func paymentID(md map[string]string) uuid.UUID {
	id, err := uuid.Parse(md[MetadataPaymentID])
	if err != nil {
		return uuid.Nil
	}
	return id
}
