// Package directoryclient is a typed client of the ICLEI Directory's GraphQL API for dashboards. genqlient
// generates it (generated.go) from the operations in ../queries.graphql and the published schema,
// schema.graphql at the repository root; `go generate ./...` regenerates it.
package directoryclient
