package server_test

import (
	"context"
	"net/http"
	"net/url"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"kassa/auth"
	"kassa/kassatest"
	"kassa/payments"
)

// takePayment authorizes amount öre on 4242… for e's merchant, as actor.
func takePayment(t *testing.T, e *kassatest.Env, actor payments.Actor, initiator payments.Initiator, mode payments.CaptureMode, amount int64) payments.Payment {
	t.Helper()
	p, err := e.Server.Payments().Authorize(context.Background(), payments.NewPayment{
		MerchantID: e.Merchant.Merchant.ID, Amount: amount, Currency: "SEK", CaptureMode: mode, Initiator: initiator, Actor: actor,
		Card: payments.Card{Number: kassatest.CardOK, ExpMonth: 12, ExpYear: time.Now().Year() + 3, CVC: "123"},
	})
	require.NoError(t, err)
	return p
}

func staffActor(s kassatest.Staff) payments.Actor {
	id := s.ID
	return payments.Actor{UserID: &id, Role: s.Role}
}

const paymentsQuery = `query($f: PaymentFilter, $first: Int, $after: String) { payments(first: $first, after: $after, filter: $f) {
	edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }`

// paymentIDs lists the ids of the payments filter f keeps, newest first.
func paymentIDs(t *testing.T, r kassatest.Response) []string {
	t.Helper()
	var out struct {
		Payments struct {
			Edges []struct{ Node struct{ ID string } } `json:"edges"`
		} `json:"payments"`
	}
	r.Decode(t, &out)
	ids := []string{}
	for _, e := range out.Payments.Edges {
		ids = append(ids, e.Node.ID)
	}
	return ids
}

func gids(ps ...payments.Payment) []string {
	out := []string{}
	for _, p := range ps {
		out = append(out, kassatest.PaymentGlobalID(p.ID))
	}
	// Newest first, as payments lists them (ids are time-ordered).
	sort.Sort(sort.Reverse(sort.StringSlice(out)))
	return out
}

