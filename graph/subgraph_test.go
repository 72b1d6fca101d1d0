package graph_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/iclei/directory/directory"
	"github.com/iclei/directory/graph"
	"github.com/iclei/directory/internal/apitest"
)

// entitiesQ asks for entities of every type the subgraph resolves, with the fields that tell them apart.
const entitiesQ = `query($r: [_Any!]!) { _entities(representations: $r) {
  __typename
  ... on Region { id code name }
  ... on Secretariat { id key name }
  ... on Office { id key name }
  ... on City { id key name }
  ... on Program { id key title }
} }`

// entity is an entry of _entities as entitiesQ asks for it; null entries decode to nil.
type entity struct {
	Typename string `json:"__typename"`
	ID       string `json:"id"`
	Key      string `json:"key"`
	Code     string `json:"code"`
}

// rep is a representation of the type with the fields given as name, value pairs.
func rep(typeName string, fields ...any) map[string]any {
	r := map[string]any{"__typename": typeName}
	for i := 0; i+1 < len(fields); i += 2 {
		r[fields[i].(string)] = fields[i+1]
	}
	return r
}

// resolveEntities asks _entities for the representations, anonymously.
func resolveEntities(t *testing.T, s *api, reps ...any) (*apiResponse, []*entity) {
	t.Helper()
	r := gql(t, s, request{Query: entitiesQ, Variables: map[string]any{"r": reps}})
	var data struct {
		Entities []*entity `json:"_entities"`
	}
	if len(r.Data) > 0 && string(r.Data) != "null" {
		if err := json.Unmarshal(r.Data, &data); err != nil {
			t.Fatalf("decode %s: %v", r.Data, err)
		}
	}
	return r, data.Entities
}

func TestSubgraphSDL(t *testing.T) {
	t.Parallel()
	for _, introspection := range []bool{true, false} {
		t.Run(fmt.Sprintf("introspection %v", introspection), func(t *testing.T) {
			s := newAPI(t, graph.Options{Introspection: introspection})
			var got struct {
				Service struct{ SDL string } `json:"_service"`
			}
			mustGQL(t, s, "", `{ _service { sdl } }`, nil, &got)
			sdl := got.Service.SDL
			// The router reads the federation version and the directives the schema imports from @link.
			for _, want := range []string{
				`extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])`,
				`type Region implements Node @key(fields: "id") @key(fields: "code") {`,
				`type Secretariat implements Node @key(fields: "id") @key(fields: "key") {`,
				`type Office implements Node @key(fields: "id") @key(fields: "key") {`,
				`type City implements Node @key(fields: "id") @key(fields: "key") {`,
				`type Program implements Node @key(fields: "id") @key(fields: "key") {`,
			} {
				if !strings.Contains(sdl, want) {
					t.Errorf("the SDL lacks %s", want)
				}
			}
			// The subgraph's own schema: the router adds the federation's fields and types when it composes.
			for _, absent := range []string{"_entities", "_service", "union _Entity", "scalar _Any"} {
				if strings.Contains(sdl, absent) {
					t.Errorf("the SDL has %s", absent)
				}
			}
		})
	}
	t.Run("introspection stays off", func(t *testing.T) {
		s := newAPI(t, graph.Options{Introspection: false})
		r := s.do(t, request{Query: `{ _service { sdl } __schema { queryType { name } } }`})
		if len(r.Errors) == 0 || r.Errors[0].Code() != "GRAPHQL_VALIDATION_FAILED" {
			t.Errorf("introspection with _service answered: %s %v", r.Data, r.Errors)
		}
	})
}

