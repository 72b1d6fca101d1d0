package main

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/iclei/directory/auth"
	"github.com/iclei/directory/directory"
	"github.com/iclei/directory/metrics"
	"github.com/iclei/directory/seed"
)

// downDatabase is a database that does not answer.
type downDatabase struct{}

func (downDatabase) Ping(context.Context) error { return errors.New("no route to the database") }

// newRoutes returns the server's routes over the shipped directory, in process: what is under test is the
// routing and the answers around the endpoints, which need no database.
func newRoutes(t *testing.T, env map[string]string) http.Handler {
	t.Helper()
	cfg, err := serveConfig(env)
	if err != nil {
		t.Fatal(err)
	}
	data, _, err := seed.Build()
	if err != nil {
		t.Fatal(err)
	}
	data.Revision = 1
	log := slog.New(slog.DiscardHandler)
	rm := directory.NewReadModel(directory.NewMemoryLog(), directory.NewSnapshot(*data, time.Now()), log)
	h, err := newHTTPHandler(cfg, log, services{
		readModel: rm, database: downDatabase{}, auth: auth.New(nil, jwtConfig(cfg)),
		applications: newApplicationThrottle(cfg),
		metrics:      metrics.New(prometheus.NewRegistry(), rm, metrics.DefaultMaxOperationNames),
		baseURL:      "http://directory.test",
	})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestEveryErrorAnswerHasOneShape asks every part of the server for an error: each answers JSON with one error
// and its code, with the status the code has.
func TestEveryErrorAnswerHasOneShape(t *testing.T) {
	t.Parallel()
	h := newRoutes(t, nil)
	for _, c := range []struct {
		name, method, target string
		status               int
		code, mention        string
	}{
		{"a URL that is not an endpoint", "GET", "/nothing-here", 404, "NOT_FOUND", "/nothing-here"},
		{"an endpoint asked with another method", "POST", "/schema.graphql", 405, "METHOD_NOT_ALLOWED", "GET"},
		{"a doubled slash is not redirected", "POST", "//graphql", 404, "NOT_FOUND", "/graphql"},
		{"an unknown office's vCard", "GET", "/export/offices/atlantis.vcf", 404, "NOT_FOUND", "atlantis"},
		{"an export with an unknown filter", "GET", "/export/offices.csv?region=mars", 400, "BAD_USER_INPUT", "east-asia"},
		{"a playground asset that does not exist", "GET", "/playground/assets/nope.js", 404, "NOT_FOUND", ""},
		{"readiness while the database is down", "GET", "/readyz", 503, "UNAVAILABLE", "database"},
		{"a GraphQL request that is not JSON", "POST", "/graphql", 415, "UNSUPPORTED_MEDIA_TYPE", "Content-Type"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(c.method, c.target, nil))
			var body struct {
				Errors []struct {
					Message    string
					Extensions struct{ Code string }
				}
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || len(body.Errors) != 1 {
				t.Fatalf("status %d, %s: %q is not one error in the server's shape", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
			}
			e := body.Errors[0]
			if rec.Code != c.status || e.Extensions.Code != c.code || !strings.Contains(e.Message, c.mention) {
				t.Errorf("status %d, code %s, message %q; want %d %s mentioning %q", rec.Code, e.Extensions.Code, e.Message, c.status, c.code, c.mention)
			}
			if ct := rec.Header().Get("Content-Type"); !strings.Contains(ct, "json") {
				t.Errorf("Content-Type %q", ct)
			}
		})
	}
}

// TestRateLimitsAClientCanSee pins what a browser client learns of its rate limit: the X-RateLimit-* headers on
// every answer, Retry-After on a refusal, all readable through CORS.
func TestRateLimitsAClientCanSee(t *testing.T) {
	t.Parallel()
	h := newRoutes(t, map[string]string{"RATE_LIMIT_PER_MINUTE": "2", "CORS_ALLOWED_ORIGINS": "https://app.example"})
	get := func() *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "/graphql?query=%7B__typename%7D", nil)
		req.Header.Set("Origin", "https://app.example")
		h.ServeHTTP(rec, req)
		return rec
	}
	first := get()
	for _, name := range []string{"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "X-Request-Id"} {
		if first.Header().Get(name) == "" {
			t.Errorf("no %s", name)
		}
	}
	exposed := strings.ToLower(strings.Join(first.Header().Values("Access-Control-Expose-Headers"), ","))
	for _, name := range []string{"x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "retry-after", "x-request-id"} {
		if !strings.Contains(exposed, name) {
			t.Errorf("CORS does not expose %s: %q", name, exposed)
		}
	}
	get()
	refused := get()
	if refused.Code != http.StatusTooManyRequests || refused.Header().Get("Retry-After") == "" ||
		!strings.Contains(refused.Body.String(), `"RATE_LIMITED"`) || !strings.Contains(refused.Header().Get("Content-Type"), "json") {
		t.Errorf("the third request: %d, Retry-After %q: %s", refused.Code, refused.Header().Get("Retry-After"), refused.Body)
	}
}

// TestNoFieldSuggestionsWithoutIntrospection: a server that hides its schema does not spell it out in "did you
// mean" suggestions either, whatever GRAPHQL_FIELD_SUGGESTIONS says.
func TestNoFieldSuggestionsWithoutIntrospection(t *testing.T) {
	t.Parallel()
	for env, suggests := range map[string]bool{"true": true, "false": false} {
		h := newRoutes(t, map[string]string{"GRAPHQL_INTROSPECTION": env})
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("POST", "/graphql", strings.NewReader(`{"query":"{ regions { cod } }"}`))
		req.Header.Set("Content-Type", "application/json")
		h.ServeHTTP(rec, req)
		if got := strings.Contains(rec.Body.String(), "Did you mean"); got != suggests {
			t.Errorf("introspection %s: suggests %v: %s", env, got, rec.Body)
		}
	}
}
