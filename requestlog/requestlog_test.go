package requestlog_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/iclei/directory/requestlog"
)

func TestRecordsLoggedWhileServingCarryTheRequestID(t *testing.T) {
	var out bytes.Buffer
	log := slog.New(requestlog.NewHandler(slog.NewJSONHandler(&out, nil)))
	h := requestlog.Middleware(log, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log.With("component", "test").InfoContext(r.Context(), "inside the handler")
		w.WriteHeader(http.StatusTeapot)
		_, _ = w.Write([]byte("short and stout"))
	}))
	req := httptest.NewRequest("GET", "/teapot", nil)
	req.Header.Set(requestlog.Header, "req-42")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)

	if got := rec.Header().Get(requestlog.Header); got != "req-42" {
		t.Errorf("response %s = %q", requestlog.Header, got)
	}
	var records []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var r map[string]any
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatal(err)
		}
		records = append(records, r)
	}
	if len(records) != 2 {
		t.Fatalf("want the handler's record and the access-log line, got %d: %s", len(records), out.String())
	}
	for _, r := range records {
		if r[requestlog.Attr] != "req-42" {
			t.Errorf("record without the request ID: %v", r)
		}
	}
	if a := records[1]; a["msg"] != "request" || a["status"] != float64(http.StatusTeapot) || a["bytes"] != float64(len("short and stout")) {
		t.Errorf("access log line %v", a)
	}
}

func TestRecordsOutsideRequestsHaveNoID(t *testing.T) {
	var out bytes.Buffer
	slog.New(requestlog.NewHandler(slog.NewJSONHandler(&out, nil))).Info("starting")
	if strings.Contains(out.String(), requestlog.Attr) {
		t.Errorf("record outside a request has an ID: %s", out.String())
	}
}

func TestRequestIDs(t *testing.T) {
	tests := []struct {
		name, sent string
		kept       bool
	}{
		{"keeps a UUID", "0f8fad5b-d9cb-469f-a165-70867728950e", true},
		{"keeps an AWS trace ID", "Root=1-67891233-abcdef012345678912345678", true},
		{"keeps base64 with padding", "a+b/c==", true},
		{"replaces none", "", false},
		{"replaces one with a space", "req 42", false},
		{"replaces one with a line break", "req\n42", false},
		{"replaces one with a quote", `req"42`, false},
		{"replaces non-ASCII", "réq", false},
		{"replaces one over 128 bytes", strings.Repeat("a", 129), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			log := slog.New(requestlog.NewHandler(slog.NewJSONHandler(&out, nil)))
			var inside string
			h := requestlog.Middleware(log, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				inside = requestlog.ID(r.Context())
			}))
			req := httptest.NewRequest("GET", "/", nil)
			if tt.sent != "" {
				req.Header.Set(requestlog.Header, tt.sent)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			got := rec.Header().Get(requestlog.Header)
			if tt.kept && got != tt.sent {
				t.Errorf("response ID %q, want %q", got, tt.sent)
			}
			if !tt.kept && (got == tt.sent || len(got) != 26) {
				t.Errorf("response ID %q, want a fresh 26-character ID", got)
			}
			if inside != got {
				t.Errorf("the handler saw ID %q, the response says %q", inside, got)
			}
			if !strings.Contains(out.String(), `"requestId":"`+got+`"`) {
				t.Errorf("access log line without the ID %q: %s", got, out.String())
			}
		})
	}
}

func TestAccessLogLineFields(t *testing.T) {
	var out bytes.Buffer
	log := slog.New(requestlog.NewHandler(slog.NewJSONHandler(&out, nil)))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /things/{id}", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("thing")) })
	req := httptest.NewRequest("GET", "/things/7", nil)
	req.Header.Set("User-Agent", "tester/1")
	req.Header.Set(requestlog.Header, "req-7")
	requestlog.Middleware(log, mux).ServeHTTP(httptest.NewRecorder(), req)

	// The fields, in their order.
	keys := []string{`"msg":"request"`, `"method":"GET"`, `"path":"/things/7"`, `"route":"GET /things/{id}"`, `"status":200`,
		`"bytes":5`, `"durationMs":`, `"remote":"192.0.2.1:1234"`, `"userAgent":"tester/1"`, `"requestId":"req-7"`}
	line, at := out.String(), 0
	for _, k := range keys {
		i := strings.Index(line[at:], k)
		if i < 0 {
			t.Fatalf("access log line without %s after position %d: %s", k, at, line)
		}
		at += i + len(k)
	}
}

// TestAccessLogLineCountsABatch shows a request that carried a batch of GraphQL operations logged with
// batch=n before its ID, and every other request without the field.
func TestAccessLogLineCountsABatch(t *testing.T) {
	var out bytes.Buffer
	log := slog.New(requestlog.NewHandler(slog.NewJSONHandler(&out, nil)))
	h := requestlog.Middleware(log, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("batch") != "" {
			requestlog.SetBatch(r.Context(), 3)
		}
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", "/graphql?batch=1", nil))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", "/graphql", nil))
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("want two access-log lines, got %q", out.String())
	}
	if !strings.Contains(lines[0], `"batch":3,"requestId":`) {
		t.Errorf("a batch's line does not count its operations: %s", lines[0])
	}
	if strings.Contains(lines[1], `"batch"`) {
		t.Errorf("a plain request's line has a batch field: %s", lines[1])
	}
	requestlog.SetBatch(t.Context(), 2) // outside a request: nothing to record, and no panic
}

func BenchmarkMiddleware(b *testing.B) {
	for _, withID := range []bool{false, true} {
		b.Run(map[bool]string{false: "new-id", true: "given-id"}[withID], func(b *testing.B) {
			log := slog.New(requestlog.NewHandler(slog.NewTextHandler(io.Discard, nil)))
			h := requestlog.Middleware(log, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = w.Write([]byte("ok"))
			}))
			req := httptest.NewRequest("POST", "/graphql", nil)
			req.Header.Set("User-Agent", "bench/1")
			if withID {
				req.Header.Set(requestlog.Header, "0f8fad5b-d9cb-469f-a165-70867728950e")
			}
			w := discardWriter{http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				h.ServeHTTP(w, req)
			}
		})
	}
}

// discardWriter is a ResponseWriter that keeps nothing, so that the benchmark measures the middleware.
type discardWriter struct{ h http.Header }

func (w discardWriter) Header() http.Header         { return w.h }
func (w discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w discardWriter) WriteHeader(int)             {}
