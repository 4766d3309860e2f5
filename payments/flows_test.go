package payments_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/require"

	"kassa/fault"
	"kassa/payments"
	"kassa/payments/simulator"
)

// TestPayments runs the behaviours that leave the fixture's knobs (clocks,
// callback hold, delays) alone on one payments service and simulator, at
// once, as kassa's many requests would; each works on its own payments.
// Tests that turn a knob have fixtures of their own.
func TestPayments(t *testing.T) {
	t.Parallel()
	b := setup(t)
	t.Run("Concurrently", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			fn   func(*testing.T, *bundle)
		}{
			{"Authorize", testAuthorize},
			{"CaptureModes", testCaptureModes},
			{"Capture", testCapture},
			{"Void", testVoid},
			{"Refund", testRefund},
			{"EventHistory", testEventHistory},
			{"ChargeMandate", testChargeMandate},
			{"ConcurrentPartialCaptures", testConcurrentPartialCaptures},
			{"CardThatDuplicatesAndReorders", testCardThatDuplicatesAndReorders},
			{"IdempotencyKeys", testIdempotencyKeys},
			{"BadInput", testBadInput},
		} {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				tc.fn(t, b)
			})
		}
	})
	// Last, over everything the others left in the database and the logs.
	t.Run("CardNumbersAreNeverStoredOrLogged", func(t *testing.T) { testCardNumbersAreNeverStoredOrLogged(t, b) })
}

