package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"time"
)

// client talks to kassa as an integrator does (GraphQL with an API key)
// and as a customer does (the hosted payment page).
type client struct {
	http *http.Client
	base string
	key  string
}

type gqlError struct {
	Message    string `json:"message"`
	Extensions struct {
		Code string `json:"code"`
	} `json:"extensions"`
}

type userError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func userErr(op string, ue []userError) error {
	if len(ue) == 0 {
		return nil
	}
	return fmt.Errorf("%s: %s: %s", op, ue[0].Code, ue[0].Message)
}

var opName = regexp.MustCompile(`^\s*(?:query|mutation)\s+(\w+)`)

// graphql posts a query and decodes its data into out.
func (c *client) graphql(ctx context.Context, query string, vars map[string]any, out any) error {
	op := "graphql"
	if m := opName.FindStringSubmatch(query); m != nil {
		op = m[1]
	}
	return c.graphqlOp(ctx, op, query, vars, out)
}

// graphqlOp is graphql with the operation named for the SQL tally.
func (c *client) graphqlOp(ctx context.Context, op, query string, vars map[string]any, out any) error {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/graphql", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set(opHeader, op)
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	var r struct {
		Data   json.RawMessage `json:"data"`
		Errors []gqlError      `json:"errors"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return fmt.Errorf("HTTP %d: %s", resp.StatusCode, truncate(string(b), 200))
	}
	if len(r.Errors) > 0 {
		return fmt.Errorf("graphql: %s: %s", r.Errors[0].Extensions.Code, r.Errors[0].Message)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d: %s", resp.StatusCode, truncate(string(b), 200))
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(r.Data, out)
}

// mutationFields lists the schema's mutations (introspection), to tell
// which scenarios the server can run yet.
func (c *client) mutationFields(ctx context.Context) (map[string]bool, error) {
	var out struct {
		Type struct {
			Fields []struct{ Name string } `json:"fields"`
		} `json:"__type"`
	}
	if err := c.graphql(ctx, `{ __type(name: "Mutation") { fields { name } } }`, nil, &out); err != nil {
		return nil, err
	}
	m := map[string]bool{}
	for _, f := range out.Type.Fields {
		m[f.Name] = true
	}
	return m, nil
}

const createOrderMutation = `mutation CreateOrder($input: CreateOrderInput!) {
  createOrder(input: $input) { order { id } userErrors { code message } }
}`

const sendConfirmationMutation = `mutation SendOrderConfirmation($input: SendOrderConfirmationInput!) {
  sendOrderConfirmation(input: $input) { paymentLink { url } userErrors { code message } }
}`

const orderStatusQuery = `query OrderStatus($id: ID!) { node(id: $id) { ... on Order { status } } }`

// orderInput is a salesperson's typical order: three lines at the three
// Swedish VAT rates.
func orderInput(n int) map[string]any {
	return map[string]any{
		"customer": map[string]any{"name": fmt.Sprintf("Kund %d", n), "email": fmt.Sprintf("kund%d@example.test", n), "locale": "sv"},
		"lines": []map[string]any{
			{"description": "Konsulttimme", "quantity": 2, "unitPrice": 125000, "vatRate": 2500},
			{"description": "Lunch", "quantity": 1, "unitPrice": 11200, "vatRate": 1200},
			{"description": "Handbok", "quantity": 1, "unitPrice": 31800, "vatRate": 600},
		},
		"reference": fmt.Sprintf("bench-%d", n),
	}
}

// createAndSend makes an order and sends its confirmation; it returns the
// order's id and the payment link's token.
func (c *client) createAndSend(ctx context.Context, n int) (orderID, token string, err error) {
	var co struct {
		CreateOrder struct {
			Order      *struct{ ID string }
			UserErrors []userError
		}
	}
	if err := c.graphql(ctx, createOrderMutation, map[string]any{"input": orderInput(n)}, &co); err != nil {
		return "", "", fmt.Errorf("createOrder: %w", err)
	}
	if err := userErr("createOrder", co.CreateOrder.UserErrors); err != nil {
		return "", "", err
	}
	orderID = co.CreateOrder.Order.ID
	var sc struct {
		SendOrderConfirmation struct {
			PaymentLink *struct{ URL string }
			UserErrors  []userError
		}
	}
	if err := c.graphql(ctx, sendConfirmationMutation, map[string]any{"input": map[string]any{"orderId": orderID}}, &sc); err != nil {
		return "", "", fmt.Errorf("sendOrderConfirmation: %w", err)
	}
	if err := userErr("sendOrderConfirmation", sc.SendOrderConfirmation.UserErrors); err != nil {
		return "", "", err
	}
	u := sc.SendOrderConfirmation.PaymentLink.URL
	i := strings.LastIndex(u, "/pay/")
	if i < 0 {
		return "", "", fmt.Errorf("sendOrderConfirmation: unexpected link %q", u)
	}
	return orderID, u[i+len("/pay/"):], nil
}

var hiddenField = regexp.MustCompile(`name="(csrf_token|attempt|checkout|lang|mandate_terms)" value="([^"]*)"`)

