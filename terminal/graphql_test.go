package terminal_test

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"kassa/auth"
	"kassa/gid"
	"kassa/kassatest"
	"kassa/merchants"
	"kassa/orders"
	"kassa/payments"
)

const createPayment = `mutation($input: CreateTerminalPaymentInput!) { createTerminalPayment(input: $input) {
	payment { id status captureMode initiator description customerEmail failureCode
	  amount { amount currency formatted } card { brand last4 expMonth expYear }
	  createdBy { id email } createdByApiKey { id } }
	userErrors { field message code } } }`

type gqlPayment struct {
	ID            string `json:"id"`
	Status        string `json:"status"`
	CaptureMode   string `json:"captureMode"`
	Initiator     string `json:"initiator"`
	Description   string `json:"description"`
	CustomerEmail string `json:"customerEmail"`
	FailureCode   string `json:"failureCode"`
	Amount        struct {
		Amount    int64  `json:"amount"`
		Currency  string `json:"currency"`
		Formatted string `json:"formatted"`
	} `json:"amount"`
	Card *struct {
		Brand string `json:"brand"`
		Last4 string `json:"last4"`
	} `json:"card"`
	CreatedBy       *struct{ ID, Email string } `json:"createdBy"`
	CreatedByAPIKey *struct{ ID string }        `json:"createdByApiKey"`
}

type createResult struct {
	CreateTerminalPayment struct {
		Payment    *gqlPayment           `json:"payment"`
		UserErrors []kassatest.UserError `json:"userErrors"`
	} `json:"createTerminalPayment"`
}

func card(number string) map[string]any {
	return map[string]any{"number": number, "expMonth": 12, "expYear": time.Now().Year() + 3, "cvc": "123"}
}

func paymentInput(amount int64, number string, extra map[string]any) map[string]any {
	in := map[string]any{"amount": amount, "currency": "SEK", "card": card(number)}
	for k, v := range extra {
		in[k] = v
	}
	return map[string]any{"input": in}
}

func orderGlobalID(id uuid.UUID) string { return "ord_" + strings.ReplaceAll(id.String(), "-", "") }

func newOrder(t *testing.T, e *kassatest.Env, merchantID gid.MerchantID, currency string, total int64) orders.Order {
	t.Helper()
	o, err := e.Server.Orders().Create(context.Background(), payments.Actor{}, merchantID, "", orders.NewOrder{
		Customer: orders.Customer{Name: "Kund Karlsson", Email: "kund@example.com"}, Currency: currency,
		Lines: []orders.LineInput{{Description: "Bokhylla", Quantity: 1, UnitPrice: total, VATRate: 2500}},
	})
	require.NoError(t, err)
	return o
}

