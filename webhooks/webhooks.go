package webhooks

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/riverqueue/river"

	"kassa/db"
	"kassa/fault"
	"kassa/gid"
	"kassa/jobs"
	"kassa/payments"
	"kassa/webhooks/egress"
)

// DefaultSchedule is how long to wait after each failed attempt before the
// next: the Standard Webhooks recommendation. After the last, the delivery
// has failed.
var DefaultSchedule = []time.Duration{
	5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 24 * time.Hour,
}

// Config configures the service.
type Config struct {
	DB   *db.DB
	Jobs *jobs.Queue
	Log  *slog.Logger
	Now  func() time.Time
	// AllowPrivate lets endpoints be on private, loopback and link-local
	// addresses and use plain http (KASSA_WEBHOOK_ALLOW_PRIVATE).
	AllowPrivate bool
	// Client sends deliveries; nil builds one that refuses private targets
	// unless AllowPrivate, with Timeout.
	Client *egress.Client
	// Schedule is the wait after each failed attempt; default
	// DefaultSchedule. Tests use milliseconds.
	Schedule []time.Duration
	// Timeout bounds one attempt; default 15 s.
	Timeout time.Duration
	// RotationOverlap is how long the previous secret keeps signing after
	// a rotation; default 24 h.
	RotationOverlap time.Duration
	// MaxRetryAfter caps how long a 429's Retry-After may delay the next
	// attempt; default 24 h.
	MaxRetryAfter time.Duration
	// MaxEndpoints per merchant; default 20.
	MaxEndpoints int
}

// Service is the webhooks domain.
type Service struct {
	cfg    Config
	db     *db.DB
	jobs   *jobs.Queue
	log    *slog.Logger
	now    func() time.Time
	client *egress.Client
}

// NewService returns the service and registers its delivery worker on the
// queue (before the queue starts).
func NewService(cfg Config) *Service {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if len(cfg.Schedule) == 0 {
		cfg.Schedule = DefaultSchedule
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 15 * time.Second
	}
	if cfg.RotationOverlap == 0 {
		cfg.RotationOverlap = 24 * time.Hour
	}
	if cfg.MaxRetryAfter == 0 {
		cfg.MaxRetryAfter = 24 * time.Hour
	}
	if cfg.MaxEndpoints == 0 {
		cfg.MaxEndpoints = 20
	}
	if cfg.Client == nil {
		cfg.Client = egress.New(egress.Options{AllowPrivate: cfg.AllowPrivate, Timeout: cfg.Timeout})
	}
	s := &Service{cfg: cfg, db: cfg.DB, jobs: cfg.Jobs, log: cfg.Log, now: cfg.Now, client: cfg.Client}
	river.AddWorker(cfg.Jobs.Workers, &deliverWorker{s: s})
	return s
}

// EndpointStatus says whether an endpoint gets deliveries.
type EndpointStatus string

// The states of an endpoint.
const (
	EndpointEnabled  EndpointStatus = "ENABLED"
	EndpointDisabled EndpointStatus = "DISABLED"
)

// Endpoint is where a merchant wants events delivered.
type Endpoint struct {
	MerchantID              gid.MerchantID `db:"merchant_id"`
	ID                      uuid.UUID      `db:"id"`
	URL                     string         `db:"url"`
	EventNames              pq.StringArray `db:"events"`
	Status                  EndpointStatus `db:"status"`
	DisabledReason          *string        `db:"disabled_reason"`
	Secret                  string         `db:"secret"`
	PreviousSecret          *string        `db:"previous_secret"`
	PreviousSecretExpiresAt *time.Time     `db:"previous_secret_expires_at"`
	Description             string         `db:"description"`
	CreatedByUser           *uuid.UUID     `db:"created_by_user"`
	CreatedByAPIKey         *uuid.UUID     `db:"created_by_api_key"`
	CreatedAt               time.Time      `db:"created_at"`
	UpdatedAt               time.Time      `db:"updated_at"`
}

const endpointColumns = `merchant_id, id, url, events, status, disabled_reason, secret, previous_secret, previous_secret_expires_at,
	description, created_by_user, created_by_api_key, created_at, updated_at`

// Events are the event types the endpoint subscribes to.
func (e *Endpoint) Events() []EventType {
	out := make([]EventType, len(e.EventNames))
	for i, n := range e.EventNames {
		out[i] = EventType(n)
	}
	return out
}

// signingSecrets are the secrets that sign a delivery now: the current
// one, and the previous one during a rotation's overlap.
func (e *Endpoint) signingSecrets(now time.Time) []string {
	s := []string{e.Secret}
	if e.PreviousSecret != nil && e.PreviousSecretExpiresAt != nil && now.Before(*e.PreviousSecretExpiresAt) {
		s = append(s, *e.PreviousSecret)
	}
	return s
}

// RotationEndsAt is when the previous secret stops signing, during an
// overlap.
func (e *Endpoint) RotationEndsAt(now time.Time) *time.Time {
	if e.PreviousSecret != nil && e.PreviousSecretExpiresAt != nil && now.Before(*e.PreviousSecretExpiresAt) {
		return e.PreviousSecretExpiresAt
	}
	return nil
}

