package bench

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"
)

func TestZZProbe(t *testing.T) {
	if os.Getenv("PROBE") == "" {
		t.Skip()
	}
	ctx := context.Background()
	e, err := setupEnv(ctx, Options{Duration: time.Second}, newProgress(os.Stderr))
	if err != nil {
		t.Fatal(err)
	}
	defer e.close()
	c, _, err := e.merchant(ctx, "probe")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := range 55 {
		id, err := c.checkout(ctx, i, nil)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	for _, q := range []struct {
		name, q string
		v       map[string]any
	}{
		{"typename", `{ __typename }`, nil},
		{"viewer", `{ viewer { merchant { id } } }`, nil},
		{"node", orderStatusQuery, map[string]any{"id": ids[0]}},
		{"orders1-min", `{ orders(first: 1) { edges { node { id } } } }`, nil},
		{"orders50-min", `{ orders(first: 50) { edges { node { id } } } }`, nil},
		{"orders50-lines", `{ orders(first: 50) { edges { node { id lines { description gross { amount } } } } } }`, nil},
		{"orders50-payments", `{ orders(first: 50) { edges { node { id payments { status } } } } }`, nil},
		{"orders50-full", ordersPageQuery, map[string]any{"first": 50}},
	} {
		for range 5 {
			_ = c.graphql(ctx, q.q, q.v, nil)
		}
		n := 40
		start := time.Now()
		for range n {
			if err := c.graphql(ctx, q.q, q.v, nil); err != nil {
				t.Fatal(err)
			}
		}
		fmt.Printf("%-20s %.2f ms\n", q.name, float64(time.Since(start).Microseconds())/1000/float64(n))
	}
}
