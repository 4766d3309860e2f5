package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"math"
	"mime"
	"net/http"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/vektah/gqlparser/v2/ast"
	"golang.org/x/time/rate"

	"kassa/auth"
	"kassa/fault"
	"kassa/idempotency"
	"kassa/logging"
)

var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// withRequestID gives every request an id: the caller's X-Request-Id when it
// is sane, otherwise a new one. It is echoed and logged with every line.
func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if !requestIDPattern.MatchString(id) {
			id = "req_" + rand.Text()
		}
		w.Header().Set("X-Request-Id", id)
		ctx := logging.With(r.Context(), slog.String("request_id", id))
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// statusWriter records what a handler answered.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// requestInfo is filled in by the handlers inside the access log, so its
// line can name whom the request acted for.
type requestInfo struct{ merchantID string }

type requestInfoKey struct{}

// withAccessLog logs each request and observes its latency. route is the
// mux pattern, so metrics have bounded labels.
func (s *Server) withAccessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		info := &requestInfo{}
		r = r.WithContext(context.WithValue(r.Context(), requestInfoKey{}, info))
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.ErrorContext(r.Context(), "panic", "panic", p, "stack", string(debug.Stack()))
				if sw.status == 0 {
					writeError(sw, r, http.StatusInternalServerError, ErrInternal, "internal error")
				}
			}
			route := r.Pattern
			if route == "" {
				route = "unmatched"
			}
			elapsed := time.Since(start)
			s.metrics.httpDuration.WithLabelValues(route, r.Method, strconv.Itoa(sw.status)).Observe(elapsed.Seconds())
			if r.URL.Path == "/healthz" || r.URL.Path == "/metrics" {
				return
			}
			path := r.URL.Path
			if strings.Contains(route, "{") {
				// Wildcards carry secrets (/invite/{token}): log the pattern.
				path = route[strings.IndexByte(route, '/'):]
			}
			attrs := []any{"method", r.Method, "path", path, "route", route,
				"status", sw.status, "bytes", sw.bytes, "duration_ms", float64(elapsed.Microseconds()) / 1000}
			if info.merchantID != "" {
				attrs = append(attrs, "merchant_id", info.merchantID)
			}
			s.log.InfoContext(r.Context(), "http request", attrs...)
		}()
		next.ServeHTTP(sw, r)
	})
}

// withBodyLimit bounds every request body; reading past it fails, and the
// handlers answer 413.
func withBodyLimit(limit int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > limit {
			writeError(w, r, http.StatusRequestEntityTooLarge, ErrRequestTooLarge, "the request body is too large")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		next.ServeHTTP(w, r)
	})
}

// authenticate finds the principal from a Bearer API key or the session
// cookie. Without either the request is answered 401, except a websocket
// upgrade, which may authenticate in its connection_init message.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := s.principalFor(r.Context(), r.Header.Get("Authorization"), r)
		if err != nil {
			if errors.Is(err, fault.ErrUnauthorized) {
				if isWebsocket(r) {
					next.ServeHTTP(w, r)
					return
				}
				w.Header().Set("WWW-Authenticate", `Bearer realm="kassa"`)
				writeError(w, r, http.StatusUnauthorized, fault.ErrUnauthorized.Code, unauthorizedMessage(r))
				return
			}
			s.log.ErrorContext(r.Context(), "authenticate", "error", err)
			writeError(w, r, http.StatusServiceUnavailable, ErrUnavailable, "authentication is unavailable; try again")
			return
		}
		if p.Kind == auth.CredentialSession && !csrfSafe(r) {
			writeError(w, r, http.StatusBadRequest, ErrCSRFRejected,
				"requests authenticated by cookie must be sent as application/json or carry the X-Kassa-CSRF header")
			return
		}
		next.ServeHTTP(w, r.WithContext(s.withPrincipal(r.Context(), p)))
	})
}

func (s *Server) withPrincipal(ctx context.Context, p *auth.Principal) context.Context {
	if info, _ := ctx.Value(requestInfoKey{}).(*requestInfo); info != nil {
		info.merchantID = p.MerchantID.String()
	}
	ctx = auth.WithPrincipal(ctx, p)
	attrs := []slog.Attr{slog.String("merchant_id", p.MerchantID.String())}
	if p.UserID.String() != "00000000-0000-0000-0000-000000000000" {
		attrs = append(attrs, slog.String("user_id", p.UserID.String()))
	} else {
		attrs = append(attrs, slog.String("api_key_id", p.CredentialID.String()))
	}
	return logging.With(ctx, attrs...)
}

