// Package graph is the GraphQL adapter of the directory: the schema, the code gqlgen generates from it, thin
// resolvers that call the domain, and the error presenter.
package graph

//go:generate go run github.com/99designs/gqlgen generate

import "github.com/iclei/directory/directory"

// Resolver is the root resolver. It reads from the request's snapshot of the read model.
type Resolver struct {
	ReadModel *directory.ReadModel
}
