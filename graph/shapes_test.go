package graph_test

import (
	"strings"
	"testing"

	"github.com/iclei/directory/directory"
	"github.com/iclei/directory/graph"
)

// graphiQLIntrospectionQuery is the introspection query the playground's GraphiQL sends on load
// (getIntrospectionQuery of graphql-js with descriptions and a type depth of 9).
func graphiQLIntrospectionQuery() string {
	typeRef := "kind name"
	for range 9 {
		typeRef = "kind name ofType { " + typeRef + " }"
	}
	return `query IntrospectionQuery {
  __schema {
    queryType { name kind } mutationType { name kind } subscriptionType { name kind }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type { ` + typeRef + ` }`
}

func TestLimitQueryShapes(t *testing.T) {
	t.Parallel()
	limits := serverLimits
	limits.MaxDepth, limits.MaxAliases, limits.MaxComplexity, limits.MaxTokens, limits.DisableSuggestions = 5, 3, 1000, 200, true
	limited := newAPI(t, graph.Options{Limits: limits})
	const deep = `secretariat { headOffice { region { secretariat { key } } } }`
	for _, c := range []struct {
		name, query, code string
	}{
		{"a query as deep as the limit passes", `{ region(code: "east-asia") { secretariat { headOffice { region { code } } } } }`, ""},
		{"a query deeper than the limit", `{ region(code: "east-asia") { ` + deep + ` } }`, "QUERY_DEPTH_LIMIT_EXCEEDED"},
		{"a query deeper than the limit through fragments", `query { ...Q } fragment Q on Query { region(code: "east-asia") { ...R } } fragment R on Region { ` + deep + ` }`, "QUERY_DEPTH_LIMIT_EXCEEDED"},
		{"a query deeper than the limit through an inline fragment", `{ node(id: "` + directory.GlobalID(directory.KindRegion, "east-asia") + `") { ... on Region { ` + deep + ` } } }`, "QUERY_DEPTH_LIMIT_EXCEEDED"},
		{"a fragment cycle", `query { ...A } fragment A on Query { regions { ...B } } fragment B on Region { secretariat { region { ...B } } }`, "GRAPHQL_VALIDATION_FAILED"},
		{"as many aliases as the limit pass", `{ a: regions { code } b: regions { code } c: regions { code } }`, ""},
		{"more aliases than the limit", `{ a: regions { code } b: regions { code } c: regions { code } d: regions { code } }`, "ALIAS_LIMIT_EXCEEDED"},
		{"more aliases than the limit through a fragment", `query { ...A } fragment A on Query { a: regions { code } b: regions { code } c: regions { code } d: regions { code } }`, "ALIAS_LIMIT_EXCEEDED"},
		{"a small connection passes", `{ cities(first: 10) { nodes { key name } } }`, ""},
		{"connections that multiply past the complexity limit", `{ cities(first: 100) { nodes { districts(first: 100) { nodes { key } } } } }`, "COMPLEXITY_LIMIT_EXCEEDED"},
		{"a nested connection past the complexity limit", `{ offices(first: 50) { nodes { region { offices(first: 50) { totalCount } } } } }`, "COMPLEXITY_LIMIT_EXCEEDED"},
		{"a query of more tokens than the limit", `{ regions { ` + strings.Repeat("code ", 250) + `} }`, "GRAPHQL_PARSE_FAILED"},
		{"__typename still passes", `{ __typename regions { __typename code } }`, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := gql(t, limited, request{Query: c.query})
			if c.code == "" {
				if len(r.Errors) > 0 {
					t.Fatalf("refused: %s: %s", r.Errors[0].Code(), r.Errors[0].Message)
				}
				return
			}
			wantError(t, r, c.code, "")
			if hasData(r) {
				t.Errorf("a refused query answered data %s", r.Data)
			}
		})
	}
	t.Run("no introspection", func(t *testing.T) {
		for _, q := range []string{`{ __schema { queryType { name } } }`, `{ __type(name: "Office") { name } }`} {
			r := gql(t, limited, request{Query: q})
			wantError(t, r, "GRAPHQL_VALIDATION_FAILED", "")
			if hasData(r) {
				t.Errorf("%s answered data %s", q, r.Data)
			}
		}
	})
	t.Run("no field suggestions", func(t *testing.T) {
		r := gql(t, limited, request{Query: `{ regions { cod } }`})
		wantError(t, r, "GRAPHQL_VALIDATION_FAILED", "")
		if strings.Contains(r.Errors[0].Message, "Did you mean") {
			t.Errorf("message suggests: %s", r.Errors[0].Message)
		}
	})
	// The defaults let the playground work: its introspection query passes (the root package's
	// TestLimitsAndThePlayground runs its example tabs).
	open := writable(t)
	t.Run("the playground's introspection query passes the default limits", func(t *testing.T) {
		var got struct {
			Schema struct{ Types []struct{ Name string } } `json:"__schema"`
		}
		mustGQL(t, open, "", graphiQLIntrospectionQuery(), nil, &got)
		if len(got.Schema.Types) < 50 {
			t.Errorf("introspection gave %d types", len(got.Schema.Types))
		}
	})
	t.Run("introspection that nests deeper than the limit is refused", func(t *testing.T) {
		// Introspection may cycle (a type's fields' types' fields...); gqlparser caps that nesting in validation.
		nested := "name"
		for range 6 {
			nested = "name fields { type { " + nested + " } }"
		}
		r := gql(t, open, request{Query: `{ __schema { types { ` + nested + ` } } }`})
		wantError(t, r, "QUERY_DEPTH_LIMIT_EXCEEDED", "")
		if hasData(r) {
			t.Errorf("answered data %s", r.Data)
		}
	})
	t.Run("field suggestions by default", func(t *testing.T) {
		r := gql(t, open, request{Query: `{ regions { cod } }`})
		wantError(t, r, "GRAPHQL_VALIDATION_FAILED", "")
		if !strings.Contains(r.Errors[0].Message, "Did you mean") {
			t.Errorf("message suggests nothing: %s", r.Errors[0].Message)
		}
	})
}
