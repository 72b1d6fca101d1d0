package main

//go:generate go run ./graph/printschema -out schema.graphql -possible-types possible-types.json

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/iclei/directory/directory"
	"github.com/iclei/directory/export"
	"github.com/iclei/directory/graph"
	"github.com/iclei/directory/graph/schema"
	"github.com/iclei/directory/httpcache"
	"github.com/iclei/directory/httpcompress"
	"github.com/iclei/directory/httperror"
	"github.com/iclei/directory/metrics"
	"github.com/iclei/directory/playground"
	"github.com/iclei/directory/requestlog"
)

// services are what the routes serve, each built once by serve.
type services struct {
	readModel *directory.ReadModel
	// database answers the readiness probe's ping.
	database interface{ Ping(context.Context) error }
	writer   *directory.Writer
	auditor  *directory.Auditor
	auth     directory.Authenticator
	// applications holds each client address to the membership application limit.
	applications graph.ApplicationThrottle
	metrics      *metrics.Metrics
	// baseURL is where the server is reached (PUBLIC_URL, or else its listener), for links the exports write.
	baseURL string
	// streams ends every subscription's stream when the server shuts down.
	streams context.Context
	// webhooks registers and delivers webhooks.
	webhooks *directory.Webhooks
}

// newHTTPHandler routes the server's endpoints (docs/http.md lists them). Every route's latency is measured
// under its pattern; every request gets an ID and an access-log line.
func newHTTPHandler(cfg *config, log *slog.Logger, svc services) (http.Handler, error) {
	rm, m := svc.readModel, svc.metrics
	mux := http.NewServeMux()
	limit := newRequestLimit(cfg)
	handle := func(pattern string, h http.Handler) {
		probe := pattern == "GET /healthz" || pattern == "GET /readyz" || pattern == "GET /metrics"
		mux.Handle(pattern, m.Route(pattern, limit.wrap(h, probe)))
	}

	gql, err := graph.NewHandler(rm, graph.Options{
		Introspection: cfg.Introspection, QueryCacheSize: cfg.QueryCacheSize, Log: log,
		PersistedQueryCacheSize: cfg.PersistedQueryCacheSize, ResponseCacheBytes: cfg.ResponseCacheBytes,
		CacheControl: cfg.CacheControl, Observer: m,
		Writer: svc.writer, Auditor: svc.auditor, Auth: svc.auth, Applications: svc.applications, Webhooks: svc.webhooks,
		Limits: graph.Limits{MaxTokens: cfg.MaxTokens, MaxFields: cfg.MaxFields, MaxRepeats: cfg.MaxRepeats,
			MaxDepth: cfg.MaxDepth, MaxAliases: cfg.MaxAliases, MaxComplexity: cfg.MaxComplexity,
			DisableSuggestions: !cfg.FieldSuggestions},
		BatchMax: cfg.BatchMax, Requests: limit,
		SubscriptionsPerClient: cfg.SubscriptionsPerClient, Heartbeat: cfg.Heartbeat, Streams: svc.streams,
		ClientKey: func(r *http.Request) string { key, _ := clientKey(cfg)(r); return key },
		Origins:   cfg.CORSOrigins,
	})
	if err != nil {
		return nil, err
	}
	handle("/graphql", gql)
	pg := playground.Handler(playground.Options{Title: "ICLEI Directory", Endpoint: "/graphql", Tabs: exampleTabs})
	handle("/{$}", pg)
	handle(playground.AssetPrefix, pg)
	// Published even with introspection off: the schema is committed in the open, and clients need it to build.
	handle("GET /schema.graphql", published(log, cfg.CacheControl, "text/plain; charset=utf-8", schema.SDL))
	handle("GET /possible-types.json", published(log, cfg.CacheControl, "application/json", schema.PossibleTypes))
	for _, r := range export.Routes(rm, export.Options{BaseURL: svc.baseURL, CacheControl: cfg.CacheControl,
		Build: httpcache.BuildID(), Log: log}) {
		handle(r.Pattern, r.Handler)
	}
	handle("GET /metrics", m.Handler())
	handle("GET /healthz", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok\n")
	}))
	handle("GET /readyz", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		switch {
		case rm.Snapshot() == nil:
			httperror.Write(w, string(directory.CodeUnavailable), "directory not loaded")
		case svc.database.Ping(ctx) != nil:
			httperror.Write(w, string(directory.CodeUnavailable), "database unreachable")
		default:
			_, _ = fmt.Fprintf(w, "ready: revision %d\n", rm.Snapshot().Revision)
		}
	}))
	// Inside the access log, which then counts the bytes sent, and outside every route, so that /graphql, the
	// exports, the schema and the playground's bundle are all compressed when large enough. Every error answer
	// of the routes, and of the router itself, takes the one error shape.
	compressed, err := httpcompress.Handler(httperror.Shape(mux))
	if err != nil {
		return nil, fmt.Errorf("compression: %w", err)
	}
	return requestlog.Middleware(log, withCORS(cfg.CORSOrigins, compressed)), nil
}

// published serves a document derived from the schema, the same text as its committed copy at the repository
// root (schema.graphql, possible-types.json).
func published(log *slog.Logger, cacheControl, mediaType string, render func() ([]byte, error)) http.Handler {
	body, err := render()
	etag := httpcache.ETag(0, string(body))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err != nil {
			log.ErrorContext(r.Context(), "render a schema document", "path", r.URL.Path, "err", err)
			httperror.Write(w, string(directory.CodeInternal), "internal error; it has been logged")
			return
		}
		w.Header().Set("ETag", etag)
		w.Header().Set("Cache-Control", cacheControl)
		if httpcache.NotModified(r, etag) {
			httpcache.WriteNotModified(w)
			return
		}
		w.Header().Set("Content-Type", mediaType)
		_, _ = w.Write(body)
	})
}
