// Package model holds the Go types the GraphQL schema binds to beyond the domain's own: the abstract types and
// the connection types, which are the domain's generic pages instantiated per record type.
package model

import "github.com/iclei/directory/directory"

// Node is any record with a global ID: a pointer to a domain record, or a directory.Country.
type Node interface{}

// Institution is a *directory.Secretariat, *directory.Organization or *directory.City.
type Institution interface{}

// SearchNode is a record search can return.
type SearchNode interface{}

// Entity is a record a federation router can ask for by key (_entities): a *directory.Region, Secretariat,
// Office, City or Program. gqlgen's federation plugin binds it to fedruntime.Entity, whose marker method the
// domain's types do not have; graph/codegen binds it here instead (gqlgen.yml, _Entity).
type Entity interface{}

type (
	SecretariatConnection  = directory.Page[*directory.Secretariat]
	SecretariatEdge        = directory.Edge[*directory.Secretariat]
	OfficeConnection       = directory.Page[*directory.Office]
	OfficeEdge             = directory.Edge[*directory.Office]
	CityConnection         = directory.Page[*directory.City]
	CityEdge               = directory.Edge[*directory.City]
	ProgramConnection      = directory.Page[*directory.Program]
	ProgramEdge            = directory.Edge[*directory.Program]
	OrganizationConnection = directory.Page[*directory.Organization]
	OrganizationEdge       = directory.Edge[*directory.Organization]
	PersonConnection       = directory.Page[*directory.Person]
	PersonEdge             = directory.Edge[*directory.Person]
	SearchResultConnection = directory.Page[*directory.SearchResult]
	SearchResultEdge       = directory.Edge[*directory.SearchResult]

	LogEntryEdge = directory.Edge[*directory.FeedEntry]

	MembershipApplicationConnection = directory.Page[*directory.Application]
	MembershipApplicationEdge       = directory.Edge[*directory.Application]
)

// WebhookRegistration is a registered webhook and its secret, shown once.
type WebhookRegistration struct {
	Webhook *directory.Webhook
	Secret  string
}