// payByCard opens the payment page as the customer's browser does and
// pays with card: the CSRF cookie and the form's hidden fields go back
// with the card fields. It returns once kassa has taken the payment (the
// redirect to the status page); the order is marked paid on the
// processor's callback. A subscription's first payment also agrees to
// its terms (mandate), which the page requires.
func (c *client) payByCard(ctx context.Context, token, card string, opened func()) error {
	page := c.base + "/pay/" + token
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, page, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept-Language", "sv")
	req.Header.Set(opHeader, "payment page (GET)")
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("payment page: %w", err)
	}
	html, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return fmt.Errorf("payment page: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("payment page: HTTP %d", resp.StatusCode)
	}
	form := url.Values{"accept": {"yes"}, "mandate": {"yes"}, "lang": {"sv"}, "cardNumber": {card}, "expiry": {"12/34"}, "cvc": {"123"},
		"cardholder": {"Bench Kund"}}
	for _, m := range hiddenField.FindAllSubmatch(html, -1) {
		form.Set(string(m[1]), string(m[2]))
	}
	if form.Get("csrf_token") == "" || form.Get("attempt") == "" || form.Get("checkout") == "" {
		return errors.New("payment page: no card form")
	}
	if opened != nil {
		opened()
	}
	req, err = http.NewRequestWithContext(ctx, http.MethodPost, page, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", c.base)
	req.Header.Set(opHeader, "pay (POST)")
	for _, ck := range resp.Cookies() {
		req.AddCookie(ck)
	}
	resp, err = c.http.Do(req)
	if err != nil {
		return fmt.Errorf("pay: %w", err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "/status?payment=") {
		return fmt.Errorf("pay: HTTP %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	return nil
}

// waitPaid polls the order through GraphQL until it is PAID.
func (c *client) waitPaid(ctx context.Context, orderID string, every, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		var out struct {
			Node *struct{ Status string }
		}
		if err := c.graphql(ctx, orderStatusQuery, map[string]any{"id": orderID}, &out); err != nil {
			return fmt.Errorf("order status: %w", err)
		}
		if out.Node == nil {
			return errors.New("order status: order not found")
		}
		if out.Node.Status == "PAID" {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("order still %s after %s", out.Node.Status, timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(every):
		}
	}
}

// flowSteps are the parts of a checkout flow, timed separately so the
// report can say where a flow's time goes.
var flowSteps = [...]string{"createOrder+sendOrderConfirmation", "open payment page", "pay (POST)", "until PAID visible"}

type stepTimes struct {
	total [len(flowSteps)]atomic.Int64 // nanoseconds
	count [len(flowSteps)]atomic.Int64
}

func (s *stepTimes) add(i int, since time.Time) time.Time {
	now := time.Now()
	if s != nil {
		s.total[i].Add(int64(now.Sub(since)))
		s.count[i].Add(1)
	}
	return now
}

// summary gives each step's mean duration.
func (s *stepTimes) summary() string {
	var parts []string
	for i, name := range flowSteps {
		if n := s.count[i].Load(); n > 0 {
			parts = append(parts, fmt.Sprintf("%s %.1f ms", name, float64(s.total[i].Load())/float64(n)/1e6))
		}
	}
	return strings.Join(parts, ", ")
}

// checkout is the whole salesperson-to-paid flow for one order.
func (c *client) checkout(ctx context.Context, n int, st *stepTimes) (string, error) {
	t := time.Now()
	orderID, token, err := c.createAndSend(ctx, n)
	if err != nil {
		return "", err
	}
	t = st.add(0, t)
	if err := c.payByCard(ctx, token, "4242 4242 4242 4242", func() { t = st.add(1, t) }); err != nil {
		return orderID, err
	}
	t = st.add(2, t)
	if err := c.waitPaid(ctx, orderID, 20*time.Millisecond, 30*time.Second); err != nil {
		return orderID, err
	}
	st.add(3, t)
	return orderID, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