func TestPaymentFilters(t *testing.T) {
	t.Parallel()
	e := kassatest.Start(t)
	sam := e.AddStaff(t, "Sam Sales", "sam@snickeri.test", auth.RoleSales)
	sara := e.AddStaff(t, "Sara Sales", "sara@snickeri.test", auth.RoleSales)
	keyID := e.Merchant.APIKey.ID

	samMOTO := takePayment(t, e, staffActor(sam), payments.InitiatorMerchantMOTO, payments.CaptureImmediate, 100_00)
	saraMOTO := takePayment(t, e, staffActor(sara), payments.InitiatorMerchantMOTO, payments.CaptureReserve, 200_00)
	keyMOTO := takePayment(t, e, payments.Actor{APIKeyID: &keyID}, payments.InitiatorMerchantMOTO, payments.CaptureReserve, 300_00)
	customer := takePayment(t, e, payments.Actor{}, payments.InitiatorCustomer, payments.CaptureImmediate, 400_00)
	// Sam's payment was taken in January.
	_, err := e.SQL.Exec(`UPDATE payments SET created_at = '2026-01-15T10:00:00Z' WHERE id = $1`, samMOTO.ID)
	require.NoError(t, err)
	// Another merchant's payment, by a staff member's id, matches nothing.
	other, _ := e.NewMerchant(t, "Annan Butik AB")
	_, err = e.Server.Payments().Authorize(context.Background(), payments.NewPayment{
		MerchantID: other.Merchant.ID, Amount: 500_00, Currency: "SEK", CaptureMode: payments.CaptureReserve,
		Initiator: payments.InitiatorMerchantMOTO, Actor: payments.Actor{UserID: &sam.ID, Role: auth.RoleSales},
		Card: payments.Card{Number: kassatest.CardOK, ExpMonth: 12, ExpYear: time.Now().Year() + 3, CVC: "123"},
	})
	require.NoError(t, err)

	recent := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	cases := []struct {
		name   string
		filter map[string]any
		want   []string
	}{
		{"None", nil, gids(samMOTO, saraMOTO, keyMOTO, customer)},
		{"CaptureModeReserve", map[string]any{"captureMode": "RESERVE"}, gids(saraMOTO, keyMOTO)},
		{"CaptureModeImmediate", map[string]any{"captureMode": "IMMEDIATE"}, gids(samMOTO, customer)},
		{"InitiatorCustomer", map[string]any{"initiator": []string{"CUSTOMER"}}, gids(customer)},
		{"InitiatorMOTO", map[string]any{"initiator": []string{"MERCHANT_MOTO"}}, gids(samMOTO, saraMOTO, keyMOTO)},
		{"InitiatorEither", map[string]any{"initiator": []string{"CUSTOMER", "MERCHANT_RECURRING"}}, gids(customer)},
		{"CreatedBySam", map[string]any{"createdBy": sam.GlobalID}, gids(samMOTO)},
		{"CreatedBySara", map[string]any{"createdBy": sara.GlobalID}, gids(saraMOTO)},
		{"CreatedByOwnerWhoTookNone", map[string]any{"createdBy": e.Owner.GlobalID}, gids()},
		{"January", map[string]any{"createdFrom": "2026-01-01T00:00:00Z", "createdTo": "2026-02-01T00:00:00+00:00"}, gids(samMOTO)},
		{"JanuaryEndsBeforeTheFifteenth", map[string]any{"createdFrom": "2026-01-01T00:00:00Z", "createdTo": "2026-01-15T10:00:00Z"}, gids()},
		{"FromTheFifteenthInclusive", map[string]any{"createdFrom": "2026-01-15T10:00:00Z", "createdTo": "2026-01-15T10:00:01Z"}, gids(samMOTO)},
		{"LastHour", map[string]any{"createdFrom": recent}, gids(saraMOTO, keyMOTO, customer)},
		{"Combined", map[string]any{"captureMode": "RESERVE", "initiator": []string{"MERCHANT_MOTO"}, "createdFrom": recent, "createdBy": sara.GlobalID}, gids(saraMOTO)},
		{"CombinedNothing", map[string]any{"captureMode": "IMMEDIATE", "createdBy": sara.GlobalID}, gids()},
	}
	for _, c := range cases {
		t.Run("Owner/"+c.name, func(t *testing.T) {
			require.Equal(t, c.want, paymentIDs(t, e.GraphQL(t, paymentsQuery, map[string]any{"f": c.filter, "first": 50})))
		})
	}

	// SALES still sees only customers' payments and their own staff-taken
	// ones, whatever the filter asks for.
	b := e.Login(t, sam)
	for _, c := range []struct {
		name   string
		filter map[string]any
		want   []string
	}{
		{"None", nil, gids(samMOTO, customer)},
		{"CreatedByColleague", map[string]any{"createdBy": sara.GlobalID}, gids()},
		{"CreatedByThemselves", map[string]any{"createdBy": sam.GlobalID}, gids(samMOTO)},
		{"InitiatorMOTO", map[string]any{"initiator": []string{"MERCHANT_MOTO"}}, gids(samMOTO)},
		{"CaptureModeReserve", map[string]any{"captureMode": "RESERVE"}, gids()},
		{"LastHour", map[string]any{"createdFrom": recent}, gids(customer)},
	} {
		t.Run("Sales/"+c.name, func(t *testing.T) {
			require.Equal(t, c.want, paymentIDs(t, e.GraphQLAs(t, b, paymentsQuery, map[string]any{"f": c.filter, "first": 50})))
		})
	}

	t.Run("PagesKeepTheFilter", func(t *testing.T) {
		var got []string
		var after any
		for range 5 {
			var out struct {
				Payments struct {
					Edges []struct {
						Node struct{ ID string }
					} `json:"edges"`
					PageInfo struct {
						HasNextPage bool   `json:"hasNextPage"`
						EndCursor   string `json:"endCursor"`
					} `json:"pageInfo"`
				} `json:"payments"`
			}
			e.Query(t, paymentsQuery, map[string]any{"f": map[string]any{"initiator": []string{"MERCHANT_MOTO"}}, "first": 1, "after": after}, &out)
			for _, edge := range out.Payments.Edges {
				got = append(got, edge.Node.ID)
			}
			if !out.Payments.PageInfo.HasNextPage {
				break
			}
			after = out.Payments.PageInfo.EndCursor
		}
		require.Equal(t, gids(samMOTO, saraMOTO, keyMOTO), got)
	})

	t.Run("CreatedByNotAUser", func(t *testing.T) {
		for _, id := range []string{kassatest.PaymentGlobalID(customer.ID), "usr_nonsense"} {
			r := e.GraphQL(t, paymentsQuery, map[string]any{"f": map[string]any{"createdBy": id}})
			require.Equal(t, "NOT_FOUND", r.Code(), "%s", r.Raw)
		}
	})
}

