package terminal_test

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"kassa/gid"
	"kassa/terminal"
)

func TestFormPaymentID(t *testing.T) {
	t.Parallel()
	merchant, user, other := gid.Of[gid.MerchantID](uuid.New()), uuid.New(), uuid.New()
	now := time.Now()
	nonce := terminal.NewFormNonce()

	t.Run("SameFormSamePayment", func(t *testing.T) {
		a, err := terminal.FormPaymentID(merchant, user, nonce, now)
		require.NoError(t, err)
		b, err := terminal.FormPaymentID(merchant, user, nonce, now.Add(time.Hour))
		require.NoError(t, err)
		require.Equal(t, a, b)
		require.Equal(t, uuid.Version(7), a.Version(), "payment ids stay time-ordered")
		n, _ := uuid.Parse(nonce)
		require.Equal(t, n.Time(), a.Time(), "the payment id keeps the form's time")
		require.NotEqual(t, n, a, "the id is not the nonce itself")
	})
	t.Run("OtherFormUserOrMerchantOtherPayment", func(t *testing.T) {
		a, _ := terminal.FormPaymentID(merchant, user, nonce, now)
		b, _ := terminal.FormPaymentID(merchant, user, terminal.NewFormNonce(), now)
		c, _ := terminal.FormPaymentID(merchant, other, nonce, now)
		d, _ := terminal.FormPaymentID(gid.Of[gid.MerchantID](other), user, nonce, now)
		require.Len(t, map[uuid.UUID]bool{a: true, b: true, c: true, d: true}, 4)
	})
	t.Run("ExpiredForeignOrMalformedRefused", func(t *testing.T) {
		for _, c := range []struct {
			nonce string
			at    time.Time
		}{
			{nonce, now.Add(terminal.FormTTL + time.Minute)},
			{nonce, now.Add(-5 * time.Minute)}, // from the future
			{"", now},
			{"zz" + nonce[2:], now},
			{nonce[:30], now},
			{uuid.New().String(), now}, // not a form nonce (v4)
			{hexOf(uuid.New()), now},
		} {
			_, err := terminal.FormPaymentID(merchant, user, c.nonce, c.at)
			require.ErrorIs(t, err, terminal.ErrFormExpired, "%q", c.nonce)
		}
	})
}

func hexOf(id uuid.UUID) string {
	const digits = "0123456789abcdef"
	b := make([]byte, 32)
	for i, x := range id {
		b[2*i], b[2*i+1] = digits[x>>4], digits[x&15]
	}
	return string(b)
}
