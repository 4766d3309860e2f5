package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"

	"kassa/kassatest"
)

type orderUpdate struct {
	ID     string `json:"id"`
	Status string `json:"status"`
}

// subscription is an orderUpdated subscription over a websocket.
type subscription struct {
	updates chan orderUpdate
	errs    chan string
}

// dialGraphQL opens a graphql-transport-ws connection and sends
// connection_init with authorization; it returns the connection and the
// server's answer to the init.
func dialGraphQL(t *testing.T, ctx context.Context, e *env, authorization string) (*websocket.Conn, kassatest.WSMessage) {
	t.Helper()
	return e.DialGraphQL(t, ctx, nil, map[string]string{"Authorization": authorization})
}

// subscribe subscribes to orderUpdated (one order, or the merchant's all
// when orderID is "") with the merchant's API key.
func subscribe(t *testing.T, ctx context.Context, e *env, key, orderID string) *subscription {
	t.Helper()
	conn, ack := dialGraphQL(t, ctx, e, "Bearer "+key)
	require.Equal(t, "connection_ack", ack.Type)
	query, vars := `subscription { orderUpdated { id status } }`, map[string]any{}
	if orderID != "" {
		query, vars = `subscription($id: ID!) { orderUpdated(orderId: $id) { id status } }`, map[string]any{"id": orderID}
	}
	sub := kassatest.Subscribe[orderUpdate](t, ctx, conn, "orderUpdated", query, vars)
	return &subscription{updates: sub.Updates, errs: sub.Errs}
}

// next waits for the next update.
func (s *subscription) next(t *testing.T, timeout time.Duration) (orderUpdate, bool) {
	t.Helper()
	select {
	case u, ok := <-s.updates:
		return u, ok
	case msg := <-s.errs:
		t.Fatalf("subscription: %s", msg)
	case <-time.After(timeout):
	}
	return orderUpdate{}, false
}

// waitStatus reads updates until one says status.
func (s *subscription) waitStatus(t *testing.T, id, status string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var seen []string
	for time.Now().Before(deadline) {
		u, ok := s.next(t, time.Until(deadline))
		if !ok {
			break
		}
		require.Equal(t, id, u.ID, "an update for another order")
		seen = append(seen, u.Status)
		if u.Status == status {
			return
		}
	}
	t.Fatalf("no live update with status %s for %s; saw %v", status, id, seen)
}

// A dashboard subscribed to an order sees it become PAID when the
// processor's callback settles the payment; another merchant sees nothing
// of it.
func TestLiveOrderUpdates(t *testing.T) {
	t.Parallel()
	e := setup(t, kassatest.StartMailpit(t))
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	t.Run("UnauthenticatedIsRefused", func(t *testing.T) {
		_, ack := dialGraphQL(t, ctx, e, "Bearer kassa_test_not-a-key")
		require.NotEqual(t, "connection_ack", ack.Type)
	})

	email := customerEmail("live")
	o := e.mustCreateOrder(t, twoLineOrder(email))
	sub := subscribe(t, ctx, e, e.APIKey, o.ID)

	// Another merchant's dashboard, subscribed to all of its own orders.
	_, otherKey := e.NewMerchant(t, "Annan Butik AB")
	other := subscribe(t, ctx, e, otherKey, "")

	// The subscription starts asynchronously: touch the order until an
	// update shows it is live (each change is announced on commit).
	for i := 0; ; i++ {
		require.Less(t, i, 60, "the subscription never delivered an update")
		var out struct {
			U struct {
				UserErrors []userError `json:"userErrors"`
			} `json:"updateOrder"`
		}
		e.Query(t, `mutation($input: UpdateOrderInput!) { updateOrder(input: $input) { userErrors { code } } }`,
			map[string]any{"input": map[string]any{"orderId": o.ID, "reference": fmt.Sprintf("PO-%d", i)}}, &out)
		require.Empty(t, out.U.UserErrors)
		if u, ok := sub.next(t, 500*time.Millisecond); ok {
			require.Equal(t, orderUpdate{ID: o.ID, Status: "DRAFT"}, u)
			break
		}
	}
	// Likewise the other merchant's, with an order of its own.
	for i := 0; ; i++ {
		require.Less(t, i, 60, "the other merchant's subscription never delivered an update")
		own, errs := e.createOrderKey(t, otherKey, orderInput("Bo Ek", customerEmail("other"), line("Stol", 1, 100_00, 2500)))
		require.Empty(t, errs)
		if u, ok := other.next(t, 500*time.Millisecond); ok {
			require.Equal(t, own.ID, u.ID)
			break
		}
	}
	drain := func(s *subscription) {
		for {
			select {
			case <-s.updates:
			case <-time.After(300 * time.Millisecond):
				return
			}
		}
	}
	drain(sub)
	drain(other)

	link := e.mustSend(t, o.ID)
	sub.waitStatus(t, o.ID, "CONFIRMATION_SENT")
	newCustomer(t).pay(t, link.URL, cardOK)
	sub.waitStatus(t, o.ID, "PAID")
	require.Equal(t, "PAID", e.order(t, o.ID).Status)

	// Nothing of the first merchant reached the other.
	select {
	case u := <-other.updates:
		t.Fatalf("another merchant saw an update: %+v", u)
	case <-time.After(500 * time.Millisecond):
	}
}
