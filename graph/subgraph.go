package graph

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/iclei/directory/directory"
	"github.com/iclei/directory/graph/cost"
)

// This file makes the directory an Apollo Federation 2 subgraph, with gqlgen's federation plugin (gqlgen.yml):
// a router composes the SDL that _service { sdl } returns into its supergraph, and asks _entities for the
// records its other subgraphs refer to, by any @key of their type. Region, Secretariat, Office, City and
// Program have two: their global `id`, and their readable key (a region's `code`, the others' `key`).
//
// gqlgen resolves the representations of one type with one call of its batch resolver (entity.resolvers.go),
// which looks each up in the request's snapshot: N representations cost N lookups. Before that, the operation
// is checked here (entitiesCheck): at most MaxEntities representations in all, each an object whose
// __typename names an entity type and which holds every field of one of its keys as a non-empty string. A
// request that fails the check runs nothing and is answered with a BAD_USER_INPUT error naming the
// representation and what is wrong with it; gqlgen's own handling of such a representation would answer it as
// an internal error. _entities also counts toward the operation's complexity: its selections once per
// representation, as nodes(ids:) counts them once per ID.

// MaxEntities bounds the representations one operation may ask _entities for, in all its _entities fields: as
// many as nodes(ids:) takes IDs.
const MaxEntities = directory.MaxNodes

// entitiesField is the field a router asks for entities with.
const entitiesField = "_entities"

// entityKeys holds, by entity type, the fields of each of its keys, in the order the type declares them.
type entityKeys map[string][][]string

// keysOf reads the @key directives of the schema's types. Every key of the directory is a list of its type's
// own scalar fields.
func keysOf(s *ast.Schema) (entityKeys, error) {
	keys := entityKeys{}
	for name, t := range s.Types {
		for _, d := range t.Directives.ForNames("key") {
			arg := d.Arguments.ForName("fields")
			if arg == nil || arg.Value == nil {
				return nil, fmt.Errorf("@key of %s has no fields", name)
			}
			fields := strings.Fields(arg.Value.Raw)
			for _, f := range fields {
				def := t.Fields.ForName(f)
				if def == nil || s.Types[def.Type.Name()] == nil || s.Types[def.Type.Name()].Kind != ast.Scalar || def.Type.Elem != nil {
					return nil, fmt.Errorf("@key(fields: %q) of %s: %s is not a scalar field of %s", arg.Value.Raw, name, f, name)
				}
			}
			keys[name] = append(keys[name], fields)
		}
	}
	return keys, nil
}

// entitiesCheck refuses, before it runs, an operation that asks _entities for more than MaxEntities
// representations or for one that is not a representation of an entity of this subgraph.
type entitiesCheck struct {
	keys entityKeys
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = (*entitiesCheck)(nil)

func (*entitiesCheck) ExtensionName() string { return "EntitiesCheck" }

func (c *entitiesCheck) Validate(es graphql.ExecutableSchema) error {
	keys, err := keysOf(es.Schema())
	c.keys = keys
	return err
}

func (c *entitiesCheck) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation.Operation != ast.Query {
		return nil
	}
	count := 0
	var refusal *gqlerror.Error
	forEachRootField(oc.Operation.SelectionSet, map[string]bool{}, func(f *ast.Field) bool {
		if f.Name != entitiesField {
			return true
		}
		arg := f.ArgumentMap(oc.Variables)["representations"]
		reps, ok := arg.([]any)
		if !ok && arg != nil {
			// A single value where a list is expected is a list of one (input coercion), as gqlgen reads it.
			reps = []any{arg}
		}
		if count += len(reps); count > MaxEntities {
			refusal = representationError("representations", "ask for at most %d entities in one operation, got %d or more", MaxEntities, count)
			return false
		}
		for i, rep := range reps {
			if refusal = c.check(i, rep); refusal != nil {
				return false
			}
		}
		return true
	})
	return refusal
}

