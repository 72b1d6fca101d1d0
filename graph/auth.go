package graph

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/iclei/directory/directory"
)

type principalKey struct{}

// caller is the operation's authenticated caller and the token that authenticated them, which a subscription
// checks again for every event.
type caller struct {
	principal *directory.Principal
	token     string
}

func withCaller(ctx context.Context, p *directory.Principal, token string) context.Context {
	return context.WithValue(ctx, principalKey{}, caller{p, token})
}

func callerOf(ctx context.Context) caller {
	c, _ := ctx.Value(principalKey{}).(caller)
	return c
}

// principal returns the operation's authenticated caller, or nil.
func principal(ctx context.Context) *directory.Principal {
	return callerOf(ctx).principal
}

// authenticate reads the operation's bearer token. Without one the operation runs anonymously (public reads
// and applications need none), or as the init payload of its WebSocket connection authenticated it; a
// malformed or rejected token fails the whole operation.
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
	return next(withCaller(ctx, p, strings.TrimSpace(token)))
}

// errorResponse answers an operation with a single error, presented like any other.
func (r *Resolver) errorResponse(ctx context.Context, err error) graphql.ResponseHandler {
	return graphql.OneShot(&graphql.Response{Errors: gqlerror.List{r.present(ctx, err)}})
}

// ApplicationThrottle holds each client to the membership application limit. The GraphQL handler cannot be
// built without one (NewHandler), so a server cannot forget it and take applications without limit.
type ApplicationThrottle interface {
	// AllowApplication reports whether the client that sent r may submit one more membership application now,
	// and counts the application when it may.
	AllowApplication(r *http.Request) bool
}

// httpRequestKey carries the operation's HTTP request, which names its client to the application throttle.
type httpRequestKey struct{}

// checkApplicationRate refuses an application when its client has submitted too many lately. An operation that
// carries no HTTP request cannot be counted, so it is refused as well.
func (r *Resolver) checkApplicationRate(ctx context.Context) error {
	req, _ := ctx.Value(httpRequestKey{}).(*http.Request)
	if req == nil {
		return errors.New("application throttle: the operation carries no HTTP request to name its client")
	}
	if !r.applications.AllowApplication(req) {
		return directory.Errorf(directory.CodeRateLimited, "too many membership applications from your address; try again in an hour")
	}
	return nil
}
