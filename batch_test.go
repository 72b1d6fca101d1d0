package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
)

// Batches through the server's own routes: off unless GRAPHQL_BATCH_MAX allows them, each operation counted
// against the request rate limit and in the metrics, the answer compressed as any other. graph/batch_test.go
// pins the rest of what a batch does.

func postBatchTo(t *testing.T, h http.Handler, body string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestBatchesAreOffByDefault(t *testing.T) {
	t.Parallel()
	rec := postBatchTo(t, newRoutes(t, nil), `[{"query":"{ directory { revision } }"}]`)
	if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), `"BATCHING_DISABLED"`) {
		t.Errorf("status %d: %s", rec.Code, rec.Body)
	}
}

func TestBatchOperationsCountAsRequests(t *testing.T) {
	t.Parallel()
	h := newRoutes(t, map[string]string{"GRAPHQL_BATCH_MAX": "4", "RATE_LIMIT_PER_MINUTE": "6"})
	batch := func(names ...string) string {
		var items []string
		for _, n := range names {
			items = append(items, `{"query":"query `+n+` { directory { revision } }"}`)
		}
		return "[" + strings.Join(items, ",") + "]"
	}
	steps := []struct {
		body      string
		status    int
		remaining string
	}{
		{batch("A", "B", "C", "D"), http.StatusOK, "2"},         // four of six
		{batch("E", "F", "G"), http.StatusTooManyRequests, "1"}, // would be eight; counted once, as every refused request
		{batch("H"), http.StatusOK, "0"},
		{batch("I"), http.StatusTooManyRequests, "0"},
	}
	for i, s := range steps {
		rec := postBatchTo(t, h, s.body)
		if rec.Code != s.status || rec.Header().Get("X-RateLimit-Remaining") != s.remaining {
			t.Fatalf("batch %d: status %d, X-RateLimit-Remaining %q; want %d and %q: %s", i+1, rec.Code,
				rec.Header().Get("X-RateLimit-Remaining"), s.status, s.remaining, rec.Body)
		}
		if s.status == http.StatusTooManyRequests && (rec.Header().Get("Retry-After") == "" || !strings.Contains(rec.Body.String(), `"RATE_LIMITED"`)) {
			t.Errorf("batch %d: Retry-After %q: %s", i+1, rec.Header().Get("Retry-After"), rec.Body)
		}
	}

	// The metrics count each operation under its name; the refused batches once, as the request they were.
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	for _, want := range []string{
		`directory_graphql_requests_total{operation="A",outcome="ok"} 1`,
		`directory_graphql_requests_total{operation="D",outcome="ok"} 1`,
		`directory_graphql_requests_total{operation="H",outcome="ok"} 1`,
	} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("the metrics have no %s", want)
		}
	}
	for _, refused := range []string{`operation="E"`, `operation="G"`} {
		if strings.Contains(rec.Body.String(), refused) {
			t.Errorf("the metrics count an operation of a refused batch: %s", refused)
		}
	}
}

func TestBatchAnswersAreCompressed(t *testing.T) {
	t.Parallel()
	h := newRoutes(t, map[string]string{"GRAPHQL_BATCH_MAX": "2", "RATE_LIMIT_PER_MINUTE": "0"})
	q := `{"query":"{ countries { code name region { name } } }"}`
	rec := postBatchTo(t, h, "["+q+","+q+"]", "Accept-Encoding", "gzip")
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Encoding") != "gzip" {
		t.Fatalf("status %d, Content-Encoding %q", rec.Code, rec.Header().Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	var answers []struct {
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &answers); err != nil || len(answers) != 2 || len(answers[1].Data) < 1000 {
		t.Errorf("the decompressed answer: %v: %.300s", err, body)
	}
}
