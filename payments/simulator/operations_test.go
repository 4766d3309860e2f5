package simulator

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"kassa/payments"
)

func testAuthorizeIsIdempotent(t *testing.T, b *bundle) {
	ctx := context.Background()

	t.Run("SameKeyTwiceMakesOnePayment", func(t *testing.T) {
		t.Parallel()
		account := uuid.New()
		req := b.authRequest("4242424242424242", withAccount(account), withCapture)
		first, err := b.client.Authorize(ctx, req)
		require.NoError(t, err)
		second, err := b.client.Authorize(ctx, req)
		require.NoError(t, err)
		require.Equal(t, first, second)

		ps, err := b.srv.Payments(ctx, account.String())
		require.NoError(t, err)
		require.Len(t, ps, 1)
		require.Equal(t, payments.IdempotencyKey("authorize", req.PaymentID), ps[0].IdempotencyKey, "the key kassa derived is the key the processor got")
		require.Equal(t, req.PaymentID, ps[0].PaymentID)
		b.drain(t)
		require.Equal(t, []string{EventAuthorized, EventCaptured}, b.recv.typesFor(first.ProcessorRef), "callbacks only once")
	})

	t.Run("ConcurrentRequestsWithOneKeyMakeOnePayment", func(t *testing.T) {
		t.Parallel()
		account := uuid.New()
		req := b.authRequest("4242424242424242", withAccount(account))
		refs := make([]string, 10)
		var wg sync.WaitGroup
		for i := range refs {
			wg.Go(func() {
				resp, err := b.client.Authorize(ctx, req)
				if err == nil {
					refs[i] = resp.ProcessorRef
				}
			})
		}
		wg.Wait()
		for _, r := range refs {
			require.Equal(t, refs[0], r)
		}
		ps, err := b.srv.Payments(ctx, account.String())
		require.NoError(t, err)
		require.Len(t, ps, 1)
	})

	t.Run("DeclineIsRememberedToo", func(t *testing.T) {
		t.Parallel()
		account := uuid.New()
		req := b.authRequest("4000000000009995", withAccount(account))
		first, err := b.client.Authorize(ctx, req)
		require.NoError(t, err)
		second, err := b.client.Authorize(ctx, req)
		require.NoError(t, err)
		require.Equal(t, first, second)
		require.Equal(t, CodeInsufficientFunds, second.DeclineCode)
		ps, err := b.srv.Payments(ctx, account.String())
		require.NoError(t, err)
		require.Len(t, ps, 1)
	})

	t.Run("SameKeyWithAnotherRequestIsRefused", func(t *testing.T) {
		t.Parallel()
		account := uuid.New()
		req := b.authRequest("4242424242424242", withAccount(account))
		_, err := b.client.Authorize(ctx, req)
		require.NoError(t, err)
		req.Amount++
		_, err = b.client.Authorize(ctx, req)
		var apiErr *APIError
		require.ErrorAs(t, err, &apiErr)
		require.Equal(t, 409, apiErr.StatusCode)
		require.Equal(t, "idempotency_key_reused", apiErr.Code)
		ps, err := b.srv.Payments(ctx, account.String())
		require.NoError(t, err)
		require.Len(t, ps, 1)
		require.Equal(t, int64(1000), ps[0].Amount)
	})
}