// testAuthorize runs authorizations through the simulator, with and
// without 3-D Secure, and checks kassa's record against the processor's.
func testAuthorize(t *testing.T, b *bundle) {

	t.Run("FrictionlessIsAuthorizedByTheCallback", func(t *testing.T) {
		t.Parallel()
		p := b.Authorize(t, b.Payment(b.merchant, cardOK, amount))
		require.Contains(t, []payments.Status{payments.StatusPending, payments.StatusAuthorized}, p.Status)
		require.NotNil(t, p.ProcessorRef)
		p = b.WaitStatus(t, p, payments.StatusAuthorized)
		require.Equal(t, "simulator", p.Processor)
		require.Equal(t, payments.CaptureReserve, p.CaptureMode)
		require.Equal(t, payments.InitiatorCustomer, p.Initiator)
		require.Equal(t, "NOT_REQUIRED", p.ThreeDS)
		require.Nil(t, p.NextActionURL)
		require.Equal(t, "visa", *p.CardBrand)
		require.Equal(t, "4242", *p.CardLast4)
		require.Equal(t, 12, *p.CardExpMonth)
		require.Equal(t, b.Clock.Now().Year()+3, *p.CardExpYear)
		require.Equal(t, int64(0), p.AmountCaptured)
		sp := b.RequireBooksAgree(t, p)
		require.Equal(t, simulator.StatusAuthorized, sp.Status)
		require.NotNil(t, p.CaptureBefore)
		require.True(t, sp.CaptureBefore.Equal(*p.CaptureBefore), "captureBefore %s, simulator %s", p.CaptureBefore, sp.CaptureBefore)
		require.WithinDuration(t, b.SimClock.Now().Add(customerHoldDays*24*time.Hour), *p.CaptureBefore, time.Millisecond)
	})

	t.Run("MastercardIsAuthorized", func(t *testing.T) {
		t.Parallel()
		p := b.WaitStatus(t, b.Authorize(t, b.Payment(b.merchant, cardMastercard, amount)), payments.StatusAuthorized)
		require.Equal(t, "mastercard", *p.CardBrand)
		require.Equal(t, "4444", *p.CardLast4)
		b.RequireBooksAgree(t, p)
	})

	t.Run("MailOrderHoldsFiveDaysWithoutChallenge", func(t *testing.T) {
		t.Parallel()
		n := b.Payment(b.merchant, cardChallenge, amount)
		n.Initiator = payments.InitiatorMerchantMOTO
		p := b.WaitStatus(t, b.Authorize(t, n), payments.StatusAuthorized)
		require.Equal(t, "NOT_REQUIRED", p.ThreeDS)
		require.Equal(t, payments.InitiatorMerchantMOTO, p.Initiator)
		sp := b.RequireBooksAgree(t, p)
		require.Equal(t, simulator.HoldMerchant, sp.CaptureBefore.Sub(sp.AuthorizedAt))
	})

	challenged := func(t *testing.T) payments.Payment {
		t.Helper()
		p := b.Authorize(t, b.Payment(b.merchant, cardChallenge, amount))
		require.Equal(t, payments.StatusRequiresAction, p.Status)
		require.Equal(t, "PENDING", p.ThreeDS)
		require.NotNil(t, p.NextActionURL)
		require.Contains(t, *p.NextActionURL, b.URL+"/simulator/3ds/")
		// The challenge callback changes nothing more.
		b.Callbacks.Wait(t, p.ProcessorRef, simulator.EventRequiresAction)
		b.SettlePayment(t, p.ProcessorRef)
		p = b.Get(t, p)
		require.Equal(t, payments.StatusRequiresAction, p.Status)
		require.Zero(t, p.AmountAuthorized)
		return p
	}

	t.Run("ChallengePassedWithTheRightCode", func(t *testing.T) {
		t.Parallel()
		p := challenged(t)
		back := b.Challenge(t, *p.NextActionURL, "1234", false)
		require.Equal(t, "shop.example", back.Host)
		require.Equal(t, *p.ProcessorRef, back.Query().Get("ref"))
		p = b.WaitStatus(t, p, payments.StatusAuthorized)
		require.Equal(t, "PASSED", p.ThreeDS)
		require.Nil(t, p.NextActionURL)
		require.Equal(t, amount, p.AmountAuthorized)
		sp := b.RequireBooksAgree(t, p)
		require.Equal(t, "PASSED", sp.ThreeDS)

		// And it can be captured like any other.
		p, err := b.capture(p, amount)
		require.NoError(t, err)
		require.Equal(t, payments.StatusCaptured, p.Status)
	})

	t.Run("ChallengeWithAWrongCodeFails", func(t *testing.T) {
		t.Parallel()
		p := challenged(t)
		b.Challenge(t, *p.NextActionURL, "4321", false)
		p = b.WaitStatus(t, p, payments.StatusFailed)
		require.Equal(t, "FAILED", p.ThreeDS)
		require.Equal(t, simulator.CodeAuthenticationFailed, *p.FailureCode)
		require.Nil(t, p.NextActionURL)
		sp := b.RequireBooksAgree(t, p)
		require.Equal(t, simulator.StatusFailed, sp.Status)
		_, err := b.capture(p, amount)
		requireFault(t, err, fault.ErrInvalidState)
	})

	t.Run("ChallengeCancelledFails", func(t *testing.T) {
		t.Parallel()
		p := challenged(t)
		b.Challenge(t, *p.NextActionURL, "", true)
		p = b.WaitStatus(t, p, payments.StatusFailed)
		require.Equal(t, "CANCELLED", p.ThreeDS)
		require.Equal(t, simulator.CodeAuthenticationCancelled, *p.FailureCode)
		b.RequireBooksAgree(t, p)
	})

	t.Run("DeclinedCardsFail", func(t *testing.T) {
		t.Parallel()
		for number, code := range map[string]string{
			cardDeclined:   simulator.CodeCardDeclined,
			cardNoFunds:    simulator.CodeInsufficientFunds,
			cardExpired:    simulator.CodeExpiredCard,
			cardProcessing: simulator.CodeProcessingError,
		} {
			p := b.Authorize(t, b.Payment(b.merchant, number, amount))
			require.Equal(t, payments.StatusFailed, p.Status, number)
			require.Equal(t, code, *p.FailureCode, number)
			require.Equal(t, number[12:], *p.CardLast4)
			b.Callbacks.Wait(t, p.ProcessorRef, simulator.EventFailed)
			b.SettlePayment(t, p.ProcessorRef)
			p = b.Get(t, p)
			require.Equal(t, payments.StatusFailed, p.Status, number)
			sp := b.RequireBooksAgree(t, p)
			require.Equal(t, code, sp.FailureCode)
		}
	})
}

// testNotAuthorizedWithoutTheCallback: the synchronous answer never marks
// a payment authorized; the verified callback does.
func testNotAuthorizedWithoutTheCallback(t *testing.T, b *bundle) {
	p := b.Authorize(t, b.Payment(b.merchant, cardOK, amount))
	require.Equal(t, payments.StatusPending, p.Status)
	d := b.Callbacks.Wait(t, p.ProcessorRef, simulator.EventAuthorized)
	b.SettlePayment(t, p.ProcessorRef)
	require.Equal(t, payments.StatusPending, b.Get(t, p).Status)
	_, err := b.capture(p, amount)
	requireFault(t, err, fault.ErrInvalidState)

	require.NoError(t, b.Service.HandleCallback(b.ctx, "simulator", d.Header, d.Body))
	p = b.Get(t, p)
	require.Equal(t, payments.StatusAuthorized, p.Status)
	b.RequireBooksAgree(t, p)
}