func TestCreateTerminalPaymentRefusesBadInput(t *testing.T) {
	t.Parallel()
	e := kassatest.Start(t)
	other, err := e.Server.Merchants().Create(context.Background(), merchants.NewMerchant{
		Name: "Other AB", OwnerEmail: "owner@other.test", OwnerPassword: "other-owner-password"})
	require.NoError(t, err)
	foreign := newOrder(t, e, other.Merchant.ID, "SEK", 10000)
	euro := newOrder(t, e, e.Merchant.Merchant.ID, "EUR", 10000)
	year := time.Now().Year()

	cases := []struct {
		name  string
		input map[string]any
		code  string
		field []string
	}{
		{"ZeroAmount", paymentInput(0, kassatest.CardOK, nil), "INVALID_AMOUNT", []string{"input", "amount"}},
		{"NegativeAmount", paymentInput(-100, kassatest.CardOK, nil), "INVALID_AMOUNT", []string{"input", "amount"}},
		{"HugeAmount", paymentInput(100_000_000_000_000, kassatest.CardOK, nil), "AMOUNT_TOO_LARGE", []string{"input", "amount"}},
		{"UnknownCurrency", paymentInput(1000, kassatest.CardOK, map[string]any{"currency": "KRONOR"}), "INVALID_CURRENCY", []string{"input", "currency"}},
		{"NoSuchCurrency", paymentInput(1000, kassatest.CardOK, map[string]any{"currency": "ABC"}), "INVALID_CURRENCY", []string{"input", "currency"}},
		{"BadLuhn", paymentInput(1000, "4242424242424241", nil), "INVALID_CARD_NUMBER", []string{"input", "card", "number"}},
		{"LettersInNumber", paymentInput(1000, "4242 4242 4242 424X", nil), "INVALID_CARD_NUMBER", []string{"input", "card", "number"}},
		{"ShortNumber", paymentInput(1000, "4242", nil), "INVALID_CARD_NUMBER", []string{"input", "card", "number"}},
		{"BadMonth", paymentInput(1000, "", map[string]any{"card": map[string]any{"number": kassatest.CardOK, "expMonth": 13, "expYear": year + 1, "cvc": "123"}}),
			"INVALID_EXPIRY", []string{"input", "card", "expYear"}},
		{"ExpiredCard", paymentInput(1000, "", map[string]any{"card": map[string]any{"number": kassatest.CardOK, "expMonth": 1, "expYear": year - 1, "cvc": "123"}}),
			"CARD_EXPIRED", []string{"input", "card", "expYear"}},
		{"ShortCVC", paymentInput(1000, "", map[string]any{"card": map[string]any{"number": kassatest.CardOK, "expMonth": 12, "expYear": year + 1, "cvc": "12"}}),
			"INVALID_CVC", []string{"input", "card", "cvc"}},
		{"OtherMerchantsOrder", paymentInput(1000, kassatest.CardOK, map[string]any{"orderId": orderGlobalID(foreign.ID)}), "NOT_FOUND", []string{"input", "orderId"}},
		{"MalformedOrderID", paymentInput(1000, kassatest.CardOK, map[string]any{"orderId": "ord_123"}), "NOT_FOUND", []string{"input", "orderId"}},
		{"PaymentIDAsOrderID", paymentInput(1000, kassatest.CardOK, map[string]any{"orderId": kassatest.PaymentGlobalID(euro.ID)}), "NOT_FOUND", []string{"input", "orderId"}},
		{"OrderInOtherCurrency", paymentInput(1000, kassatest.CardOK, map[string]any{"orderId": orderGlobalID(euro.ID)}), "ORDER_CURRENCY_MISMATCH", []string{"input", "currency"}},
		{"BadEmail", paymentInput(1000, kassatest.CardOK, map[string]any{"customerEmail": "not an email"}), "INVALID_EMAIL", []string{"input", "customerEmail"}},
		{"TwoLineDescription", paymentInput(1000, kassatest.CardOK, map[string]any{"description": "one\ntwo"}), "INVALID_DESCRIPTION", []string{"input", "description"}},
		{"LongDescription", paymentInput(1000, kassatest.CardOK, map[string]any{"description": strings.Repeat("x", 501)}), "INVALID_DESCRIPTION", []string{"input", "description"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out createResult
			e.GraphQL(t, createPayment, c.input).Decode(t, &out)
			require.Nil(t, out.CreateTerminalPayment.Payment)
			require.Len(t, out.CreateTerminalPayment.UserErrors, 1)
			ue := out.CreateTerminalPayment.UserErrors[0]
			require.Equal(t, c.code, ue.Code, ue.Message)
			require.Equal(t, c.field, ue.Field)
			require.NotEmpty(t, ue.Message)
		})
	}
	t.Run("NothingChanged", func(t *testing.T) {
		require.Zero(t, e.Count(t, `SELECT count(*) FROM payments`))
		require.Zero(t, e.Count(t, `SELECT count(*) FROM payment_events`))
		require.Zero(t, e.Count(t, `SELECT count(*) FROM terminal_payments`))
		require.Zero(t, e.Count(t, `SELECT count(*) FROM simulator_payments`))
		require.Zero(t, e.Count(t, `SELECT count(*) FROM simulator_tokens`))
	})
	t.Run("NoCardInLogsOrDump", func(t *testing.T) {
		e.ScanForCards(t, kassatest.CardOK, "4242424242424241")
	})
}