func TestTimeoutAfterTheProcessorSucceeded(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	impatient := NewClient(b.ts.URL+"/simulator", testSecret, WithTimeout(200*time.Millisecond))
	account := uuid.New()

	t.Run("Authorize", func(t *testing.T) {
		req := b.authRequest("4242424242424242", withAccount(account))
		b.srv.DelayResponses(1, 2*time.Second)
		start := time.Now()
		_, err := impatient.Authorize(ctx, req)
		require.ErrorIs(t, err, payments.ErrTimeout)
		require.Less(t, time.Since(start), time.Second)

		// The processor acts on what reached it even though the caller
		// stopped waiting; on a busy machine the request may be handled
		// a moment after the caller's 200 ms.
		var ps []Payment
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			ps, err = b.srv.Payments(ctx, account.String())
			require.NoError(t, err)
			if len(ps) > 0 || time.Now().After(deadline) {
				break
			}
		}
		require.Len(t, ps, 1, "the processor acted although the caller timed out")

		resp, err := impatient.Authorize(ctx, req)
		require.NoError(t, err)
		require.Equal(t, payments.AuthPending, resp.Status)
		require.Equal(t, ps[0].Ref, resp.ProcessorRef)

		ps, err = b.srv.Payments(ctx, account.String())
		require.NoError(t, err)
		require.Len(t, ps, 1, "one authorization")
		require.Equal(t, int64(1000), ps[0].Authorized)
		b.drain(t)
		require.Equal(t, []string{EventAuthorized}, b.recv.typesFor(resp.ProcessorRef))
	})

	t.Run("Capture", func(t *testing.T) {
		_, auth := b.authorize(t, "4242424242424242", withAccount(account))
		req := payments.CaptureRequest{IdempotencyKey: payments.IdempotencyKey("capture", uuid.New()), ProcessorRef: auth.ProcessorRef, Amount: 400, Currency: "SEK"}
		b.srv.DelayResponses(1, 2*time.Second)
		_, err := impatient.Capture(ctx, req)
		require.ErrorIs(t, err, payments.ErrTimeout)

		op, err := impatient.Capture(ctx, req)
		require.NoError(t, err)
		require.Equal(t, int64(400), op.Snapshot.Captured)
		p := b.payment(t, auth.ProcessorRef)
		require.Equal(t, int64(400), p.Captured, "captured once")
		require.Len(t, p.Operations, 1)
		require.Equal(t, op.OperationRef, p.Operations[0].ID)
		require.Equal(t, req.IdempotencyKey, p.Operations[0].IdempotencyKey)
	})
}

