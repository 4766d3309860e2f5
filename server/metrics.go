package server

import (
	"database/sql"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
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
