// Package metrics exposes the server's Prometheus metrics: GraphQL operations by name and outcome, HTTP
// latency by route, the snapshot the server answers from, whether the database is reachable, and the Go
// runtime and process collectors. Everything is registered on the registry it is given, never the global one.
package metrics

import (
	"net/http"
	"regexp"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/iclei/directory/directory"
)

// Label values standing in for operation names that are not recorded one by one.
const (
	Anonymous = "anonymous" // an operation without a name
	Other     = "other"     // a name that is not a GraphQL name, or one past the cap
)

// DefaultMaxOperationNames is how many distinct operation names get a label value of their own.
const DefaultMaxOperationNames = 100

// ReadModel is what the metrics read of the directory's read model.
type ReadModel interface {
	Snapshot() *directory.Snapshot
	Reachable() bool
}

// Metrics records the server's metrics on a registry.
type Metrics struct {
	registry          *prometheus.Registry
	operations        *prometheus.CounterVec
	operationDuration *prometheus.HistogramVec
	httpDuration      *prometheus.HistogramVec
	names             *nameSet
}

// New registers the metrics on reg. At most maxOperationNames distinct operation names are recorded by name
// (DefaultMaxOperationNames when it is not positive); later ones are recorded as "other", so that clients cannot
// grow the number of series without bound.
func New(reg *prometheus.Registry, rm ReadModel, maxOperationNames int) *Metrics {
	if maxOperationNames <= 0 {
		maxOperationNames = DefaultMaxOperationNames
	}
	m := &Metrics{
		registry: reg,
		operations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "directory_graphql_requests_total",
			Help: `GraphQL requests by operation name and outcome: "ok", "cached" (answered from the response cache), "not_modified" or the code of the first error.`,
		}, []string{"operation", "outcome"}),
		operationDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "directory_graphql_request_duration_seconds",
			Help:    "Time to answer a GraphQL request, by operation name.",
			Buckets: prometheus.DefBuckets,
		}, []string{"operation"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "directory_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route, method and status code.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route", "method", "code"}),
		names: &nameSet{max: maxOperationNames, names: map[string]bool{}},
	}
	reg.MustRegister(
		m.operations, m.operationDuration, m.httpDuration,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "directory_snapshot_revision",
			Help: "The database revision of the snapshot the server answers from; -1 before the first load.",
		}, func() float64 {
			if s := rm.Snapshot(); s != nil {
				return float64(s.Revision)
			}
			return -1
		}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "directory_snapshot_age_seconds",
			Help: "Time since the snapshot the server answers from was loaded; it is reloaded when the revision changes.",
		}, func() float64 {
			if s := rm.Snapshot(); s != nil {
				return time.Since(s.LoadedAt).Seconds()
			}
			return 0
		}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "directory_database_reachable",
			Help: "1 when the database answered the read model's last check, 0 when it did not.",
		}, func() float64 {
			if rm.Reachable() {
				return 1
			}
			return 0
		}),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

// Handler serves the metrics in the Prometheus exposition formats.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry})
}

// Route measures the latency of the requests h answers under the route's name. Routes are named by their
// patterns, so that the number of series stays bounded.
func (m *Metrics) Route(route string, h http.Handler) http.Handler {
	return promhttp.InstrumentHandlerDuration(m.httpDuration.MustCurryWith(prometheus.Labels{"route": route}), h)
}

// ObserveOperation records a GraphQL request; it implements graph.OperationObserver.
func (m *Metrics) ObserveOperation(name, outcome string, took time.Duration) {
	op := m.names.label(name)
	if !outcomePattern.MatchString(outcome) {
		outcome = Other
	}
	m.operations.WithLabelValues(op, outcome).Inc()
	m.operationDuration.WithLabelValues(op).Observe(took.Seconds())
}

// outcomePattern matches the outcomes and error codes the server gives.
var outcomePattern = regexp.MustCompile(`^[A-Za-z_]{1,40}$`)

// namePattern matches a GraphQL name of reasonable length.
var namePattern = regexp.MustCompile(`^[_A-Za-z][_0-9A-Za-z]{0,63}$`)

// nameSet is the operation names recorded by name so far.
type nameSet struct {
	mu    sync.Mutex
	max   int
	names map[string]bool
}

func (s *nameSet) label(name string) string {
	switch {
	case name == "":
		return Anonymous
	case !namePattern.MatchString(name) || name == Anonymous || name == Other:
		return Other
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.names[name] {
		return name
	}
	if len(s.names) >= s.max {
		return Other
	}
	s.names[name] = true
	return name
}
