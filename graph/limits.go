package graph

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/iclei/directory/directory"
	"github.com/iclei/directory/graph/cost"
	"github.com/iclei/directory/httperror"
)

// Limits bound what one request may ask for (OWASP GraphQL cheat sheet). Zero leaves a limit off.
//
// The limits on a document's shape (MaxFields, MaxDepth, MaxAliases) are checked on the parsed document before
// it is validated: the document gate (document.go) measures it in one pass linear in its size, so that no
// pass that walks a document's expansion, gqlgen's validation included, ever sees a document over them.
// MaxComplexity is checked once the operation is validated and its variables known.
type Limits struct {
	// MaxTokens bounds how many tokens the parser reads.
	MaxTokens int
	// MaxFields bounds how many fields the document selects with every fragment spread expanded, each
	// operation and each fragment definition counted (cost.Shape).
	MaxFields int
	// MaxDepth bounds how deeply selections nest.
	MaxDepth int
	// MaxAliases bounds how many aliased fields an operation (or a fragment) may select.
	MaxAliases int
	// MaxRepeats bounds how often one field may be selected at one place in the response, and how many
	// fragments may be spread at one place, through fragments and inline fragments (cost.Repeats): validation
	// compares every such pair, and the pairs below each. It is checked when MaxFields is set, which bounds the
	// walk it takes.
	MaxRepeats int
	// MaxComplexity bounds the operation's complexity: each field counts 1 plus its selections, and a connection
	// or list counts its selections once per record it may return (first, last or the default page size).
	MaxComplexity int
	// DisableSuggestions leaves "did you mean" suggestions out of validation errors.
	DisableSuggestions bool
}

// checkShape refuses a document whose shape exceeds the limits.
func (l Limits) checkShape(s cost.Shape) *gqlerror.Error {
	refuse := func(code, format string, args ...any) *gqlerror.Error {
		err := gqlerror.Errorf(format, args...)
		errcode.Set(err, code)
		return err
	}
	switch {
	case len(s.Cycle) > 0:
		return refuse(httperror.CodeValidationFailed, "fragment %s spreads itself (%s); a fragment cannot contain itself",
			s.Cycle[0], strings.Join(s.Cycle, " → "))
	case l.MaxFields > 0 && s.Fields > l.MaxFields:
		return refuse(httperror.CodeFieldLimit,
			"the document selects %s fields once its fragment spreads are expanded (each operation and fragment counted), which exceeds the limit of %d; spread fewer fragments or split the document",
			countOf(s.Fields), l.MaxFields)
	case l.MaxDepth > 0 && s.Depth > l.MaxDepth:
		return refuse(httperror.CodeDepthLimit, "operation nests %d levels deep, which exceeds the limit of %d; split it into several operations", s.Depth, l.MaxDepth)
	case l.MaxAliases > 0 && s.Aliases > l.MaxAliases:
		return refuse(httperror.CodeAliasLimit, "operation uses %s aliases, which exceeds the limit of %d", countOf(s.Aliases), l.MaxAliases)
	}
	return nil
}

// checkRepeats refuses a document that selects a field, or spreads fragments, too often at one place.
func (l Limits) checkRepeats(r cost.Repeat) *gqlerror.Error {
	place := func(path []string) string {
		if len(path) == 0 {
			return "the top of the response"
		}
		return strings.Join(path, ".")
	}
	var err *gqlerror.Error
	switch {
	case r.Count > l.MaxRepeats:
		err = gqlerror.Errorf("the document selects %s %d times at one place in the response (through its fragments too), which exceeds the limit of %d; select each field once at each place",
			place(r.Path), r.Count, l.MaxRepeats)
	case r.Spreads > l.MaxRepeats:
		err = gqlerror.Errorf("the document spreads %d fragments at %s, which exceeds the limit of %d; merge some of them",
			r.Spreads, place(r.SpreadsPath), l.MaxRepeats)
	default:
		return nil
	}
	errcode.Set(err, httperror.CodeRepeatLimit)
	return err
}

// countOf writes a count that may have saturated.
func countOf(n int) string {
	if n == math.MaxInt {
		return "more than " + fmt.Sprint(math.MaxInt)
	}
	return fmt.Sprint(n)
}

// costExtension names the operation's cost in the operation's stats.
const costExtension = "Cost"

// Cost is an operation's complexity and the limit it was held to (0 for none). The transport reports it in
// the response's extensions.cost.
type Cost struct {
	Complexity int `json:"complexity"`
	Limit      int `json:"limit,omitempty"`
}

// costLimit computes every operation's complexity, each fragment once (cost.Operation), records it for the
// response, and refuses an operation over the limit before it runs. It replaces gqlgen's ComplexityLimit,
// which walks a fragment every time it is spread.
type costLimit struct {
	es  graphql.ExecutableSchema
	max int
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = (*costLimit)(nil)

func (*costLimit) ExtensionName() string { return "CostLimit" }

func (c *costLimit) Validate(es graphql.ExecutableSchema) error {
	c.es = es
	return nil
}

func (c *costLimit) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	complexity := cost.Add(cost.Operation(ctx, c.es, oc.Operation, oc.Variables), introspectionComplexity(oc.Operation))
	complexity = cost.Add(complexity, importComplexity(ctx, c.es, oc.Operation, oc.Variables))
	oc.Stats.SetExtension(costExtension, &Cost{Complexity: complexity, Limit: c.max})
	if c.max > 0 && complexity > c.max {
		err := gqlerror.Errorf("operation has complexity %s, which exceeds the limit of %d; ask for smaller pages or fewer nested lists",
			countOf(complexity), c.max)
		errcode.Set(err, httperror.CodeComplexityLimit)
		return err
	}
	return nil
}

