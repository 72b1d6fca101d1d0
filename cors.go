package main

import (
	"net/http"
	"slices"
	"strings"

	"github.com/rs/cors"

	"github.com/iclei/directory/requestlog"
)

// corsAllowedHeaders are the request headers browsers may send from other origins: those of GraphQL requests
// and caching, those Apollo Client sends to name itself and to mark requests that need a preflight, and the
// W3C trace context and baggage OpenTelemetry instrumentation adds.
var corsAllowedHeaders = []string{
	"Accept", "Authorization", "Content-Type", "If-None-Match", requestlog.Header,
	"apollographql-client-name", "apollographql-client-version", "apollo-require-preflight", "x-apollo-operation-name",
	"traceparent", "tracestate", "baggage",
}

// withCORS answers CORS preflights and adds CORS headers to the answers to origins.
func withCORS(origins []string, next http.Handler) http.Handler {
	c := cors.New(cors.Options{
		AllowedOrigins: origins,
		AllowedMethods: []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodOptions},
		AllowedHeaders: corsAllowedHeaders,
		// What a browser client may read of an answer besides the safelisted headers: caching, file names, the
		// request ID to quote in a report, and the rate limit it is held to (docs/http.md, Cost and rate limits).
		ExposedHeaders: []string{"ETag", "Content-Disposition", requestlog.Header,
			"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "Retry-After"},
		MaxAge: 600,
	})
	h := c.Handler(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodOptions {
			normalizeRequestHeaders(r.Header)
		}
		h.ServeHTTP(w, r)
	})
}

// normalizeRequestHeaders rewrites a preflight's Access-Control-Request-Headers as browsers send it: one list
// of lower-case names, sorted, each once. rs/cors accepts only that form and refuses a preflight whose list is
// in another order (as some clients and proxies send it) or repeats a name.
func normalizeRequestHeaders(h http.Header) {
	values := h.Values("Access-Control-Request-Headers")
	if len(values) == 0 {
		return
	}
	var names []string
	for _, v := range values {
		for _, name := range strings.Split(v, ",") {
			if name = strings.ToLower(strings.TrimSpace(name)); name != "" {
				names = append(names, name)
			}
		}
	}
	slices.Sort(names)
	h.Set("Access-Control-Request-Headers", strings.Join(slices.Compact(names), ","))
}
