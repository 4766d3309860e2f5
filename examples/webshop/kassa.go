package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Kassa is a minimal client of kassa's GraphQL API: a POST with the API
// key, an Idempotency-Key on mutations so a retry never does anything
// twice, and userErrors turned into errors.
type Kassa struct {
	URL    string // kassa's base URL
	APIKey string
	HTTP   *http.Client
}

// UserError is something kassa says the caller can fix.
type UserError struct {
	Field   []string `json:"field"`
	Message string   `json:"message"`
	Code    string   `json:"code"`
}

// UserErrors is the userErrors of a mutation's payload.
type UserErrors []UserError

func (u UserErrors) Error() string {
	if len(u) == 0 {
		return "no errors"
	}
	return fmt.Sprintf("kassa: %s (%s)", u[0].Message, u[0].Code)
}

// do runs one GraphQL request and decodes data into out.
func (k *Kassa) do(ctx context.Context, idempotencyKey, query string, vars map[string]any, out any) error {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, k.URL+"/graphql", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+k.APIKey)
	if idempotencyKey != "" {
		req.Header.Set("Idempotency-Key", idempotencyKey)
	}
	client := k.HTTP
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	var r struct {
		Data   json.RawMessage `json:"data"`
		Errors []struct {
			Message string `json:"message"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		return fmt.Errorf("kassa answered HTTP %d: %.200s", resp.StatusCode, raw)
	}
	if len(r.Errors) > 0 {
		return fmt.Errorf("kassa: %s", r.Errors[0].Message)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("kassa answered HTTP %d", resp.StatusCode)
	}
	return json.Unmarshal(r.Data, out)
}

// Line is an order line as kassa takes it: unit price in minor units
// (öre) including VAT, VAT rate in basis points (2500 = 25 %).
type Line struct {
	Description string `json:"description"`
	Quantity    int    `json:"quantity"`
	UnitPrice   int64  `json:"unitPrice"`
	VATRate     int    `json:"vatRate"`
}

// CheckoutRequest is what the shop asks kassa for.
type CheckoutRequest struct {
	Lines       []Line
	Currency    string
	CaptureMode string // IMMEDIATE or RESERVE
	Reference   string // the shop's own order number
	Email       string
	SuccessURL  string
	CancelURL   string
}

// Checkout is kassa's answer.
type Checkout struct {
	ID     string `json:"id"`
	URL    string `json:"url"`
	Status string `json:"status"`
	Order  struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	} `json:"order"`
}

// CreateCheckout makes the checkout for an order; the idempotency key is
// the shop's order number, so a retried request makes no second checkout.
func (k *Kassa) CreateCheckout(ctx context.Context, r CheckoutRequest) (Checkout, error) {
	input := map[string]any{"lines": r.Lines, "currency": r.Currency, "captureMode": r.CaptureMode, "reference": r.Reference,
		"successUrl": r.SuccessURL, "cancelUrl": r.CancelURL}
	if r.Email != "" {
		input["customer"] = map[string]any{"email": r.Email}
	}
	var out struct {
		CreateCheckout struct {
			Checkout   *Checkout  `json:"checkout"`
			UserErrors UserErrors `json:"userErrors"`
		} `json:"createCheckout"`
	}
	err := k.do(ctx, "webshop-checkout-"+r.Reference, `mutation($input: CreateCheckoutInput!) {
		createCheckout(input: $input) { checkout { id url status order { id status } } userErrors { field message code } } }`,
		map[string]any{"input": input}, &out)
	if err != nil {
		return Checkout{}, err
	}
	if len(out.CreateCheckout.UserErrors) > 0 || out.CreateCheckout.Checkout == nil {
		return Checkout{}, out.CreateCheckout.UserErrors
	}
	return *out.CreateCheckout.Checkout, nil
}

// CheckoutStatus asks kassa where a checkout stands (OPEN, COMPLETE,
// EXPIRED): a server-to-server question the shop may trust, unlike the
// shopper's redirect.
func (k *Kassa) CheckoutStatus(ctx context.Context, id string) (string, error) {
	var out struct {
		Checkout *struct {
			Status string `json:"status"`
		} `json:"checkout"`
	}
	if err := k.do(ctx, "", `query($id: ID!) { checkout(id: $id) { status } }`, map[string]any{"id": id}, &out); err != nil {
		return "", err
	}
	if out.Checkout == nil {
		return "", fmt.Errorf("kassa knows no checkout %s", id)
	}
	return out.Checkout.Status, nil
}

// Deliver captures a RESERVE order's reservation: the shop calls it when
// the goods ship.
func (k *Kassa) Deliver(ctx context.Context, kassaOrderID string) error {
	var out struct {
		MarkOrderDelivered struct {
			UserErrors UserErrors `json:"userErrors"`
		} `json:"markOrderDelivered"`
	}
	if err := k.do(ctx, "webshop-deliver-"+kassaOrderID, `mutation($id: ID!) {
		markOrderDelivered(input: {orderId: $id}) { userErrors { field message code } } }`, map[string]any{"id": kassaOrderID}, &out); err != nil {
		return err
	}
	if len(out.MarkOrderDelivered.UserErrors) > 0 {
		return out.MarkOrderDelivered.UserErrors
	}
	return nil
}

// RegisterWebhook creates a webhook endpoint for url (first deleting any
// earlier one with the same URL) and returns its signing secret.
func (k *Kassa) RegisterWebhook(ctx context.Context, url string, events []string) (string, error) {
	var list struct {
		WebhookEndpoints struct {
			Edges []struct {
				Node struct {
					ID  string `json:"id"`
					URL string `json:"url"`
				} `json:"node"`
			} `json:"edges"`
		} `json:"webhookEndpoints"`
	}
	if err := k.do(ctx, "", `{ webhookEndpoints(first: 100) { edges { node { id url } } } }`, nil, &list); err != nil {
		return "", err
	}
	for _, e := range list.WebhookEndpoints.Edges {
		if e.Node.URL != url {
			continue
		}
		var del struct{}
		if err := k.do(ctx, "", `mutation($id: ID!) { deleteWebhookEndpoint(input: {webhookEndpointId: $id}) { userErrors { code } } }`,
			map[string]any{"id": e.Node.ID}, &del); err != nil {
			return "", err
		}
	}
	var out struct {
		CreateWebhookEndpoint struct {
			Secret     *string    `json:"secret"`
			UserErrors UserErrors `json:"userErrors"`
		} `json:"createWebhookEndpoint"`
	}
	if err := k.do(ctx, "", `mutation($url: String!, $events: [String!]!) {
		createWebhookEndpoint(input: {url: $url, events: $events, description: "example webshop"}) { secret userErrors { field message code } } }`,
		map[string]any{"url": url, "events": events}, &out); err != nil {
		return "", err
	}
	if len(out.CreateWebhookEndpoint.UserErrors) > 0 || out.CreateWebhookEndpoint.Secret == nil {
		return "", out.CreateWebhookEndpoint.UserErrors
	}
	return *out.CreateWebhookEndpoint.Secret, nil
}