func TestCreateTerminalPayment(t *testing.T) {
	t.Parallel()
	e := kassatest.Start(t)
	sales := e.AddStaff(t, "Sara Säljare", "sara@snickeri.test", auth.RoleSales)
	browser := e.Login(t, sales)
	order := newOrder(t, e, e.Merchant.Merchant.ID, "SEK", 50000)

	var approved createResult
	t.Run("ApprovedWithAPIKey", func(t *testing.T) {
		e.GraphQL(t, createPayment, paymentInput(123450, "4242 4242 4242 4242", map[string]any{"description": "Telefonorder 17"})).Decode(t, &approved)
		p := approved.CreateTerminalPayment.Payment
		require.Empty(t, approved.CreateTerminalPayment.UserErrors)
		require.NotNil(t, p)
		require.Equal(t, "CAPTURED", p.Status, "settled by the callback before the answer")
		require.Equal(t, "MERCHANT_MOTO", p.Initiator)
		require.Equal(t, "IMMEDIATE", p.CaptureMode)
		require.Equal(t, int64(123450), p.Amount.Amount)
		require.Equal(t, "1\u00a0234,50\u00a0kr", p.Amount.Formatted)
		require.Equal(t, "visa", p.Card.Brand)
		require.Equal(t, "4242", p.Card.Last4)
		require.Nil(t, p.CreatedBy)
		require.NotNil(t, p.CreatedByAPIKey)
		require.Equal(t, "Telefonorder 17", p.Description)
	})
	t.Run("DeclinedIsAPaymentAndAUserError", func(t *testing.T) {
		var out createResult
		e.GraphQL(t, createPayment, paymentInput(5000, kassatest.CardDeclined, nil)).Decode(t, &out)
		p := out.CreateTerminalPayment.Payment
		require.NotNil(t, p)
		require.Equal(t, "FAILED", p.Status)
		require.Equal(t, "card_declined", p.FailureCode)
		require.Len(t, out.CreateTerminalPayment.UserErrors, 1)
		require.Equal(t, "CARD_DECLINED", out.CreateTerminalPayment.UserErrors[0].Code)
		require.Equal(t, []string{"input", "card"}, out.CreateTerminalPayment.UserErrors[0].Field)
	})
	var supplement createResult
	t.Run("SupplementReservedBySalesWithReceipt", func(t *testing.T) {
		e.GraphQLAs(t, browser, createPayment, paymentInput(10000, kassatest.CardMastercard, map[string]any{
			"captureMode": "RESERVE", "orderId": orderGlobalID(order.ID), "customerEmail": "kund@example.com", "description": "Extra hyllplan",
		})).Decode(t, &supplement)
		p := supplement.CreateTerminalPayment.Payment
		require.Empty(t, supplement.CreateTerminalPayment.UserErrors)
		require.Equal(t, "AUTHORIZED", p.Status)
		require.Equal(t, "mastercard", p.Card.Brand)
		require.Equal(t, sales.GlobalID, p.CreatedBy.ID)
		require.Equal(t, "kund@example.com", p.CustomerEmail)

		var o struct {
			Node struct {
				Status   string `json:"status"`
				Payments []struct {
					ID string `json:"id"`
				} `json:"payments"`
			} `json:"node"`
		}
		e.GraphQL(t, `query($id: ID!) { node(id: $id) { ... on Order { status payments { id } } } }`, map[string]any{"id": orderGlobalID(order.ID)}).Decode(t, &o)
		require.Len(t, o.Node.Payments, 1, "the supplement is among the order's payments")
		require.Equal(t, p.ID, o.Node.Payments[0].ID)
		require.Equal(t, "DRAFT", o.Node.Status, "a supplement of another amount does not pay the order")

		receipts := func() int {
			return e.Count(t, `SELECT count(*) FROM river_job WHERE kind = 'mailer.send'
				AND args->'message'->>'kind' = 'terminal_receipt' AND args->'message'->>'to' = 'kund@example.com'`)
		}
		kassatest.Eventually(t, 15*time.Second, "the receipt email", func() bool { return receipts() > 0 })
		var msg struct {
			Subject, Text, HTML string
		}
		var raw []byte
		require.NoError(t, e.SQL.Get(&raw, `SELECT args->'message' FROM river_job WHERE kind = 'mailer.send' AND args->'message'->>'kind' = 'terminal_receipt'`))
		require.NoError(t, json.Unmarshal(raw, &msg))
		require.Equal(t, "Kvitto från Snickeri Nord AB", msg.Subject)
		for _, want := range []string{"100,00\u00a0kr", "Mastercard •••• 4444", "Extra hyllplan", "Order: " + strconv.FormatInt(order.Number, 10), "Betjänad av: Sara", "Reserverad"} {
			require.Contains(t, msg.Text, want)
		}
		var c struct {
			CapturePayment struct {
				Payment struct{ Status string } `json:"payment"`
			} `json:"capturePayment"`
		}
		e.GraphQL(t, `mutation($id: ID!) { capturePayment(input: {paymentId: $id}) { payment { status } userErrors { code } } }`,
			map[string]any{"id": p.ID}).Decode(t, &c)
		require.Equal(t, "CAPTURED", c.CapturePayment.Payment.Status)
		e.GraphQL(t, `query($id: ID!) { node(id: $id) { ... on Order { status payments { id } } } }`, map[string]any{"id": orderGlobalID(order.ID)}).Decode(t, &o)
		require.Equal(t, "DRAFT", o.Node.Status)

		// The capture's callback, and any receipt it could queue, are done.
		e.WaitCallbacks(t)
		e.WaitJobs(t, "terminal.receipt")
		require.Equal(t, 1, receipts(), "one receipt, not one per change")
		require.Zero(t, e.Count(t, `SELECT count(*) FROM river_job WHERE kind = 'mailer.send' AND args->'message'->>'to' = ''`))
	})
	t.Run("TerminalPaymentsListsWhoseTheyAre", func(t *testing.T) {
		const q = `{ terminalPayments(first: 10) { edges { node { id createdBy { id } } } } }`
		var all, mine struct {
			TerminalPayments struct {
				Edges []struct {
					Node struct{ ID string } `json:"node"`
				} `json:"edges"`
			} `json:"terminalPayments"`
		}
		e.GraphQL(t, q, nil).Decode(t, &all)
		require.Len(t, all.TerminalPayments.Edges, 3)
		require.Equal(t, supplement.CreateTerminalPayment.Payment.ID, all.TerminalPayments.Edges[0].Node.ID, "newest first")
		e.GraphQLAs(t, browser, q, nil).Decode(t, &mine)
		require.Len(t, mine.TerminalPayments.Edges, 1, "SALES see their own")
		require.Equal(t, supplement.CreateTerminalPayment.Payment.ID, mine.TerminalPayments.Edges[0].Node.ID)
	})
	t.Run("AuditTrailNamesWhoDidWhat", func(t *testing.T) {
		var out struct {
			AuditEvents struct {
				Edges []struct {
					Node struct {
						Action      string
						Actor       *struct{ ID string }
						ActorAPIKey *struct{ ID string } `json:"actorApiKey"`
						Payment     *struct{ ID string }
						Amount      *struct{ Formatted string }
					} `json:"node"`
				} `json:"edges"`
			} `json:"auditEvents"`
		}
		e.GraphQL(t, `query($p: ID!) { auditEvents(filter: {paymentId: $p}) { edges { node {
			action actor { id } actorApiKey { id } payment { id } amount { formatted } } } } }`,
			map[string]any{"p": supplement.CreateTerminalPayment.Payment.ID}).Decode(t, &out)
		require.Len(t, out.AuditEvents.Edges, 2)
		captured, created := out.AuditEvents.Edges[0].Node, out.AuditEvents.Edges[1].Node
		require.Equal(t, "payment.created", created.Action)
		require.Equal(t, sales.GlobalID, created.Actor.ID)
		require.Equal(t, supplement.CreateTerminalPayment.Payment.ID, created.Payment.ID)
		require.Equal(t, "100,00\u00a0kr", created.Amount.Formatted)
		require.Equal(t, "payment.captured", captured.Action)
		require.Nil(t, captured.Actor)
		require.NotNil(t, captured.ActorAPIKey)
	})
	t.Run("NoCardInLogsOrDump", func(t *testing.T) {
		e.ScanForCards(t, kassatest.CardOK, kassatest.CardDeclined, kassatest.CardMastercard)
	})
}

