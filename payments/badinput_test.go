package payments_test

import (
	"math"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"kassa/db"
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
			code string
		}{
			"NegativeAmount":      {func(n *payments.NewPayment) { n.Amount = -100 }, "INVALID_AMOUNT"},
			"ZeroAmount":          {func(n *payments.NewPayment) { n.Amount = 0 }, "INVALID_AMOUNT"},
			"AmountOverTheMax":    {func(n *payments.NewPayment) { n.Amount = money.MaxAmount + 1 }, "AMOUNT_TOO_LARGE"},
			"AmountOverflowing":   {func(n *payments.NewPayment) { n.Amount = math.MaxInt64 }, "AMOUNT_TOO_LARGE"},
			"UnknownCurrency":     {func(n *payments.NewPayment) { n.Currency = "ABC" }, "INVALID_CURRENCY"},
			"LowerCaseCurrency":   {func(n *payments.NewPayment) { n.Currency = "sek" }, "INVALID_CURRENCY"},
			"NoCurrency":          {func(n *payments.NewPayment) { n.Currency = "" }, "INVALID_CURRENCY"},
			"LongCurrency":        {func(n *payments.NewPayment) { n.Currency = "SEKK" }, "INVALID_CURRENCY"},
			"UnknownCaptureMode":  {func(n *payments.NewPayment) { n.CaptureMode = "LATER" }, "INVALID_CAPTURE_MODE"},
			"CardFailsLuhn":       {func(n *payments.NewPayment) { n.Card.Number = "4242424242424241" }, "INVALID_CARD_NUMBER"},
			"CardExpired":         {func(n *payments.NewPayment) { n.Card.ExpYear = b.Clock.Now().Year() - 1 }, "CARD_EXPIRED"},
			"CardMonthOutOfRange": {func(n *payments.NewPayment) { n.Card.ExpMonth = 13 }, "INVALID_EXPIRY"},
			"ShortCVC":            {func(n *payments.NewPayment) { n.Card.CVC = "12" }, "INVALID_CVC"},
			"LongDescription":     {func(n *payments.NewPayment) { n.Description = strings.Repeat("x", 501) }, "INVALID_DESCRIPTION"},
		} {
			n := b.Payment(m, cardOK, amount)
			tc.edit(&n)
			p, err := b.Service.Authorize(b.ctx, n)
			requireFault(t, err, tc.code)
			require.Equal(t, uuid.Nil, p.ID, name)
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
		for amt, code := range map[int64]string{
			-1:                   "INVALID_AMOUNT",
			0:                    "INVALID_AMOUNT",
			math.MinInt64:        "INVALID_AMOUNT",
			amount + 1:           "AMOUNT_TOO_LARGE",
			money.MaxAmount + 1:  "AMOUNT_TOO_LARGE",
			math.MaxInt64:        "AMOUNT_TOO_LARGE",
			math.MaxInt64 - 9999: "AMOUNT_TOO_LARGE",
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
		for amt, code := range map[int64]string{
			-1:            "INVALID_AMOUNT",
			0:             "INVALID_AMOUNT",
			3001:          "AMOUNT_TOO_LARGE", // beyond what was captured
			amount:        "AMOUNT_TOO_LARGE",
			math.MaxInt64: "AMOUNT_TOO_LARGE",
		} {
			unchanged(t, p, func() {
				_, err := b.refund(p, amt)
				requireFault(t, err, code)
			})
		}
		unchanged(t, p, func() {
			_, err := b.Service.Refund(b.ctx, b.actor(), p.MerchantID, p.ID, ptr(int64(100)), strings.Repeat("y", 501))
			requireFault(t, err, "INVALID_REASON")
		})
	})

	t.Run("CaptureOfAVoidedPaymentIsInvalid", func(t *testing.T) {
		t.Parallel()
		p := b.authorized(t, payments.CaptureReserve)
		p, err := b.Service.Void(b.ctx, b.actor(), p.MerchantID, p.ID)
		require.NoError(t, err)
		unchanged(t, p, func() {
			_, err := b.capture(p, 100)
			requireFault(t, err, "INVALID_STATE")
			_, err = b.Service.Capture(b.ctx, b.actor(), p.MerchantID, p.ID, nil)
			requireFault(t, err, "INVALID_STATE")
			_, err = b.refund(p, 100)
			requireFault(t, err, "INVALID_STATE")
		})
	})

	t.Run("CaptureOfADeclinedPaymentIsInvalid", func(t *testing.T) {
		t.Parallel()
		p := b.Authorize(t, b.Payment(b.merchant, cardDeclined, amount))
		require.Equal(t, payments.StatusFailed, p.Status)
		unchanged(t, p, func() {
			_, err := b.capture(p, 100)
			requireFault(t, err, "INVALID_STATE")
			_, err = b.Service.Void(b.ctx, b.actor(), p.MerchantID, p.ID)
			requireFault(t, err, "INVALID_STATE")
		})
	})

	t.Run("AnotherMerchantsPaymentIsNotFound", func(t *testing.T) {
		t.Parallel()
		p := b.authorized(t, payments.CaptureReserve)
		other := b.NewMerchant(t)
		unchanged(t, p, func() {
			_, err := b.Service.Capture(b.ctx, b.actor(), other, p.ID, ptr(int64(100)))
			requireFault(t, err, "NOT_FOUND")
			_, err = b.Service.Capture(b.ctx, b.actor(), other, p.ID, nil)
			requireFault(t, err, "NOT_FOUND")
			_, err = b.Service.Void(b.ctx, b.actor(), other, p.ID)
			requireFault(t, err, "NOT_FOUND")
			_, err = b.Service.Refund(b.ctx, b.actor(), other, p.ID, ptr(int64(100)), "")
			requireFault(t, err, "NOT_FOUND")
			_, err = b.Service.Get(b.ctx, other, p.ID)
			requireFault(t, err, "NOT_FOUND")
		})
		evs, err := b.Service.EventsByPayments(b.ctx, other, []uuid.UUID{p.ID})
		require.NoError(t, err)
		require.Empty(t, evs)
		ps, _, err := b.Service.List(b.ctx, other, payments.Filter{Viewer: payments.System}, db.Page{Limit: 10})
		require.NoError(t, err)
		require.Empty(t, ps)
	})

	t.Run("UnknownPaymentIsNotFound", func(t *testing.T) {
		t.Parallel()
		_, err := b.capture(payments.Payment{MerchantID: b.merchant, ID: uuid.New()}, 100)
		requireFault(t, err, "NOT_FOUND")
	})
}
