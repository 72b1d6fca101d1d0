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
	// Applications holds each client to the membership application limit. It is required: a missing Writer or
	// Auth fails each mutation, but a missing throttle would let every application through.
	Applications ApplicationThrottle
	// Limits bound what one request may ask for.
	Limits Limits
	Log    *slog.Logger
}

// NewHandler returns the GraphQL endpoint over the read model.
func NewHandler(rm *directory.ReadModel, opts Options) (http.Handler, error) {
	if opts.Applications == nil {
		return nil, errors.New("the GraphQL handler needs an application throttle (Options.Applications)")
	}
	resolver := &Resolver{ReadModel: rm, Writer: opts.Writer, Auditor: opts.Auditor, Auth: opts.Auth,
		applications: opts.Applications, present: ErrorPresenter(opts.Log)}
	base := NewExecutableSchema(Config{}).Schema()
	es := NewExecutableSchema(Config{Resolvers: resolver, Complexity: complexity(), Schema: withoutIncrementalDelivery(base)})
	srv := handler.New(es)
	transport := &httpTransport{
		rm:           rm,
		fingerprint:  fingerprint(opts),
		cacheControl: cmp.Or(opts.CacheControl, httpcache.DefaultCacheControl),
		observer:     opts.Observer,
	}
	if opts.ResponseCacheBytes > 0 {
		transport.responses = newResponseCache(opts.ResponseCacheBytes)
	}
	// The executor graph/codegen generates resolves most fields without gqlgen's field middleware: add no
	// extension that is a graphql.FieldInterceptor, and no AroundFields, as it would see only some fields.
	srv.AddTransport(transport)

	queries := lru.New[*ast.QueryDocument](max(opts.QueryCacheSize, 1))
	srv.SetQueryCache(queries)
	limits := opts.Limits
	limits.DisableSuggestions = limits.DisableSuggestions || !opts.Introspection
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
	srv.Use(&costLimit{max: limits.MaxComplexity})

	srv.SetErrorPresenter(resolver.present)
	srv.SetRecoverFunc(Recover)
	srv.AroundOperations(resolver.authenticate)
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