// check returns what is wrong with the representation at index i, or nil.
func (c *entitiesCheck) check(i int, rep any) *gqlerror.Error {
	at := fmt.Sprintf("representations[%d]", i)
	obj, ok := rep.(map[string]any)
	if !ok {
		return representationError(at, "%s is %s, not a representation: give an object with __typename and the fields of a key", at, show(rep))
	}
	typeName, ok := obj["__typename"].(string)
	if !ok {
		return representationError(at+".__typename", "%s has no __typename: give the name of one of the types %s", at, c.typeNames())
	}
	keys, ok := c.keys[typeName]
	if !ok {
		return representationError(at+".__typename", "%s: %s is not an entity of this subgraph; give one of the types %s", at, show(typeName), c.typeNames())
	}
	for _, key := range keys {
		for _, f := range key {
			if v, ok := obj[f]; ok && v != nil {
				if s, ok := v.(string); !ok || s == "" {
					return representationError(at+"."+f, "%s: the %s of %s is a non-empty string, not %s", at, f, withArticle(typeName), show(v))
				}
			}
		}
	}
	for _, key := range keys {
		complete := true
		for _, f := range key {
			_, ok := obj[f].(string)
			complete = complete && ok
		}
		if complete {
			return nil
		}
	}
	names := make([]string, len(keys))
	for k, key := range keys {
		names[k] = strings.Join(key, " and ")
	}
	return representationError(at, "%s has no key of %s: give its %s", at, withArticle(typeName), strings.Join(names, ", or its "))
}

// withArticle writes a type's name with "a" or "an" before it.
func withArticle(typeName string) string {
	if strings.ContainsAny(typeName[:1], "AEIOU") {
		return "an " + typeName
	}
	return "a " + typeName
}

// typeNames lists the entity types, for a message.
func (c *entitiesCheck) typeNames() string {
	return strings.Join(slices.Sorted(maps.Keys(c.keys)), ", ")
}

// representationError is invalid input about a representation, which extensions.field names.
func representationError(field, format string, args ...any) *gqlerror.Error {
	return &gqlerror.Error{Message: fmt.Sprintf(format, args...),
		Extensions: map[string]any{"code": string(directory.CodeInvalidInput), "field": field}}
}

// forEachRootField calls visit with each field the selection set selects at its own level, through inline
// fragments and fragment spreads, each fragment once, until visit returns false.
func forEachRootField(set ast.SelectionSet, seen map[string]bool, visit func(*ast.Field) bool) bool {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if !visit(s) {
				return false
			}
		case *ast.InlineFragment:
			if !forEachRootField(s.SelectionSet, seen, visit) {
				return false
			}
		case *ast.FragmentSpread:
			if s.Definition != nil && !seen[s.Name] {
				seen[s.Name] = true
				if !forEachRootField(s.Definition.SelectionSet, seen, visit) {
					return false
				}
			}
		}
	}
	return true
}

// entityResolverType is the object type gqlgen's federation plugin declares to generate the interface of the
// entity resolvers from: its fields are those resolvers.
const entityResolverType = "Entity"

// withoutEntityResolverTypes returns the schema without the types gqlgen's federation plugin declares only to
// generate the entity resolvers: Entity and the representation inputs its fields take (CityRepresentation...).
// No operation reaches them, and introspection would list them, undescribed, beside the directory's own; a
// router needs only _entities, _Any, _Entity and _service.
func withoutEntityResolverTypes(s *ast.Schema) *ast.Schema {
	e := s.Types[entityResolverType]
	if e == nil || e.Position == nil || e.Position.Src == nil || !e.Position.Src.BuiltIn {
		return s
	}
	c := *s
	c.Types = maps.Clone(s.Types)
	delete(c.Types, e.Name)
	for _, f := range e.Fields {
		for _, a := range f.Arguments {
			if t := c.Types[a.Type.Name()]; t != nil && t.Kind == ast.InputObject && t.Position != nil && t.Position.Src == e.Position.Src {
				delete(c.Types, t.Name)
			}
		}
	}
	return &c
}

// entitiesComplexity is the complexity of _entities: its selections once per representation.
func entitiesComplexity(child int, representations []map[string]any) int {
	return cost.Add(1, cost.Mul(child, max(len(representations), 1)))
}

// ref returns the reference to a record that a representation holds: its global ID where the representation
// matched the id key, else its readable key. entitiesCheck has made sure the matched key's field is a string.
func ref(byID bool, id, key *string) directory.Ref {
	if byID {
		return directory.Ref{ID: valueOf(id)}
	}
	return directory.Ref{Key: valueOf(key)}
}

// entities resolves a batch of representations of one kind: the record each names, in order, and for each that
// names none, nil and its error, which gqlgen reports at the representation's place in _entities.
func entities[R any, T any](reps []R, kind string, byKey func(string) *T, refOf func(R) directory.Ref) ([]*T, error) {
	out := make([]*T, len(reps))
	var errs graphql.BatchErrorList
	for i, rep := range reps {
		x, err := directory.Resolve(kind, refOf(rep), byKey)
		if err != nil {
			if errs == nil {
				errs = make(graphql.BatchErrorList, len(reps))
			}
			errs[i] = err
			continue
		}
		out[i] = x
	}
	if errs != nil {
		return out, errs
	}
	return out, nil
}
