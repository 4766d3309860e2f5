package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"kassa/auth"
	"kassa/kassatest"
)

// Who may do what with a payment is one rule (payments/rules.go), and
// every entry point applies it: a SALES member captures their own
// terminal payments but not a colleague's, sees neither a colleague's nor
// anyone's void or refund button, and GraphQL refuses exactly what the
// pages hide.
func TestPaymentRulesOverRolesAndEntryPoints(t *testing.T) {
	t.Parallel()
	e := kassatest.Start(t)
	staff := map[string]kassatest.Staff{
		"OWNER":       e.AddStaff(t, "Olga Owner", "olga@rules.test", auth.RoleOwner),
		"ADMIN":       e.AddStaff(t, "Adam Admin", "adam@rules.test", auth.RoleAdmin),
		"SALES_OWN":   e.AddStaff(t, "Sara Sales", "sara@rules.test", auth.RoleSales),
		"SALES_OTHER": e.AddStaff(t, "Sven Sales", "sven@rules.test", auth.RoleSales),
	}
	browsers := map[string]*kassatest.Browser{}
	for k, s := range staff {
		browsers[k] = e.Login(t, s)
	}
	// take makes a terminal payment keyed in by Sara: a reservation, or
	// (captured) one paid at once.
	take := func(t *testing.T, captured bool) uuid.UUID {
		mode := "RESERVE"
		if captured {
			mode = "IMMEDIATE"
		}
		var out struct {
			C struct {
				Payment    *struct{ ID string }
				UserErrors []kassatest.UserError
			} `json:"createTerminalPayment"`
		}
		e.GraphQLAs(t, browsers["SALES_OWN"], `mutation($in: CreateTerminalPaymentInput!) { createTerminalPayment(input: $in) {
			payment { id } userErrors { field code message } } }`, map[string]any{"in": map[string]any{
			"amount": 12_500, "currency": "SEK", "captureMode": mode,
			"card": map[string]any{"number": kassatest.CardOK, "expMonth": 12, "expYear": time.Now().Year() + 3, "cvc": "123"}}}).Decode(t, &out)
		require.Empty(t, out.C.UserErrors)
		id := uuid.MustParse(fmt.Sprintf("%s-%s-%s-%s-%s", out.C.Payment.ID[4:12], out.C.Payment.ID[12:16], out.C.Payment.ID[16:20], out.C.Payment.ID[20:24], out.C.Payment.ID[24:]))
		want := "AUTHORIZED"
		if captured {
			want = "CAPTURED"
		}
		kassatest.Eventually(t, 20*time.Second, "the payment to be "+want, func() bool {
			return e.Count(t, `SELECT count(*) FROM payments WHERE id = $1 AND status = $2`, id, want) == 1
		})
		return id
	}
	status := func(id uuid.UUID) string {
		var s string
		require.NoError(t, e.SQL.QueryRow(`SELECT status FROM payments WHERE id = $1`, id).Scan(&s))
		return s
	}

	type op struct {
		name     string
		captured bool   // the payment it acts on
		after    string // the payment's status when allowed
	}
	ops := []op{{"capture", false, "CAPTURED"}, {"void", false, "VOIDED"}, {"refund", true, "REFUNDED"}}
	allowed := map[string]map[string]bool{
		"OWNER":       {"see": true, "capture": true, "void": true, "refund": true},
		"ADMIN":       {"see": true, "capture": true, "void": true, "refund": true},
		"SALES_OWN":   {"see": true, "capture": true, "void": false, "refund": false},
		"SALES_OTHER": {"see": false, "capture": false, "void": false, "refund": false},
	}

	for role, rights := range allowed {
		b := browsers[role]
		t.Run(role, func(t *testing.T) {
			t.Run("GraphQL/see", func(t *testing.T) {
				id := take(t, false)
				var node struct{ Node *struct{ ID string } }
				e.GraphQLAs(t, b, `query($id: ID!) { node(id: $id) { ... on Payment { id } } }`,
					map[string]any{"id": kassatest.PaymentGlobalID(id)}).Decode(t, &node)
				require.Equal(t, rights["see"], node.Node != nil, "node(id:)")
				var list struct {
					Payments struct {
						Edges []struct{ Node struct{ ID string } }
					}
				}
				e.GraphQLAs(t, b, `{ payments(first: 100) { edges { node { id } } } }`, nil).Decode(t, &list)
				listed := false
				for _, ed := range list.Payments.Edges {
					listed = listed || ed.Node.ID == kassatest.PaymentGlobalID(id)
				}
				require.Equal(t, rights["see"], listed, "payments")
				var res struct {
					Reservations struct {
						Edges []struct{ Node struct{ ID string } }
					}
				}
				e.GraphQLAs(t, b, `{ reservations(first: 100) { edges { node { id } } } }`, nil).Decode(t, &res)
				listed = false
				for _, ed := range res.Reservations.Edges {
					listed = listed || ed.Node.ID == kassatest.PaymentGlobalID(id)
				}
				require.Equal(t, rights["see"], listed, "reservations")
			})
			t.Run("Web/see", func(t *testing.T) {
				id := take(t, false)
				p := b.Get(t, "/terminal/payments/"+id.String())
				if rights["see"] {
					require.Equal(t, http.StatusOK, p.Status)
				} else {
					require.Equal(t, http.StatusNotFound, p.Status)
				}
			})
			for _, o := range ops {
				t.Run("GraphQL/"+o.name, func(t *testing.T) {
					id := take(t, o.captured)
					r := e.GraphQLAs(t, b, fmt.Sprintf(`mutation($id: ID!) { %sPayment(input: {paymentId: $id}) { payment { id status } userErrors { code } } }`, o.name),
						map[string]any{"id": kassatest.PaymentGlobalID(id)})
					require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
					if rights[o.name] {
						require.Empty(t, r.Errors, string(r.Raw))
						var data map[string]struct{ UserErrors []kassatest.UserError }
						require.NoError(t, json.Unmarshal(r.Data, &data))
						require.Empty(t, data[o.name+"Payment"].UserErrors)
						kassatest.Eventually(t, 20*time.Second, o.after, func() bool { return status(id) == o.after })
						return
					}
					refused := len(r.Errors) > 0 && r.Errors[0].Extensions["code"] == "FORBIDDEN"
					if !refused {
						var data map[string]struct{ UserErrors []kassatest.UserError }
						require.NoError(t, json.Unmarshal(r.Data, &data))
						refused = len(data[o.name+"Payment"].UserErrors) == 1 && data[o.name+"Payment"].UserErrors[0].Code == "NOT_FOUND"
					}
					require.True(t, refused, "%s by %s must be refused: %s", o.name, role, r.Raw)
					require.NotEqual(t, o.after, status(id), "nothing changed")
				})
				t.Run("Web/"+o.name, func(t *testing.T) {
					id := take(t, o.captured)
					home := b.Get(t, "/terminal")
					require.Equal(t, http.StatusOK, home.Status)
					p := b.Post(t, "/terminal/payments/"+id.String()+"/"+o.name, url.Values{"csrf_token": {kassatest.Field(t, home.Body, "csrf_token")}})
					if rights[o.name] {
						require.Less(t, p.Status, 400, p.Body)
						kassatest.Eventually(t, 20*time.Second, o.after, func() bool { return status(id) == o.after })
						return
					}
					require.Contains(t, []int{http.StatusForbidden, http.StatusNotFound}, p.Status, p.Body)
					require.NotEqual(t, o.after, status(id), "nothing changed")
				})
			}
		})
	}
}
