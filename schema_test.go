package main

import (
	"encoding/json"
	"net/http"
	"os"
	"slices"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// TestServedSchemaIsCommitted fails when the SDL or the possible types the server publishes differ from
// schema.graphql or possible-types.json at the repository root: run `go generate ./...` (or this test with
// -update) after changing graph/schema.
func TestServedSchemaIsCommitted(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	for _, doc := range []struct{ path, file, mediaType, charset string }{
		{"/schema.graphql", "schema.graphql", "text/plain", "utf-8"},
		{"/possible-types.json", "possible-types.json", "application/json", ""},
	} {
		t.Run(doc.file, func(t *testing.T) {
			r := s.send(t, "GET", doc.path, nil, "")
			if mt, cs := r.mediaType(t); r.Status != http.StatusOK || mt != doc.mediaType || cs != doc.charset {
				t.Fatalf("status %d, Content-Type %q", r.Status, r.Header.Get("Content-Type"))
			}
			if *update {
				if err := os.WriteFile(doc.file, r.Body, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			committed, err := os.ReadFile(doc.file)
			if err != nil {
				t.Fatal(err)
			}
			if string(committed) != string(r.Body) {
				t.Errorf("%s differs from what the server publishes; run go generate ./... or go test -run %s -update", doc.file, t.Name())
			}
			if again := s.send(t, "GET", doc.path, map[string]string{"If-None-Match": r.Header.Get("ETag")}, ""); again.Status != http.StatusNotModified {
				t.Errorf("If-None-Match: status %d", again.Status)
			}
		})
	}

	// The possible types are the schema's: every implementation of each interface, every member of each union.
	r := s.send(t, "GET", "/schema.graphql", nil, "")
	sdl, err := gqlparser.LoadSchema(&ast.Source{Name: "schema.graphql", Input: string(r.Body)})
	if err != nil {
		t.Fatalf("the served SDL is not a valid schema: %v", err)
	}
	var possible map[string][]string
	if err := json.Unmarshal(s.send(t, "GET", "/possible-types.json", nil, "").Body, &possible); err != nil {
		t.Fatal(err)
	}
	for name, d := range sdl.Types {
		if d.BuiltIn || (d.Kind != ast.Interface && d.Kind != ast.Union) {
			continue
		}
		var want []string
		for _, p := range sdl.GetPossibleTypes(d) {
			want = append(want, p.Name)
		}
		slices.Sort(want)
		if !slices.Equal(possible[name], want) {
			t.Errorf("possible types of %s: %v, want %v", name, possible[name], want)
		}
	}
	if len(possible["Node"]) < 9 {
		t.Errorf("Node has %d possible types: %v", len(possible["Node"]), possible["Node"])
	}
}

func TestSchemaIsPublishedWithoutIntrospection(t *testing.T) {
	t.Parallel()
	s := startServer(t, map[string]string{"GRAPHQL_INTROSPECTION": "false"})
	if r := s.send(t, "GET", "/schema.graphql", nil, ""); r.Status != http.StatusOK || len(r.Body) == 0 {
		t.Errorf("status %d", r.Status)
	}
	r := s.send(t, "POST", "/graphql", map[string]string{"Content-Type": "application/json"}, `{"query":"{ __schema { queryType { name } } }"}`)
	if _, resp := r.graphQL(t); len(resp.Errors) == 0 {
		t.Errorf("introspection answered: %s", r.Body)
	}
}