// paymentSub is a paymentUpdated subscription over the websocket.
type paymentSub struct {
	updates chan paymentUpdate
	errs    chan string
}

type paymentUpdate struct {
	ID     string `json:"id"`
	Status string `json:"status"`
}

// subscribePayments opens a graphql-transport-ws connection, authenticated
// by an API key (key) or a session cookie (cookie), and subscribes to
// paymentUpdated (of one payment when paymentID is not "").
func subscribePayments(t *testing.T, ctx context.Context, e *kassatest.Env, key string, cookie *http.Cookie, paymentID string) *paymentSub {
	t.Helper()
	h := http.Header{}
	init := map[string]string{}
	if cookie != nil {
		h.Set("Cookie", cookie.String())
	} else {
		init["Authorization"] = "Bearer " + key
	}
	conn, ack := e.DialGraphQL(t, ctx, h, init)
	require.Equal(t, "connection_ack", ack.Type)
	query, vars := `subscription { paymentUpdated { id status } }`, map[string]any{}
	if paymentID != "" {
		query, vars = `subscription($id: ID!) { paymentUpdated(paymentId: $id) { id status } }`, map[string]any{"id": paymentID}
	}
	sub := kassatest.Subscribe[paymentUpdate](t, ctx, conn, "paymentUpdated", query, vars)
	return &paymentSub{updates: sub.Updates, errs: sub.Errs}
}

// until reads updates until one for id with status (any status when
// status is ""), and returns all read on the way.
func (s *paymentSub) until(t *testing.T, id, status string) []paymentUpdate {
	t.Helper()
	var seen []paymentUpdate
	deadline := time.After(30 * time.Second)
	for {
		select {
		case u, ok := <-s.updates:
			require.True(t, ok, "the subscription ended; saw %v", seen)
			seen = append(seen, u)
			if u.ID == id && (status == "" || u.Status == status) {
				return seen
			}
		case msg := <-s.errs:
			t.Fatalf("subscription: %s", msg)
		case <-deadline:
			t.Fatalf("no update of %s to %q; saw %v", id, status, seen)
		}
	}
}

func sessionCookie(t *testing.T, e *kassatest.Env, b *kassatest.Browser) *http.Cookie {
	t.Helper()
	u, err := url.Parse(e.URL)
	require.NoError(t, err)
	for _, c := range b.Client.Jar.Cookies(u) {
		if c.Name == auth.SessionCookie {
			return c
		}
	}
	t.Fatal("no session cookie")
	return nil
}

