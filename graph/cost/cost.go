// Package cost measures what a GraphQL document asks of the server, in time linear in the document: each
// fragment is measured once, however often it is spread. A document of a few hundred bytes can spread
// fragments that spread each other twice, thirty levels deep, and so ask for billions of fields; a pass that
// walks the expansion (gqlgen's complexity calculation does) is itself the attack. Measure runs on the
// parsed document before validation, so that such a document is refused before anything walks it; Operation
// computes an operation's complexity once it has been validated.
package cost

import (
	"context"
	"math"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// Shape is what a document asks for once its fragment spreads are expanded.
type Shape struct {
	// Fields counts the fields of every operation and every fragment definition with the fragments they spread
	// expanded: validation checks each fragment definition on its own, so each costs what its expansion does.
	Fields int
	// Depth is how deeply selections nest, in the deepest operation or fragment. Fields named ofType do not
	// count: they unwrap an introspected type's list and non-null wrappers one at a time and never fan out,
	// and GraphiQL asks for nine levels of them.
	Depth int
	// Aliases is the most aliased fields one operation or fragment selects with its fragments expanded.
	Aliases int
	// Cycle names a fragment that spreads itself, directly or through others; such a document is invalid,
	// and its expansion infinite.
	Cycle []string
	// Directives names the directives the document uses, once each.
	Directives []string
}

// Measure returns the shape of a parsed document. It visits each selection of the document once: a fragment
// is measured the first time it is spread, and its measure reused at every other spread. Counts saturate at
// the largest int rather than overflow.
func Measure(doc *ast.QueryDocument) Shape {
	m := measurer{
		fragments:  make(map[string]*ast.FragmentDefinition, len(doc.Fragments)),
		memo:       make(map[string]shape, len(doc.Fragments)),
		onPath:     map[string]bool{},
		directives: map[string]bool{},
	}
	for _, f := range doc.Fragments {
		if _, ok := m.fragments[f.Name]; !ok { // the first of duplicates, as validation sees them
			m.fragments[f.Name] = f
		}
	}
	var out Shape
	add := func(s shape) {
		out.Fields = Add(out.Fields, s.fields)
		out.Depth = max(out.Depth, s.depth)
		out.Aliases = max(out.Aliases, s.aliases)
	}
	for _, op := range doc.Operations {
		m.directiveList(op.Directives)
		add(m.selectionSet(op.SelectionSet))
	}
	for _, f := range doc.Fragments {
		m.directiveList(f.Directives)
		add(m.fragment(f.Name))
	}
	out.Cycle = m.cycle
	for name := range m.directives {
		out.Directives = append(out.Directives, name)
	}
	return out
}

type shape struct{ fields, depth, aliases int }

type measurer struct {
	fragments  map[string]*ast.FragmentDefinition
	memo       map[string]shape
	onPath     map[string]bool
	path       []string
	cycle      []string
	directives map[string]bool
}

func (m *measurer) selectionSet(set ast.SelectionSet) shape {
	var s shape
	for _, sel := range set {
		var c shape
		switch x := sel.(type) {
		case *ast.Field:
			m.directiveList(x.Directives)
			c = m.selectionSet(x.SelectionSet)
			c.fields = Add(c.fields, 1)
			if x.Name != "ofType" {
				c.depth++
			}
			if x.Alias != "" && x.Alias != x.Name {
				c.aliases = Add(c.aliases, 1)
			}
		case *ast.InlineFragment:
			m.directiveList(x.Directives)
			c = m.selectionSet(x.SelectionSet)
		case *ast.FragmentSpread:
			m.directiveList(x.Directives)
			c = m.fragment(x.Name)
		}
		s.fields = Add(s.fields, c.fields)
		s.depth = max(s.depth, c.depth)
		s.aliases = Add(s.aliases, c.aliases)
	}
	return s
}

// fragment measures the named fragment once and remembers it. An unknown fragment measures nothing
// (validation refuses it), and so does a spread that closes a cycle, which is recorded instead.
func (m *measurer) fragment(name string) shape {
	if s, ok := m.memo[name]; ok {
		return s
	}
	f := m.fragments[name]
	if f == nil {
		return shape{}
	}
	if m.onPath[name] {
		if m.cycle == nil {
			i := len(m.path) - 1
			for i > 0 && m.path[i] != name {
				i--
			}
			m.cycle = append(append([]string{}, m.path[i:]...), name)
		}
		return shape{}
	}
	m.onPath[name] = true
	m.path = append(m.path, name)
	s := m.selectionSet(f.SelectionSet)
	m.path = m.path[:len(m.path)-1]
	delete(m.onPath, name)
	m.memo[name] = s
	return s
}

func (m *measurer) directiveList(list ast.DirectiveList) {
	for _, d := range list {
		m.directives[d.Name] = true
	}
}

// Repeat is the field a document selects most often at one place in its response: the number of times,
// and the response path of that place. Validation compares every pair of fields that land at one place in
// the response, and the fields below each pair again: a document that selects one field many times at each of
// a few levels makes that comparison cost the product of their counts, squared.
type Repeat struct {
	// Count is how often the field is selected there; Spreads is the most fragments spread at one place (each
	// pair of which validation compares), and SpreadsPath that place.
	Count       int
	Path        []string
	Spreads     int
	SpreadsPath []string
}

// Repeats returns the field the document selects most often at one place, looking through inline fragments
// and fragment spreads as the response merges them, in each operation and each fragment definition. It walks
// the document's expansion, so it visits at most budget fields and reports over when there were more: call it
// on a document whose Shape.Fields is bounded.
func Repeats(doc *ast.QueryDocument, budget int) (r Repeat, over bool) {
	w := repeatWalker{fragments: map[string]*ast.FragmentDefinition{}, onPath: map[string]bool{}, budget: budget}
	for _, f := range doc.Fragments {
		if _, ok := w.fragments[f.Name]; !ok {
			w.fragments[f.Name] = f
		}
	}
	for _, op := range doc.Operations {
		w.node([]ast.SelectionSet{op.SelectionSet}, nil)
	}
	for _, f := range doc.Fragments {
		w.node([]ast.SelectionSet{f.SelectionSet}, nil)
	}
	return w.best, w.over
}

type repeatWalker struct {
	fragments map[string]*ast.FragmentDefinition
	onPath    map[string]bool
	budget    int
	visited   int
	over      bool
	best      Repeat
}

// node looks at one place in the response: the selection sets that land there, merged.
func (w *repeatWalker) node(sets []ast.SelectionSet, path []string) {
	var names []string
	groups := map[string][]*ast.Field{}
	spread := map[string]bool{}
	var collect func(ast.SelectionSet)
	collect = func(set ast.SelectionSet) {
		for _, sel := range set {
			if w.over {
				return
			}
			switch s := sel.(type) {
			case *ast.Field:
				if w.visited++; w.visited > w.budget {
					w.over = true
					return
				}
				key := s.Alias
				if key == "" {
					key = s.Name
				}
				if _, ok := groups[key]; !ok {
					names = append(names, key)
				}
				groups[key] = append(groups[key], s)
			case *ast.InlineFragment:
				collect(s.SelectionSet)
			case *ast.FragmentSpread:
				if f := w.fragments[s.Name]; f != nil && !w.onPath[s.Name] {
					spread[s.Name] = true
					w.onPath[s.Name] = true
					collect(f.SelectionSet)
					delete(w.onPath, s.Name)
				}
			}
		}
	}
	for _, set := range sets {
		collect(set)
	}
	if len(spread) > w.best.Spreads {
		w.best.Spreads, w.best.SpreadsPath = len(spread), path
	}
	for _, name := range names {
		fields := groups[name]
		at := append(path[:len(path):len(path)], name)
		if len(fields) > w.best.Count {
			w.best.Count, w.best.Path = len(fields), at
		}
		var below []ast.SelectionSet
		for _, f := range fields {
			if len(f.SelectionSet) > 0 {
				below = append(below, f.SelectionSet)
			}
		}
		if len(below) > 0 && !w.over {
			w.node(below, at)
		}
	}
}

// Operation returns the complexity of a validated operation: what gqlgen's complexity.Calculate returns (each
// field costs its schema's complexity function of its arguments and its selections' cost, or 1 plus that
// cost), computed with each fragment's cost once.
func Operation(ctx context.Context, es graphql.ExecutableSchema, op *ast.OperationDefinition, vars map[string]any) int {
	w := walker{ctx: ctx, es: es, schema: es.Schema(), vars: vars, memo: map[*ast.FragmentDefinition]int{}}
	return w.selectionSet(op.SelectionSet)
}

// SelectionSet returns the complexity of a field's selections in a validated operation, as Operation counts
// them.
func SelectionSet(ctx context.Context, es graphql.ExecutableSchema, set ast.SelectionSet, vars map[string]any) int {
	w := walker{ctx: ctx, es: es, schema: es.Schema(), vars: vars, memo: map[*ast.FragmentDefinition]int{}}
	return w.selectionSet(set)
}

type walker struct {
	ctx    context.Context
	es     graphql.ExecutableSchema
	schema *ast.Schema
	vars   map[string]any
	memo   map[*ast.FragmentDefinition]int
}

func (w *walker) selectionSet(set ast.SelectionSet) int {
	var total int
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			def := w.schema.Types[s.Definition.Type.Name()]
			if def.Name == "__Schema" {
				continue
			}
			var child int
			switch def.Kind {
			case ast.Object, ast.Interface, ast.Union:
				child = w.selectionSet(s.SelectionSet)
			}
			args := s.ArgumentMap(w.vars)
			var c int
			if s.ObjectDefinition.Kind == ast.Interface {
				// An interface's field costs what it costs on the dearest of the types implementing it.
				for _, t := range w.schema.GetPossibleTypes(s.ObjectDefinition) {
					c = max(c, w.field(t, def.Kind, s.Name, child, args))
				}
			} else {
				c = w.field(s.ObjectDefinition, def.Kind, s.Name, child, args)
			}
			total = Add(total, c)
		case *ast.FragmentSpread:
			// Validation has bound the spread to its definition and refused cycles by now.
			c, ok := w.memo[s.Definition]
			if !ok {
				c = w.selectionSet(s.Definition.SelectionSet)
				w.memo[s.Definition] = c
			}
			total = Add(total, c)
		case *ast.InlineFragment:
			total = Add(total, w.selectionSet(s.SelectionSet))
		}
	}
	return total
}

func (w *walker) field(obj *ast.Definition, kind ast.DefinitionKind, name string, child int, args map[string]any) int {
	if c, ok := w.es.Complexity(w.ctx, obj.Name, name, child, args); ok && c >= 1 {
		return c
	}
	return Add(1, child)
}

// Add adds two costs, ignoring a negative one and saturating at the largest int, as gqlgen does, so that no
// document can overflow its way below a limit.
func Add(a, b int) int {
	switch {
	case a < 0 && b < 0:
		return 1
	case a < 0:
		return b
	case b < 0:
		return a
	}
	if c := a + b; c >= a {
		return c
	}
	return math.MaxInt
}

// Mul multiplies two costs, saturating at the largest int: a list's cost is its element's times its length.
func Mul(a, b int) int {
	if a <= 0 || b <= 0 {
		return 0
	}
	if a > math.MaxInt/b {
		return math.MaxInt
	}
	return a * b
}
