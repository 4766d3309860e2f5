package bench

import (
	"cmp"
	"context"
	"database/sql/driver"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// sqlCount counts the SQL statements and transactions run on behalf of one
// HTTP request: the counting handler puts one in the request's context and
// the wrapped driver adds to it whatever runs with that context (or one
// derived from it).
type sqlCount struct {
	statements atomic.Int64
	txs        atomic.Int64
}

type sqlCountKey struct{}

func countFrom(ctx context.Context) *sqlCount {
	c, _ := ctx.Value(sqlCountKey{}).(*sqlCount)
	return c
}

// opHeader names a bench request's operation for the tally (the bench's
// own requests only; the server ignores it).
const opHeader = "X-Bench-Op"

// sqlTally adds up, per operation, the SQL of the requests served through
// the counting listener.
type sqlTally struct {
	mu  sync.Mutex
	ops map[string]*opTally
}

type opTally struct {
	Requests, Statements, Txs int64
	// PerRequest holds each request's statements (the first 10,000).
	PerRequest []int64
}

func newTally() *sqlTally { return &sqlTally{ops: map[string]*opTally{}} }

func (t *sqlTally) add(op string, c *sqlCount) {
	t.mu.Lock()
	defer t.mu.Unlock()
	o := t.ops[op]
	if o == nil {
		o = &opTally{}
		t.ops[op] = o
	}
	st := c.statements.Load()
	o.Requests++
	o.Statements += st
	o.Txs += c.txs.Load()
	if len(o.PerRequest) < 10_000 {
		o.PerRequest = append(o.PerRequest, st)
	}
}

// take returns the tally so far and starts a new one.
func (t *sqlTally) take() map[string]*opTally {
	t.mu.Lock()
	defer t.mu.Unlock()
	ops := t.ops
	t.ops = map[string]*opTally{}
	return ops
}

// countingHandler serves next with a fresh sqlCount per request and adds
// it to the tally under the request's operation.
func countingHandler(next http.Handler, t *sqlTally) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := &sqlCount{}
		op := r.Header.Get(opHeader)
		if op == "" {
			op = r.Method + " " + r.URL.Path
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), sqlCountKey{}, c)))
		t.add(op, c)
	})
}

// countingConnector wraps a driver.Connector so that statements and
// transactions are counted against the sqlCount in their context.
type countingConnector struct{ base driver.Connector }

func wrapCounting(c driver.Connector) driver.Connector { return countingConnector{base: c} }

func (c countingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.base.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: conn}, nil
}

func (c countingConnector) Driver() driver.Driver { return c.base.Driver() }

// countingConn delegates every optional interface lib/pq implements;
// where the driver underneath lacks one, it answers driver.ErrSkip so
// database/sql takes its usual fallback.
type countingConn struct{ driver.Conn }

var (
	_ driver.ConnBeginTx        = (*countingConn)(nil)
	_ driver.ConnPrepareContext = (*countingConn)(nil)
	_ driver.ExecerContext      = (*countingConn)(nil)
	_ driver.QueryerContext     = (*countingConn)(nil)
	_ driver.Pinger             = (*countingConn)(nil)
	_ driver.SessionResetter    = (*countingConn)(nil)
	_ driver.Validator          = (*countingConn)(nil)
	_ driver.NamedValueChecker  = (*countingConn)(nil)
	_ driver.StmtExecContext    = (*countingStmt)(nil)
	_ driver.StmtQueryContext   = (*countingStmt)(nil)
	_ driver.NamedValueChecker  = (*countingStmt)(nil)
	_ driver.Connector          = countingConnector{}
)

// allSQL counts every statement and transaction on the in-process
// server's pools, background work included.
var allSQL sqlCount

func statement(ctx context.Context) {
	allSQL.statements.Add(1)
	if c := countFrom(ctx); c != nil {
		c.statements.Add(1)
	}
}

