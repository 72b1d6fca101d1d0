package graph

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/iclei/directory/directory"
	"github.com/iclei/directory/graph/schema"
	"github.com/iclei/directory/httpcache"
)

// Options configure the GraphQL handler.
type Options struct {
	// Introspection enables schema introspection (and with it the playground's docs and completion). With it
	// off, validation errors make no field suggestions either, whatever Limits.DisableSuggestions says: they
	// would reveal the schema's field names.
	Introspection bool
	// QueryCacheSize is how many parsed and validated queries are kept.
	QueryCacheSize int
	// PersistedQueryCacheSize is how many automatic persisted queries are kept; 0 turns them off.
	PersistedQueryCacheSize int
	// CacheControl is the Cache-Control of cacheable GET responses; empty means httpcache.DefaultCacheControl.
	CacheControl string
	// ResponseCacheBytes bounds the serialized answers to anonymous queries kept to answer the same request
	// again at the same snapshot without running it; 0 turns the cache off.
	ResponseCacheBytes int
	// Observer, where set, learns the outcome of every request.
	Observer OperationObserver
	// Writer is the write path of mutations; Auditor answers the audit trail; Auth authenticates bearer tokens.
	Writer  *directory.Writer
	Auditor *directory.Auditor
	Auth    directory.Authenticator
	// Webhooks registers and lists webhooks; nil answers their operations as unavailable.
	Webhooks *directory.Webhooks
	// Applications holds each client to the membership application limit. It is required: a missing Writer or
	// Auth fails each mutation, but a missing throttle would let every application through.
	Applications ApplicationThrottle
	// Limits bound what one request may ask for; a batch's operations together too.
	Limits Limits
	// BatchMax is the most operations one POST may carry as a JSON array (a batch); 0 refuses batches.
	BatchMax int
	// Requests, where set, counts a batch's further operations, and every operation sent over a WebSocket,
	// against the client's request rate limit, which has counted the request itself.
	Requests RequestThrottle
	Log      *slog.Logger

	// SubscriptionsPerClient bounds the subscriptions one client address holds open at once, over WebSockets
	// and Server-Sent Events together; DefaultSubscriptionsPerClient when 0. ClientKey names a request's
	// client for that bound (the server's rate-limit key); by default its peer address.
	SubscriptionsPerClient int
	ClientKey              func(*http.Request) string
	// Heartbeat is how often a stream with nothing to send shows it is alive; DefaultHeartbeat when 0.
	Heartbeat time.Duration
	// Streams ends every stream (WebSockets and Server-Sent Events) when it is done: the server cancels it
	// when it shuts down. Nil leaves streams to end with their clients.
	Streams context.Context
	// Origins are the origins browsers may open WebSockets from (CORS_ALLOWED_ORIGINS); every origin when
	// empty or "*". Requests from other sites' pages are refused, as a cross-site WebSocket carries no CORS.
	Origins []string
}

// NewHandler returns the GraphQL endpoint over the read model.
func NewHandler(rm *directory.ReadModel, opts Options) (http.Handler, error) {
	if opts.Applications == nil {
		return nil, errors.New("the GraphQL handler needs an application throttle (Options.Applications)")
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	resolver := &Resolver{ReadModel: rm, Writer: opts.Writer, Auditor: opts.Auditor, Auth: opts.Auth,
		applications: opts.Applications, present: ErrorPresenter(opts.Log), Webhooks: opts.Webhooks, requests: opts.Requests,
		subscribers: newSubscriberLimit(cmp.Or(opts.SubscriptionsPerClient, DefaultSubscriptionsPerClient), opts.ClientKey)}
	base := NewExecutableSchema(Config{}).Schema()
	es := NewExecutableSchema(Config{Resolvers: resolver, Complexity: complexity(), Schema: withoutEntityResolverTypes(withoutIncrementalDelivery(base))})
	srv := handler.New(es)
	transport := &httpTransport{
		rm:           rm,
		fingerprint:  fingerprint(opts),
		cacheControl: cmp.Or(opts.CacheControl, httpcache.DefaultCacheControl),
		observer:     opts.Observer,
	}
	transport.batchMax, transport.requests = max(opts.BatchMax, 0), opts.Requests
	if opts.ResponseCacheBytes > 0 {
		transport.responses = newResponseCache(opts.ResponseCacheBytes)
	}
	// The executor graph/codegen generates resolves most fields without gqlgen's field middleware: add no
	// extension that is a graphql.FieldInterceptor, and no AroundFields, as it would see only some fields.
	// The stream transports come first: the HTTP transport takes every request left (stream.go).
	streams := opts.Streams
	if streams == nil {
		streams = context.Background()
	}
	heartbeat := heartbeatOf(opts)
	transport.sse = &sseTransport{rm: rm, heartbeat: heartbeat, streams: streams, observer: opts.Observer}
	srv.AddTransport(newWSTransport(resolver, opts, heartbeat, streams))
	srv.AddTransport(transport.sse)
	srv.AddTransport(transport)

	queries := lru.New[*ast.QueryDocument](max(opts.QueryCacheSize, 1))
	srv.SetQueryCache(queries)
	limits := opts.Limits
	limits.DisableSuggestions = limits.DisableSuggestions || !opts.Introspection
	transport.limits = limits
	rules := validationRules(limits.DisableSuggestions)
	srv.SetValidationRulesFn(rules)
	srv.SetDisableSuggestion(limits.DisableSuggestions)
	if limits.MaxTokens > 0 {
		srv.SetParserTokenLimit(limits.MaxTokens)
	}

	// Parameter mutators run in this order: the persisted query is looked up before the gate reads it.
	if opts.PersistedQueryCacheSize > 0 {
		srv.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](opts.PersistedQueryCacheSize)})
	}
	srv.Use(&documentGate{schema: es.Schema(), cache: queries, rules: rules, limits: limits})
	if opts.Introspection {
		srv.Use(extension.Introspection{})
	} else {
		srv.Use(introspectionOff{})
	}
	// Before the cost: a request for too many entities is refused with the bound it exceeds.
	srv.Use(&entitiesCheck{})
	srv.Use(&costLimit{max: limits.MaxComplexity})

	srv.SetErrorPresenter(resolver.present)
	srv.SetRecoverFunc(Recover)
	srv.AroundOperations(resolver.boundWebSocketOperations)
	srv.AroundOperations(resolver.authenticate)
	srv.AroundOperations(resolver.endWithError)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		srv.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), httpRequestKey{}, r)))
	}), nil
}

// fingerprint names what, besides the revision and the request, a response depends on: the schema, the build
// and the options that change answers. It is part of every entity tag, so that a deployment never answers a
// conditional request with 304 for a response it would now give differently.
func fingerprint(opts Options) string {
	h := sha256.New()
	sdl, _ := schema.SDL()
	h.Write(sdl)
	fmt.Fprintf(h, "build %s introspection %v limits %+v", httpcache.BuildID(), opts.Introspection, opts.Limits)
	return hex.EncodeToString(h.Sum(nil))
}
