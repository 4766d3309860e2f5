package orders_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"kassa/auth"
	"kassa/db/dbtest"
	"kassa/fault"
	"kassa/kassatest"
	"kassa/orders"
	"kassa/payments"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// TestCustomerViewOf is the customers rule (customers.go) over every kind
// of viewer.
func TestCustomerViewOf(t *testing.T) {
	t.Parallel()
	user, key := uuid.New(), uuid.New()
	for _, tc := range []struct {
		name      string
		actor     payments.Actor
		forbidden bool
		all       bool
		emails    bool
	}{
		{"Owner", payments.Actor{UserID: &user, Role: auth.RoleOwner}, false, true, true},
		{"Admin", payments.Actor{UserID: &user, Role: auth.RoleAdmin}, false, true, true},
		{"APIKey", payments.Actor{APIKeyID: &key}, false, true, true},
		{"System", payments.System, false, true, true},
		{"SalesSeesOwn", payments.Actor{UserID: &user, Role: auth.RoleSales}, false, false, false},
		{"UserWithoutRoleIsSales", payments.Actor{UserID: &user}, false, false, false},
		{"NoOneIsForbidden", payments.Actor{}, true, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v, err := orders.CustomerViewOf(tc.actor)
			if tc.forbidden {
				require.ErrorIs(t, err, fault.ErrForbidden)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.all, v.All())
			require.Equal(t, tc.emails, v.SeesEmails())
			if tc.all {
				require.Nil(t, v.OnlyCreatedBy())
			} else {
				require.Equal(t, user, *v.OnlyCreatedBy())
			}
		})
	}
}

const createOrderQ = `mutation($in: CreateOrderInput!) { createOrder(input: $in) {
	order { id customer { id name email } } userErrors { field message code } } }`

type orderOut struct {
	CreateOrder struct {
		Order *struct {
			ID       string
			Customer struct{ ID, Name, Email string }
		}
		UserErrors []kassatest.UserError
	}
}

func orderIn(name, email string) map[string]any {
	c := map[string]any{"name": name}
	if email != "" {
		c["email"] = email
	}
	return map[string]any{"customer": c, "lines": []map[string]any{{"description": "Bord", "quantity": 1, "unitPrice": 12500, "vatRate": 2500}}}
}

type customerNode struct {
	ID          string
	Name        string
	Email       *string
	Phone       string
	Locale      string
	CreatedAt   string
	OrderCount  int
	LastOrderAt *string
	TotalPaid   []struct {
		Amount   int64
		Currency string
	}
	Orders struct {
		Edges []struct {
			Node struct {
				ID       string
				Customer struct{ ID, Name string }
			}
		}
	}
	Payments struct {
		Edges []struct{ Node struct{ ID, Status string } }
	}
	Subscriptions struct {
		Edges []struct {
			Node struct {
				ID       string
				Customer struct{ ID string }
			}
		}
	}
	StoredCards []struct {
		Brand, Last4      string
		ExpMonth, ExpYear int
	}
	Emails struct {
		Edges []struct {
			Node struct {
				Kind, Subject, Recipient, Status string
				SentAt                           *string
			}
		}
	}
}

const customerQ = `query($id: ID!) { node(id: $id) { ... on Customer { id name email phone locale createdAt orderCount lastOrderAt
	totalPaid { amount currency }
	orders(first: 10) { edges { node { id customer { id name } } } }
	payments(first: 10) { edges { node { id status } } }
	subscriptions(first: 10) { edges { node { id customer { id } } } }
	storedCards { brand last4 expMonth expYear }
	emails(first: 10) { edges { node { kind subject recipient status sentAt } } } } } }`

type nodeOut struct{ Node *customerNode }

const customersQ = `query($first: Int, $after: String, $search: String) { customers(first: $first, after: $after, search: $search) {
	edges { cursor node { id name email orderCount lastOrderAt totalPaid { amount currency } } } pageInfo { hasNextPage endCursor } } }`

type listOut struct {
	Customers struct {
		Edges []struct {
			Cursor string
			Node   struct {
				ID          string
				Name        string
				Email       *string
				OrderCount  int
				LastOrderAt *string
				TotalPaid   []struct {
					Amount   int64
					Currency string
				}
			}
		}
		PageInfo struct {
			HasNextPage bool
			EndCursor   *string
		}
	}
}