// testCaptureModes: IMMEDIATE takes the money at purchase, RESERVE only
// holds it.
func testCaptureModes(t *testing.T, b *bundle) {

	t.Run("ImmediateIsCapturedInFull", func(t *testing.T) {
		t.Parallel()
		p := b.authorized(t, payments.CaptureImmediate)
		require.Equal(t, amount, p.AmountCaptured)
		sp := b.RequireBooksAgree(t, p)
		require.True(t, sp.Capture)
		require.Equal(t, simulator.StatusCaptured, sp.Status)
		_, err := b.capture(p, 1)
		requireFault(t, err, fault.ErrInvalidState)
		_, err = b.Service.Void(b.ctx, b.actor(), p.MerchantID, p.ID)
		requireFault(t, err, fault.ErrInvalidState)
	})

	t.Run("ReserveOnlyHolds", func(t *testing.T) {
		t.Parallel()
		p := b.authorized(t, payments.CaptureReserve)
		require.Equal(t, amount, p.AmountAuthorized)
		require.Zero(t, p.AmountCaptured)
		sp := b.RequireBooksAgree(t, p)
		require.False(t, sp.Capture)
		require.Equal(t, simulator.StatusAuthorized, sp.Status)
	})
}

// testCapture takes a reservation in parts.
func testCapture(t *testing.T, b *bundle) {

	t.Run("PartialCapturesUpToTheAuthorizedAmount", func(t *testing.T) {
		t.Parallel()
		p := b.authorized(t, payments.CaptureReserve)
		for i, part := range []int64{2500, 2500, 1000} {
			var err error
			p, err = b.capture(p, part)
			require.NoError(t, err, "capture %d", i)
			require.Equal(t, payments.StatusPartiallyCaptured, p.Status)
		}
		require.Equal(t, int64(6000), p.AmountCaptured)
		require.Equal(t, int64(4000), p.Remaining())

		before := b.Get(t, p)
		_, err := b.capture(p, 4001)
		requireFault(t, err, fault.ErrAmountTooLarge)
		require.Equal(t, before, b.Get(t, p), "a refused capture changes nothing")

		p, err = b.Service.Capture(b.ctx, b.actor(), p.MerchantID, p.ID, nil)
		require.NoError(t, err, "capture the rest")
		require.Equal(t, payments.StatusCaptured, p.Status)
		require.Equal(t, amount, p.AmountCaptured)
		_, err = b.capture(p, 1)
		requireFault(t, err, fault.ErrInvalidState)

		b.SettlePayment(t, p.ProcessorRef)
		p = b.Get(t, p)
		require.Equal(t, payments.StatusCaptured, p.Status)
		sp := b.RequireBooksAgree(t, p)
		var amounts []int64
		for _, op := range sp.Operations {
			require.Equal(t, "SUCCEEDED", op.Result)
			amounts = append(amounts, op.Amount)
		}
		require.Equal(t, []int64{2500, 2500, 1000, 4000}, amounts, "the processor saw exactly the captures kassa accepted")
	})

	t.Run("CaptureBeyondTheAuthorizedAmountIsRefused", func(t *testing.T) {
		t.Parallel()
		p := b.authorized(t, payments.CaptureReserve)
		_, err := b.capture(p, amount+1)
		requireFault(t, err, fault.ErrAmountTooLarge)
		require.Empty(t, b.Operations(t, p))
		require.Empty(t, b.SimPayment(t, p.ProcessorRef).Operations)
	})
}

