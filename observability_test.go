package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrape reads the server's metrics.
func (s *testServer) scrape(t *testing.T) map[string]*dto.MetricFamily {
	t.Helper()
	r := s.send(t, "GET", "/metrics", nil, "")
	if r.Status != http.StatusOK {
		t.Fatalf("GET /metrics: status %d", r.Status)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(r.Body))
	if err != nil {
		t.Fatalf("parse metrics: %v", err)
	}
	return families
}

// metricValue returns the value of the series of the family with the labels, and whether there is one.
func metricValue(families map[string]*dto.MetricFamily, name string, labels map[string]string) (float64, bool) {
	f := families[name]
	if f == nil {
		return 0, false
	}
series:
	for _, m := range f.Metric {
		have := map[string]string{}
		for _, l := range m.Label {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range labels {
			if have[k] != v {
				continue series
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		}
	}
	return 0, false
}

// labelValues returns the values a label takes in a family.
func labelValues(families map[string]*dto.MetricFamily, name, label string) map[string]bool {
	values := map[string]bool{}
	if f := families[name]; f != nil {
		for _, m := range f.Metric {
			for _, l := range m.Label {
				if l.GetName() == label {
					values[l.GetValue()] = true
				}
			}
		}
	}
	return values
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	post := func(body string) {
		t.Helper()
		s.send(t, "POST", "/graphql", map[string]string{"Content-Type": "application/json"}, body)
	}
	post(`{"query":"query RegionList { regions { code } }"}`)
	post(`{"query":"query RegionList { regions { code } }"}`)
	post(`{"query":"{ __typename }"}`)
	post(`{"query":"query Broken { noSuchField }"}`)
	post(`{"query":"{ __typename }","operationName":"not a name!"}`)
	s.send(t, "GET", "/healthz", nil, "")
	var info struct{ Directory struct{ Revision string } }
	s.query(t, `{ directory { revision } }`, nil, &info)

	families := s.scrape(t)
	t.Run("GraphQL requests by operation and outcome", func(t *testing.T) {
		cases := []struct {
			operation, outcome string
			want               float64
		}{
			{"RegionList", "ok", 1},
			{"RegionList", "cached", 1}, // the second time, the response cache answers
			{"anonymous", "ok", 2},
			{"Broken", "GRAPHQL_VALIDATION_FAILED", 1},
			{"other", "GRAPHQL_VALIDATION_FAILED", 1},
		}
		for _, c := range cases {
			got, _ := metricValue(families, "directory_graphql_requests_total", map[string]string{"operation": c.operation, "outcome": c.outcome})
			if got != c.want {
				t.Errorf("requests{operation=%q, outcome=%q} = %v, want %v", c.operation, c.outcome, got, c.want)
			}
		}
		if n, _ := metricValue(families, "directory_graphql_request_duration_seconds", map[string]string{"operation": "RegionList"}); n != 2 {
			t.Errorf("latency observations of RegionList = %v, want 2", n)
		}
	})

	t.Run("HTTP latency by route", func(t *testing.T) {
		for _, labels := range []map[string]string{
			{"route": "GET /healthz", "method": "get", "code": "200"},
			{"route": "/graphql", "method": "post", "code": "200"},
		} {
			if n, ok := metricValue(families, "directory_http_request_duration_seconds", labels); !ok || n < 1 {
				t.Errorf("no latency observed for %v", labels)
			}
		}
	})

	t.Run("the snapshot, the database and the runtime", func(t *testing.T) {
		if rev, _ := metricValue(families, "directory_snapshot_revision", nil); fmt.Sprint(rev) != info.Directory.Revision {
			t.Errorf("snapshot revision = %v, want %s", rev, info.Directory.Revision)
		}
		if age, ok := metricValue(families, "directory_snapshot_age_seconds", nil); !ok || age < 0 {
			t.Errorf("snapshot age = %v (present %v)", age, ok)
		}
		if up, _ := metricValue(families, "directory_database_reachable", nil); up != 1 {
			t.Errorf("database reachable = %v", up)
		}
		for _, name := range []string{"go_goroutines", "process_start_time_seconds"} {
			if families[name] == nil {
				t.Errorf("no %s", name)
			}
		}
	})

	t.Run("operation names are capped", func(t *testing.T) {
		for i := range 120 {
			post(fmt.Sprintf(`{"query":"query Op%03d { __typename }"}`, i))
		}
		names := labelValues(s.scrape(t), "directory_graphql_requests_total", "operation")
		delete(names, "anonymous")
		delete(names, "other")
		if len(names) > 100 {
			t.Errorf("%d operation names recorded, want at most 100", len(names))
		}
		if !names["RegionList"] || !names["Op000"] || names["Op119"] {
			t.Errorf("want the first names kept and later ones counted as other: %v", names)
		}
	})
}

func TestRequestIDsAndAccessLog(t *testing.T) {
	t.Parallel()
	s := startServer(t, map[string]string{"LOG_FORMAT": "json", "LOG_LEVEL": "info"})
	generated := regexp.MustCompile(`^[A-Z2-7]{26}$`)
	cases := []struct {
		name, sent string
		kept       bool
	}{
		{"a sane incoming ID is kept", "trace-0af7651916cd43dd8448eb211c80319c", true},
		{"an ID with spaces is replaced", "not an id", false},
		{"an overlong ID is replaced", strings.Repeat("a", 200), false},
		{"a request without ID gets one", "", false},
	}
	seen := map[string]bool{}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := s.send(t, "GET", "/export/offices.csv?region=europe", map[string]string{"X-Request-Id": c.sent}, "")
			id := r.Header.Get("X-Request-Id")
			switch {
			case c.kept && id != c.sent:
				t.Fatalf("X-Request-Id = %q, want %q", id, c.sent)
			case !c.kept && !generated.MatchString(id):
				t.Fatalf("X-Request-Id = %q, want a generated ID", id)
			case seen[id]:
				t.Fatalf("X-Request-Id %q given twice", id)
			}
			seen[id] = true
			line := accessLogLine(t, s, id)
			if line["method"] != "GET" || line["path"] != "/export/offices.csv" || line["route"] != "GET /export/offices.csv" ||
				line["status"] != float64(200) || line["msg"] != "request" {
				t.Errorf("access log line %v", line)
			}
		})
	}
}

// accessLogLine waits for the JSON access-log line of the request with the ID.
func accessLogLine(t *testing.T, s *testServer, id string) map[string]any {
	t.Helper()
	var found map[string]any
	eventually(t, 5*time.Second, func() error {
		for _, l := range strings.Split(s.stderr.String(), "\n") {
			var rec map[string]any
			if json.Unmarshal([]byte(l), &rec) == nil && rec["requestId"] == id && rec["msg"] == "request" {
				found = rec
				return nil
			}
		}
		return fmt.Errorf("no access log line with requestId %s", id)
	})
	return found
}