func unauthorizedMessage(r *http.Request) string {
	if r.Header.Get("Authorization") != "" {
		return "the API key is not valid or has been revoked"
	}
	return "authentication required: send Authorization: Bearer <API key>, or log in at /login"
}

// principalFor authenticates an Authorization header value, or else the
// session cookie of r (r may be nil).
func (s *Server) principalFor(ctx context.Context, authorization string, r *http.Request) (*auth.Principal, error) {
	if authorization != "" {
		scheme, secret, ok := strings.Cut(authorization, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return nil, fault.ErrUnauthorized
		}
		return s.auth.AuthenticateAPIKey(ctx, strings.TrimSpace(secret))
	}
	if r != nil {
		if c, err := r.Cookie(auth.SessionCookie); err == nil {
			return s.auth.AuthenticateSession(ctx, c.Value)
		}
	}
	return nil, fault.ErrUnauthorized
}

// csrfSafe applies Apollo's preflight rule to cookie-authenticated
// requests: a browser can send a cross-site request without a CORS
// preflight only with a "simple" content type and no custom header, so
// those are refused. Websocket upgrades must come from our own origin.
func csrfSafe(r *http.Request) bool {
	if isWebsocket(r) {
		origin := r.Header.Get("Origin")
		return origin == "" || strings.TrimPrefix(strings.TrimPrefix(origin, "https://"), "http://") == r.Host
	}
	if r.Header.Get("X-Kassa-CSRF") != "" || r.Header.Get("Apollo-Require-Preflight") != "" {
		return true
	}
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return false
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	switch mt {
	case "application/x-www-form-urlencoded", "multipart/form-data", "text/plain":
		return false
	}
	return true
}

func isWebsocket(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// limiter is a token bucket per credential.
type limiter struct {
	rate  rate.Limit
	burst int
	mu    sync.Mutex
	m     map[string]*bucket
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

func newLimiter(perSecond float64, burst int) *limiter {
	return &limiter{rate: rate.Limit(perSecond), burst: burst, m: make(map[string]*bucket)}
}

// take takes n tokens for key and returns how long to wait when it cannot.
func (l *limiter) take(key string, n int) (bool, time.Duration) {
	now := time.Now()
	l.mu.Lock()
	b, ok := l.m[key]
	if !ok {
		if len(l.m) > 100_000 {
			l.sweep(now)
		}
		b = &bucket{lim: rate.NewLimiter(l.rate, l.burst)}
		l.m[key] = b
	}
	b.seen = now
	l.mu.Unlock()
	if n > l.burst {
		return false, time.Duration(math.Ceil(float64(n)/float64(l.rate))) * time.Second
	}
	res := b.lim.ReserveN(now, n)
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return false, d
	}
	return true, 0
}

// sweep drops buckets idle long enough to be full again.
func (l *limiter) sweep(now time.Time) {
	for k, b := range l.m {
		if now.Sub(b.seen) > time.Minute {
			delete(l.m, k)
		}
	}
}

// rateLimit charges each request to its credential's bucket: one token, or
// one per root field of a mutation (aliases cannot batch past the limit).
func (s *Server) rateLimit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := auth.FromContext(r.Context())
		if p == nil {
			next.ServeHTTP(w, r)
			return
		}
		cost := 1
		if q := gqlRequestFrom(r.Context()); q != nil && q.Operation == ast.Mutation && q.RootFields > 1 {
			cost = q.RootFields
		}
		if ok, wait := s.limiter.take(p.CredentialID.String(), cost); !ok {
			secs := int(math.Ceil(wait.Seconds()))
			w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
			writeError(w, r, http.StatusTooManyRequests, ErrRateLimited, "too many requests: slow down and retry after the time in Retry-After")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// IdempotencyHeader is the header a client sets to make a mutation safe to retry.
const IdempotencyHeader = "Idempotency-Key"

// validIdempotencyKey reports whether key is UTF-8 text without control
// characters (C0, DEL, C1), so it can be stored and shown back.
func validIdempotencyKey(key string) bool {
	if !utf8.ValidString(key) {
		return false
	}
	for _, c := range key {
		if unicode.IsControl(c) {
			return false
		}
	}
	return true
}

// bufferWriter holds a response so it can be stored before it is sent.
type bufferWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferWriter) Header() http.Header { return b.header }
func (b *bufferWriter) WriteHeader(code int) {
	if b.status == 0 {
		b.status = code
	}
}
func (b *bufferWriter) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}

