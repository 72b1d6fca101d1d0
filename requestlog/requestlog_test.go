package requestlog_test

import (
	"bytes"
	"encoding/json"
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