// TestCustomers drives customers through GraphQL: one customer per email
// whatever its case, with its orders, payments, subscription, stored card
// and emails; the list's paging and search; what a SALES member sees; an
// order that gets its email later; concurrent orders for one email.
func TestCustomers(t *testing.T) {
	t.Parallel()
	e := kassatest.Start(t, kassatest.LogLevel("info"), kassatest.BillingSchedule("0 0 1 1 *"),
		kassatest.Merchant(kassatest.MerchantNamed("Snickeri Kund AB")))
	sam := e.AddStaff(t, "Sam Sales", "sam@snickeri.test", auth.RoleSales)
	samB := e.Login(t, sam)

	create := func(t *testing.T, name, email string) string {
		t.Helper()
		var out orderOut
		e.Query(t, createOrderQ, map[string]any{"in": orderIn(name, email)}, &out)
		require.Empty(t, out.CreateOrder.UserErrors)
		return out.CreateOrder.Order.ID
	}
	createAsSam := func(t *testing.T, name, email string) (string, string) {
		t.Helper()
		var out orderOut
		e.GraphQLAs(t, samB, createOrderQ, map[string]any{"in": orderIn(name, email)}).Decode(t, &out)
		require.Empty(t, out.CreateOrder.UserErrors)
		return out.CreateOrder.Order.ID, out.CreateOrder.Order.Customer.ID
	}
	node := func(t *testing.T, id string) *customerNode {
		t.Helper()
		var out nodeOut
		e.Query(t, customerQ, map[string]any{"id": id}, &out)
		return out.Node
	}
	list := func(t *testing.T, vars map[string]any) listOut {
		t.Helper()
		var out listOut
		e.Query(t, customersQ, vars, &out)
		return out
	}

	// Anna, in three spellings of her address: an order by the API key,
	// one by Sam, and a subscription whose first payment stores her card.
	a1 := create(t, "Anna", "Anna@Example.se")
	a2, annaID := createAsSam(t, "Anna Berg", "anna@example.SE")
	var sub struct {
		CreateSubscription struct {
			Subscription struct{ ID string }
			PaymentLink  struct{ URL string }
			UserErrors   []kassatest.UserError
		}
	}
	e.Query(t, `mutation($in: CreateSubscriptionInput!) { createSubscription(input: $in) {
		subscription { id } paymentLink { url } userErrors { field message code } } }`,
		map[string]any{"in": map[string]any{"customer": map[string]any{"name": "Anna Berg", "email": "ANNA@example.se"},
			"plan": map[string]any{"kind": "FIXED", "amount": 9900, "interval": "MONTHLY"}}}, &sub)
	require.Empty(t, sub.CreateSubscription.UserErrors)
	payMandate(t, e, sub.CreateSubscription.PaymentLink.URL)

	bo := create(t, "Bo", "bo@example.se")
	create(t, "Cia", "cia@example.se")
	create(t, "Dan", "dan@example.se")
	walkIn := create(t, "Walk-in", "")
	_, svenID := createAsSam(t, "Sven", "sven@example.se")

	t.Run("OneCustomerPerEmailWhateverItsCase", func(t *testing.T) {
		require.Equal(t, 1, e.Count(t, `SELECT count(*) FROM customers WHERE email_key = 'anna@example.se'`))
		var o struct {
			A, B struct {
				Customer struct{ ID, Name string }
			}
		}
		e.Query(t, `query($a: ID!, $b: ID!) { a: node(id: $a) { ... on Order { customer { id name } } }
			b: node(id: $b) { ... on Order { customer { id name } } } }`, map[string]any{"a": a1, "b": a2}, &o)
		require.Equal(t, annaID, o.A.Customer.ID)
		require.Equal(t, annaID, o.B.Customer.ID)
		require.Equal(t, "Anna", o.A.Customer.Name, "an order keeps the name it was made with")
		require.Equal(t, "Anna Berg", o.B.Customer.Name)
	})

	t.Run("CustomerPageShowsTheWholeHistory", func(t *testing.T) {
		c := node(t, annaID)
		require.NotNil(t, c)
		require.Equal(t, "Anna Berg", c.Name, "the latest name")
		require.Equal(t, "ANNA@example.se", *c.Email, "the latest spelling")
		require.Equal(t, 3, c.OrderCount, "two orders and the subscription's first payment")
		require.Len(t, c.TotalPaid, 1)
		require.Equal(t, int64(9900), c.TotalPaid[0].Amount, "the first period, paid")
		require.Equal(t, "SEK", c.TotalPaid[0].Currency)
		require.NotNil(t, c.LastOrderAt)
		require.NotEmpty(t, c.CreatedAt)
		require.Len(t, c.Orders.Edges, 3)
		for _, o := range c.Orders.Edges {
			require.Equal(t, annaID, o.Node.Customer.ID)
		}
		require.Len(t, c.Subscriptions.Edges, 1)
		require.Equal(t, sub.CreateSubscription.Subscription.ID, c.Subscriptions.Edges[0].Node.ID)
		require.Equal(t, annaID, c.Subscriptions.Edges[0].Node.Customer.ID)
		require.Len(t, c.Payments.Edges, 1)
		require.Equal(t, "CAPTURED", c.Payments.Edges[0].Node.Status)
		require.Len(t, c.StoredCards, 1)
		require.Equal(t, "4242", c.StoredCards[0].Last4)
		require.Equal(t, 12, c.StoredCards[0].ExpMonth)
		require.NotEmpty(t, c.StoredCards[0].Brand)

		// The first-payment email is delivered by a job: wait for it.
		kassatest.Eventually(t, 30*time.Second, "the email to Anna to be sent", func() bool {
			c = node(t, annaID)
			for _, m := range c.Emails.Edges {
				if m.Node.Kind == "subscription_first_payment" && m.Node.Status == "SENT" && m.Node.SentAt != nil {
					return true
				}
			}
			return false
		})
		for _, m := range c.Emails.Edges {
			require.Equal(t, "anna@example.se", strings.ToLower(m.Node.Recipient))
			require.NotEmpty(t, m.Node.Subject)
		}
	})

	t.Run("ListPagesThroughEveryCustomerOnce", func(t *testing.T) {
		seen := map[string]bool{}
		var after any
		var first string
		for pages := 0; ; pages++ {
			require.Less(t, pages, 10)
			out := list(t, map[string]any{"first": 2, "after": after})
			require.LessOrEqual(t, len(out.Customers.Edges), 2)
			for _, ed := range out.Customers.Edges {
				require.False(t, seen[ed.Node.ID], "customer %s listed twice", ed.Node.Name)
				require.NotNil(t, ed.Node.LastOrderAt)
				if ed.Node.ID == annaID {
					require.Equal(t, 3, ed.Node.OrderCount)
					require.Len(t, ed.Node.TotalPaid, 1)
				} else {
					require.Equal(t, 1, ed.Node.OrderCount)
					require.Empty(t, ed.Node.TotalPaid)
				}
				seen[ed.Node.ID] = true
				if first == "" {
					first = ed.Node.ID
				}
			}
			if !out.Customers.PageInfo.HasNextPage {
				break
			}
			after = *out.Customers.PageInfo.EndCursor
		}
		require.Len(t, seen, 6, "anna, bo, cia, dan, the walk-in and sven")
		require.Equal(t, svenID, first, "the most recently active first")
	})

	t.Run("SearchByNameEmailOrPhone", func(t *testing.T) {
		names := func(search string) []string {
			out := list(t, map[string]any{"first": 50, "search": search})
			var ns []string
			for _, ed := range out.Customers.Edges {
				ns = append(ns, ed.Node.Name)
			}
			return ns
		}
		require.Equal(t, []string{"Anna Berg"}, names("berg"))
		require.Equal(t, []string{"Anna Berg"}, names("ANNA@"))
		require.Len(t, names("example.se"), 5)
		require.Equal(t, []string{"Walk-in"}, names("walk"))
		require.Empty(t, names("%"), "LIKE wildcards are searched for literally")
		require.Empty(t, names("nobody"))
	})

	t.Run("SalesSeesCustomersOfTheirOwnOrdersOnly", func(t *testing.T) {
		var out listOut
		e.GraphQLAs(t, samB, customersQ, map[string]any{"first": 50}).Decode(t, &out)
		var ids []string
		for _, ed := range out.Customers.Edges {
			ids = append(ids, ed.Node.ID)
		}
		require.ElementsMatch(t, []string{annaID, svenID}, ids)

		var n nodeOut
		e.GraphQLAs(t, samB, customerQ, map[string]any{"id": annaID}).Decode(t, &n)
		require.NotNil(t, n.Node)
		require.Equal(t, 1, n.Node.OrderCount, "Sam's own order")
		require.Empty(t, n.Node.TotalPaid, "Sam's order is not paid")
		require.Len(t, n.Node.Orders.Edges, 1)
		require.Equal(t, a2, n.Node.Orders.Edges[0].Node.ID)
		require.Empty(t, n.Node.Subscriptions.Edges, "the subscription was made by the API key")
		require.Empty(t, n.Node.StoredCards)
		require.Empty(t, n.Node.Payments.Edges)
		require.Empty(t, n.Node.Emails.Edges, "the email log is not SALES's")

		var boOrder struct {
			Node struct{ Customer struct{ ID string } }
		}
		e.Query(t, `query($id: ID!) { node(id: $id) { ... on Order { customer { id } } } }`, map[string]any{"id": bo}, &boOrder)
		e.GraphQLAs(t, samB, customerQ, map[string]any{"id": boOrder.Node.Customer.ID}).Decode(t, &n)
		require.Nil(t, n.Node, "a customer without Sam's orders is not found")
	})

	t.Run("OrderThatGetsAnEmailJoinsItsCustomer", func(t *testing.T) {
		var before struct {
			Node struct{ Customer struct{ ID string } }
		}
		e.Query(t, `query($id: ID!) { node(id: $id) { ... on Order { customer { id } } } }`, map[string]any{"id": walkIn}, &before)
		var out struct {
			UpdateOrder struct {
				Order struct {
					Customer struct{ ID, Name string }
				}
				UserErrors []kassatest.UserError
			}
		}
		e.Query(t, `mutation($in: UpdateOrderInput!) { updateOrder(input: $in) { order { customer { id name } } userErrors { code message } } }`,
			map[string]any{"in": map[string]any{"orderId": walkIn, "customer": map[string]any{"email": "BO@example.se"}}}, &out)
		require.Empty(t, out.UpdateOrder.UserErrors)
		bc := node(t, boCustomer(t, e, bo))
		require.Equal(t, bc.ID, out.UpdateOrder.Order.Customer.ID)
		require.Equal(t, 2, bc.OrderCount)
		require.Equal(t, "Walk-in", bc.Name, "the latest name given for the address")
		var gone nodeOut
		e.Query(t, customerQ, map[string]any{"id": before.Node.Customer.ID}, &gone)
		require.Nil(t, gone.Node, "the walk-in's own customer went with its only order")
	})

	t.Run("ConcurrentOrdersForOneEmailShareOneCustomer", func(t *testing.T) {
		key := e.Merchant.APIKey.ID
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				email := "eve@example.se"
				if i%2 == 1 {
					email = "EVE@example.se"
				}
				_, err := e.Server.Orders().Create(context.Background(), payments.Actor{APIKeyID: &key}, e.Merchant.Merchant.ID, "",
					orders.NewOrder{Customer: orders.Customer{Name: fmt.Sprint("Eve ", i), Email: email},
						Lines: []orders.LineInput{{Description: "Stol", Quantity: 1, UnitPrice: 5000, VATRate: 2500}}})
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		require.Equal(t, 1, e.Count(t, `SELECT count(*) FROM customers WHERE email_key = 'eve@example.se'`))
		require.Equal(t, 8, e.Count(t, `SELECT count(*) FROM orders o JOIN customers c ON c.id = o.customer_id WHERE c.email_key = 'eve@example.se'`))
	})

	t.Run("BadPageSizeIsRefused", func(t *testing.T) {
		r := e.GraphQL(t, customersQ, map[string]any{"first": 0})
		require.Equal(t, "INVALID_PAGE_SIZE", r.Code())
		r = e.GraphQL(t, customersQ, map[string]any{"after": "not-a-cursor"})
		require.Equal(t, "INVALID_CURSOR", r.Code())
	})
}