// testVoid releases a reservation.
func testVoid(t *testing.T, b *bundle) {

	t.Run("VoidReleasesTheReservation", func(t *testing.T) {
		t.Parallel()
		p := b.authorized(t, payments.CaptureReserve)
		p, err := b.Service.Void(b.ctx, b.actor(), p.MerchantID, p.ID)
		require.NoError(t, err)
		require.Equal(t, payments.StatusVoided, p.Status)
		require.True(t, p.Voided)
		b.Callbacks.Wait(t, p.ProcessorRef, simulator.EventVoided)
		b.SettlePayment(t, p.ProcessorRef)
		p = b.Get(t, p)
		require.Equal(t, payments.StatusVoided, p.Status)
		sp := b.RequireBooksAgree(t, p)
		require.Equal(t, simulator.StatusVoided, sp.Status)

		_, err = b.capture(p, 100)
		requireFault(t, err, fault.ErrInvalidState)
		_, err = b.Service.Void(b.ctx, b.actor(), p.MerchantID, p.ID)
		requireFault(t, err, fault.ErrInvalidState)
		require.Len(t, b.SimPayment(t, p.ProcessorRef).Operations, 1, "only the void reached the processor")
	})

	t.Run("VoidAfterACaptureIsRefused", func(t *testing.T) {
		t.Parallel()
		p := b.authorized(t, payments.CaptureReserve)
		p, err := b.capture(p, 1000)
		require.NoError(t, err)
		_, err = b.Service.Void(b.ctx, b.actor(), p.MerchantID, p.ID)
		requireFault(t, err, fault.ErrInvalidState)
		require.Equal(t, payments.StatusPartiallyCaptured, b.Get(t, p).Status)
	})
}

// testRefund returns captured money in parts.
func testRefund(t *testing.T, b *bundle) {

	t.Run("PartialRefundsUpToTheCapturedAmount", func(t *testing.T) {
		t.Parallel()
		p := b.authorized(t, payments.CaptureImmediate)
		for _, part := range []int64{3000, 2000} {
			var err error
			p, err = b.refund(p, part)
			require.NoError(t, err)
			require.Equal(t, payments.StatusPartiallyRefunded, p.Status)
		}
		require.Equal(t, int64(5000), p.AmountRefunded)
		before := b.Get(t, p)
		_, err := b.refund(p, 5001)
		requireFault(t, err, fault.ErrAmountTooLarge)
		require.Equal(t, before, b.Get(t, p))

		p, err = b.Service.Refund(b.ctx, b.actor(), p.MerchantID, p.ID, nil, "")
		require.NoError(t, err, "refund the rest")
		require.Equal(t, payments.StatusRefunded, p.Status)
		require.Equal(t, amount, p.AmountRefunded)
		_, err = b.refund(p, 1)
		requireFault(t, err, fault.ErrInvalidState)

		b.SettlePayment(t, p.ProcessorRef)
		p = b.Get(t, p)
		require.Equal(t, payments.StatusRefunded, p.Status)
		b.RequireBooksAgree(t, p)
	})

	t.Run("RefundOfAPartialCapture", func(t *testing.T) {
		t.Parallel()
		p := b.authorized(t, payments.CaptureReserve)
		p, err := b.capture(p, 4000)
		require.NoError(t, err)
		_, err = b.refund(p, 4001)
		requireFault(t, err, fault.ErrAmountTooLarge)
		p, err = b.refund(p, 1500)
		require.NoError(t, err)
		require.Equal(t, payments.StatusPartiallyRefunded, p.Status)
		b.SettlePayment(t, p.ProcessorRef)
		b.RequireBooksAgree(t, b.Get(t, p))
	})

	t.Run("RefundBeforeACaptureIsRefused", func(t *testing.T) {
		t.Parallel()
		p := b.authorized(t, payments.CaptureReserve)
		_, err := b.refund(p, 100)
		requireFault(t, err, fault.ErrInvalidState)
	})
}

