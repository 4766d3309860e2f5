package webhooks_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/require"

	"kassa/auth"
	"kassa/db"
	"kassa/db/dbtest"
	"kassa/fault"
	"kassa/gid"
	"kassa/jobs"
	"kassa/merchants"
	"kassa/payments"
	"kassa/webhooks"
	"kassa/webhooks/egress"
)

// schedule is the retry schedule of these tests: the real one's shape in
// milliseconds.
var schedule = []time.Duration{50 * time.Millisecond, 80 * time.Millisecond, 120 * time.Millisecond}

type bundle struct {
	db       *db.DB
	q        *jobs.Queue
	svc      *webhooks.Service
	merchant gid.MerchantID
}

// setup starts a queue and the service on the test's own database, with
// private targets allowed (the receivers are on 127.0.0.1) unless
// strict, and one merchant.
func setup(t *testing.T, strict bool) *bundle {
	t.Helper()
	d := dbtest.New(t)
	q, err := jobs.New(d.System.DB, jobs.Config{PollInterval: 20 * time.Millisecond})
	require.NoError(t, err)
	svc := webhooks.NewService(webhooks.Config{DB: d, Jobs: q, AllowPrivate: !strict, Schedule: schedule,
		Timeout: 400 * time.Millisecond, RotationOverlap: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	require.NoError(t, q.Start(ctx))
	t.Cleanup(func() {
		stop, done := context.WithTimeout(context.Background(), 5*time.Second)
		defer done()
		_ = q.Stop(stop)
		cancel()
	})
	a := auth.NewService(d, auth.Config{Mode: "test"})
	c, err := merchants.NewService(d, a).Create(context.Background(), merchants.NewMerchant{
		Name: "Webbutik AB", OwnerEmail: "owner@webbutik.example", OwnerPassword: "a long password 123"})
	require.NoError(t, err)
	return &bundle{db: d, q: q, svc: svc, merchant: c.Merchant.ID}
}

// hit is one request a receiver got.
type hit struct {
	at                time.Time
	id, ts, signature string
	body              []byte
}

// receiver answers each request with what script says for its number
// (0-based), and records it.
type receiver struct {
	*httptest.Server
	mu   sync.Mutex
	hits []hit
}

func newReceiver(t *testing.T, script func(n int, id string, w http.ResponseWriter)) *receiver {
	t.Helper()
	rc := &receiver{}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		n := len(rc.hits)
		rc.hits = append(rc.hits, hit{at: time.Now(), id: r.Header.Get("webhook-id"), ts: r.Header.Get("webhook-timestamp"),
			signature: r.Header.Get("webhook-signature"), body: body})
		rc.mu.Unlock()
		script(n, r.Header.Get("webhook-id"), w)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) got() []hit {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]hit(nil), rc.hits...)
}

func ok(int, string, http.ResponseWriter) {}

func (b *bundle) endpoint(t *testing.T, url string, events ...string) (webhooks.Endpoint, string) {
	t.Helper()
	if len(events) == 0 {
		events = []string{"ORDER_PAID"}
	}
	e, secret, err := b.svc.CreateEndpoint(context.Background(), payments.Actor{}, b.merchant, webhooks.NewEndpoint{URL: url, Events: events})
	require.NoError(t, err)
	return e, secret
}

// emit records an ORDER_PAID event in a transaction of its own.
func (b *bundle) emit(t *testing.T, ref string) uuid.UUID {
	t.Helper()
	var id uuid.UUID
	require.NoError(t, b.db.InTenant(context.Background(), b.merchant, func(tx *sqlx.Tx) error {
		var err error
		id, err = b.svc.EmitTx(context.Background(), tx, b.merchant, webhooks.OrderPaid, map[string]any{"reference": ref})
		return err
	}))
	return id
}

func (b *bundle) delivery(t *testing.T, eventID uuid.UUID) webhooks.Delivery {
	t.Helper()
	ds, _, err := b.svc.Deliveries(context.Background(), b.merchant, webhooks.DeliveryFilter{EventID: &eventID}, db.Page{Limit: 10})
	require.NoError(t, err)
	require.Len(t, ds, 1)
	return ds[0]
}

