package e2e

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"kassa/kassatest"
)

// mailFrom is the sender address kassa is configured with.
const mailFrom = kassatest.MailFrom

// eventually polls cond every 100 ms until it holds, failing the test
// after timeout.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	kassatest.Poll(t, timeout, 100*time.Millisecond, what, cond)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// env is one running kassa (see kassatest) and the mailpit it sends
// through.
type env struct {
	*kassatest.Env
	mail *kassatest.Mailpit
}

// setup starts kassa for this test, sending mail through mp.
func setup(t *testing.T, mp *kassatest.Mailpit, extra ...kassatest.Option) *env {
	t.Helper()
	opts := []kassatest.Option{kassatest.LogLevel("info"), kassatest.SMTP("smtp://" + mp.SMTPAddr),
		kassatest.Merchant(kassatest.MerchantNamed("Snickeri Nord AB"))}
	e := &env{Env: kassatest.Start(t, append(opts, extra...)...), mail: mp}
	e.Client = &http.Client{Timeout: 60 * time.Second}
	return e
}

// waitJobsIdle waits until no email job is waiting to be worked or
// retried, so a count of delivered mail is final.
func (e *env) waitJobsIdle(t *testing.T) {
	t.Helper()
	eventually(t, 90*time.Second, "all email jobs to finish", func() bool {
		return e.Count(t, `SELECT count(*) FROM river_job WHERE kind = 'mailer.send' AND state NOT IN ('completed', 'discarded', 'cancelled')`) == 0
	})
	require.Zero(t, e.Count(t, `SELECT count(*) FROM river_job WHERE kind = 'mailer.send' AND state <> 'completed'`),
		"an email job was discarded or cancelled")
}

// emailJobs counts the email jobs of a kind (order_confirmation, receipt,
// …) to a recipient.
func (e *env) emailJobs(t *testing.T, kind, to string) int {
	t.Helper()
	return e.Count(t, `SELECT count(*) FROM river_job WHERE kind = 'mailer.send'
		AND args->'message'->>'kind' = $1 AND args->'message'->>'to' = $2`, kind, to)
}

type userError = kassatest.UserError

type moneyView struct {
	Amount    int64  `json:"amount"`
	Currency  string `json:"currency"`
	Formatted string `json:"formatted"`
}

type paymentView struct {
	ID           string    `json:"id"`
	Status       string    `json:"status"`
	Amount       moneyView `json:"amount"`
	Captured     moneyView `json:"captured"`
	Capturable   moneyView `json:"capturable"`
	ThreeDSecure string    `json:"threeDSecure"`
	FailureCode  string    `json:"failureCode"`
	Events       []struct {
		Type   string `json:"type"`
		Status string `json:"status"`
	} `json:"events"`
}

type linkView struct {
	ID       string `json:"id"`
	URL      string `json:"url"`
	Status   string `json:"status"`
	Views    int    `json:"views"`
	Attempts int    `json:"attempts"`
}

type orderView struct {
	ID          string    `json:"id"`
	Number      int64     `json:"number"`
	Status      string    `json:"status"`
	CaptureMode string    `json:"captureMode"`
	Paid        moneyView `json:"paid"`
	PaidAt      string    `json:"paidAt"`
	Totals      struct {
		Net   moneyView `json:"net"`
		VAT   moneyView `json:"vat"`
		Gross moneyView `json:"gross"`
	} `json:"totals"`
	Lines []struct {
		Description string    `json:"description"`
		Quantity    int64     `json:"quantity"`
		Gross       moneyView `json:"gross"`
	} `json:"lines"`
	Payments      []paymentView `json:"payments"`
	PaymentLinks  []linkView    `json:"paymentLinks"`
	Confirmations []struct {
		ID         string  `json:"id"`
		Version    int     `json:"version"`
		AcceptedAt *string `json:"acceptedAt"`
		AcceptedIP *string `json:"acceptedIp"`
	} `json:"confirmations"`
}

const orderFields = `id number status captureMode paidAt
	paid { amount currency formatted }
	totals { net { amount currency formatted } vat { amount currency formatted } gross { amount currency formatted } }
	lines { description quantity gross { amount currency formatted } }
	payments { id status threeDSecure failureCode amount { amount } captured { amount } capturable { amount } events { type status } }
	paymentLinks { id url status views attempts }
	confirmations { id version acceptedAt acceptedIp }`

// line is an order line input.
func line(description string, quantity, unitPrice int64, vatRate int) map[string]any {
	return map[string]any{"description": description, "quantity": quantity, "unitPrice": unitPrice, "vatRate": vatRate}
}