// TestExpiry lets reservations lapse. Each case moves clocks, so each has
// its own simulator.
func TestExpiry(t *testing.T) {
	t.Parallel()
	hold := customerHoldDays * 24 * time.Hour

	t.Run("SweepWarnsThenExpires", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		p := b.authorized(t, payments.CaptureReserve)
		var warned []payments.Payment
		b.Service.OnExpiring(func(_ context.Context, _ *sqlx.Tx, p payments.Payment) error {
			warned = append(warned, p)
			return nil
		})

		b.Clock.Advance(hold - 25*time.Hour)
		n, err := b.Service.WarnExpiring(b.ctx)
		require.NoError(t, err)
		require.Zero(t, n, "not yet within 24 h")

		b.Clock.Advance(2 * time.Hour)
		n, err = b.Service.WarnExpiring(b.ctx)
		require.NoError(t, err)
		require.Equal(t, 1, n)
		require.Len(t, warned, 1)
		require.Equal(t, p.ID, warned[0].ID)
		n, err = b.Service.WarnExpiring(b.ctx)
		require.NoError(t, err)
		require.Zero(t, n, "warned once")

		n, err = b.Service.ExpireLapsed(b.ctx)
		require.NoError(t, err)
		require.Zero(t, n, "not lapsed yet")
		require.Equal(t, payments.StatusAuthorized, b.Get(t, p).Status)

		// Only kassa's clock has moved past the hold.
		b.Clock.Advance(24 * time.Hour)
		n, err = b.Service.ExpireLapsed(b.ctx)
		require.NoError(t, err)
		require.Equal(t, 1, n)
		p = b.Get(t, p)
		require.Equal(t, payments.StatusExpired, p.Status)
		require.True(t, p.Expired)

		_, err = b.capture(p, 100)
		requireFault(t, err, payments.ErrReservationExpired)
		_, err = b.Service.Capture(b.ctx, b.actor(), p.MerchantID, p.ID, nil)
		requireFault(t, err, payments.ErrReservationExpired)
		require.Empty(t, b.SimPayment(t, p.ProcessorRef).Operations, "kassa did not ask the processor")

		// The processor lets the hold lapse too and says so.
		b.SimClock.Advance(hold + time.Minute)
		b.Callbacks.Wait(t, p.ProcessorRef, simulator.EventExpired)
		b.Settle(t)
		p = b.Get(t, p)
		require.Equal(t, payments.StatusExpired, p.Status)
		sp := b.RequireBooksAgree(t, p)
		require.Equal(t, simulator.StatusExpired, sp.Status)

		var types []string
		for _, e := range b.Events(t, p) {
			types = append(types, e.Type)
		}
		require.Contains(t, types, "reservation.expiring")
		require.Equal(t, 2, countOf(types, "payment.expired"), "kassa's sweep and the processor's callback: %v", types)
	})

	t.Run("ProcessorCallbackExpires", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		p := b.authorized(t, payments.CaptureReserve)
		b.SimClock.Advance(hold + time.Second)
		p = b.WaitStatus(t, p, payments.StatusExpired)
		require.True(t, p.Expired)
		_, err := b.capture(p, 100)
		requireFault(t, err, payments.ErrReservationExpired)
		b.Settle(t)
		sp := b.RequireBooksAgree(t, b.Get(t, p))
		require.Equal(t, simulator.StatusExpired, sp.Status)
		require.Empty(t, sp.Operations)
	})

	t.Run("CaptureTheProcessorDeclinesAsExpired", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		p := b.authorized(t, payments.CaptureReserve)
		// The processor's expiry callback is lost: kassa learns of the
		// lapse from the capture's answer.
		b.Callbacks.Hold()
		b.SimClock.Advance(hold + time.Second)
		b.Callbacks.Wait(t, p.ProcessorRef, simulator.EventExpired)
		_, err := b.capture(p, 100)
		requireFault(t, err, payments.ErrReservationExpired)
		p = b.Get(t, p)
		require.Equal(t, payments.StatusExpired, p.Status)
		require.Zero(t, p.AmountCaptured)
		sp := b.RequireBooksAgree(t, p)
		require.Len(t, sp.Operations, 1)
		require.Equal(t, "DECLINED", sp.Operations[0].Result)
		ops := b.Operations(t, p)
		require.Len(t, ops, 1)
		require.Equal(t, "FAILED", ops[0].Status)
	})

	t.Run("PartlyCapturedReservationLapses", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		p := b.authorized(t, payments.CaptureReserve)
		p, err := b.capture(p, 3000)
		require.NoError(t, err)
		b.Advance(hold + time.Second)
		n, err := b.Service.ExpireLapsed(b.ctx)
		require.NoError(t, err)
		require.Equal(t, 1, n)
		p = b.Get(t, p)
		require.True(t, p.Expired)
		require.Equal(t, payments.StatusCaptured, p.Status, "what was captured stays; the rest is released")
		_, err = b.capture(p, 100)
		requireFault(t, err, payments.ErrReservationExpired)
		p, err = b.refund(p, 3000)
		require.NoError(t, err, "what was captured can still be refunded")
		require.Equal(t, payments.StatusRefunded, p.Status)
		b.Settle(t)
		b.RequireBooksAgree(t, b.Get(t, p))
	})
}

