package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

var (
	usageSingleTarget = Target{Min: 3000}
	usageBatchTarget  = Target{Min: 50000, Factor: 0.5, Baseline: InsertRowsPerS}
)

const usageBatchSize = 1000

const createSubscriptionMutation = `mutation CreateSubscription($input: CreateSubscriptionInput!) {
  createSubscription(input: $input) { subscription { id status } paymentLink { url } userErrors { code message } }
}`

const subscriptionStatusQuery = `query SubscriptionStatus($id: ID!) { node(id: $id) { ... on BillingSubscription { status } } }`

const reportUsageMutation = `mutation ReportUsage($input: ReportUsageInput!) {
  reportUsage(input: $input) { duplicate userErrors { code message } }
}`

// An integrator checks each event's result: the batch answers one per
// event.
const reportUsageBatchMutation = `mutation ReportUsageBatch($input: ReportUsageBatchInput!) {
  reportUsageBatch(input: $input) { accepted results { index userErrors { code } } userErrors { code message } }
}`

// usage: an integrator reporting metered usage, one event per request
// (reportUsage) and 1,000 per request (reportUsageBatch), each worker on a
// subscription of its own. Throughput counts events accepted.
func runUsage(ctx context.Context, e *env, b Baseline) []Result {
	conc := e.opts.concurrency(8)
	single := Result{Name: "usage-single", Unit: "events/s", Concurrency: conc, target: usageSingleTarget}
	batch := Result{Name: "usage-batch", Unit: "events/s", Concurrency: conc, target: usageBatchTarget}
	c, _, err := e.merchant(ctx, "usage")
	if err != nil {
		return []Result{failed(single, err, b), failed(batch, err, b)}
	}
	subs := make([]string, conc)
	err = timed(e, "usage: "+strconv.Itoa(conc)+" subscriptions", func() error {
		return forEach(ctx, conc, conc, func(ctx context.Context, i int) error {
			id, err := c.activeSubscription(ctx, i, map[string]any{"kind": "USAGE", "unitPrice": 150, "currency": "SEK",
				"interval": "MONTHLY", "aggregation": "SUM"})
			subs[i] = id
			return err
		})
	})
	if err != nil {
		err = fmt.Errorf("prepare subscriptions: %w", err)
		return []Result{failed(single, err, b), failed(batch, err, b)}
	}
	run := uuid.NewString()[:8]

	rec := newRecorder()
	st0, tx0 := allSQL.statements.Load(), allSQL.txs.Load()
	e.takeTally()
	times0 := scrapeServer(ctx, e)
	elapsed := closedLoop(ctx, "usage: reportUsage", e.opts.Duration, conc, e.prog, rec, func(ctx context.Context, w, n int) (int, error) {
		var out struct {
			ReportUsage struct {
				Duplicate  bool
				UserErrors []userError
			}
		}
		err := c.graphql(ctx, reportUsageMutation, map[string]any{"input": map[string]any{
			"subscriptionId": subs[w], "quantity": 1, "occurredAt": time.Now().UTC().Format(time.RFC3339Nano),
			"idempotencyKey": "s-" + run + "-" + strconv.Itoa(n)}}, &out)
		if err == nil {
			err = userErr("reportUsage", out.ReportUsage.UserErrors)
		}
		if err == nil && out.ReportUsage.Duplicate {
			err = errors.New("reportUsage: a fresh key counted as a duplicate")
		}
		return 1, err
	})
	single.finish(rec.summarize(elapsed), elapsed.Seconds(), b)
	times1 := scrapeServer(ctx, e)
	if bd := breakdown(times0, times1, rec.ok.Load()); bd != "" {
		single.Notes = append(single.Notes, "server, per request (requests × mean latency): "+bd)
	}
	if note := e.sqlNote(rec.ok.Load(), st0, tx0); note != "" {
		single.Notes = append(single.Notes, "SQL per event: "+note)
	}
	st0, tx0 = allSQL.statements.Load(), allSQL.txs.Load()

	rec = newRecorder()
	elapsed = closedLoop(ctx, "usage: reportUsageBatch", e.opts.Duration, conc, e.prog, rec, func(ctx context.Context, w, n int) (int, error) {
		body := usageBatchBody(subs[w], "b-"+run+"-"+strconv.Itoa(n)+"-", usageBatchSize, time.Now().UTC())
		accepted, err := c.reportBatch(ctx, body)
		if err == nil && accepted != usageBatchSize {
			err = fmt.Errorf("reportUsageBatch: %d of %d events accepted", accepted, usageBatchSize)
		}
		return accepted, err
	})
	batch.finish(rec.summarize(elapsed), elapsed.Seconds(), b)
	if bd := breakdown(times1, scrapeServer(ctx, e), rec.ok.Load()); bd != "" {
		batch.Notes = append(batch.Notes, "server, per request (requests × mean latency): "+bd)
	}
	if note := e.sqlNote(rec.ok.Load(), st0, tx0); note != "" {
		batch.Notes = append(batch.Notes, "SQL per request of 1,000 events: "+note)
	}
	batch.Notes = append(batch.Notes, fmt.Sprintf("%d events per request, each event's result read back; latency is per request", usageBatchSize))
	return []Result{single, batch}
}