// waitDelivery waits until the event's delivery is no longer PENDING.
func (b *bundle) waitDelivery(t *testing.T, eventID uuid.UUID, timeout time.Duration) webhooks.Delivery {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		d := b.delivery(t, eventID)
		if d.Status != webhooks.DeliveryPending {
			return d
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivery still pending after %s: %+v", timeout, d)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitJobs waits until no delivery job is left to be worked or retried:
// whatever the service was going to send has been sent.
func (b *bundle) waitJobs(t *testing.T) {
	t.Helper()
	require.Eventually(t, func() bool {
		ok, err := b.q.Drained(context.Background(), webhooks.DeliverArgs{}.Kind())
		require.NoError(t, err)
		return ok
	}, 10*time.Second, 20*time.Millisecond, "delivery jobs still to be worked")
}

func requireSigned(t *testing.T, secret string, h hit) {
	t.Helper()
	require.NoError(t, webhooks.Verify(secret, h.id, h.ts, h.signature, h.body, time.Now(), webhooks.DefaultTolerance))
}

func TestDelivery(t *testing.T) {
	t.Parallel()

	t.Run("SignedStandardWebhook", func(t *testing.T) {
		t.Parallel()
		b := setup(t, false)
		rc := newReceiver(t, ok)
		_, secret := b.endpoint(t, rc.URL+"/hooks")
		ev := b.emit(t, "1001")
		d := b.waitDelivery(t, ev, 10*time.Second)
		require.Equal(t, webhooks.DeliverySucceeded, d.Status)
		require.Equal(t, 1, d.Attempts)
		require.Equal(t, 200, *d.LastResponseCode)
		require.NotNil(t, d.DeliveredAt)
		hits := rc.got()
		require.Len(t, hits, 1)
		require.Equal(t, webhooks.MessageID(ev), hits[0].id)
		requireSigned(t, secret, hits[0])
		var body struct {
			Type      string         `json:"type"`
			Timestamp time.Time      `json:"timestamp"`
			Data      map[string]any `json:"data"`
		}
		require.NoError(t, json.Unmarshal(hits[0].body, &body))
		require.Equal(t, "order.paid", body.Type)
		require.Equal(t, "1001", body.Data["reference"])
		require.WithinDuration(t, time.Now(), body.Timestamp, time.Minute)
	})

	t.Run("RetriesWhileTheEndpointFails", func(t *testing.T) {
		t.Parallel()
		b := setup(t, false)
		rc := newReceiver(t, func(n int, _ string, w http.ResponseWriter) {
			if n < 3 {
				w.WriteHeader(http.StatusInternalServerError)
			}
		})
		_, secret := b.endpoint(t, rc.URL)
		ev := b.emit(t, "1002")
		d := b.waitDelivery(t, ev, 10*time.Second)
		require.Equal(t, webhooks.DeliverySucceeded, d.Status)
		require.Equal(t, 4, d.Attempts)
		require.Equal(t, 200, *d.LastResponseCode)
		hits := rc.got()
		require.Len(t, hits, 4)
		for i, h := range hits {
			// Every attempt is the same message: same id, same bytes, a
			// fresh timestamp and signature.
			require.Equal(t, hits[0].id, h.id, "attempt %d", i)
			require.Equal(t, hits[0].body, h.body, "attempt %d", i)
			requireSigned(t, secret, h)
			if i > 0 {
				require.GreaterOrEqual(t, h.at.Sub(hits[i-1].at), schedule[i-1], "attempt %d came too early", i+1)
			}
		}
	})

	t.Run("GivesUpAfterTheSchedule", func(t *testing.T) {
		t.Parallel()
		b := setup(t, false)
		rc := newReceiver(t, func(_ int, _ string, w http.ResponseWriter) { w.WriteHeader(http.StatusServiceUnavailable) })
		_, _ = b.endpoint(t, rc.URL)
		ev := b.emit(t, "1003")
		d := b.waitDelivery(t, ev, 10*time.Second)
		require.Equal(t, webhooks.DeliveryFailed, d.Status)
		require.Equal(t, 1+len(schedule), d.Attempts, "the first attempt and one per entry of the schedule")
		require.Equal(t, 503, *d.LastResponseCode)
		require.Equal(t, "HTTP 503", *d.LastError)
		b.waitJobs(t)
		require.Len(t, rc.got(), 1+len(schedule), "nothing is sent after giving up")
	})

	t.Run("HonoursRetryAfterOn429", func(t *testing.T) {
		t.Parallel()
		b := setup(t, false)
		rc := newReceiver(t, func(n int, _ string, w http.ResponseWriter) {
			if n == 0 {
				w.Header().Set("Retry-After", "1")
				w.WriteHeader(http.StatusTooManyRequests)
			}
		})
		_, _ = b.endpoint(t, rc.URL)
		ev := b.emit(t, "1004")
		d := b.waitDelivery(t, ev, 10*time.Second)
		require.Equal(t, webhooks.DeliverySucceeded, d.Status)
		require.Equal(t, 2, d.Attempts)
		hits := rc.got()
		require.Len(t, hits, 2)
		require.GreaterOrEqual(t, hits[1].at.Sub(hits[0].at), time.Second, "the second attempt waited for Retry-After, not the 50 ms of the schedule")
		require.Equal(t, hits[0].id, hits[1].id)
	})

	t.Run("StopsAndDisablesTheEndpointOn410", func(t *testing.T) {
		t.Parallel()
		b := setup(t, false)
		rc := newReceiver(t, func(n int, _ string, w http.ResponseWriter) {
			if n == 0 {
				w.WriteHeader(http.StatusGone)
			}
		})
		e, _ := b.endpoint(t, rc.URL)
		ev := b.emit(t, "1005")
		d := b.waitDelivery(t, ev, 10*time.Second)
		require.Equal(t, webhooks.DeliveryFailed, d.Status)
		require.Equal(t, 1, d.Attempts)
		require.Equal(t, 410, *d.LastResponseCode)
		es, err := b.svc.EndpointsByID(context.Background(), b.merchant, []uuid.UUID{e.ID})
		require.NoError(t, err)
		require.Equal(t, webhooks.EndpointDisabled, es[e.ID].Status)
		require.Contains(t, *es[e.ID].DisabledReason, "410")
		require.Equal(t, uuid.Nil, b.emit(t, "1006"), "a disabled endpoint gets no new deliveries")
		b.waitJobs(t)
		require.Len(t, rc.got(), 1)

		_, err = b.svc.Redeliver(context.Background(), b.merchant, d.ID)
		requireCode(t, err, webhooks.ErrEndpointDisabled)
		on := true
		_, err = b.svc.UpdateEndpoint(context.Background(), b.merchant, e.ID, webhooks.EndpointUpdate{Enabled: &on})
		require.NoError(t, err)
		_, err = b.svc.Redeliver(context.Background(), b.merchant, d.ID)
		require.NoError(t, err)
		d = b.waitDelivery(t, ev, 10*time.Second)
		require.Equal(t, webhooks.DeliverySucceeded, d.Status)
		require.Equal(t, 2, d.Attempts)
	})

	t.Run("ASlowEndpointTimesOut", func(t *testing.T) {
		t.Parallel()
		b := setup(t, false)
		rc := newReceiver(t, func(n int, _ string, w http.ResponseWriter) {
			if n == 0 {
				time.Sleep(1500 * time.Millisecond) // the service's timeout is 400 ms
			}
		})
		_, _ = b.endpoint(t, rc.URL)
		ev := b.emit(t, "1007")
		d := b.waitDelivery(t, ev, 10*time.Second)
		require.Equal(t, webhooks.DeliverySucceeded, d.Status)
		require.Equal(t, 2, d.Attempts)
		require.Len(t, rc.got(), 2)
	})

	t.Run("RedeliverSendsTheSameMessage", func(t *testing.T) {
		t.Parallel()
		b := setup(t, false)
		rc := newReceiver(t, ok)
		_, secret := b.endpoint(t, rc.URL)
		ev := b.emit(t, "1008")
		d := b.waitDelivery(t, ev, 10*time.Second)
		require.Equal(t, webhooks.DeliverySucceeded, d.Status)
		again, err := b.svc.Redeliver(context.Background(), b.merchant, d.ID)
		require.NoError(t, err)
		require.Equal(t, webhooks.DeliveryPending, again.Status)
		_, err = b.svc.Redeliver(context.Background(), b.merchant, d.ID)
		requireCode(t, err, webhooks.ErrDeliveryPending)
		d = b.waitDelivery(t, ev, 10*time.Second)
		require.Equal(t, webhooks.DeliverySucceeded, d.Status)
		require.Equal(t, 2, d.Attempts)
		hits := rc.got()
		require.Len(t, hits, 2)
		require.Equal(t, hits[0].id, hits[1].id)
		require.Equal(t, hits[0].body, hits[1].body)
		requireSigned(t, secret, hits[1])
		_, err = b.svc.Redeliver(context.Background(), b.merchant, uuid.Must(uuid.NewV7()))
		require.ErrorIs(t, err, fault.ErrNotFound)
	})

	t.Run("RotationSignsWithOldAndNew", func(t *testing.T) {
		t.Parallel()
		b := setup(t, false)
		rc := newReceiver(t, ok)
		e, old := b.endpoint(t, rc.URL)
		_, fresh, err := b.svc.RotateSecret(context.Background(), b.merchant, e.ID, nil)
		require.NoError(t, err)
		require.NotEqual(t, old, fresh)
		ev := b.emit(t, "1009")
		b.waitDelivery(t, ev, 10*time.Second)
		h := rc.got()[0]
		require.Len(t, strings.Fields(h.signature), 2, "two v1 signatures during the overlap")
		requireSigned(t, old, h)
		requireSigned(t, fresh, h)

		zero := time.Duration(0)
		_, newest, err := b.svc.RotateSecret(context.Background(), b.merchant, e.ID, &zero)
		require.NoError(t, err)
		ev = b.emit(t, "1010")
		b.waitDelivery(t, ev, 10*time.Second)
		h = rc.got()[1]
		require.Len(t, strings.Fields(h.signature), 1, "no overlap asked: only the new secret signs")
		requireSigned(t, newest, h)
		require.Error(t, webhooks.Verify(fresh, h.id, h.ts, h.signature, h.body, time.Now(), webhooks.DefaultTolerance))

		_, _, err = b.svc.RotateSecret(context.Background(), b.merchant, e.ID, ptr(-time.Hour))
		requireCode(t, err, webhooks.ErrInvalidOverlap)
	})

	t.Run("ARolledBackChangeSendsNothing", func(t *testing.T) {
		t.Parallel()
		b := setup(t, false)
		rc := newReceiver(t, ok)
		b.endpoint(t, rc.URL)
		boom := errors.New("the change failed")
		err := b.db.InTenant(context.Background(), b.merchant, func(tx *sqlx.Tx) error {
			id, err := b.svc.EmitTx(context.Background(), tx, b.merchant, webhooks.OrderPaid, map[string]any{"reference": "x"})
			require.NoError(t, err)
			require.NotEqual(t, uuid.Nil, id)
			return boom
		})
		require.ErrorIs(t, err, boom)
		b.waitJobs(t)
		require.Empty(t, rc.got())
		ds, _, err := b.svc.Deliveries(context.Background(), b.merchant, webhooks.DeliveryFilter{}, db.Page{Limit: 10})
		require.NoError(t, err)
		require.Empty(t, ds)
	})

	t.Run("EachEventOnceToEachSubscribedEndpoint", func(t *testing.T) {
		t.Parallel()
		b := setup(t, false)
		var mu sync.Mutex
		seen := map[string]bool{}
		r1 := newReceiver(t, func(_ int, id string, w http.ResponseWriter) {
			mu.Lock()
			defer mu.Unlock()
			if !seen[id] {
				seen[id] = true
				w.WriteHeader(http.StatusBadGateway) // every message fails once first
			}
		})
		r2 := newReceiver(t, ok)
		r3 := newReceiver(t, ok)
		b.endpoint(t, r1.URL, "ORDER_PAID", "PAYMENT_REFUNDED")
		b.endpoint(t, r2.URL, "ORDER_PAID")
		b.endpoint(t, r3.URL, "PAYMENT_FAILED") // not subscribed to ORDER_PAID
		var evs []uuid.UUID
		for i := range 5 {
			evs = append(evs, b.emit(t, fmt.Sprint(2000+i)))
		}
		want := map[string]bool{}
		for _, ev := range evs {
			want[webhooks.MessageID(ev)] = true
		}
		deadline := time.Now().Add(15 * time.Second)
		for {
			ds, _, err := b.svc.Deliveries(context.Background(), b.merchant, webhooks.DeliveryFilter{Statuses: []webhooks.DeliveryStatus{webhooks.DeliveryPending}}, db.Page{Limit: 100})
			require.NoError(t, err)
			if len(ds) == 0 {
				break
			}
			require.True(t, time.Now().Before(deadline), "deliveries still pending")
			time.Sleep(20 * time.Millisecond)
		}
		byID := func(hits []hit) map[string]int {
			m := map[string]int{}
			for _, h := range hits {
				m[h.id]++
			}
			return m
		}
		got1, got2 := byID(r1.got()), byID(r2.got())
		require.Len(t, got1, 5)
		require.Len(t, got2, 5)
		for id := range want {
			require.Equal(t, 2, got1[id], "r1 gets each message twice under one id (it fails the first)")
			require.Equal(t, 1, got2[id], "r2 gets each message once")
		}
		require.Empty(t, r3.got())
	})

	t.Run("APrivateTargetIsRefusedWhenDialled", func(t *testing.T) {
		t.Parallel()
		// The endpoint was accepted while its name resolved to a public
		// address; now it resolves to loopback (DNS rebinding). The check
		// at connection time refuses it.
		b := setup(t, true)
		rc := newReceiver(t, ok)
		other, err := jobs.New(b.db.System.DB, jobs.Config{})
		require.NoError(t, err)
		lenient := webhooks.NewService(webhooks.Config{DB: b.db, Jobs: other, AllowPrivate: true})
		_, _, err = lenient.CreateEndpoint(context.Background(), payments.Actor{}, b.merchant,
			webhooks.NewEndpoint{URL: strings.Replace(rc.URL, "127.0.0.1", "localhost", 1), Events: []string{"ORDER_PAID"}})
		require.NoError(t, err)
		ev := b.emit(t, "1011")
		d := b.waitDelivery(t, ev, 10*time.Second)
		require.Equal(t, webhooks.DeliveryFailed, d.Status)
		require.Nil(t, d.LastResponseCode)
		require.Contains(t, *d.LastError, "private")
		require.Empty(t, rc.got(), "no request reached the private address")
	})
}

func ptr[T any](v T) *T { return &v }

func requireCode(t *testing.T, err error, code fault.Code) {
	t.Helper()
	_, ok := fault.As(err)
	require.True(t, ok, "want a fault with code %s, got %v", code, err)
	require.ErrorIs(t, err, code)
}

func TestCreateEndpointRefusesBadInput(t *testing.T) {
	t.Parallel()
	strict := setup(t, true)
	loose := setup(t, false)
	for _, tc := range []struct {
		name   string
		b      *bundle
		url    string
		events []string
		code   fault.Code
		field  []string
	}{
		{"PlainHTTP", strict, "http://shop.example.com/hooks", []string{"ORDER_PAID"}, egress.ErrHTTPSRequired, []string{"input", "url"}},
		{"Loopback", strict, "https://127.0.0.1:8443/hooks", []string{"ORDER_PAID"}, egress.ErrPrivateAddress, []string{"input", "url"}},
		{"LinkLocal", strict, "https://169.254.169.254/", []string{"ORDER_PAID"}, egress.ErrPrivateAddress, []string{"input", "url"}},
		{"PrivateNetwork", strict, "https://192.168.1.10/hooks", []string{"ORDER_PAID"}, egress.ErrPrivateAddress, []string{"input", "url"}},
		{"Localhost", strict, "https://localhost/hooks", []string{"ORDER_PAID"}, egress.ErrPrivateAddress, []string{"input", "url"}},
		{"NotAURL", loose, "javascript:alert(1)", []string{"ORDER_PAID"}, fault.ErrInvalidURL, []string{"input", "url"}},
		{"UnknownEvent", loose, "http://127.0.0.1/hooks", []string{"ORDER_PAID", "ORDER_EATEN"}, webhooks.ErrUnknownEventType, []string{"input", "events", "1"}},
		{"DottedEventName", loose, "http://127.0.0.1/hooks", []string{"order.paid"}, webhooks.ErrUnknownEventType, []string{"input", "events", "0"}},
		{"NoEvents", loose, "http://127.0.0.1/hooks", nil, webhooks.ErrNoEvents, []string{"input", "events"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, secret, err := tc.b.svc.CreateEndpoint(context.Background(), payments.Actor{}, tc.b.merchant, webhooks.NewEndpoint{URL: tc.url, Events: tc.events})
			requireCode(t, err, tc.code)
			f, _ := fault.As(err)
			require.Equal(t, tc.field, f.Field)
			require.Empty(t, secret)
		})
	}
	es, _, err := strict.svc.Endpoints(context.Background(), strict.merchant, db.Page{Limit: 10})
	require.NoError(t, err)
	require.Empty(t, es, "nothing was created")
}
