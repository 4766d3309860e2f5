package simulator

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"kassa/gid"
	"kassa/payments"
)

func testMandates(t *testing.T, b *bundle) {
	ctx := context.Background()
	day := 24 * time.Hour

	charge := func(t *testing.T, token string, opts ...func(*payments.MandateChargeRequest)) (payments.MandateChargeRequest, payments.AuthorizeResponse) {
		t.Helper()
		id := uuid.New()
		req := payments.MandateChargeRequest{
			IdempotencyKey: payments.IdempotencyKey("charge", id), PaymentID: id, MerchantID: gid.Of[gid.MerchantID](b.account),
			Amount: 4900, Currency: "SEK", Capture: true, MandateToken: token, Description: "Subscription, March",
		}
		for _, o := range opts {
			o(&req)
		}
		resp, err := b.client.ChargeMandate(ctx, req)
		require.NoError(t, err)
		return req, resp
	}

	t.Run("SavedThenCharged", func(t *testing.T) {
		t.Parallel()
		_, first := b.authorize(t, "4242424242424242", withMandate, withCapture)
		require.Equal(t, payments.AuthPending, first.Status)
		require.NotEmpty(t, first.MandateToken)
		ev := b.waitType(t, first.ProcessorRef, EventAuthorized)
		require.Equal(t, first.MandateToken, ev.Snapshot.MandateToken)

		req, resp := charge(t, first.MandateToken)
		require.Equal(t, payments.AuthPending, resp.Status)
		require.NotEqual(t, first.ProcessorRef, resp.ProcessorRef)
		require.Equal(t, "4242", resp.Card.Last4)
		p := b.payment(t, resp.ProcessorRef)
		require.Equal(t, payments.InitiatorMerchantRecurring, p.Initiator)
		require.Equal(t, StatusCaptured, p.Status)
		require.Equal(t, int64(4900), p.Captured)
		require.Equal(t, req.IdempotencyKey, p.IdempotencyKey)
		require.True(t, p.CaptureBefore.Equal(b.clock.Now().Add(5*day)), "merchant-initiated holds last 5 days")
		b.waitType(t, resp.ProcessorRef, EventCaptured)

		// The same key charges once.
		again, err := b.client.ChargeMandate(ctx, req)
		require.NoError(t, err)
		require.Equal(t, resp, again)
		ps, err := b.srv.Payments(ctx, b.account.String())
		require.NoError(t, err)
		n := 0
		for _, p := range ps {
			if p.PaymentID == req.PaymentID {
				n++
			}
		}
		require.Equal(t, 1, n)
	})

	t.Run("SetMandateBehaviourDeclinesLaterCharges", func(t *testing.T) {
		t.Parallel()
		_, first := b.authorize(t, "5555555555554444", withMandate)
		require.NoError(t, b.srv.SetMandateBehaviour(first.MandateToken, CodeInsufficientFunds))
		_, resp := charge(t, first.MandateToken)
		require.Equal(t, payments.AuthDeclined, resp.Status)
		require.Equal(t, CodeInsufficientFunds, resp.DeclineCode)
		ev := b.waitType(t, resp.ProcessorRef, EventFailed)
		require.Equal(t, CodeInsufficientFunds, ev.Snapshot.FailureCode)

		require.NoError(t, b.srv.SetMandateBehaviour(first.MandateToken, ""))
		_, resp = charge(t, first.MandateToken)
		require.Equal(t, payments.AuthPending, resp.Status)

		require.ErrorIs(t, b.srv.SetMandateBehaviour("tok_unknown", CodeCardDeclined), ErrNotFound)
	})

	t.Run("UnknownMandate", func(t *testing.T) {
		t.Parallel()
		_, resp := charge(t, "tok_unknown")
		require.Equal(t, payments.AuthDeclined, resp.Status)
		require.Equal(t, CodeInvalidMandate, resp.DeclineCode)
		ev := b.waitType(t, resp.ProcessorRef, EventFailed)
		require.Equal(t, CodeInvalidMandate, ev.Snapshot.FailureCode)
	})

	t.Run("AnotherAccountsMandate", func(t *testing.T) {
		t.Parallel()
		_, first := b.authorize(t, "4242424242424242", withMandate, withAccount(uuid.New()))
		_, resp := charge(t, first.MandateToken)
		require.Equal(t, CodeInvalidMandate, resp.DeclineCode)
	})

	t.Run("NoMandateWithoutSaveMandate", func(t *testing.T) {
		t.Parallel()
		_, first := b.authorize(t, "4242424242424242")
		require.Empty(t, first.MandateToken)
		token := b.payment(t, first.ProcessorRef).Token
		require.NotEmpty(t, token)
		_, resp := charge(t, token)
		require.Equal(t, CodeInvalidMandate, resp.DeclineCode)
	})

	t.Run("NoMandateFromADecline", func(t *testing.T) {
		t.Parallel()
		_, first := b.authorize(t, "4000000000009995", withMandate)
		require.Equal(t, payments.AuthDeclined, first.Status)
		require.Empty(t, first.MandateToken)
		_, resp := charge(t, b.payment(t, first.ProcessorRef).Token)
		require.Equal(t, CodeInvalidMandate, resp.DeclineCode)
	})

	t.Run("SavedAfterThreeDSecure", func(t *testing.T) {
		t.Parallel()
		_, first := b.authorize(t, "4000000000003220", withMandate)
		require.Equal(t, payments.AuthRequiresAction, first.Status)
		require.Empty(t, first.MandateToken, "not before the customer authenticated")
		submit(t, first.ActionURL, url.Values{"code": {"1234"}})
		ev := b.waitType(t, first.ProcessorRef, EventAuthorized)
		require.NotEmpty(t, ev.Snapshot.MandateToken)

		_, resp := charge(t, ev.Snapshot.MandateToken)
		require.Equal(t, payments.AuthPending, resp.Status, "a merchant-initiated charge gets no challenge")
		require.Equal(t, "NOT_REQUIRED", b.payment(t, resp.ProcessorRef).ThreeDS)
	})

	t.Run("ReserveOnly", func(t *testing.T) {
		t.Parallel()
		_, first := b.authorize(t, "4242424242424242", withMandate)
		_, resp := charge(t, first.MandateToken, func(r *payments.MandateChargeRequest) { r.Capture = false })
		require.Equal(t, payments.AuthPending, resp.Status)
		p := b.payment(t, resp.ProcessorRef)
		require.Equal(t, StatusAuthorized, p.Status)
		_, err := b.capture(resp.ProcessorRef, 4900)
		require.NoError(t, err)
	})
}
