// Package graph is the GraphQL adapter of the directory: the schema, the code gqlgen generates from it, thin
// resolvers that call the domain, and the error presenter.
package graph

//go:generate go run ./codegen

import (
	"github.com/99designs/gqlgen/graphql"

	"github.com/iclei/directory/directory"
)

// Resolver is the root resolver. It reads from the request's snapshot of the read model and writes through
// the Writer.
type Resolver struct {
	ReadModel *directory.ReadModel
	Writer    *directory.Writer
	Auditor   *directory.Auditor
	Auth      directory.Authenticator
	// applications holds clients to the membership application limit.
	applications ApplicationThrottle
	present      graphql.ErrorPresenterFunc
	// subscribers bounds each client's subscriptions, and operations in flight over WebSockets.
	subscribers *subscriberLimit
	// requests, where set, counts each operation sent over a WebSocket against the client's request rate limit.
	requests RequestThrottle
	// Webhooks registers webhooks; nil where the server delivers none.
	Webhooks *directory.Webhooks
}

// webhooks returns the webhooks, or an error where the server has none.
func (r *Resolver) webhooks() (*directory.Webhooks, error) {
	if r.Webhooks == nil {
		return nil, directory.Errorf(directory.CodeUnavailable, "this server does not deliver webhooks")
	}
	return r.Webhooks, nil
}