// Introspection shows what a router uses, and not the types gqlgen declares only to generate the entity
// resolvers.
func TestSubgraphIntrospection(t *testing.T) {
	t.Parallel()
	s := writable(t)
	var got struct {
		Schema struct{ Types []struct{ Name string } } `json:"__schema"`
	}
	mustGQL(t, s, "", `{ __schema { types { name } } }`, nil, &got)
	names := map[string]bool{}
	for _, typ := range got.Schema.Types {
		names[typ.Name] = true
		if typ.Name == "Entity" || strings.HasSuffix(typ.Name, "Representation") {
			t.Errorf("introspection lists %s", typ.Name)
		}
	}
	for _, want := range []string{"_Entity", "_Any", "_Service", "City"} {
		if !names[want] {
			t.Errorf("introspection does not list %s", want)
		}
	}
}

func TestEntitiesByEveryKey(t *testing.T) {
	t.Parallel()
	s := writable(t)
	snap := s.rm.Snapshot()
	program := "2016-low-carbon-capacity-program-chinese-local-governments"
	records := []struct {
		typeName, keyField, key, id string
	}{
		{"Region", "code", "east-asia", snap.Region("east-asia").ID()},
		{"Secretariat", "key", "east-asia-secretariat", snap.Secretariat("east-asia-secretariat").ID()},
		{"Office", "key", "korea-office", snap.Office("korea-office").ID()},
		{"City", "key", "seoul", snap.City("seoul").ID()},
		{"Program", "key", program, snap.Program(program).ID()},
	}
	for _, rec := range records {
		t.Run(rec.typeName, func(t *testing.T) {
			for _, r := range []map[string]any{
				rep(rec.typeName, "id", rec.id),
				rep(rec.typeName, rec.keyField, rec.key),
				// A router sends the fields of the key it chose; the other may come along, null.
				rep(rec.typeName, "id", nil, rec.keyField, rec.key),
			} {
				resp, got := resolveEntities(t, s, r)
				if len(resp.Errors) > 0 || len(got) != 1 || got[0] == nil {
					t.Fatalf("%v: %s %v", r, resp.Data, resp.Errors)
				}
				e := got[0]
				if e.Typename != rec.typeName || e.ID != rec.id || e.Key+e.Code != rec.key {
					t.Errorf("%v = %+v", r, e)
				}
			}
		})
	}

	t.Run("a batch of every type and key answers in order", func(t *testing.T) {
		var reps []any
		for _, rec := range records {
			reps = append(reps, rep(rec.typeName, rec.keyField, rec.key), rep(rec.typeName, "id", rec.id))
		}
		resp, got := resolveEntities(t, s, reps...)
		if len(resp.Errors) > 0 || len(got) != len(reps) {
			t.Fatalf("%s %v", resp.Data, resp.Errors)
		}
		for i, e := range got {
			rec := records[i/2]
			if e == nil || e.Typename != rec.typeName || e.ID != rec.id {
				t.Errorf("entry %d = %+v, want %s %s", i, e, rec.typeName, rec.key)
			}
		}
	})

	t.Run("an entity is the record its query field returns", func(t *testing.T) {
		var byField struct{ City json.RawMessage }
		mustGQL(t, s, "", `{ city(key: "seoul") { id key name population memberships { id } region { code } } }`, nil, &byField)
		var byEntity struct {
			Entities []json.RawMessage `json:"_entities"`
		}
		mustGQL(t, s, "", `query($r: [_Any!]!) { _entities(representations: $r) { ... on City { id key name population memberships { id } region { code } } } }`,
			map[string]any{"r": []any{rep("City", "key", "seoul")}}, &byEntity)
		if len(byEntity.Entities) != 1 || string(byEntity.Entities[0]) != string(byField.City) {
			t.Errorf("_entities = %s, city(key:) = %s", byEntity.Entities, byField.City)
		}
	})
}