// A dashboard sees payments change live; a SALES member's sees only the
// payments they may see, never a colleague's terminal payment.
func TestPaymentUpdated(t *testing.T) {
	t.Parallel()
	e := kassatest.Start(t)
	sam := e.AddStaff(t, "Sam Sales", "sam@snickeri.test", auth.RoleSales)
	sara := e.AddStaff(t, "Sara Sales", "sara@snickeri.test", auth.RoleSales)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	owner := subscribePayments(t, ctx, e, e.APIKey, nil, "")
	sales := subscribePayments(t, ctx, e, "", sessionCookie(t, e, e.Login(t, sam)), "")
	_, otherKey := e.NewMerchant(t, "Annan Butik AB")
	other := subscribePayments(t, ctx, e, otherKey, nil, "")

	// Subscriptions start asynchronously: take payments until both have
	// delivered one (every change is announced on commit).
	var first payments.Payment
	for i := 0; ; i++ {
		require.Less(t, i, 60, "the subscriptions never delivered an update")
		first = takePayment(t, e, staffActor(sam), payments.InitiatorMerchantMOTO, payments.CaptureImmediate, 10_00)
		select {
		case u := <-sales.updates:
			require.Equal(t, kassatest.PaymentGlobalID(first.ID), u.ID)
		case msg := <-sales.errs:
			t.Fatalf("subscription: %s", msg)
		case <-time.After(500 * time.Millisecond):
			continue
		}
		break
	}
	owner.until(t, kassatest.PaymentGlobalID(first.ID), "CAPTURED")
	sales.until(t, kassatest.PaymentGlobalID(first.ID), "CAPTURED")

	// Sara's terminal payment: the owner sees it through to CAPTURED.
	saras := takePayment(t, e, staffActor(sara), payments.InitiatorMerchantMOTO, payments.CaptureImmediate, 20_00)
	owner.until(t, kassatest.PaymentGlobalID(saras.ID), "CAPTURED")
	// A customer's payment: both see it.
	cust := takePayment(t, e, payments.Actor{}, payments.InitiatorCustomer, payments.CaptureImmediate, 30_00)
	owner.until(t, kassatest.PaymentGlobalID(cust.ID), "CAPTURED")
	// Sam's own, last: everything before it reached Sam's subscription
	// first, and none of it was Sara's.
	last := takePayment(t, e, staffActor(sam), payments.InitiatorMerchantMOTO, payments.CaptureReserve, 40_00)
	owner.until(t, kassatest.PaymentGlobalID(last.ID), "AUTHORIZED")
	seen := sales.until(t, kassatest.PaymentGlobalID(last.ID), "AUTHORIZED")
	var custSeen bool
	for _, u := range seen {
		require.NotEqual(t, kassatest.PaymentGlobalID(saras.ID), u.ID, "a SALES member saw a colleague's terminal payment")
		custSeen = custSeen || u.ID == kassatest.PaymentGlobalID(cust.ID)
	}
	require.True(t, custSeen, "a SALES member missed a customer's payment: %v", seen)

	t.Run("OnePayment", func(t *testing.T) {
		only := subscribePayments(t, ctx, e, e.APIKey, nil, kassatest.PaymentGlobalID(last.ID))
		// Change the one payment until the subscription (started
		// asynchronously) reports it, then check no other came through.
		noise := takePayment(t, e, payments.Actor{}, payments.InitiatorCustomer, payments.CaptureImmediate, 50_00)
		owner.until(t, kassatest.PaymentGlobalID(noise.ID), "CAPTURED")
		amount := int64(10_00)
		_, err := e.Server.Payments().Capture(ctx, payments.System, e.Merchant.Merchant.ID, last.ID, &amount)
		require.NoError(t, err)
		for _, u := range only.until(t, kassatest.PaymentGlobalID(last.ID), "PARTIALLY_CAPTURED") {
			require.Equal(t, kassatest.PaymentGlobalID(last.ID), u.ID)
		}
	})

	t.Run("SalesCannotSubscribeToAColleaguesPayment", func(t *testing.T) {
		s := subscribePayments(t, ctx, e, "", sessionCookie(t, e, e.Login(t, sam)), kassatest.PaymentGlobalID(saras.ID))
		select {
		case msg := <-s.errs:
			require.Contains(t, msg, "NOT_FOUND")
		case u := <-s.updates:
			t.Fatalf("got %v", u)
		case <-time.After(10 * time.Second):
			t.Fatal("no answer to the subscription")
		}
	})

	// Nothing of this merchant reached the other.
	select {
	case u := <-other.updates:
		t.Fatalf("another merchant saw an update: %+v", u)
	default:
	}
}
