package payments_test

import (
	"math"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"kassa/db"
	"kassa/fault"
	"kassa/gid"
	"kassa/money"
	"kassa/payments"
)

// testBadInput: each refusal is a fault code, and nothing changes: not
// kassa's books, not the processor's.
func testBadInput(t *testing.T, b *bundle) {

	// unchanged runs fn and requires p, its history and operations, and
	// the processor's record to be as they were.
	unchanged := func(t *testing.T, p payments.Payment, fn func()) {
		t.Helper()
		b.SettlePayment(t, p.ProcessorRef)
		before, events, ops := b.Get(t, p), b.Events(t, p), b.Operations(t, p)
		sp := b.SimPayment(t, before.ProcessorRef)
		fn()
		require.Equal(t, before, b.Get(t, p), "the payment changed")
		require.Equal(t, events, b.Events(t, p), "an event was recorded")
		require.Equal(t, ops, b.Operations(t, p), "an operation was recorded")
		require.Equal(t, sp, b.SimPayment(t, before.ProcessorRef), "the processor was asked")
	}

	t.Run("AuthorizeRefusesBadAmountsCurrenciesAndCards", func(t *testing.T) {
		t.Parallel()
		m := b.NewMerchant(t)
		for name, tc := range map[string]struct {
			edit func(*payments.NewPayment)
			code fault.Code
		}{
			"NegativeAmount":      {func(n *payments.NewPayment) { n.Amount = -100 }, fault.ErrInvalidAmount},
			"ZeroAmount":          {func(n *payments.NewPayment) { n.Amount = 0 }, fault.ErrInvalidAmount},
			"AmountOverTheMax":    {func(n *payments.NewPayment) { n.Amount = money.MaxAmount + 1 }, fault.ErrAmountTooLarge},
			"AmountOverflowing":   {func(n *payments.NewPayment) { n.Amount = math.MaxInt64 }, fault.ErrAmountTooLarge},
			"UnknownCurrency":     {func(n *payments.NewPayment) { n.Currency = "ABC" }, fault.ErrInvalidCurrency},
			"LowerCaseCurrency":   {func(n *payments.NewPayment) { n.Currency = "sek" }, fault.ErrInvalidCurrency},
			"NoCurrency":          {func(n *payments.NewPayment) { n.Currency = "" }, fault.ErrInvalidCurrency},
			"LongCurrency":        {func(n *payments.NewPayment) { n.Currency = "SEKK" }, fault.ErrInvalidCurrency},
			"UnknownCaptureMode":  {func(n *payments.NewPayment) { n.CaptureMode = "LATER" }, payments.ErrInvalidCaptureMode},
			"CardFailsLuhn":       {func(n *payments.NewPayment) { n.Card.Number = "4242424242424241" }, payments.ErrInvalidCardNumber},
			"CardExpired":         {func(n *payments.NewPayment) { n.Card.ExpYear = b.Clock.Now().Year() - 1 }, payments.ErrCardExpired},
			"CardMonthOutOfRange": {func(n *payments.NewPayment) { n.Card.ExpMonth = 13 }, fault.ErrInvalidExpiry},
			"ShortCVC":            {func(n *payments.NewPayment) { n.Card.CVC = "12" }, payments.ErrInvalidCVC},
			"LongDescription":     {func(n *payments.NewPayment) { n.Description = strings.Repeat("x", 501) }, fault.ErrInvalidDescription},
		} {
			n := b.Payment(m, cardOK, amount)
			tc.edit(&n)
			p, err := b.Service.Authorize(b.ctx, n)
			requireFault(t, err, tc.code)
			require.Equal(t, uuid.Nil, p.ID.UUID, name)
		}
		ps, _, err := b.Service.List(b.ctx, m, payments.Filter{Viewer: payments.System}, db.Page{Limit: 10})
		require.NoError(t, err)
		require.Empty(t, ps, "no payment was stored")
		sps, err := b.Sim.Payments(b.ctx, m.String())
		require.NoError(t, err)
		require.Empty(t, sps, "the processor was not asked")
	})

	t.Run("CaptureRefusesBadAmounts", func(t *testing.T) {
		t.Parallel()
		p := b.authorized(t, payments.CaptureReserve)
		for amt, code := range map[int64]fault.Code{
			-1:                   fault.ErrInvalidAmount,
			0:                    fault.ErrInvalidAmount,
			math.MinInt64:        fault.ErrInvalidAmount,
			amount + 1:           fault.ErrAmountTooLarge,
			money.MaxAmount + 1:  fault.ErrAmountTooLarge,
			math.MaxInt64:        fault.ErrAmountTooLarge,
			math.MaxInt64 - 9999: fault.ErrAmountTooLarge,
		} {
			unchanged(t, p, func() {
				_, err := b.capture(p, amt)
				requireFault(t, err, code)
			})
		}
	})

	t.Run("RefundRefusesBadAmounts", func(t *testing.T) {
		t.Parallel()
		p := b.authorized(t, payments.CaptureReserve)
		p, err := b.capture(p, 3000)
		require.NoError(t, err)
		for amt, code := range map[int64]fault.Code{
			-1:            fault.ErrInvalidAmount,
			0:             fault.ErrInvalidAmount,
			3001:          fault.ErrAmountTooLarge, // beyond what was captured
			amount:        fault.ErrAmountTooLarge,
			math.MaxInt64: fault.ErrAmountTooLarge,
		} {
			unchanged(t, p, func() {
				_, err := b.refund(p, amt)
				requireFault(t, err, code)
			})
		}
		unchanged(t, p, func() {
			_, err := b.Service.Refund(b.ctx, b.actor(), p.MerchantID, p.ID, ptr(int64(100)), strings.Repeat("y", 501))
			requireFault(t, err, payments.ErrInvalidReason)
		})
	})

	t.Run("CaptureOfAVoidedPaymentIsInvalid", func(t *testing.T) {
		t.Parallel()
		p := b.authorized(t, payments.CaptureReserve)
		p, err := b.Service.Void(b.ctx, b.actor(), p.MerchantID, p.ID)
		require.NoError(t, err)
		unchanged(t, p, func() {
			_, err := b.capture(p, 100)
			requireFault(t, err, fault.ErrInvalidState)
			_, err = b.Service.Capture(b.ctx, b.actor(), p.MerchantID, p.ID, nil)
			requireFault(t, err, fault.ErrInvalidState)
			_, err = b.refund(p, 100)
			requireFault(t, err, fault.ErrInvalidState)
		})
	})

	t.Run("CaptureOfADeclinedPaymentIsInvalid", func(t *testing.T) {
		t.Parallel()
		p := b.Authorize(t, b.Payment(b.merchant, cardDeclined, amount))
		require.Equal(t, payments.StatusFailed, p.Status)
		unchanged(t, p, func() {
			_, err := b.capture(p, 100)
			requireFault(t, err, fault.ErrInvalidState)
			_, err = b.Service.Void(b.ctx, b.actor(), p.MerchantID, p.ID)
			requireFault(t, err, fault.ErrInvalidState)
		})
	})

	t.Run("AnotherMerchantsPaymentIsNotFound", func(t *testing.T) {
		t.Parallel()
		p := b.authorized(t, payments.CaptureReserve)
		other := b.NewMerchant(t)
		unchanged(t, p, func() {
			_, err := b.Service.Capture(b.ctx, b.actor(), other, p.ID, ptr(int64(100)))
			requireFault(t, err, fault.ErrNotFound.Code)
			_, err = b.Service.Capture(b.ctx, b.actor(), other, p.ID, nil)
			requireFault(t, err, fault.ErrNotFound.Code)
			_, err = b.Service.Void(b.ctx, b.actor(), other, p.ID)
			requireFault(t, err, fault.ErrNotFound.Code)
			_, err = b.Service.Refund(b.ctx, b.actor(), other, p.ID, ptr(int64(100)), "")
			requireFault(t, err, fault.ErrNotFound.Code)
			_, err = b.Service.Get(b.ctx, other, p.ID)
			requireFault(t, err, fault.ErrNotFound.Code)
		})
		evs, err := b.Service.EventsByPayments(b.ctx, other, []gid.PaymentID{p.ID})
		require.NoError(t, err)
		require.Empty(t, evs)
		ps, _, err := b.Service.List(b.ctx, other, payments.Filter{Viewer: payments.System}, db.Page{Limit: 10})
		require.NoError(t, err)
		require.Empty(t, ps)
	})

	t.Run("UnknownPaymentIsNotFound", func(t *testing.T) {
		t.Parallel()
		_, err := b.capture(payments.Payment{MerchantID: b.merchant, ID: gid.Of[gid.PaymentID](uuid.New())}, 100)
		requireFault(t, err, fault.ErrNotFound.Code)
	})
}
