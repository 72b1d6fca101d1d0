package graph

import (
	"context"
	"reflect"
	"slices"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/iclei/directory/directory"
)

// Limits bound what one request may ask for (OWASP GraphQL cheat sheet). Zero leaves a limit off.
type Limits struct {
	// MaxDepth bounds how deeply selections nest.
	MaxDepth int
	// MaxComplexity bounds the operation's complexity: each field counts 1 plus its selections, and a connection
	// or list counts its selections once per record it may return (first, last or the default page size).
	MaxComplexity int
	// MaxAliases bounds how many aliased fields an operation may select.
	MaxAliases int
	// MaxTokens bounds how many tokens the parser reads.
	MaxTokens int
	// DisableSuggestions leaves "did you mean" suggestions out of validation errors.
	DisableSuggestions bool
}

// Error codes of the limits.
const (
	CodeDepthLimit   = "QUERY_DEPTH_LIMIT_EXCEEDED"
	CodeAliasLimit   = "ALIAS_LIMIT_EXCEEDED"
	CodeComplexLimit = "COMPLEXITY_LIMIT_EXCEEDED"
)

func applyLimits(srv *handler.Server, l Limits) {
	if l.MaxTokens > 0 {
		srv.SetParserTokenLimit(l.MaxTokens)
	}
	srv.SetDisableSuggestion(l.DisableSuggestions)
	if l.MaxDepth > 0 || l.MaxAliases > 0 {
		srv.Use(shapeLimit{maxDepth: l.MaxDepth, maxAliases: l.MaxAliases})
	}
	if l.MaxComplexity > 0 {
		srv.Use(extension.FixedComplexityLimit(l.MaxComplexity))
	}
}

// shapeLimit refuses operations nested too deeply or with too many aliases, before they run.
type shapeLimit struct{ maxDepth, maxAliases int }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = shapeLimit{}

func (shapeLimit) ExtensionName() string                   { return "ShapeLimit" }
func (shapeLimit) Validate(graphql.ExecutableSchema) error { return nil }
func (l shapeLimit) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	op := oc.Doc.Operations.ForName(oc.OperationName)
	if op == nil {
		return nil
	}
	depth, aliases := measure(op.SelectionSet, oc.Doc.Fragments, map[string]bool{})
	if l.maxDepth > 0 && depth > l.maxDepth {
		err := gqlerror.Errorf("operation nests %d levels deep, which exceeds the limit of %d; split it into several operations", depth, l.maxDepth)
		errcode.Set(err, CodeDepthLimit)
		return err
	}
	if l.maxAliases > 0 && aliases > l.maxAliases {
		err := gqlerror.Errorf("operation uses %d aliases, which exceeds the limit of %d", aliases, l.maxAliases)
		errcode.Set(err, CodeAliasLimit)
		return err
	}
	return nil
}

// measure returns how deeply a selection set nests and how many aliased fields it selects, following fragment
// spreads (each fragment once along a path, so that a cycle cannot loop). The ofType chain of an introspected
// type does not count: it unwraps list and non-null wrappers one at a time, never fans out, and GraphiQL asks
// for nine levels of it, which would otherwise put the playground's own introspection query past the limit.
func measure(set ast.SelectionSet, fragments ast.FragmentDefinitionList, onPath map[string]bool) (depth, aliases int) {
	for _, sel := range set {
		var d, a int
		switch s := sel.(type) {
		case *ast.Field:
			d, a = measure(s.SelectionSet, fragments, onPath)
			if s.Name != "ofType" || s.ObjectDefinition == nil || s.ObjectDefinition.Name != "__Type" {
				d++
			}
			if s.Alias != "" && s.Alias != s.Name {
				a++
			}
		case *ast.InlineFragment:
			d, a = measure(s.SelectionSet, fragments, onPath)
		case *ast.FragmentSpread:
			f := fragments.ForName(s.Name)
			if f == nil || onPath[s.Name] {
				continue
			}
			onPath[s.Name] = true
			d, a = measure(f.SelectionSet, fragments, onPath)
			delete(onPath, s.Name)
		}
		depth, aliases = max(depth, d), aliases+a
	}
	return depth, aliases
}

// complexity returns the complexity functions of the schema's lists: every connection (a field whose last
// arguments are first, after, last and before) counts its selections once per record of a page, and the lists
// sized by their arguments (nodes, nearestOffices) once per record they may return. The connections are found
// by their signature, so that a new connection is counted without anyone remembering to add it here.
func complexity() ComplexityRoot {
	var c ComplexityRoot
	pageArgs := []reflect.Type{reflect.TypeFor[*int](), reflect.TypeFor[*string](), reflect.TypeFor[*int](), reflect.TypeFor[*string]()}
	root := reflect.ValueOf(&c).Elem()
	for i := range root.NumField() {
		obj := root.Field(i)
		for j := range obj.NumField() {
			f := obj.Field(j)
			t := f.Type()
			if t.Kind() != reflect.Func || t.NumIn() < 1+len(pageArgs) {
				continue
			}
			tail := t.NumIn() - len(pageArgs)
			match := true
			for k, want := range pageArgs {
				match = match && t.In(tail+k) == want
			}
			if !match {
				continue
			}
			f.Set(reflect.MakeFunc(t, func(args []reflect.Value) []reflect.Value {
				child := int(args[0].Int())
				size := directory.DefaultPageSize
				if first := args[tail].Interface().(*int); first != nil {
					size = *first
				} else if last := args[tail+2].Interface().(*int); last != nil {
					size = *last
				}
				return []reflect.Value{reflect.ValueOf(1 + child*min(max(size, 1), directory.MaxPageSize))}
			}))
		}
	}
	c.Query.Nodes = func(child int, ids []string) int { return 1 + child*max(len(ids), 1) }
	c.Query.NearestOffices = func(child int, _, _ float64, first *int) int {
		return 1 + child*max(valueOf(first), 1)
	}
	return c
}

// introspectionOff refuses operations that ask for the schema (__schema, __type) before they run, when
// introspection is turned off; __typename stays available.
type introspectionOff struct{}

func (introspectionOff) ExtensionName() string                   { return "IntrospectionOff" }
func (introspectionOff) Validate(graphql.ExecutableSchema) error { return nil }
func (introspectionOff) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	op := oc.Doc.Operations.ForName(oc.OperationName)
	if op == nil || !selects(op.SelectionSet, oc.Doc.Fragments, map[string]bool{}, "__schema", "__type") {
		return nil
	}
	err := gqlerror.Errorf("introspection is turned off on this server; the schema is published at /schema.graphql")
	errcode.Set(err, errcode.ValidationFailed)
	return err
}

// selects reports whether a selection set selects a field with one of the names, through fragments too.
func selects(set ast.SelectionSet, fragments ast.FragmentDefinitionList, seen map[string]bool, names ...string) bool {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if slices.Contains(names, s.Name) || selects(s.SelectionSet, fragments, seen, names...) {
				return true
			}
		case *ast.InlineFragment:
			if selects(s.SelectionSet, fragments, seen, names...) {
				return true
			}
		case *ast.FragmentSpread:
			if f := fragments.ForName(s.Name); f != nil && !seen[s.Name] {
				seen[s.Name] = true
				if selects(f.SelectionSet, fragments, seen, names...) {
					return true
				}
			}
		}
	}
	return false
}