const setLimit = `mutation($user: ID!, $max: Int64, $currency: String) {
	setUserPaymentLimit(input: {userId: $user, maxAmount: $max, currency: $currency}) {
	  user { id paymentLimit { amount currency formatted } } userErrors { field message code } } }`

type limitResult struct {
	SetUserPaymentLimit struct {
		User *struct {
			ID           string
			PaymentLimit *struct {
				Amount    int64
				Currency  string
				Formatted string
			} `json:"paymentLimit"`
		} `json:"user"`
		UserErrors []kassatest.UserError `json:"userErrors"`
	} `json:"setUserPaymentLimit"`
}

func TestPaymentLimits(t *testing.T) {
	t.Parallel()
	e := kassatest.Start(t)
	sales := e.AddStaff(t, "Sven Säljare", "sven@snickeri.test", auth.RoleSales)
	admin := e.AddStaff(t, "Astrid Admin", "astrid@snickeri.test", auth.RoleAdmin)
	asSales, asAdmin := e.Login(t, sales), e.Login(t, admin)

	t.Run("SalesMayNotSetLimits", func(t *testing.T) {
		r := e.GraphQLAs(t, asSales, setLimit, map[string]any{"user": sales.GlobalID, "max": 1_000_000})
		require.Equal(t, "FORBIDDEN", r.Code(), "%s", r.Raw)
	})
	t.Run("AdminSetsALimit", func(t *testing.T) {
		var out limitResult
		e.GraphQLAs(t, asAdmin, setLimit, map[string]any{"user": sales.GlobalID, "max": 100_000}).Decode(t, &out)
		require.Empty(t, out.SetUserPaymentLimit.UserErrors)
		l := out.SetUserPaymentLimit.User.PaymentLimit
		require.NotNil(t, l)
		require.Equal(t, int64(100_000), l.Amount)
		require.Equal(t, "SEK", l.Currency, "the merchant's currency by default")
		require.Equal(t, "1\u00a0000,00\u00a0kr", l.Formatted)
	})
	t.Run("RefusedInput", func(t *testing.T) {
		for _, c := range []struct {
			vars map[string]any
			code string
		}{
			{map[string]any{"user": admin.GlobalID, "max": 1000}, "LIMIT_NOT_APPLICABLE"},
			{map[string]any{"user": sales.GlobalID, "max": 0}, "INVALID_AMOUNT"},
			{map[string]any{"user": sales.GlobalID, "max": -5}, "INVALID_AMOUNT"},
			{map[string]any{"user": sales.GlobalID, "max": 100, "currency": "XYZ"}, "INVALID_CURRENCY"},
			{map[string]any{"user": kassatest.UserGlobalID(uuid.New()), "max": 100}, "NOT_FOUND"},
			{map[string]any{"user": "usr_nope", "max": 100}, "NOT_FOUND"},
		} {
			var out limitResult
			e.GraphQL(t, setLimit, c.vars).Decode(t, &out)
			require.Len(t, out.SetUserPaymentLimit.UserErrors, 1, "%v", c.vars)
			require.Equal(t, c.code, out.SetUserPaymentLimit.UserErrors[0].Code, "%v", c.vars)
		}
	})
	t.Run("SalesAboveTheirLimitIsRefused", func(t *testing.T) {
		var out createResult
		e.GraphQLAs(t, asSales, createPayment, paymentInput(100_001, kassatest.CardOK, nil)).Decode(t, &out)
		require.Nil(t, out.CreateTerminalPayment.Payment)
		require.Len(t, out.CreateTerminalPayment.UserErrors, 1)
		ue := out.CreateTerminalPayment.UserErrors[0]
		require.Equal(t, "AMOUNT_ABOVE_LIMIT", ue.Code)
		require.Equal(t, []string{"input", "amount"}, ue.Field)
		require.Contains(t, ue.Message, "1\u00a0000,00\u00a0kr")
		require.Zero(t, e.Count(t, `SELECT count(*) FROM payments`), "nothing was charged")

		e.GraphQLAs(t, asSales, createPayment, paymentInput(5_000, kassatest.CardOK, map[string]any{"currency": "EUR"})).Decode(t, &out)
		require.Equal(t, "LIMIT_CURRENCY_MISMATCH", out.CreateTerminalPayment.UserErrors[0].Code)
	})
	t.Run("AtTheLimitAndOthersAreFine", func(t *testing.T) {
		var out createResult
		e.GraphQLAs(t, asSales, createPayment, paymentInput(100_000, kassatest.CardOK, nil)).Decode(t, &out)
		require.Empty(t, out.CreateTerminalPayment.UserErrors)
		require.Equal(t, "CAPTURED", out.CreateTerminalPayment.Payment.Status)
		e.GraphQLAs(t, asAdmin, createPayment, paymentInput(900_000, kassatest.CardOK, nil)).Decode(t, &out)
		require.Empty(t, out.CreateTerminalPayment.UserErrors, "admins have no limit")
	})
	t.Run("RemovedLimitNoLongerApplies", func(t *testing.T) {
		var out limitResult
		e.GraphQLAs(t, asAdmin, setLimit, map[string]any{"user": sales.GlobalID, "max": nil}).Decode(t, &out)
		require.Empty(t, out.SetUserPaymentLimit.UserErrors)
		require.Nil(t, out.SetUserPaymentLimit.User.PaymentLimit)
		var pay createResult
		e.GraphQLAs(t, asSales, createPayment, paymentInput(200_000, kassatest.CardOK, nil)).Decode(t, &pay)
		require.Empty(t, pay.CreateTerminalPayment.UserErrors)
	})

	type auditPage struct {
		AuditEvents struct {
			Edges []struct {
				Cursor string
				Node   struct {
					ID          string
					Action      string
					Actor       *struct{ ID string }
					SubjectUser *struct{ ID string } `json:"subjectUser"`
					Amount      *struct{ Amount int64 }
				} `json:"node"`
			} `json:"edges"`
			PageInfo struct {
				HasNextPage bool    `json:"hasNextPage"`
				EndCursor   *string `json:"endCursor"`
			} `json:"pageInfo"`
		} `json:"auditEvents"`
	}
	const audit = `query($first: Int, $after: String) { auditEvents(first: $first, after: $after) {
		edges { cursor node { id action actor { id } subjectUser { id } amount { amount } } } pageInfo { hasNextPage endCursor } } }`
	t.Run("AuditTrailHasLimitChanges", func(t *testing.T) {
		var out auditPage
		e.GraphQLAs(t, asAdmin, audit, map[string]any{"first": 20}).Decode(t, &out)
		var actions []string
		for _, ed := range out.AuditEvents.Edges {
			actions = append(actions, ed.Node.Action)
		}
		require.Equal(t, []string{"payment.created", "user.payment_limit_removed", "payment.created", "payment.created", "user.payment_limit_set"}, actions)
		set := out.AuditEvents.Edges[4].Node
		require.Equal(t, admin.GlobalID, set.Actor.ID)
		require.Equal(t, sales.GlobalID, set.SubjectUser.ID)
		require.Equal(t, int64(100_000), set.Amount.Amount)
		require.Equal(t, sales.GlobalID, out.AuditEvents.Edges[0].Node.Actor.ID)
		require.Equal(t, admin.GlobalID, out.AuditEvents.Edges[2].Node.Actor.ID)

		// Paging one by one walks the same trail.
		var walked []string
		var after any
		for {
			var pg auditPage
			e.GraphQLAs(t, asAdmin, audit, map[string]any{"first": 1, "after": after}).Decode(t, &pg)
			for _, ed := range pg.AuditEvents.Edges {
				walked = append(walked, ed.Node.Action)
			}
			if !pg.AuditEvents.PageInfo.HasNextPage {
				break
			}
			after = *pg.AuditEvents.PageInfo.EndCursor
		}
		require.Equal(t, actions, walked)
	})
	t.Run("SalesSeeTheirOwnTrail", func(t *testing.T) {
		var out auditPage
		e.GraphQLAs(t, asSales, audit, map[string]any{"first": 20}).Decode(t, &out)
		require.Len(t, out.AuditEvents.Edges, 2)
		for _, ed := range out.AuditEvents.Edges {
			require.Equal(t, sales.GlobalID, ed.Node.Actor.ID)
		}
		var other auditPage
		e.GraphQLAs(t, asSales, `query($a: ID!) { auditEvents(filter: {actorId: $a}) { edges { node { id action } } pageInfo { hasNextPage } } }`,
			map[string]any{"a": admin.GlobalID}).Decode(t, &other)
		require.Empty(t, other.AuditEvents.Edges)
	})
	t.Run("AuditEntriesCannotBeChanged", func(t *testing.T) {
		ctx := context.Background()
		conn, err := e.SQL.Connx(ctx)
		require.NoError(t, err)
		defer conn.Close()
		_, err = conn.ExecContext(ctx, `SET ROLE kassa_app`)
		require.NoError(t, err)
		defer func() { _, _ = conn.ExecContext(ctx, `RESET ROLE`) }()
		_, err = conn.ExecContext(ctx, `SELECT set_config('kassa.merchant_id', $1, false)`, e.Merchant.Merchant.ID.String())
		require.NoError(t, err)
		for _, stmt := range []string{`DELETE FROM audit_events`, `UPDATE audit_events SET detail = 'x'`} {
			_, err = conn.ExecContext(ctx, stmt)
			require.ErrorContains(t, err, "permission denied", stmt)
		}
		var n int
		require.NoError(t, conn.GetContext(ctx, &n, `SELECT count(*) FROM audit_events`))
		require.Equal(t, 2, n, "the application reads the trail")
	})
}

// TestConcurrentChargesOnASmallPool: more sales at once than the database
// pools have connections. A sale holds a lock while it works, and the
// work needs connections of its own: the lock must never take the last
// one (it did once, and every sale waited forever).
func TestConcurrentChargesOnASmallPool(t *testing.T) {
	t.Setenv("KASSA_TEST_DB_CONNS", "2")
	e := kassatest.Start(t)
	const n = 8
	results := make(chan createResult, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			var out createResult
			e.GraphQL(t, createPayment, paymentInput(int64(1000+i), "4242 4242 4242 4242", nil)).Decode(t, &out)
			results <- out
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the sales did not finish in 30 s: the pool is starved")
	}
	close(results)
	got := 0
	for r := range results {
		require.Empty(t, r.CreateTerminalPayment.UserErrors)
		require.Equal(t, "CAPTURED", r.CreateTerminalPayment.Payment.Status)
		got++
	}
	require.Equal(t, n, got)
}