func (c *countingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	allSQL.txs.Add(1)
	if cc := countFrom(ctx); cc != nil {
		cc.txs.Add(1)
	}
	if b, ok := c.Conn.(driver.ConnBeginTx); ok {
		return b.BeginTx(ctx, opts)
	}
	return c.Conn.Begin() //nolint:staticcheck // the fallback database/sql itself uses
}

func (c *countingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	var st driver.Stmt
	var err error
	if p, ok := c.Conn.(driver.ConnPrepareContext); ok {
		st, err = p.PrepareContext(ctx, query)
	} else {
		st, err = c.Prepare(query)
	}
	if err != nil {
		return nil, err
	}
	return &countingStmt{Stmt: st}, nil
}

func (c *countingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	e, ok := c.Conn.(driver.ExecerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	res, err := e.ExecContext(ctx, query, args)
	if err != driver.ErrSkip {
		statement(ctx)
	}
	return res, err
}

func (c *countingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	q, ok := c.Conn.(driver.QueryerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	rows, err := q.QueryContext(ctx, query, args)
	if err != driver.ErrSkip {
		statement(ctx)
	}
	return rows, err
}

func (c *countingConn) Ping(ctx context.Context) error {
	if p, ok := c.Conn.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

func (c *countingConn) ResetSession(ctx context.Context) error {
	if r, ok := c.Conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *countingConn) IsValid() bool {
	if v, ok := c.Conn.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

func (c *countingConn) CheckNamedValue(nv *driver.NamedValue) error {
	if ch, ok := c.Conn.(driver.NamedValueChecker); ok {
		return ch.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

type countingStmt struct{ driver.Stmt }

func (s *countingStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	statement(ctx)
	if e, ok := s.Stmt.(driver.StmtExecContext); ok {
		return e.ExecContext(ctx, args)
	}
	vals, err := values(args)
	if err != nil {
		return nil, err
	}
	return s.Stmt.Exec(vals) //nolint:staticcheck // fallback for drivers without contexts
}

func (s *countingStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	statement(ctx)
	if q, ok := s.Stmt.(driver.StmtQueryContext); ok {
		return q.QueryContext(ctx, args)
	}
	vals, err := values(args)
	if err != nil {
		return nil, err
	}
	return s.Stmt.Query(vals) //nolint:staticcheck // fallback for drivers without contexts
}

func (s *countingStmt) CheckNamedValue(nv *driver.NamedValue) error {
	if ch, ok := s.Stmt.(driver.NamedValueChecker); ok {
		return ch.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

func values(args []driver.NamedValue) ([]driver.Value, error) {
	out := make([]driver.Value, len(args))
	for i, a := range args {
		if a.Name != "" {
			return nil, driver.ErrSkip
		}
		out[i] = a.Value
	}
	return out, nil
}

// sqlPerUnit describes a scenario's SQL per unit of work (a flow, a
// payment, a request): each operation the bench sent (requests per unit ×
// statements and transactions per request), then the rest, which the
// server ran on its own account (its calls to the processor, the
// callbacks, background jobs), from the pools' totals allSt and allTx.
func sqlPerUnit(ops map[string]*opTally, units, allSt, allTx int64) string {
	if units == 0 {
		return ""
	}
	names := make([]string, 0, len(ops))
	var st, tx int64
	for name, o := range ops {
		names = append(names, name)
		st += o.Statements
		tx += o.Txs
	}
	slices.SortFunc(names, func(a, b string) int { return cmp.Compare(ops[b].Statements, ops[a].Statements) })
	u := float64(units)
	parts := []string{fmt.Sprintf("%.0f statements in %.0f transactions in all", float64(allSt)/u, float64(allTx)/u)}
	for _, name := range names {
		o := ops[name]
		parts = append(parts, fmt.Sprintf("%s %.2g× (%.1f statements, %.1f tx)", name, float64(o.Requests)/u,
			float64(o.Statements)/float64(o.Requests), float64(o.Txs)/float64(o.Requests)))
	}
	parts = append(parts, fmt.Sprintf("server's own work (processor, callbacks, jobs) %.0f statements in %.0f tx",
		float64(allSt-st)/u, float64(allTx-tx)/u))
	return strings.Join(parts, "; ")
}