// activeSubscription creates a subscription on plan and pays its first
// payment on the hosted page (storing the card as the mandate), then
// waits until the subscription is ACTIVE. It returns the subscription's
// id.
func (c *client) activeSubscription(ctx context.Context, n int, plan map[string]any) (string, error) {
	var out struct {
		CreateSubscription struct {
			Subscription *struct{ ID string }
			PaymentLink  *struct{ URL string }
			UserErrors   []userError
		}
	}
	err := c.graphql(ctx, createSubscriptionMutation, map[string]any{"input": map[string]any{
		"customer": map[string]any{"name": fmt.Sprintf("Abonnent %d", n), "email": fmt.Sprintf("abonnent%d@example.test", n), "locale": "sv"},
		"plan":     plan,
	}}, &out)
	if err != nil {
		return "", fmt.Errorf("createSubscription: %w", err)
	}
	if err := userErr("createSubscription", out.CreateSubscription.UserErrors); err != nil {
		return "", err
	}
	if out.CreateSubscription.Subscription == nil || out.CreateSubscription.PaymentLink == nil {
		return "", errors.New("createSubscription: no subscription or payment link")
	}
	id, link := out.CreateSubscription.Subscription.ID, out.CreateSubscription.PaymentLink.URL
	i := strings.LastIndex(link, "/pay/")
	if i < 0 {
		return "", fmt.Errorf("createSubscription: unexpected link %q", link)
	}
	if err := c.payByCard(ctx, link[i+len("/pay/"):], "4242 4242 4242 4242", nil); err != nil {
		return "", err
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		var st struct {
			Node *struct{ Status string }
		}
		if err := c.graphql(ctx, subscriptionStatusQuery, map[string]any{"id": id}, &st); err != nil {
			return "", fmt.Errorf("subscription status: %w", err)
		}
		if st.Node != nil && st.Node.Status == "ACTIVE" {
			return id, nil
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("subscription not ACTIVE 30 s after its first payment (%+v)", st.Node)
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// usageBatchBody writes the reportUsageBatch request for n events
// directly: encoding a map of 1,000 events per request would cost the
// bench more CPU than it should take from the server it measures.
func usageBatchBody(subscriptionID, keyPrefix string, n int, at time.Time) []byte {
	var b bytes.Buffer
	b.Grow(n * 150)
	q, _ := json.Marshal(reportUsageBatchMutation)
	b.WriteString(`{"query":`)
	b.Write(q)
	b.WriteString(`,"variables":{"input":{"events":[`)
	ts := at.Format(time.RFC3339Nano)
	var num [20]byte
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"subscriptionId":"`)
		b.WriteString(subscriptionID)
		b.WriteString(`","quantity":1,"occurredAt":"`)
		b.WriteString(ts)
		b.WriteString(`","idempotencyKey":"`)
		b.WriteString(keyPrefix)
		b.Write(strconv.AppendInt(num[:0], int64(i), 10))
		b.WriteString(`"}`)
	}
	b.WriteString(`]}}}`)
	return b.Bytes()
}

// reportBatch posts a prepared reportUsageBatch body and returns how many
// events were accepted.
func (c *client) reportBatch(ctx context.Context, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/graphql", bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set(opHeader, "ReportUsageBatch")
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	var out struct {
		Data *struct {
			ReportUsageBatch struct {
				Accepted int
				Results  []struct {
					UserErrors []userError
				}
				UserErrors []userError
			}
		}
		Errors []gqlError
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return 0, fmt.Errorf("HTTP %d: %s", resp.StatusCode, truncate(string(raw), 200))
	}
	if len(out.Errors) > 0 {
		return 0, fmt.Errorf("graphql: %s: %s", out.Errors[0].Extensions.Code, out.Errors[0].Message)
	}
	if out.Data == nil {
		return 0, fmt.Errorf("HTTP %d: no data", resp.StatusCode)
	}
	r := out.Data.ReportUsageBatch
	if err := userErr("reportUsageBatch", r.UserErrors); err != nil {
		return 0, err
	}
	for _, res := range r.Results {
		if err := userErr("reportUsageBatch event", res.UserErrors); err != nil {
			return r.Accepted, err
		}
	}
	return r.Accepted, nil
}
