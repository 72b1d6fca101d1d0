package graph

import (
	"context"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/iclei/directory/directory"
)

type principalKey struct{}

// principal returns the operation's authenticated caller, or nil.
func principal(ctx context.Context) *directory.Principal {
	p, _ := ctx.Value(principalKey{}).(*directory.Principal)
	return p
}

// authenticate reads the operation's bearer token. Without one the operation runs anonymously (public reads
// and applications need none); a malformed or rejected token fails the whole operation.
func (r *Resolver) authenticate(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	h := strings.TrimSpace(graphql.GetOperationContext(ctx).Headers.Get("Authorization"))
	if h == "" {
		return next(ctx)
	}
	scheme, token, _ := strings.Cut(h, " ")
	if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return r.errorResponse(ctx, directory.ErrUnauthenticated("the Authorization header is not a bearer token"))
	}
	p, err := r.Auth.Authenticate(ctx, strings.TrimSpace(token))
	if err != nil {
		return r.errorResponse(ctx, err)
	}
	return next(context.WithValue(ctx, principalKey{}, p))
}

// errorResponse answers an operation with a single error, presented like any other.
func (r *Resolver) errorResponse(ctx context.Context, err error) graphql.ResponseHandler {
	return graphql.OneShot(&graphql.Response{Errors: gqlerror.List{r.present(ctx, err)}})
}

type throttleKey struct{}

// WithApplicationThrottle returns ctx carrying allow, which reports whether the client may submit one more
// membership application now. The HTTP layer, which knows the client, sets it.
func WithApplicationThrottle(ctx context.Context, allow func() bool) context.Context {
	return context.WithValue(ctx, throttleKey{}, allow)
}

// checkApplicationRate refuses an application when the client has submitted too many lately.
func checkApplicationRate(ctx context.Context) error {
	if allow, ok := ctx.Value(throttleKey{}).(func() bool); ok && !allow() {
		return directory.Errorf(directory.CodeRateLimited, "too many membership applications from your address; try again in an hour")
	}
	return nil
}