func TestEntitiesThatAreNotThere(t *testing.T) {
	t.Parallel()
	s := writable(t)
	snap := s.rm.Snapshot()
	seoul := snap.City("seoul").ID()

	// A membership application is private: its reference and its ID name no entity.
	var sub struct{ ApplyForMembership receipt }
	mustGQL(t, s, "", applyQ, apitest.Input(applicationInput()), &sub)
	application := sub.ApplyForMembership.Reference
	applicationID := directory.GlobalID(directory.KindApplication, application)

	reps := []any{
		rep("City", "key", "seoul"),                                   // 0: found
		rep("City", "key", "atlantis"),                                // 1: no such key
		rep("Office", "id", seoul),                                    // 2: a city's ID is no office's
		rep("Region", "id", directory.GlobalID("Region", "atlantis")), // 3: an ID of no record
		rep("City", "id", applicationID),                              // 4: private
		rep("City", "key", application),                               // 5: private
		rep("City", "id", "not-an-id"),                                // 6: an ID this directory did not issue
		rep("Region", "code", "east-asia"),                            // 7: found
	}
	resp, got := resolveEntities(t, s, reps...)
	if len(got) != len(reps) || got[0] == nil || got[0].Key != "seoul" || got[7] == nil || got[7].Code != "east-asia" {
		t.Fatalf("found entries: %s", resp.Data)
	}
	want := map[float64]struct{ code, message string }{
		1: {"NOT_FOUND", `no city with the key "atlantis"`},
		2: {"NOT_FOUND", `no office with the ID "` + seoul + `"`},
		3: {"NOT_FOUND", `no region with the ID "` + directory.GlobalID("Region", "atlantis") + `"`},
		4: {"NOT_FOUND", `no city with the ID "` + applicationID + `"`},
		5: {"NOT_FOUND", `no city with the key "` + application + `"`},
		6: {"BAD_USER_INPUT", `"not-an-id" is not an ID this directory issued`},
	}
	for i := 1; i <= 6; i++ {
		if got[i] != nil {
			t.Errorf("entry %d = %+v, want null", i, got[i])
		}
	}
	if len(resp.Errors) != len(want) {
		t.Fatalf("%d errors, want %d: %+v", len(resp.Errors), len(want), resp.Errors)
	}
	for _, e := range resp.Errors {
		if len(e.Path) != 2 || e.Path[0] != "_entities" {
			t.Errorf("error %q at %v, want a path to an entry", e.Message, e.Path)
			continue
		}
		i, _ := e.Path[1].(float64)
		if w, ok := want[i]; !ok || e.Code() != w.code || e.Message != w.message {
			t.Errorf("error at entry %v: %s %q, want %+v", i, e.Code(), e.Message, w)
		}
	}
	if strings.Contains(string(resp.Data), "Lan Nguyen") || strings.Contains(string(resp.Data), "example.vn") {
		t.Errorf("the application's contact shows: %s", resp.Data)
	}
}

