package server

import (
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"net/http"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"kassa/fault"
)

type metrics struct {
	registry     *prometheus.Registry
	httpDuration *prometheus.HistogramVec
	gqlDuration  *prometheus.HistogramVec

	mu  sync.Mutex
	ops map[string]struct{}
}

// maxOperationLabels bounds the operation-name label: names are chosen by
// clients, and an unbounded label set would exhaust the metrics store.
const maxOperationLabels = 200

func newMetrics(pools map[string]*sql.DB) *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "kassa", Name: "http_request_duration_seconds",
			Help:    "HTTP request latency by route, method and status.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "method", "status"}),
		gqlDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "kassa", Name: "graphql_operation_duration_seconds",
			Help:    "GraphQL operation latency by type and operation name.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"type", "operation"}),
		ops: make(map[string]struct{}),
	}
	m.registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.httpDuration, m.gqlDuration,
	)
	for name, pool := range pools {
		m.registry.MustRegister(collectors.NewDBStatsCollector(pool, name))
	}
	return m
}

func (m *metrics) opLabel(name string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.ops[name]; ok {
		return name
	}
	if len(m.ops) >= maxOperationLabels {
		return "other"
	}
	m.ops[name] = struct{}{}
	return name
}

// metricsHandler serves the registry, behind the bearer token when one is
// configured. The token is compared by hash, in constant time, so neither
// its content nor its length leaks through timing.
func (s *Server) metricsHandler() http.Handler {
	h := promhttp.HandlerFor(s.metrics.registry, promhttp.HandlerOpts{})
	if s.cfg.MetricsToken == "" {
		return h
	}
	want := sha256.Sum256([]byte(s.cfg.MetricsToken))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		got := sha256.Sum256([]byte(strings.TrimSpace(token)))
		if !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="kassa metrics"`)
			writeError(w, r, http.StatusUnauthorized, fault.ErrUnauthorized.Code, "send Authorization: Bearer <KASSA_METRICS_TOKEN>")
			return
		}
		h.ServeHTTP(w, r)
	})
}
