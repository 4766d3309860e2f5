package billing

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"kassa/gid"
)

// usageGroups commits concurrent single usage reports of a merchant
// together: the first report to arrive commits at once, alone; reports
// arriving while that commit runs wait and then go in one transaction
// and one insert (ReportUsageBatch). No report waits for a timer, and
// under load one commit carries many reports. Each keeps its own result:
// a refused report refuses only itself.
type usageGroups struct {
	s     *Service
	mu    sync.Mutex
	lanes map[gid.MerchantID]*usageLane
}

type usageLane struct {
	busy    bool // a commit of this merchant's reports is running
	waiting []*usageWaiter
}

type usageWaiter struct {
	report UsageReport
	done   chan usageAnswer // buffered: the committer never blocks
}

type usageAnswer struct {
	res UsageResult
	err error
}

// flushTimeout bounds a group's commit. It is not the caller's context:
// one caller leaving must not fail the reports of the others.
const flushTimeout = 30 * time.Second

func (g *usageGroups) report(ctx context.Context, merchantID gid.MerchantID, r UsageReport) (UsageResult, error) {
	w := &usageWaiter{report: r, done: make(chan usageAnswer, 1)}
	g.mu.Lock()
	if g.lanes == nil {
		g.lanes = map[gid.MerchantID]*usageLane{}
	}
	lane := g.lanes[merchantID]
	if lane == nil {
		lane = &usageLane{}
		g.lanes[merchantID] = lane
	}
	lane.waiting = append(lane.waiting, w)
	lead := !lane.busy
	lane.busy = true
	g.mu.Unlock()
	if lead {
		g.flush(context.WithoutCancel(ctx), merchantID, lane)
	}
	select {
	case a := <-w.done:
		return a.res, a.err
	case <-ctx.Done():
		// The report may still be recorded: its idempotency key makes a
		// retry safe.
		return UsageResult{}, ctx.Err()
	}
}

// flush commits the reports waiting in the lane (up to MaxUsageBatch) in
// one transaction and answers each. If more arrived meanwhile, another
// goroutine commits those, so the caller is not held by reports that came
// later; when none wait, the lane is idle and the next report leads.
func (g *usageGroups) flush(ctx context.Context, merchantID gid.MerchantID, lane *usageLane) {
	g.mu.Lock()
	group := lane.waiting[:min(len(lane.waiting), MaxUsageBatch)]
	lane.waiting = lane.waiting[len(group):]
	g.mu.Unlock()

	reports := make([]UsageReport, len(group))
	for i, w := range group {
		reports[i] = w.report
	}
	res, err := g.commit(ctx, merchantID, reports)
	for i, w := range group {
		if err != nil && len(group) > 1 {
			// Something in the group failed the whole commit: commit
			// each report alone, so only its own report fails a caller.
			one, oneErr := g.commit(ctx, merchantID, reports[i:i+1])
			w.done <- answer(one, oneErr, 0)
			continue
		}
		w.done <- answer(res, err, i)
	}

	g.mu.Lock()
	more := len(lane.waiting) > 0
	if !more {
		lane.busy = false
		delete(g.lanes, merchantID)
	}
	g.mu.Unlock()
	if more {
		go g.flush(ctx, merchantID, lane)
	}
}

// answer is report i's answer from a commit's results or error.
func answer(res []UsageResult, err error, i int) usageAnswer {
	if err != nil {
		return usageAnswer{err: err}
	}
	return usageAnswer{res: res[i]}
}

// commit runs the group's transaction. A panic becomes every report's
// error: a flush may run on a goroutine of its own, where a panic would
// end the process.
func (g *usageGroups) commit(ctx context.Context, merchantID gid.MerchantID, reports []UsageReport) (res []UsageResult, err error) {
	defer func() {
		if p := recover(); p != nil {
			g.s.log.ErrorContext(ctx, "usage report commit panicked", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			res, err = nil, fmt.Errorf("billing: usage commit panicked: %v", p)
		}
	}()
	ctx, cancel := context.WithTimeout(ctx, flushTimeout)
	defer cancel()
	return g.s.ReportUsageBatch(ctx, merchantID, reports)
}