// idempotent runs keyed mutations once per key (see package idempotency).
func (s *Server) idempotent(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get(IdempotencyHeader)
		q := gqlRequestFrom(r.Context())
		p := auth.FromContext(r.Context())
		if key == "" || q == nil || p == nil || q.Operation != ast.Mutation {
			next.ServeHTTP(w, r)
			return
		}
		if len(key) > 255 {
			writeError(w, r, http.StatusBadRequest, ErrIdempotencyKeyInvalid, "the Idempotency-Key header must be at most 255 characters")
			return
		}
		if !validIdempotencyKey(key) {
			// PostgreSQL refuses text that is not UTF-8 or holds NUL: without
			// this the claim fails as 503, which a client retries forever.
			writeError(w, r, http.StatusBadRequest, ErrIdempotencyKeyInvalid,
				"the Idempotency-Key header must be UTF-8 text without control characters")
			return
		}
		if q.RootFields != 1 {
			writeError(w, r, http.StatusBadRequest, ErrIdempotencyKeyMultipleMutations,
				"a request with an Idempotency-Key may hold only one mutation field")
			return
		}
		sc := idempotency.Scope{MerchantID: p.MerchantID, CredentialID: p.CredentialID, Key: key}
		out, stored, err := s.idem.Claim(r.Context(), sc, q.Hash)
		if err != nil {
			s.log.ErrorContext(r.Context(), "idempotency claim", "error", err)
			writeError(w, r, http.StatusServiceUnavailable, ErrUnavailable, "could not check the Idempotency-Key; try again")
			return
		}
		switch out {
		case idempotency.Mismatch:
			writeError(w, r, http.StatusUnprocessableEntity, ErrIdempotencyKeyMismatch,
				"this Idempotency-Key was used with another request; use a new key for a new request")
			return
		case idempotency.InUse:
			w.Header().Set("Retry-After", "1")
			writeError(w, r, http.StatusConflict, ErrIdempotencyKeyInUse,
				"a request with this Idempotency-Key is still running; retry when it has finished")
			return
		case idempotency.Replay:
			w.Header().Set("Content-Type", stored.ContentType)
			w.Header().Set("Idempotency-Replayed", "true")
			w.WriteHeader(stored.Status)
			_, _ = w.Write(stored.Body)
			return
		}

		r = r.WithContext(idempotency.WithKey(r.Context(), key))
		buf := &bufferWriter{header: w.Header()}
		completed := false
		defer func() {
			if !completed {
				// The request died (a panic, a lost connection): forget the
				// claim so that a retry runs it instead of waiting it out.
				if err := s.idem.Release(context.WithoutCancel(r.Context()), sc); err != nil {
					s.log.ErrorContext(r.Context(), "idempotency release", "error", err)
				}
			}
		}()
		next.ServeHTTP(buf, r)
		if buf.status == 0 {
			buf.status = http.StatusOK
		}
		// A 5xx, or a 200 carrying an internal error, is not an answer to
		// remember: the client should be able to retry with the same key.
		if f := flagsFrom(r.Context()); buf.status < 500 && (f == nil || !f.internal.Load()) {
			resp := idempotency.Response{Status: buf.status, ContentType: w.Header().Get("Content-Type"), Body: buf.body.Bytes()}
			if err := s.idem.Complete(context.WithoutCancel(r.Context()), sc, resp); err != nil {
				s.log.ErrorContext(r.Context(), "idempotency complete", "error", err)
			} else {
				completed = true
			}
		}
		w.WriteHeader(buf.status)
		_, _ = w.Write(buf.body.Bytes())
	})
}

// securityHeaders sets the headers every page and API answer carries.
func securityHeaders(csp string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		if csp != "" {
			h.Set("Content-Security-Policy", csp)
		}
		next.ServeHTTP(w, r)
	})
}
