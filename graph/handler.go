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
	"runtime/debug"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/iclei/directory/directory"
	"github.com/iclei/directory/graph/schema"
	"github.com/iclei/directory/httpcache"
)

// Options configure the GraphQL handler.
type Options struct {
	// Introspection enables schema introspection (and with it the playground's docs and completion).
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
	// Writer is the write path of mutations; Auth authenticates their bearer tokens.
	Writer *directory.Writer
	Auth   directory.Authenticator
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
	resolver := &Resolver{ReadModel: rm, Writer: opts.Writer, Auth: opts.Auth, applications: opts.Applications,
		present: ErrorPresenter(opts.Log)}
	srv := handler.New(NewExecutableSchema(Config{Resolvers: resolver, Complexity: complexity()}))
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
	srv.SetQueryCache(lru.New[*ast.QueryDocument](max(opts.QueryCacheSize, 1)))
	if opts.Introspection {
		srv.Use(extension.Introspection{})
	} else {
		srv.Use(introspectionOff{})
	}
	if opts.PersistedQueryCacheSize > 0 {
		srv.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](opts.PersistedQueryCacheSize)})
	}
	srv.SetErrorPresenter(resolver.present)
	srv.SetRecoverFunc(func(ctx context.Context, p any) error {
		opts.Log.ErrorContext(ctx, "panic in resolver", "panic", p, "stack", string(debug.Stack()))
		return Recover(ctx, p)
	})
	srv.AroundOperations(resolver.withSnapshot)
	srv.AroundOperations(resolver.authenticate)
	applyLimits(srv, opts.Limits)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		srv.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), httpRequestKey{}, r)))
	}), nil
}

// withSnapshot gives the operation a snapshot of the read model: the one the transport picked for the request,
// or else the current one. It refuses the operation while there is none.
func (r *Resolver) withSnapshot(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	if _, ok := snapshotFrom(ctx); ok {
		return next(ctx)
	}
	s := r.ReadModel.Snapshot()
	if s == nil {
		return graphql.OneShot(&graphql.Response{Errors: gqlerror.List{{
			Message:    "the directory is still loading; try again shortly",
			Extensions: map[string]any{"code": string(directory.CodeUnavailable)},
		}}})
	}
	return next(WithSnapshot(ctx, s))
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
