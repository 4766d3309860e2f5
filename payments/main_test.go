package payments_test

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"kassa/auth"
	"kassa/db/dbtest"
	"kassa/fault"
	"kassa/gid"
	"kassa/payments"
	"kassa/payments/paymentstest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// Test card numbers the simulator answers by.
const (
	cardOK           = "4242424242424242"
	cardChallenge    = "4000000000003220"
	cardDeclined     = "4000000000000002"
	cardNoFunds      = "4000000000009995"
	cardExpired      = "4000000000000069"
	cardProcessing   = "4000000000000119"
	cardDuplicates   = "4000000000000259"
	cardMastercard   = "5555555555554444"
	amount           = int64(10000) // 100.00 SEK
	customerHoldDays = 7
)

// bundle is a payments.Service on the simulator, over the test's own
// database, with one merchant.
type bundle struct {
	*paymentstest.Fixture
	ctx      context.Context
	merchant gid.MerchantID
	user     uuid.UUID // a staff member acting in operations
	// authorizations counts p's transitions to AUTHORIZED (TestHeldCallbacks).
	authorizations func(p payments.Payment) int32
}

func setup(t *testing.T, opts ...paymentstest.Option) *bundle {
	t.Helper()
	f := paymentstest.New(t, opts...)
	return &bundle{Fixture: f, ctx: context.Background(), merchant: f.NewMerchant(t), user: uuid.New()}
}

func (b *bundle) actor() payments.Actor {
	u := b.user
	return payments.Actor{UserID: &u, Role: auth.RoleOwner}
}

// authorized returns a payment of amount the callback has authorized.
func (b *bundle) authorized(t *testing.T, mode payments.CaptureMode) payments.Payment {
	t.Helper()
	return b.Authorized(t, b.merchant, amount, mode)
}

func (b *bundle) capture(p payments.Payment, amt int64) (payments.Payment, error) {
	return b.Service.Capture(b.ctx, b.actor(), p.MerchantID, p.ID, &amt)
}

func (b *bundle) refund(p payments.Payment, amt int64) (payments.Payment, error) {
	return b.Service.Refund(b.ctx, b.actor(), p.MerchantID, p.ID, &amt, "returned goods")
}

// requireFault requires err to be a fault with code.
func requireFault(t *testing.T, err error, code fault.Code) {
	t.Helper()
	require.Error(t, err)
	_, ok := fault.As(err)
	require.True(t, ok, "not a fault: %v", err)
	require.ErrorIs(t, err, code, "fault: %v", err)
}

func ptr[T any](v T) *T { return &v }