func TestEntitiesRefuseBadRepresentations(t *testing.T) {
	t.Parallel()
	s := writable(t)
	types := "City, Office, Program, Region, Secretariat"
	for _, c := range []struct {
		name    string
		reps    []any
		field   string
		message string
	}{
		{"not an object", []any{"seoul"}, "representations[0]",
			`representations[0] is "seoul", not a representation: give an object with __typename and the fields of a key`},
		{"no __typename", []any{rep("City", "key", "seoul"), map[string]any{"key": "seoul"}}, "representations[1].__typename",
			"representations[1] has no __typename: give the name of one of the types " + types},
		{"a __typename that is not a string", []any{map[string]any{"__typename": 1, "key": "seoul"}}, "representations[0].__typename",
			"representations[0] has no __typename: give the name of one of the types " + types},
		{"a type that is no entity", []any{rep("Person", "key", "shu-zhu")}, "representations[0].__typename",
			`representations[0]: "Person" is not an entity of this subgraph; give one of the types ` + types},
		{"an unknown type", []any{rep("Cty", "key", "seoul")}, "representations[0].__typename",
			`representations[0]: "Cty" is not an entity of this subgraph; give one of the types ` + types},
		{"no key field", []any{rep("City", "name", "Seoul")}, "representations[0]",
			"representations[0] has no key of a City: give its id, or its key"},
		{"a region's key is its code", []any{rep("Region", "key", "east-asia")}, "representations[0]",
			"representations[0] has no key of a Region: give its id, or its code"},
		{"null keys", []any{rep("Office", "id", nil, "key", nil)}, "representations[0]",
			"representations[0] has no key of an Office: give its id, or its key"},
		{"a key that is not a string", []any{rep("City", "key", 7)}, "representations[0].key",
			"representations[0]: the key of a City is a non-empty string, not 7"},
		{"an empty id", []any{rep("Office", "id", "")}, "representations[0].id",
			`representations[0]: the id of an Office is a non-empty string, not ""`},
		{"an id that is not a string", []any{rep("City", "id", map[string]any{"x": 1}, "key", "seoul")}, "representations[0].id",
			`representations[0]: the id of a City is a non-empty string, not {"x":1}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := s.do(t, request{Query: entitiesQ, Variables: map[string]any{"r": c.reps}})
			if len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" || r.Errors[0].Extensions["field"] != c.field ||
				r.Errors[0].Message != c.message || (len(r.Data) > 0 && string(r.Data) != "null") {
				t.Errorf("got %s %+v\nwant BAD_USER_INPUT at %s: %s", r.Data, r.Errors, c.field, c.message)
			}
		})
	}
	t.Run("one representation where a list is expected", func(t *testing.T) {
		for _, req := range []request{
			{Query: entitiesQ, Variables: map[string]any{"r": rep("Cty", "key", "seoul")}},
			{Query: `{ _entities(representations: {__typename: "Cty", key: "seoul"}) { __typename } }`},
		} {
			r := s.do(t, req)
			if len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" || r.Errors[0].Extensions["field"] != "representations[0].__typename" {
				t.Errorf("%s: got %s %+v", req.Query, r.Data, r.Errors)
			}
		}
		var got struct {
			Entities []entity `json:"_entities"`
		}
		mustGQL(t, s, "", entitiesQ, map[string]any{"r": rep("City", "key", "seoul")}, &got)
		if len(got.Entities) != 1 || got.Entities[0].Key != "seoul" {
			t.Errorf("a single representation gave %+v", got.Entities)
		}
	})
	t.Run("in the query itself", func(t *testing.T) {
		r := s.do(t, request{Query: `{ _entities(representations: [{__typename: "City", name: "Seoul"}]) { __typename } }`})
		if len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" || r.Errors[0].Extensions["field"] != "representations[0]" {
			t.Errorf("got %s %+v", r.Data, r.Errors)
		}
	})
}

func TestEntitiesAreBounded(t *testing.T) {
	t.Parallel()
	s := writable(t)
	seoul := rep("City", "key", "seoul")
	reps := func(n int) []any {
		out := make([]any, n)
		for i := range out {
			out[i] = seoul
		}
		return out
	}
	complexity := func(r *apiResponse) float64 {
		c, _ := r.Extensions["cost"].(map[string]any)
		n, _ := c["complexity"].(float64)
		return n
	}

	t.Run("up to the bound", func(t *testing.T) {
		r, got := resolveEntities(t, s, reps(graph.MaxEntities)...)
		if len(r.Errors) > 0 || len(got) != graph.MaxEntities {
			t.Fatalf("%d entities, errors %v", len(got), r.Errors)
		}
	})
	t.Run("over the bound", func(t *testing.T) {
		r := s.do(t, request{Query: entitiesQ, Variables: map[string]any{"r": reps(graph.MaxEntities + 1)}})
		wantError(t, r, "BAD_USER_INPUT", "representations")
		if r.Status != 400 || !strings.Contains(r.Errors[0].Message, fmt.Sprintf("at most %d entities", graph.MaxEntities)) {
			t.Errorf("status %d: %s", r.Status, r.Errors[0].Message)
		}
	})
	t.Run("over the bound in several fields", func(t *testing.T) {
		half := graph.MaxEntities/2 + 1
		r := s.do(t, request{Query: `query($a: [_Any!]!, $b: [_Any!]!) { a: _entities(representations: $a) { __typename } ...B }
fragment B on Query { b: _entities(representations: $b) { __typename } }`, Variables: map[string]any{"a": reps(half), "b": reps(half)}})
		wantError(t, r, "BAD_USER_INPUT", "representations")
	})
	t.Run("each entity counts toward the complexity", func(t *testing.T) {
		one := s.do(t, request{Query: entitiesQ, Variables: map[string]any{"r": reps(1)}})
		ten := s.do(t, request{Query: entitiesQ, Variables: map[string]any{"r": reps(10)}})
		// The selections of one entity cost c, the field itself 1: 1+c for one, 1+10c for ten.
		c := complexity(one) - 1
		if c < 1 || complexity(ten) != 1+10*c {
			t.Errorf("complexity of 1 entity %v, of 10 %v", complexity(one), complexity(ten))
		}
	})
	t.Run("within the complexity limit", func(t *testing.T) {
		limited := newAPI(t, graph.Options{Introspection: true, Limits: graph.Limits{MaxComplexity: 50}})
		r := limited.do(t, request{Query: `query($r: [_Any!]!) { _entities(representations: $r) { ... on City { name memberships { id } } } }`,
			Variables: map[string]any{"r": reps(30)}})
		wantError(t, r, "COMPLEXITY_LIMIT_EXCEEDED", "")
	})
}

// The check of representations reads them where the operation has them: a refused request answers nothing.
func TestEntitiesRefusalAnswersNothing(t *testing.T) {
	t.Parallel()
	s := writable(t)
	r := s.do(t, request{Query: `query($r: [_Any!]!) { city(key: "seoul") { key } _entities(representations: $r) { __typename } }`,
		Variables: map[string]any{"r": []any{rep("City", "key", "seoul"), rep("City")}}})
	if len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_USER_INPUT" || len(r.Data) > 0 && string(r.Data) != "null" {
		t.Errorf("got %s %+v", r.Data, r.Errors)
	}
}

// BenchmarkEntities resolves n cities through _entities, half by key and half by global ID, with the response
// cache off: its ns/op grows with n, one lookup per representation (compare n=100 with n=10 and n=1). The
// same cities by nodes(ids:) show what the representations cost beyond the IDs.
func BenchmarkEntities(b *testing.B) {
	h := newHandler(b, graph.Options{})
	data, err := shipped()
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{1, 10, graph.MaxEntities} {
		reps := make([]any, n)
		for i := range reps {
			c := data.Cities[i%len(data.Cities)]
			if i%2 == 0 {
				reps[i] = rep("City", "key", c.Key)
			} else {
				reps[i] = rep("City", "id", c.ID())
			}
		}
		params := map[string]any{"query": `query($r: [_Any!]!) { _entities(representations: $r) { ... on City { key name } } }`,
			"variables": map[string]any{"r": reps}}
		ids := make([]string, n)
		for i := range ids {
			ids[i] = data.Cities[i%len(data.Cities)].ID()
		}
		nodes := map[string]any{"query": `query($ids: [ID!]!) { nodes(ids: $ids) { ... on City { key name } } }`,
			"variables": map[string]any{"ids": ids}}
		for _, c := range []struct {
			name   string
			params map[string]any
		}{{fmt.Sprintf("representations=%d", n), params}, {fmt.Sprintf("nodes=%d", n), nodes}} {
			b.Run(c.name, func(b *testing.B) {
				if _, r := post(b, h, c.params); len(r.Errors) > 0 {
					b.Fatalf("%+v", r.Errors)
				}
				b.ReportAllocs()
				for b.Loop() {
					post(b, h, c.params)
				}
			})
		}
	}
}

// A representation's key is echoed in its error, quoted in part: a request that names one long key many times
// (a list of one variable, repeated) is answered in bytes linear in the request, not in the key's length times
// the representations.
func TestEntitiesErrorsDoNotEchoLongKeys(t *testing.T) {
	t.Parallel()
	s := newAPI(t, graph.Options{Introspection: true})
	long := strings.Repeat("k", 100_000)
	for _, field := range []string{"key", "id"} {
		t.Run(field, func(t *testing.T) {
			refs := strings.TrimSuffix(strings.Repeat("$r, ", graph.MaxEntities), ", ")
			body, err := json.Marshal(map[string]any{
				"query":     `query($r: _Any!) { _entities(representations: [` + refs + `]) { ... on City { key } } }`,
				"variables": map[string]any{"r": rep("City", field, long)},
			})
			if err != nil {
				t.Fatal(err)
			}
			r, err := s.post(body, nil)
			if err != nil {
				t.Fatal(err)
			}
			answer, _ := json.Marshal(r)
			if len(r.Errors) == 0 || len(answer) > 2*len(body) {
				t.Fatalf("a request of %d bytes got an answer of %d bytes with %d errors", len(body), len(answer), len(r.Errors))
			}
			for _, e := range r.Errors {
				if e.Extensions["code"] == nil {
					t.Errorf("an error without a code: %+v", e)
				}
			}
		})
	}
}

// _service { sdl } answers the whole schema: it costs by its size, so that a request cannot ask for it under
// many aliases and be answered megabytes for a few hundred bytes.
func TestServiceSDLCostsByItsSize(t *testing.T) {
	t.Parallel()
	s := newAPI(t, graph.Options{Introspection: false, Limits: graph.Limits{MaxComplexity: 20000}})
	once := gql(t, s, request{Query: `{ _service { sdl } }`})
	var got struct {
		Service struct{ SDL string } `json:"_service"`
	}
	if err := json.Unmarshal(once.Data, &got); err != nil || len(once.Errors) > 0 || got.Service.SDL == "" {
		t.Fatalf("a router's question: %s %+v", once.Data, once.Errors)
	}
	c, _ := once.Extensions["cost"].(map[string]any)
	if n, _ := c["complexity"].(float64); int(n) < len(got.Service.SDL)/64 {
		t.Errorf("_service { sdl } of %d bytes has complexity %v", len(got.Service.SDL), n)
	}
	var aliased strings.Builder
	aliased.WriteString("{")
	for i := range 29 {
		fmt.Fprintf(&aliased, " a%d: _service { sdl }", i)
	}
	aliased.WriteString(" }")
	wantError(t, s.do(t, request{Query: aliased.String()}), "COMPLEXITY_LIMIT_EXCEEDED", "")
}

// __schema answers the whole schema too, which gqlgen's complexity leaves out: it costs what the SDL does, so
// that the playground's introspection stays well within the limit and many aliases of it do not.
func TestIntrospectionCostsByTheSchemasSize(t *testing.T) {
	t.Parallel()
	s := newAPI(t, graph.Options{Introspection: true, Limits: graph.Limits{MaxComplexity: 20000}})
	const introspect = `__schema { types { name description fields { name description args { name description } } } }`
	once := gql(t, s, request{Query: "{ " + introspect + " }"})
	c, _ := once.Extensions["cost"].(map[string]any)
	if n, _ := c["complexity"].(float64); len(once.Errors) > 0 || int(n) < len(once.Data)/128 {
		t.Fatalf("an introspection answering %d bytes has complexity %v: %+v", len(once.Data), c["complexity"], once.Errors)
	}
	var aliased strings.Builder
	aliased.WriteString("{")
	for i := range 29 {
		fmt.Fprintf(&aliased, " a%d: %s", i, introspect)
	}
	aliased.WriteString(" }")
	wantError(t, s.do(t, request{Query: aliased.String()}), "COMPLEXITY_LIMIT_EXCEEDED", "")
}