// NewEndpoint is what CreateEndpoint takes.
type NewEndpoint struct {
	URL         string
	Events      []string
	Description string
}

func checkEvents(names []string) ([]string, error) {
	if len(names) == 0 {
		return nil, fault.Invalid("events", ErrNoEvents, "subscribe to at least one event type")
	}
	if len(names) > 100 {
		return nil, fault.Invalid("events", ErrTooManyEvents, "at most 100 event types")
	}
	seen := map[string]bool{}
	var out []string
	for i, n := range names {
		n = strings.TrimSpace(n)
		if !EventType(n).Known() {
			return nil, &fault.Error{Code: ErrUnknownEventType, Field: []string{"input", "events", fmt.Sprint(i)},
				Message: fmt.Sprintf("unknown event type %q (see webhookEventTypes)", truncate(n, 60))}
		}
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out, nil
}

func checkDescription(d string) (string, error) {
	d = strings.TrimSpace(d)
	if utf8.RuneCountInString(d) > 200 || strings.ContainsAny(d, "\r\n") {
		return "", fault.Invalid("description", fault.ErrInvalidDescription, "description must be at most 200 characters on one line")
	}
	return d, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// CreateEndpoint adds an endpoint and returns it with its signing secret,
// which is shown to the merchant once.
//
// Errors: codes of egress.CheckURL (INVALID_URL, HTTPS_REQUIRED,
// PRIVATE_ADDRESS, UNRESOLVABLE_HOST), NO_EVENTS, TOO_MANY_EVENTS,
// UNKNOWN_EVENT_TYPE, INVALID_DESCRIPTION, TOO_MANY_ENDPOINTS.
func (s *Service) CreateEndpoint(ctx context.Context, actor payments.Actor, merchantID gid.MerchantID, n NewEndpoint) (Endpoint, string, error) {
	events, err := checkEvents(n.Events)
	if err != nil {
		return Endpoint{}, "", err
	}
	desc, err := checkDescription(n.Description)
	if err != nil {
		return Endpoint{}, "", err
	}
	u, err := s.client.CheckURL(ctx, "url", n.URL)
	if err != nil {
		return Endpoint{}, "", err
	}
	now := s.now().UTC()
	e := Endpoint{
		MerchantID: merchantID, ID: uuid.Must(uuid.NewV7()), URL: u.String(), EventNames: events, Status: EndpointEnabled,
		Secret: NewSecret(), Description: desc, CreatedByUser: actor.UserID, CreatedByAPIKey: actor.APIKeyID, CreatedAt: now, UpdatedAt: now,
	}
	err = s.db.InTenant(ctx, merchantID, func(tx *sqlx.Tx) error {
		var count int
		if err := tx.GetContext(ctx, &count, `SELECT count(*) FROM webhook_endpoints`); err != nil {
			return err
		}
		if count >= s.cfg.MaxEndpoints {
			return fault.Invalid("url", ErrTooManyEndpoints, "a merchant may have at most %d webhook endpoints", s.cfg.MaxEndpoints)
		}
		_, err := tx.ExecContext(ctx, `
			INSERT INTO webhook_endpoints (merchant_id, id, url, events, status, secret, description, created_by_user, created_by_api_key, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)`,
			e.MerchantID, e.ID, e.URL, e.EventNames, e.Status, e.Secret, e.Description, e.CreatedByUser, e.CreatedByAPIKey, now)
		return err
	})
	if err != nil {
		return Endpoint{}, "", err
	}
	return e, e.Secret, nil
}

// EndpointUpdate changes an endpoint; nil fields stay.
type EndpointUpdate struct {
	URL         *string
	Events      []string // nil: unchanged
	Description *string
	// Enabled turns deliveries on (e.g. after a 410 disabled the endpoint)
	// or off.
	Enabled *bool
}

// UpdateEndpoint changes an endpoint.
//
// Errors: fault.ErrNotFound; the codes of CreateEndpoint.
func (s *Service) UpdateEndpoint(ctx context.Context, merchantID gid.MerchantID, id uuid.UUID, up EndpointUpdate) (Endpoint, error) {
	var events []string
	var err error
	if up.Events != nil {
		if events, err = checkEvents(up.Events); err != nil {
			return Endpoint{}, err
		}
	}
	var desc string
	if up.Description != nil {
		if desc, err = checkDescription(*up.Description); err != nil {
			return Endpoint{}, err
		}
	}
	var url string
	if up.URL != nil {
		u, err := s.client.CheckURL(ctx, "url", *up.URL)
		if err != nil {
			return Endpoint{}, err
		}
		url = u.String()
	}
	var e Endpoint
	err = s.db.InTenant(ctx, merchantID, func(tx *sqlx.Tx) error {
		var err error
		if e, err = lockEndpoint(ctx, tx, id); err != nil {
			return err
		}
		if up.URL != nil {
			e.URL = url
		}
		if events != nil {
			e.EventNames = events
		}
		if up.Description != nil {
			e.Description = desc
		}
		if up.Enabled != nil {
			if *up.Enabled {
				e.Status, e.DisabledReason = EndpointEnabled, nil
			} else if e.Status != EndpointDisabled {
				reason := "disabled by the merchant"
				e.Status, e.DisabledReason = EndpointDisabled, &reason
			}
		}
		e.UpdatedAt = s.now().UTC()
		_, err = tx.ExecContext(ctx, `UPDATE webhook_endpoints SET url = $2, events = $3, description = $4, status = $5, disabled_reason = $6, updated_at = $7 WHERE id = $1`,
			e.ID, e.URL, e.EventNames, e.Description, e.Status, e.DisabledReason, e.UpdatedAt)
		return err
	})
	return e, err
}

func lockEndpoint(ctx context.Context, tx *sqlx.Tx, id uuid.UUID) (Endpoint, error) {
	var e Endpoint
	err := tx.GetContext(ctx, &e, `SELECT `+endpointColumns+` FROM webhook_endpoints WHERE id = $1 FOR UPDATE`, id)
	if db.IsNoRows(err) {
		return e, fault.NotFound("webhook endpoint")
	}
	return e, err
}

// DeleteEndpoint removes an endpoint and its deliveries; deliveries under
// way stop.
//
// Errors: fault.ErrNotFound.
func (s *Service) DeleteEndpoint(ctx context.Context, merchantID gid.MerchantID, id uuid.UUID) (Endpoint, error) {
	var e Endpoint
	err := s.db.InTenant(ctx, merchantID, func(tx *sqlx.Tx) error {
		var err error
		if e, err = lockEndpoint(ctx, tx, id); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM webhook_endpoints WHERE id = $1`, id)
		return err
	})
	return e, err
}

// RotateSecret gives an endpoint a new secret and returns it (shown once).
// The old secret keeps signing, beside the new, for overlap (nil: the
// configured 24 h; zero: not at all), so the receiver can switch without
// losing a delivery.
//
// Errors: fault.ErrNotFound; code INVALID_OVERLAP.
func (s *Service) RotateSecret(ctx context.Context, merchantID gid.MerchantID, id uuid.UUID, overlap *time.Duration) (Endpoint, string, error) {
	ov := s.cfg.RotationOverlap
	if overlap != nil {
		ov = *overlap
	}
	if ov < 0 || ov > 7*24*time.Hour {
		return Endpoint{}, "", fault.Invalid("overlapHours", ErrInvalidOverlap, "the overlap must be between 0 and 168 hours")
	}
	var e Endpoint
	err := s.db.InTenant(ctx, merchantID, func(tx *sqlx.Tx) error {
		var err error
		if e, err = lockEndpoint(ctx, tx, id); err != nil {
			return err
		}
		now := s.now().UTC()
		prev, until := e.Secret, now.Add(ov)
		e.PreviousSecret, e.PreviousSecretExpiresAt, e.Secret, e.UpdatedAt = &prev, &until, NewSecret(), now
		_, err = tx.ExecContext(ctx, `UPDATE webhook_endpoints SET secret = $2, previous_secret = $3, previous_secret_expires_at = $4, updated_at = $5 WHERE id = $1`,
			e.ID, e.Secret, e.PreviousSecret, e.PreviousSecretExpiresAt, now)
		return err
	})
	if err != nil {
		return Endpoint{}, "", err
	}
	return e, e.Secret, nil
}

// Endpoints lists the merchant's endpoints, newest first.
func (s *Service) Endpoints(ctx context.Context, merchantID gid.MerchantID, page db.Page) ([]Endpoint, bool, error) {
	var es []Endpoint
	err := s.db.InTenant(ctx, merchantID, func(tx *sqlx.Tx) error {
		return tx.SelectContext(ctx, &es, `SELECT `+endpointColumns+` FROM webhook_endpoints WHERE id < $1 ORDER BY id DESC LIMIT $2`,
			page.AfterOrMax(), page.Fetch())
	})
	es, more := db.Trim(page, es)
	return es, more, err
}

// EndpointsByID loads endpoints by id.
func (s *Service) EndpointsByID(ctx context.Context, merchantID gid.MerchantID, ids []uuid.UUID) (map[uuid.UUID]Endpoint, error) {
	var es []Endpoint
	err := s.db.InTenant(ctx, merchantID, func(tx *sqlx.Tx) error {
		return db.SelectIn(ctx, tx, &es, `SELECT `+endpointColumns+` FROM webhook_endpoints WHERE id IN (?)`, ids)
	})
	out := make(map[uuid.UUID]Endpoint, len(es))
	for _, e := range es {
		out[e.ID] = e
	}
	return out, err
}

// MessageID is the webhook-id of an event: the same for every attempt,
// every redelivery and every endpoint.
func MessageID(eventID uuid.UUID) string { return gid.Encode(gid.WebhookEvent, eventID) }
