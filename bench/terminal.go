package bench

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

const createTerminalPaymentMutation = `mutation CreateTerminalPayment($input: CreateTerminalPaymentInput!) {
  createTerminalPayment(input: $input) { payment { id status } userErrors { code message } }
}`

// terminal: staff keying in card payments (MOTO) through the API, 16 at
// once by default: each request authorizes and captures with the
// processor before it answers.
func runTerminal(ctx context.Context, e *env, b Baseline) []Result {
	r := Result{Name: "terminal", Unit: "payments/s", Concurrency: e.opts.concurrency(16), target: Target{P99Ms: 50}}
	c, _, err := e.merchant(ctx, "terminal")
	if err != nil {
		return []Result{failed(r, err, b)}
	}
	expYear := time.Now().Year() + 3
	rec := newRecorder()
	st0, tx0 := allSQL.statements.Load(), allSQL.txs.Load()
	e.takeTally()
	times0 := scrapeServer(ctx, e)
	elapsed := closedLoop(ctx, "terminal", e.opts.Duration, r.Concurrency, e.prog, rec, func(ctx context.Context, _, n int) (int, error) {
		var out struct {
			CreateTerminalPayment struct {
				Payment    *struct{ ID, Status string }
				UserErrors []userError
			}
		}
		err := c.graphql(ctx, createTerminalPaymentMutation, map[string]any{"input": map[string]any{
			"amount": 12500, "currency": "SEK", "description": "Bench " + strconv.Itoa(n),
			"card": map[string]any{"number": "4242424242424242", "expMonth": 12, "expYear": expYear, "cvc": "123"},
		}}, &out)
		if err != nil {
			return 0, err
		}
		if err := userErr("createTerminalPayment", out.CreateTerminalPayment.UserErrors); err != nil {
			return 0, err
		}
		if p := out.CreateTerminalPayment.Payment; p == nil || p.Status != "CAPTURED" {
			return 0, fmt.Errorf("createTerminalPayment: payment %+v, want CAPTURED", p)
		}
		return 1, nil
	})
	r.finish(rec.summarize(elapsed), elapsed.Seconds(), b)
	if bd := breakdown(times0, scrapeServer(ctx, e), rec.ok.Load()); bd != "" {
		r.Notes = append(r.Notes, "server, per payment (requests × mean latency): "+bd)
	}
	if note := e.sqlNote(rec.ok.Load(), st0, tx0); note != "" {
		r.Notes = append(r.Notes, "SQL per payment: "+note)
	}
	return []Result{r}
}
