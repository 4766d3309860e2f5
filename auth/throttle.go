package auth

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"time"

	"kassa/fault"
)

// ErrLoginThrottled matches (errors.Is) every login refused without
// checking the password because of too many failed attempts. Its code is
// ACCOUNT_LOCKED; the error is a *ThrottledError, which says when to retry.
var ErrLoginThrottled = &fault.Error{Code: fault.Define("ACCOUNT_LOCKED",
	"Too many failed logins: wait the time the message (or Retry-After) gives."), Message: "too many failed attempts"}

// ThrottledError is a login refused for too many failed attempts, from
// this client address or (at a much higher count) from everywhere.
type ThrottledError struct {
	RetryAfter time.Duration // how long until an attempt is checked again
	f          *fault.Error
}

func newThrottled(retry time.Duration) *ThrottledError {
	retry = max(retry, time.Second)
	return &ThrottledError{RetryAfter: retry, f: &fault.Error{Code: ErrLoginThrottled.Code,
		Message: "too many failed attempts: try again in " + HumanWait(retry)}}
}

func (e *ThrottledError) Error() string { return e.f.Message }

// Unwrap makes fault.As and errors.Is(err, ErrLoginThrottled) see the code.
func (e *ThrottledError) Unwrap() error { return e.f }

// HumanWait says d for people: whole minutes (rounded up), or seconds
// under one minute.
func HumanWait(d time.Duration) string {
	if d < time.Minute {
		s := int((d + time.Second - 1) / time.Second)
		if s == 1 {
			return "1 second"
		}
		return fmt.Sprintf("%d seconds", s)
	}
	m := int((d + time.Minute - 1) / time.Minute)
	if m == 1 {
		return "1 minute"
	}
	return fmt.Sprintf("%d minutes", m)
}

// RetryAfter returns how long a throttled login must wait, when err is one.
func RetryAfter(err error) (time.Duration, bool) {
	var t *ThrottledError
	if errors.As(err, &t) {
		return t.RetryAfter, true
	}
	return 0, false
}

// throttle counts failed logins in memory, by client address and by the
// (address, account) pair. Locking a whole account after a few failures
// would let anyone who knows a staff email lock that person out; keyed by
// where the attempts come from, an attacker locks out only himself, and
// the owner logs in from elsewhere. (The account itself still locks, in
// the database, at a much higher count from all addresses together: see
// Config.MaxFailedLoginsPerAccount.) The counts are per process: with
// several API nodes an attacker gets each node's allowance, which the
// per-account lock still bounds.
type throttle struct {
	mu       sync.Mutex
	pairs    map[string]map[string]*attempts // account → address → attempts
	addrs    map[string]*attempts            // address → attempts against any account
	npairs   int                             // entries in pairs, kept by hand: counting would cost a walk per new account
	perPair  int
	perAddr  int
	lockout  time.Duration
	maxPairs int
}

// attempts is a run of failures inside one window of the lockout duration,
// or a lock until a time.
type attempts struct {
	failures int
	pending  int // checks in progress: parallel guesses count before they end
	since    time.Time
	until    time.Time
}

func newThrottle(perPair, perAddr int, lockout time.Duration) *throttle {
	return &throttle{pairs: map[string]map[string]*attempts{}, addrs: map[string]*attempts{},
		perPair: perPair, perAddr: perAddr, lockout: lockout, maxPairs: 200_000}
}

// addressKey is who a client is for counting: the IPv4 address, or the /64
// of an IPv6 one (one subscriber usually has a whole /64 to rotate
// through). An address that does not parse counts as itself.
func addressKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap().WithZone("")
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

// loginOutcome is how a reserved attempt ended.
type loginOutcome int

const (
	loginAborted   loginOutcome = iota // kassa failed, or the account was locked: nothing was guessed
	loginFailed                        // a wrong email or password
	loginSucceeded                     // the right password
)

// begin reserves an attempt by addr on account, or says how long the pair
// or the address must wait. end must be called with the outcome of a
// reserved attempt.
func (t *throttle) begin(account, addr string, now time.Time) (end func(loginOutcome), wait time.Duration) {
	account, addr = strings.ToLower(account), addressKey(addr)
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.npairs >= t.maxPairs || len(t.addrs) >= t.maxPairs {
		t.sweep(now)
	}
	byAddr := t.pairs[account]
	if byAddr == nil {
		byAddr = map[string]*attempts{}
		t.pairs[account] = byAddr
	}
	pair := byAddr[addr]
	if pair == nil {
		pair = &attempts{}
		byAddr[addr] = pair
		t.npairs++
	}
	all := t.addrs[addr]
	if all == nil {
		all = &attempts{}
		t.addrs[addr] = all
	}
	if w := max(pair.wait(now, t.perPair, t.lockout), all.wait(now, t.perAddr, t.lockout)); w > 0 {
		return nil, w
	}
	pair.pending++
	all.pending++
	return func(o loginOutcome) {
		t.mu.Lock()
		defer t.mu.Unlock()
		pair.pending--
		all.pending--
		switch o {
		case loginAborted:
			return
		case loginSucceeded:
			// The person proved who they are: their run of failures from
			// every address ends (a lock in force stays).
			for _, a := range t.pairs[account] {
				if a.until.IsZero() || !a.until.After(now) {
					a.failures, a.since, a.until = 0, time.Time{}, time.Time{}
				}
			}
		case loginFailed:
			pair.fail(now, t.perPair, t.lockout)
			all.fail(now, t.perAddr, t.lockout)
		}
	}, 0
}

// wait returns how long a locked run must wait, or, when failures plus
// attempts in progress already reach max, the rest of the window.
func (a *attempts) wait(now time.Time, max int, lockout time.Duration) time.Duration {
	if a.until.After(now) {
		return a.until.Sub(now)
	}
	if !a.since.IsZero() && now.Sub(a.since) >= lockout {
		a.failures, a.since = 0, time.Time{}
	}
	if a.failures+a.pending >= max {
		// Only reached by attempts running in parallel: let them finish.
		return time.Second
	}
	return 0
}

// fail counts a failure; reaching max locks the run for lockout and starts
// the count afresh (one failure after a lock is not yet a new lock).
func (a *attempts) fail(now time.Time, max int, lockout time.Duration) {
	if a.since.IsZero() || now.Sub(a.since) >= lockout {
		a.failures, a.since = 0, now
	}
	a.failures++
	if a.failures >= max {
		a.failures, a.since, a.until = 0, time.Time{}, now.Add(lockout)
	}
}

// sweep forgets runs that are over; if that is not enough (an attacker
// spraying names from many addresses), it forgets arbitrary runs until half
// the room is free: memory stays bounded, at the cost of some counts.
func (t *throttle) sweep(now time.Time) {
	idle := func(a *attempts) bool {
		return a.pending == 0 && !a.until.After(now) && (a.since.IsZero() || now.Sub(a.since) >= t.lockout)
	}
	for account, m := range t.pairs {
		for addr, a := range m {
			if idle(a) {
				delete(m, addr)
				t.npairs--
			}
		}
		if len(m) == 0 {
			delete(t.pairs, account)
		}
	}
	for addr, a := range t.addrs {
		if idle(a) {
			delete(t.addrs, addr)
		}
	}
	for account, m := range t.pairs {
		if t.npairs < t.maxPairs/2 {
			break
		}
		t.npairs -= len(m)
		delete(t.pairs, account)
	}
	for addr := range t.addrs {
		if len(t.addrs) < t.maxPairs/2 {
			break
		}
		delete(t.addrs, addr)
	}
}