// reportCost puts the operation's cost, where it was computed, in the response's extensions.
func reportCost(resp *graphql.Response, oc *graphql.OperationContext) {
	if oc == nil {
		return
	}
	c, ok := oc.Stats.GetExtension(costExtension).(*Cost)
	if !ok {
		return
	}
	if resp.Extensions == nil {
		resp.Extensions = map[string]any{}
	}
	resp.Extensions["cost"] = c
}

// onlyCost reports whether a response's extensions hold nothing but its cost, which is the same every time
// the same request is answered at the same snapshot.
func onlyCost(ext map[string]any) bool {
	_, has := ext["cost"]
	return len(ext) == 0 || len(ext) == 1 && has
}

// complexity returns the complexity functions of the schema's lists: every connection (a field whose last
// arguments are first, after, last and before) counts its selections once per record of a page, and the lists
// sized by their arguments (nodes, nearestOffices) once per record they may return. The connections are found
// by their signature, so that a new connection is counted without anyone remembering to add it here. The
// products saturate rather than overflow.
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
				return []reflect.Value{reflect.ValueOf(cost.Add(1, cost.Mul(child, min(max(size, 1), directory.MaxPageSize))))}
			}))
		}
	}
	c.Query.Changes = func(child int, _ *directory.FeedFilter, first *int, _ *string) int {
		size := directory.DefaultPageSize
		if first != nil {
			size = *first
		}
		return cost.Add(1, cost.Mul(child, min(max(size, 1), directory.MaxPageSize)))
	}
	c.Query.Nodes = func(child int, ids []string) int { return cost.Add(1, cost.Mul(child, max(len(ids), 1))) }
	c.Query.__resolve_entities = entitiesComplexity
	c._Service.SDL = func(int) int { return sdlComplexity }
	c.Query.NearestOffices = func(child int, _, _ float64, first *int) int {
		return cost.Add(1, cost.Mul(child, max(valueOf(first), 1)))
	}
	return c
}

// sdlComplexity is the complexity of _service { sdl }, the whole schema as text: a unit per 32 bytes of it, about
// what a record's field costs per byte of its answer. Counted as 1, asking for it under many aliases, or in
// each operation of a batch, answered megabytes to a request of a few hundred bytes.
var sdlComplexity = func() int {
	n := 0
	for _, src := range sources {
		if !src.BuiltIn {
			n += len(src.Input)
		}
	}
	return 1 + n/32
}()

// introspectionComplexity is the complexity of an operation's __schema fields, which gqlgen's complexity (and
// cost.Operation, which follows it) leaves out: each answers the schema, and costs what the schema as text does
// (sdlComplexity). Counted as nothing, one request asking for __schema under many aliases was answered
// megabytes.
func introspectionComplexity(op *ast.OperationDefinition) int {
	if op.Operation != ast.Query {
		return 0
	}
	total := 0
	forEachRootField(op.SelectionSet, map[string]bool{}, func(f *ast.Field) bool {
		if f.Name == "__schema" {
			total = cost.Add(total, sdlComplexity)
		}
		return true
	})
	return total
}

// importComplexity is what an operation's importMembers fields add to its complexity: gqlgen counts the
// selections of the report's rows once, but the report answers them for each row of the input, its city
// included, so each row after the first counts them again.
func importComplexity(ctx context.Context, es graphql.ExecutableSchema, op *ast.OperationDefinition, vars map[string]any) int {
	if op.Operation != ast.Mutation {
		return 0
	}
	total := 0
	forEachRootField(op.SelectionSet, map[string]bool{}, func(f *ast.Field) bool {
		if f.Name != "importMembers" {
			return true
		}
		input, _ := f.ArgumentMap(vars)["input"].(map[string]any)
		rows, _ := input["rows"].([]any)
		if len(rows) < 2 {
			return true
		}
		forEachRootField(f.SelectionSet, map[string]bool{}, func(r *ast.Field) bool {
			if r.Name == "rows" {
				total = cost.Add(total, cost.Mul(len(rows)-1, cost.SelectionSet(ctx, es, r.SelectionSet, vars)))
			}
			return true
		})
		return true
	})
	return total
}

// introspectionOff refuses operations that ask for the schema (__schema, __type) before they run, when
// introspection is turned off; __typename stays available, and so does the federation's _service { sdl }, as
// the schema is published at /schema.graphql anyway and a router composes the subgraph from it.
type introspectionOff struct{}

func (introspectionOff) ExtensionName() string                   { return "IntrospectionOff" }
func (introspectionOff) Validate(graphql.ExecutableSchema) error { return nil }
func (introspectionOff) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if !selects(oc.Operation.SelectionSet, map[string]bool{}, "__schema", "__type") {
		// gqlgen answers _service only where introspection is on; nothing else it gates is left in the
		// operation.
		oc.DisableIntrospection = false
		return nil
	}
	err := gqlerror.Errorf("introspection is turned off on this server; the schema is published at /schema.graphql")
	errcode.Set(err, errcode.ValidationFailed)
	return err
}

// selects reports whether a selection set selects a field with one of the names, through fragments too,
// visiting each fragment once.
func selects(set ast.SelectionSet, seen map[string]bool, names ...string) bool {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if slices.Contains(names, s.Name) || selects(s.SelectionSet, seen, names...) {
				return true
			}
		case *ast.InlineFragment:
			if selects(s.SelectionSet, seen, names...) {
				return true
			}
		case *ast.FragmentSpread:
			if s.Definition != nil && !seen[s.Name] {
				seen[s.Name] = true
				if selects(s.Definition.SelectionSet, seen, names...) {
					return true
				}
			}
		}
	}
	return false
}