func boCustomer(t *testing.T, e *kassatest.Env, orderID string) string {
	t.Helper()
	var o struct {
		Node struct{ Customer struct{ ID string } }
	}
	e.Query(t, `query($id: ID!) { node(id: $id) { ... on Order { customer { id } } } }`, map[string]any{"id": orderID}, &o)
	return o.Node.Customer.ID
}

var hidden = regexp.MustCompile(`name="(csrf_token|attempt|checkout|mandate_terms)" value="([^"]*)"`)

// payMandate pays a subscription's first-payment link as the customer
// would, agreeing to store the card, and waits until the simulator's
// callbacks (authorized, captured) were delivered.
func payMandate(t *testing.T, e *kassatest.Env, link string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(link)
	require.NoError(t, err)
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, string(page))
	form := url.Values{"accept": {"yes"}, "mandate": {"yes"}, "cardNumber": {"4242424242424242"},
		"expiry": {fmt.Sprintf("12/%02d", (time.Now().Year()+2)%100)}, "cvc": {"123"}, "cardholder": {"Anna Berg"}}
	for _, m := range hidden.FindAllStringSubmatch(string(page), -1) {
		form.Set(m[1], m[2])
	}
	resp, err = c.PostForm(link, form)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	kassatest.Eventually(t, 20*time.Second, "the callbacks to be delivered and the card stored", func() bool {
		return e.Count(t, `SELECT count(*) FROM simulator_callbacks WHERE delivered_at IS NULL`) == 0 &&
			e.Count(t, `SELECT count(*) FROM subscriptions WHERE card_last4 IS NOT NULL`) == 1 &&
			e.Count(t, `SELECT count(*) FROM payments WHERE status = 'CAPTURED'`) == 1
	})
}
