package simulator

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestHoldsExpire(t *testing.T) {
	t.Parallel()
	b := setup(t)
	day := 24 * time.Hour
	start := b.clock.Now()

	_, untouched := b.authorize(t, "4242424242424242")
	_, late := b.authorize(t, "4242424242424242")
	_, early := b.authorize(t, "4242424242424242")
	_, partly := b.authorize(t, "4242424242424242")
	_, moto := b.authorize(t, "4242424242424242", withMOTO)
	_, err := b.capture(partly.ProcessorRef, 100)
	require.NoError(t, err)

	require.True(t, b.payment(t, untouched.ProcessorRef).CaptureBefore.Equal(start.Add(7*day)))
	require.True(t, b.payment(t, moto.ProcessorRef).CaptureBefore.Equal(start.Add(5*day)))

	// Day 5 and a minute: the merchant-initiated hold has lapsed, the
	// customer's have not.
	b.clock.Advance(5*day + time.Minute)
	ev := b.waitType(t, moto.ProcessorRef, EventExpired)
	require.True(t, ev.Snapshot.Expired)
	require.Equal(t, int64(1000), ev.Snapshot.Authorized)
	require.Zero(t, ev.Snapshot.Captured)
	require.Equal(t, StatusExpired, b.payment(t, moto.ProcessorRef).Status)
	_, err = b.capture(moto.ProcessorRef, 100)
	requireDecline(t, err, CodeAuthorizationExpired)
	_, err = b.void(moto.ProcessorRef)
	requireDecline(t, err, CodeAuthorizationExpired)

	op, err := b.capture(early.ProcessorRef, 1000)
	require.NoError(t, err, "a customer's hold lasts 7 days")
	require.Equal(t, int64(1000), op.Snapshot.Captured)
	require.Equal(t, StatusAuthorized, b.payment(t, untouched.ProcessorRef).Status)

	// Day 8: every hold has lapsed.
	b.clock.Advance(3 * day)
	_, err = b.capture(late.ProcessorRef, 100)
	requireDecline(t, err, CodeAuthorizationExpired)
	require.Zero(t, b.payment(t, late.ProcessorRef).Captured)

	ev = b.waitType(t, untouched.ProcessorRef, EventExpired)
	require.True(t, ev.Snapshot.Expired)
	require.Equal(t, b.clock.Now().Unix(), ev.Created.Unix(), "events carry business time")
	b.waitType(t, late.ProcessorRef, EventExpired)
	require.Equal(t, StatusExpired, b.payment(t, untouched.ProcessorRef).Status)

	// What was partly captured is not expired, but the rest cannot be
	// captured any more; what was captured can still be refunded.
	_, err = b.capture(partly.ProcessorRef, 100)
	requireDecline(t, err, CodeAuthorizationExpired)
	_, err = b.refund(partly.ProcessorRef, 100)
	require.NoError(t, err)
	b.drain(t)
	require.Equal(t, StatusCaptured, b.payment(t, partly.ProcessorRef).Status)
	require.NotContains(t, b.recv.typesFor(partly.ProcessorRef), EventExpired)
	require.Equal(t, []string{EventAuthorized, EventCaptured}, b.recv.typesFor(early.ProcessorRef))
	require.Equal(t, []string{EventAuthorized, EventExpired}, b.recv.typesFor(moto.ProcessorRef), "expired once")

	_, err = b.refund(late.ProcessorRef, 1)
	requireDecline(t, err, CodeInvalidState)
}
