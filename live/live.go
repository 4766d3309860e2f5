// Package live carries change notifications from the transaction that
// makes a change to every kassa process, for GraphQL subscriptions: a
// change publishes with pg_notify inside its transaction (so a rolled-back
// change announces nothing, and a committed one is announced after it is
// visible), and each process's Broker listens once and fans out to its
// subscribers.
//
// Notifications carry only a merchant id, a kind and an object id; a
// subscriber reloads the object under its own merchant's row-level
// security, so nothing crosses tenants.
package live

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"kassa/gid"
)

const channel = "kassa_live"

// Event says that an object changed.
type Event struct {
	MerchantID gid.MerchantID `json:"m"`
	Kind       string         `json:"k"` // "order", "payment", …
	ID         uuid.UUID      `json:"id"`
}

// Publish announces e when tx commits.
func Publish(ctx context.Context, tx *sqlx.Tx, e Event) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `SELECT pg_notify($1, $2)`, channel, string(b))
	return err
}

// Broker fans notifications out to this process's subscribers.
type Broker struct {
	url string
	log *slog.Logger

	mu   sync.Mutex
	subs map[gid.MerchantID]map[chan Event]struct{}
}

// NewBroker returns a broker listening with a connection to url.
func NewBroker(url string, log *slog.Logger) *Broker {
	return &Broker{url: url, log: log, subs: map[gid.MerchantID]map[chan Event]struct{}{}}
}

// Run listens until ctx ends, reconnecting after failures.
func (b *Broker) Run(ctx context.Context) {
	l := pq.NewListener(b.url, time.Second, time.Minute, func(ev pq.ListenerEventType, err error) {
		if err != nil {
			b.log.Warn("live updates listener", "event", ev, "error", err)
		}
	})
	defer l.Close()
	if err := l.Listen(channel); err != nil {
		b.log.Error("live updates: listen", "error", err)
		return
	}
	for {
		select {
		case <-ctx.Done():
			return
		case n := <-l.Notify:
			if n == nil {
				continue // reconnected: notifications in between are lost, clients refetch
			}
			var e Event
			if err := json.Unmarshal([]byte(n.Extra), &e); err != nil {
				continue
			}
			b.dispatch(e)
		case <-time.After(90 * time.Second):
			go func() { _ = l.Ping() }()
		}
	}
}

func (b *Broker) dispatch(e Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for ch := range b.subs[e.MerchantID] {
		select {
		case ch <- e:
		default: // a slow subscriber misses an update rather than blocking everyone
		}
	}
}

// Subscribe returns a channel of the merchant's events, closed when ctx
// ends.
func (b *Broker) Subscribe(ctx context.Context, merchantID gid.MerchantID) <-chan Event {
	ch := make(chan Event, 64)
	b.mu.Lock()
	if b.subs[merchantID] == nil {
		b.subs[merchantID] = map[chan Event]struct{}{}
	}
	b.subs[merchantID][ch] = struct{}{}
	b.mu.Unlock()
	go func() {
		<-ctx.Done()
		b.mu.Lock()
		delete(b.subs[merchantID], ch)
		if len(b.subs[merchantID]) == 0 {
			delete(b.subs, merchantID)
		}
		b.mu.Unlock()
		close(ch)
	}()
	return ch
}
