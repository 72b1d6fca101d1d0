package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestCORSPreflights(t *testing.T) {
	t.Parallel()
	h := withCORS([]string{"https://app.example.org"}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot) // a preflight must not reach the routes
	}))
	preflight := func(origin string, requestHeaders ...string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodOptions, "/graphql", nil)
		r.Header.Set("Origin", origin)
		r.Header.Set("Access-Control-Request-Method", http.MethodPost)
		for _, v := range requestHeaders {
			r.Header.Add("Access-Control-Request-Headers", v)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	allowed := []struct{ name, headers string }{
		{"Apollo Client's headers", "apollographql-client-name,apollographql-client-version,content-type"},
		{"OpenTelemetry's trace context", "content-type,traceparent,tracestate"},
		{"an unsorted list", "traceparent,content-type,authorization"},
		{"names in any case, with spaces", "Content-Type, Authorization , X-Request-Id"},
		{"a name twice", "content-type,authorization,content-type"},
		{"conditional requests", "if-none-match"},
	}
	for _, tc := range allowed {
		t.Run("allows "+tc.name, func(t *testing.T) {
			t.Parallel()
			w := preflight("https://app.example.org", tc.headers)
			if w.Code == http.StatusTeapot || w.Header().Get("Access-Control-Allow-Origin") != "https://app.example.org" {
				t.Fatalf("status %d, headers %v", w.Code, w.Header())
			}
			got := strings.ToLower(w.Header().Get("Access-Control-Allow-Headers"))
			for _, name := range strings.Split(tc.headers, ",") {
				if name = strings.ToLower(strings.TrimSpace(name)); !strings.Contains(got, name) {
					t.Errorf("Access-Control-Allow-Headers %q lacks %s", got, name)
				}
			}
		})
	}
	t.Run("allows a list split over header lines", func(t *testing.T) {
		t.Parallel()
		if w := preflight("https://app.example.org", "traceparent", "content-type"); w.Header().Get("Access-Control-Allow-Origin") == "" {
			t.Errorf("no CORS headers: %v", w.Header())
		}
	})
	t.Run("refuses a header not on the list", func(t *testing.T) {
		t.Parallel()
		if w := preflight("https://app.example.org", "content-type,x-secret"); w.Header().Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("allowed: %v", w.Header())
		}
	})
	t.Run("refuses another origin", func(t *testing.T) {
		t.Parallel()
		if w := preflight("https://evil.example", "content-type"); w.Header().Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("allowed: %v", w.Header())
		}
	})
}
