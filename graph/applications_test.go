package graph_test

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/iclei/directory/directory"
	"github.com/iclei/directory/graph"
	"github.com/iclei/directory/seed"
)

// recordingThrottle answers with allow and keeps the client addresses it was asked about.
type recordingThrottle struct {
	allow   bool
	clients []string
}

func (t *recordingThrottle) AllowApplication(r *http.Request) bool {
	t.clients = append(t.clients, r.RemoteAddr)
	return t.allow
}

func TestHandlerNeedsAnApplicationThrottle(t *testing.T) {
	t.Parallel()
	rm := directory.NewReadModel(directory.NewMemoryLog(), directory.NewSnapshot(directory.Data{}, time.Now()), slog.New(slog.DiscardHandler))
	if _, err := graph.NewHandler(rm, graph.Options{Log: slog.New(slog.DiscardHandler)}); err == nil {
		t.Fatal("a handler without an application throttle was built")
	}
}

func TestApplicationsAskTheThrottle(t *testing.T) {
	t.Parallel()
	data, _, err := seed.Build()
	if err != nil {
		t.Fatal(err)
	}
	data.Revision = 1
	log := slog.New(slog.DiscardHandler)
	rm := directory.NewReadModel(directory.NewMemoryLog(), directory.NewSnapshot(*data, time.Now()), log)
	throttle := &recordingThrottle{allow: false}
	// No Writer: a refused application must not reach the write path.
	h, err := graph.NewHandler(rm, graph.Options{Log: log, Applications: throttle})
	if err != nil {
		t.Fatal(err)
	}
	body := `{"query":"mutation { applyForMembership(input: {name: \"Hoi An\", country: \"VN\", category: FULL, contactName: \"Lan Nguyen\", email: \"lan@example.vn\", motivation: \"Heritage and climate adaptation.\"}) { reference } }"}`
	r := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.RemoteAddr = "203.0.113.9:4711"
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)

	var resp struct {
		Errors []struct {
			Extensions struct{ Code string }
		}
	}
	if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil {
		t.Fatalf("%v: %s", err, w.Body)
	}
	if len(resp.Errors) != 1 || resp.Errors[0].Extensions.Code != string(directory.CodeRateLimited) {
		t.Errorf("want one RATE_LIMITED error, got %s", w.Body)
	}
	if len(throttle.clients) != 1 || throttle.clients[0] != r.RemoteAddr {
		t.Errorf("the throttle was asked about %v, want [%s]", throttle.clients, r.RemoteAddr)
	}
}