func testCapture(t *testing.T, b *bundle) {
	ctx := context.Background()

	t.Run("PartialCapturesUpToTheAuthorizedAmount", func(t *testing.T) {
		t.Parallel()
		_, auth := b.authorize(t, "4242424242424242")
		key := payments.IdempotencyKey("capture", uuid.New())
		first, err := b.client.Capture(ctx, payments.CaptureRequest{IdempotencyKey: key, ProcessorRef: auth.ProcessorRef, Amount: 300, Currency: "SEK"})
		require.NoError(t, err)
		require.Equal(t, int64(300), first.Snapshot.Captured)
		require.NotEmpty(t, first.OperationRef)
		second, err := b.capture(auth.ProcessorRef, 300)
		require.NoError(t, err)
		require.Equal(t, int64(600), second.Snapshot.Captured)
		require.NotEqual(t, first.OperationRef, second.OperationRef)
		third, err := b.capture(auth.ProcessorRef, 400)
		require.NoError(t, err)
		require.Equal(t, int64(1000), third.Snapshot.Captured)

		_, err = b.capture(auth.ProcessorRef, 1)
		requireDecline(t, err, CodeAmountTooLarge)

		again, err := b.client.Capture(ctx, payments.CaptureRequest{IdempotencyKey: key, ProcessorRef: auth.ProcessorRef, Amount: 300, Currency: "SEK"})
		require.NoError(t, err)
		require.Equal(t, first, again, "a retried capture gets its first answer")

		p := b.payment(t, auth.ProcessorRef)
		require.Equal(t, int64(1000), p.Captured)
		require.Equal(t, StatusCaptured, p.Status)
		require.Len(t, p.Operations, 4)
		require.Equal(t, "DECLINED", p.Operations[3].Result)
		require.Equal(t, CodeAmountTooLarge, p.Operations[3].DeclineCode)

		b.drain(t)
		evs := b.recv.eventsFor(auth.ProcessorRef)
		require.Len(t, evs, 4)
		for i, want := range []int64{0, 300, 600, 1000} {
			require.Equal(t, want, evs[i].Snapshot.Captured)
		}
	})

	t.Run("BeyondTheAuthorizedAmountAtOnce", func(t *testing.T) {
		t.Parallel()
		_, auth := b.authorize(t, "4242424242424242")
		_, err := b.capture(auth.ProcessorRef, 1001)
		requireDecline(t, err, CodeAmountTooLarge)
		require.Zero(t, b.payment(t, auth.ProcessorRef).Captured)
	})

	t.Run("ZeroCapturesAllThatRemains", func(t *testing.T) {
		t.Parallel()
		_, auth := b.authorize(t, "4242424242424242")
		_, err := b.capture(auth.ProcessorRef, 250)
		require.NoError(t, err)
		op, err := b.capture(auth.ProcessorRef, 0)
		require.NoError(t, err)
		require.Equal(t, int64(1000), op.Snapshot.Captured)
	})

	t.Run("FinalCaptureReleasesTheRest", func(t *testing.T) {
		t.Parallel()
		_, auth := b.authorize(t, "4242424242424242")
		_, err := b.client.Capture(ctx, payments.CaptureRequest{IdempotencyKey: payments.IdempotencyKey("capture", uuid.New()),
			ProcessorRef: auth.ProcessorRef, Amount: 400, Currency: "SEK", Final: true})
		require.NoError(t, err)
		_, err = b.capture(auth.ProcessorRef, 100)
		requireDecline(t, err, CodeInvalidState)
		require.Equal(t, int64(400), b.payment(t, auth.ProcessorRef).Captured)
	})

	t.Run("NotWhileChallenged", func(t *testing.T) {
		t.Parallel()
		_, auth := b.authorize(t, "4000000000003220")
		_, err := b.capture(auth.ProcessorRef, 100)
		requireDecline(t, err, CodeInvalidState)
	})

	t.Run("NotAfterADecline", func(t *testing.T) {
		t.Parallel()
		_, auth := b.authorize(t, "4000000000000002")
		_, err := b.capture(auth.ProcessorRef, 100)
		requireDecline(t, err, CodeInvalidState)
	})

	t.Run("CurrencyMustMatch", func(t *testing.T) {
		t.Parallel()
		_, auth := b.authorize(t, "4242424242424242")
		_, err := b.client.Capture(ctx, payments.CaptureRequest{IdempotencyKey: payments.IdempotencyKey("capture", uuid.New()),
			ProcessorRef: auth.ProcessorRef, Amount: 100, Currency: "EUR"})
		var apiErr *APIError
		require.ErrorAs(t, err, &apiErr)
		require.Equal(t, "currency_mismatch", apiErr.Code)
		require.False(t, errors.Is(err, payments.ErrDeclined))
		require.Zero(t, b.payment(t, auth.ProcessorRef).Captured)
	})

	t.Run("NegativeAmount", func(t *testing.T) {
		t.Parallel()
		_, auth := b.authorize(t, "4242424242424242")
		_, err := b.capture(auth.ProcessorRef, -1)
		var apiErr *APIError
		require.ErrorAs(t, err, &apiErr)
		require.Equal(t, "invalid_amount", apiErr.Code)
	})

	t.Run("UnknownPayment", func(t *testing.T) {
		t.Parallel()
		_, err := b.capture("pay_unknown", 100)
		var apiErr *APIError
		require.ErrorAs(t, err, &apiErr)
		require.Equal(t, 404, apiErr.StatusCode)
	})

	t.Run("KeyReusedOnAnotherPayment", func(t *testing.T) {
		t.Parallel()
		_, a := b.authorize(t, "4242424242424242")
		_, c := b.authorize(t, "4242424242424242")
		key := payments.IdempotencyKey("capture", uuid.New())
		_, err := b.client.Capture(ctx, payments.CaptureRequest{IdempotencyKey: key, ProcessorRef: a.ProcessorRef, Amount: 100})
		require.NoError(t, err)
		_, err = b.client.Capture(ctx, payments.CaptureRequest{IdempotencyKey: key, ProcessorRef: c.ProcessorRef, Amount: 100})
		var apiErr *APIError
		require.ErrorAs(t, err, &apiErr)
		require.Equal(t, "idempotency_key_reused", apiErr.Code)
		require.Zero(t, b.payment(t, c.ProcessorRef).Captured)
	})
}

func testConcurrentPartialCaptures(t *testing.T, b *bundle) {
	_, auth := b.authorize(t, "4242424242424242", withAmount(30))

	var mu sync.Mutex
	succeeded, tooLarge := 0, 0
	var others []error
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			_, err := b.capture(auth.ProcessorRef, 1)
			mu.Lock()
			defer mu.Unlock()
			var de *payments.DeclineError
			switch {
			case err == nil:
				succeeded++
			case errors.As(err, &de) && de.Code == CodeAmountTooLarge:
				tooLarge++
			default:
				others = append(others, err)
			}
		})
	}
	wg.Wait()
	require.Empty(t, others)
	require.Equal(t, 30, succeeded)
	require.Equal(t, 20, tooLarge)

	p := b.payment(t, auth.ProcessorRef)
	require.Equal(t, int64(30), p.Captured)
	ok := 0
	for _, op := range p.Operations {
		if op.Result == "SUCCEEDED" {
			ok++
			require.Equal(t, int64(1), op.Amount)
		}
	}
	require.Equal(t, 30, ok)
	b.drain(t)
	captured := 0
	for _, ev := range b.recv.eventsFor(auth.ProcessorRef) {
		if ev.Type == EventCaptured {
			captured++
		}
	}
	require.Equal(t, 30, captured)
}