// orderInput is a createOrder input for a Swedish customer.
func orderInput(name, email string, lines ...map[string]any) map[string]any {
	if lines == nil {
		lines = []map[string]any{} // [], not null
	}
	return map[string]any{
		"customer": map[string]any{"name": name, "email": email, "locale": "sv"},
		"lines":    lines,
	}
}

// customerEmail is an address no other test uses.
func customerEmail(who string) string {
	return who + "-" + randomHex(4) + "@example.com"
}

func (e *env) createOrderKey(t *testing.T, key string, input map[string]any) (*orderView, []userError) {
	t.Helper()
	var out struct {
		CreateOrder struct {
			Order      *orderView  `json:"order"`
			UserErrors []userError `json:"userErrors"`
		} `json:"createOrder"`
	}
	e.QueryKey(t, key, `mutation($input: CreateOrderInput!) { createOrder(input: $input) {
		order { `+orderFields+` } userErrors { field message code } } }`, map[string]any{"input": input}, &out)
	return out.CreateOrder.Order, out.CreateOrder.UserErrors
}

func (e *env) createOrder(t *testing.T, input map[string]any) (*orderView, []userError) {
	t.Helper()
	return e.createOrderKey(t, e.APIKey, input)
}

// mustCreateOrder creates an order that must be valid.
func (e *env) mustCreateOrder(t *testing.T, input map[string]any) orderView {
	t.Helper()
	o, errs := e.createOrder(t, input)
	require.Empty(t, errs)
	require.NotNil(t, o)
	require.Equal(t, "DRAFT", o.Status)
	return *o
}

// sendConfirmation calls sendOrderConfirmation with input.
func (e *env) sendConfirmation(t *testing.T, input map[string]any) (*linkView, []userError) {
	t.Helper()
	var out struct {
		Send struct {
			Confirmation *struct {
				ID string `json:"id"`
			} `json:"confirmation"`
			PaymentLink *linkView   `json:"paymentLink"`
			UserErrors  []userError `json:"userErrors"`
		} `json:"sendOrderConfirmation"`
	}
	e.Query(t, `mutation($input: SendOrderConfirmationInput!) { sendOrderConfirmation(input: $input) {
		confirmation { id } paymentLink { id url status views attempts } userErrors { field message code } } }`,
		map[string]any{"input": input}, &out)
	return out.Send.PaymentLink, out.Send.UserErrors
}

// mustSend sends an order's confirmation and returns its payment link.
func (e *env) mustSend(t *testing.T, orderID string) linkView {
	t.Helper()
	l, errs := e.sendConfirmation(t, map[string]any{"orderId": orderID})
	require.Empty(t, errs)
	require.NotNil(t, l)
	require.True(t, strings.HasPrefix(l.URL, e.URL+"/pay/"), "link %s is not under %s/pay/", l.URL, e.URL)
	require.Equal(t, "ACTIVE", l.Status)
	return *l
}

func (e *env) orderKey(t *testing.T, key, id string) *orderView {
	t.Helper()
	var out struct {
		Node *orderView `json:"node"`
	}
	e.QueryKey(t, key, `query($id: ID!) { node(id: $id) { ... on Order { `+orderFields+` } } }`, map[string]any{"id": id}, &out)
	return out.Node
}

// order fetches an order of the test's merchant.
func (e *env) order(t *testing.T, id string) orderView {
	t.Helper()
	o := e.orderKey(t, e.APIKey, id)
	require.NotNil(t, o, "order %s not found", id)
	return *o
}

// waitOrder polls the order until it has status.
func (e *env) waitOrder(t *testing.T, id, status string) orderView {
	t.Helper()
	var o orderView
	eventually(t, 30*time.Second, fmt.Sprintf("order %s to be %s", id, status), func() bool {
		o = e.order(t, id)
		return o.Status == status
	})
	return o
}

// markDelivered calls markOrderDelivered; amount nil captures the rest.
func (e *env) markDelivered(t *testing.T, orderID string, amount *int64) (*orderView, []userError) {
	t.Helper()
	input := map[string]any{"orderId": orderID}
	if amount != nil {
		input["amount"] = *amount
	}
	var out struct {
		M struct {
			Order      *orderView  `json:"order"`
			UserErrors []userError `json:"userErrors"`
		} `json:"markOrderDelivered"`
	}
	e.Query(t, `mutation($input: MarkOrderDeliveredInput!) { markOrderDelivered(input: $input) {
		order { `+orderFields+` } userErrors { field message code } } }`, map[string]any{"input": input}, &out)
	return out.M.Order, out.M.UserErrors
}
