package graph

import (
	"context"
	"log/slog"
	"runtime/debug"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/iclei/directory/directory"
)

// Options configure the GraphQL handler.
type Options struct {
	// Introspection enables schema introspection (and with it the playground's docs and completion).
	Introspection bool
	// QueryCacheSize is how many parsed and validated queries are kept.
	QueryCacheSize int
	Log            *slog.Logger
}

// NewHandler returns the GraphQL endpoint over the read model.
func NewHandler(rm *directory.ReadModel, opts Options) *handler.Server {
	resolver := &Resolver{ReadModel: rm}
	srv := handler.New(NewExecutableSchema(Config{Resolvers: resolver}))
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](max(opts.QueryCacheSize, 1)))
	if opts.Introspection {
		srv.Use(extension.Introspection{})
	}
	srv.SetErrorPresenter(ErrorPresenter(opts.Log))
	srv.SetRecoverFunc(func(ctx context.Context, p any) error {
		opts.Log.ErrorContext(ctx, "panic in resolver", "panic", p, "stack", string(debug.Stack()))
		return Recover(ctx, p)
	})
	srv.AroundOperations(resolver.withSnapshot)
	return srv
}

// withSnapshot gives the operation the read model's current snapshot, or refuses it while there is none.
func (r *Resolver) withSnapshot(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	s := r.ReadModel.Snapshot()
	if s == nil {
		return graphql.OneShot(&graphql.Response{Errors: gqlerror.List{{
			Message:    "the directory is still loading; try again shortly",
			Extensions: map[string]any{"code": string(directory.CodeUnavailable)},
		}}})
	}
	return next(WithSnapshot(ctx, s))
}