// testEventHistory: every change is recorded, with its actor, and every
// processor event exactly once.
func testEventHistory(t *testing.T, b *bundle) {
	p := b.authorized(t, payments.CaptureReserve)
	p, err := b.capture(p, 3000)
	require.NoError(t, err)
	p, err = b.capture(p, 2000)
	require.NoError(t, err)
	p, err = b.refund(p, 1000)
	require.NoError(t, err)
	b.SettlePayment(t, p.ProcessorRef)
	p = b.Get(t, p)
	require.Equal(t, payments.StatusPartiallyRefunded, p.Status)

	evs := b.Events(t, p)
	require.GreaterOrEqual(t, len(evs), 2)
	require.Equal(t, "payment.created", evs[0].Type)
	require.Equal(t, payments.StatusPending, evs[0].Status)
	require.Equal(t, amount, *evs[0].Amount)

	// kassa's own operations, with who asked and how much.
	var ops []string
	for _, e := range evs {
		if e.ProcessorEventID == nil && (e.Type == "payment.captured" || e.Type == "payment.refunded") {
			ops = append(ops, e.Type)
			require.Equal(t, b.user, *e.ActorUser, e.Type)
			require.NotNil(t, e.Amount)
		}
	}
	require.Equal(t, []string{"payment.captured", "payment.captured", "payment.refunded"}, ops)
	require.Equal(t, payments.StatusPartiallyRefunded, evs[len(evs)-1].Status)

	// Every callback delivered is recorded once, under its event id.
	byID := map[string]int{}
	for _, e := range evs {
		if e.ProcessorEventID != nil {
			byID[*e.ProcessorEventID]++
		}
	}
	want := map[string]int{}
	var types []string
	for _, d := range b.Callbacks.For(*p.ProcessorRef) {
		want[d.EventID] = 1
		types = append(types, d.Type)
	}
	require.Equal(t, []string{simulator.EventAuthorized, simulator.EventCaptured, simulator.EventCaptured, simulator.EventRefunded}, types)
	require.Equal(t, want, byID)
}

func countOf(ss []string, s string) int {
	n := 0
	for _, x := range ss {
		if x == s {
			n++
		}
	}
	return n
}

// testChargeMandate: a first payment saves the card; later debits charge
// it without the customer, once per id.
func testChargeMandate(t *testing.T, b *bundle) {
	m := b.NewMerchant(t)
	n := b.Payment(m, cardChallenge, amount)
	n.CaptureMode = payments.CaptureImmediate
	n.SaveMandate = true
	first := b.Authorize(t, n)
	b.Challenge(t, *first.NextActionURL, "1234", false)
	first = b.WaitStatus(t, first, payments.StatusCaptured)
	require.NotNil(t, first.MandateToken, "the mandate is kept")

	charge := payments.MandateCharge{ID: uuid.Must(uuid.NewV7()), MerchantID: m, Amount: 4900, Currency: "SEK",
		MandateToken: *first.MandateToken, Description: "Subscription, December"}
	p, err := b.Service.ChargeMandate(b.ctx, charge)
	require.NoError(t, err)
	require.Equal(t, charge.ID, p.ID.UUID)
	require.Equal(t, payments.InitiatorMerchantRecurring, p.Initiator)
	p = b.WaitStatus(t, p, payments.StatusCaptured)
	require.Equal(t, int64(4900), p.AmountCaptured)
	require.Equal(t, "NOT_REQUIRED", p.ThreeDS, "no challenge without the customer")
	sp := b.RequireBooksAgree(t, p)
	require.Equal(t, payments.IdempotencyKey("authorize", p.ID.UUID), sp.IdempotencyKey)
	require.Equal(t, simulator.HoldMerchant, sp.CaptureBefore.Sub(sp.AuthorizedAt))

	again, err := b.Service.ChargeMandate(b.ctx, charge)
	require.NoError(t, err)
	require.Equal(t, p.ID, again.ID)
	sps, err := b.Sim.Payments(b.ctx, m.String())
	require.NoError(t, err)
	require.Len(t, sps, 2, "the first payment and one charge")

	t.Run("UnknownMandateFails", func(t *testing.T) {
		bad := charge
		bad.ID, bad.MandateToken = uuid.Must(uuid.NewV7()), "tok_unknown"
		p, err := b.Service.ChargeMandate(b.ctx, bad)
		require.NoError(t, err)
		require.Equal(t, payments.StatusFailed, p.Status)
		require.Equal(t, simulator.CodeInvalidMandate, *p.FailureCode)
	})
}
