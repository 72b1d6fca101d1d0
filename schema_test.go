package main

import (
	"net/http"
	"os"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// TestServedSchemaIsCommitted fails when the SDL the server publishes differs from schema.graphql at the
// repository root: run `go generate ./...` (or this test with -update) after changing graph/schema.
func TestServedSchemaIsCommitted(t *testing.T) {
	s := startServer(t, nil)
	r := s.send(t, "GET", "/schema.graphql", nil, "")
	if mt, cs := r.mediaType(t); r.Status != http.StatusOK || mt != "text/plain" || cs != "utf-8" {
		t.Fatalf("status %d, Content-Type %q", r.Status, r.Header.Get("Content-Type"))
	}
	if _, err := gqlparser.LoadSchema(&ast.Source{Name: "schema.graphql", Input: string(r.Body)}); err != nil {
		t.Fatalf("the served SDL is not a valid schema: %v", err)
	}
	if *update {
		if err := os.WriteFile("schema.graphql", r.Body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	committed, err := os.ReadFile("schema.graphql")
	if err != nil {
		t.Fatal(err)
	}
	if string(committed) != string(r.Body) {
		t.Errorf("schema.graphql differs from the schema the server publishes; run go generate ./... or go test -run %s -update", t.Name())
	}
	if again := s.send(t, "GET", "/schema.graphql", map[string]string{"If-None-Match": r.Header.Get("ETag")}, ""); again.Status != http.StatusNotModified {
		t.Errorf("If-None-Match: status %d", again.Status)
	}
}

func TestSchemaIsPublishedWithoutIntrospection(t *testing.T) {
	s := startServer(t, map[string]string{"GRAPHQL_INTROSPECTION": "false"})
	if r := s.send(t, "GET", "/schema.graphql", nil, ""); r.Status != http.StatusOK || len(r.Body) == 0 {
		t.Errorf("status %d", r.Status)
	}
	r := s.send(t, "POST", "/graphql", map[string]string{"Content-Type": "application/json"}, `{"query":"{ __schema { queryType { name } } }"}`)
	if _, resp := r.graphQL(t); len(resp.Errors) == 0 {
		t.Errorf("introspection answered: %s", r.Body)
	}
}