func testVoid(t *testing.T, b *bundle) {
	ctx := context.Background()

	t.Run("ReleasesAnAuthorization", func(t *testing.T) {
		t.Parallel()
		_, auth := b.authorize(t, "4242424242424242")
		req := payments.VoidRequest{IdempotencyKey: payments.IdempotencyKey("void", uuid.New()), ProcessorRef: auth.ProcessorRef}
		op, err := b.client.Void(ctx, req)
		require.NoError(t, err)
		require.True(t, op.Snapshot.Voided)
		again, err := b.client.Void(ctx, req)
		require.NoError(t, err)
		require.Equal(t, op, again)

		p := b.payment(t, auth.ProcessorRef)
		require.Equal(t, StatusVoided, p.Status)
		require.Len(t, p.Operations, 1)

		_, err = b.capture(auth.ProcessorRef, 100)
		requireDecline(t, err, CodeInvalidState)
		_, err = b.void(auth.ProcessorRef)
		requireDecline(t, err, CodeInvalidState)

		ev := b.waitType(t, auth.ProcessorRef, EventVoided)
		require.True(t, ev.Snapshot.Voided)
		b.drain(t)
		require.Equal(t, []string{EventAuthorized, EventVoided}, b.recv.typesFor(auth.ProcessorRef))
	})

	t.Run("NotOnceCaptured", func(t *testing.T) {
		t.Parallel()
		_, auth := b.authorize(t, "4242424242424242", withCapture)
		_, err := b.void(auth.ProcessorRef)
		requireDecline(t, err, CodeInvalidState)
		require.Equal(t, StatusCaptured, b.payment(t, auth.ProcessorRef).Status)
	})

	t.Run("NotOncePartlyCaptured", func(t *testing.T) {
		t.Parallel()
		_, auth := b.authorize(t, "4242424242424242")
		_, err := b.capture(auth.ProcessorRef, 100)
		require.NoError(t, err)
		_, err = b.void(auth.ProcessorRef)
		requireDecline(t, err, CodeInvalidState)
	})
}

func testRefund(t *testing.T, b *bundle) {

	t.Run("PartialRefundsUpToTheCapturedAmount", func(t *testing.T) {
		t.Parallel()
		_, auth := b.authorize(t, "4242424242424242", withCapture)
		op, err := b.refund(auth.ProcessorRef, 400)
		require.NoError(t, err)
		require.Equal(t, int64(400), op.Snapshot.Refunded)
		op, err = b.refund(auth.ProcessorRef, 600)
		require.NoError(t, err)
		require.Equal(t, int64(1000), op.Snapshot.Refunded)
		_, err = b.refund(auth.ProcessorRef, 1)
		requireDecline(t, err, CodeAmountTooLarge)

		p := b.payment(t, auth.ProcessorRef)
		require.Equal(t, int64(1000), p.Refunded)
		b.drain(t)
		require.Equal(t, []string{EventAuthorized, EventCaptured, EventRefunded, EventRefunded}, b.recv.typesFor(auth.ProcessorRef))
	})

	t.Run("OnlyWhatWasCaptured", func(t *testing.T) {
		t.Parallel()
		_, auth := b.authorize(t, "4242424242424242")
		_, err := b.refund(auth.ProcessorRef, 100)
		requireDecline(t, err, CodeInvalidState)
		_, err = b.capture(auth.ProcessorRef, 300)
		require.NoError(t, err)
		_, err = b.refund(auth.ProcessorRef, 301)
		requireDecline(t, err, CodeAmountTooLarge)
		op, err := b.refund(auth.ProcessorRef, 0)
		require.NoError(t, err)
		require.Equal(t, int64(300), op.Snapshot.Refunded)
	})

	t.Run("RetryRefundsOnce", func(t *testing.T) {
		t.Parallel()
		_, auth := b.authorize(t, "4242424242424242", withCapture)
		req := payments.RefundRequest{IdempotencyKey: payments.IdempotencyKey("refund", uuid.New()), ProcessorRef: auth.ProcessorRef, Amount: 100, Currency: "SEK"}
		first, err := b.client.Refund(context.Background(), req)
		require.NoError(t, err)
		second, err := b.client.Refund(context.Background(), req)
		require.NoError(t, err)
		require.Equal(t, first, second)
		require.Equal(t, int64(100), b.payment(t, auth.ProcessorRef).Refunded)
	})
}
