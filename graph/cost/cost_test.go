package cost_test

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/complexity"
	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
	"github.com/vektah/gqlparser/v2/validator/rules"

	"github.com/iclei/directory/graph/cost"
)

// The memoized measures are checked against the definition they shortcut: the document's expansion, every
// fragment spread replaced by its fragment, walked in full. Fragment graphs are generated from the fuzzer's
// bytes, small enough that the full walk stays cheap.
//
//	go test -run '^$' -fuzz FuzzMeasure ./graph/cost
//	go test -run '^$' -fuzz FuzzOperation ./graph/cost

// testSDL has an interface whose implementations cost differently, a list priced by its argument, and
// enough fields to nest and alias.
const testSDL = `
interface Node { id: ID! next: Node list(first: Int): [Node] }
type A implements Node { id: ID! next: Node list(first: Int): [Node] a: Int }
type B implements Node { id: ID! next: Node list(first: Int): [Node] b: String }
type Query { node: Node list(first: Int): [Node] a: A }
`

// testSchema prices list as gqlgen's generated code would with complexity functions: on B, one plus its
// selections once per element; on A, the first of Node's implementations, twice as dear, so that an interface
// field costs its dearest type, not its first or last.
type testSchema struct{ schema *ast.Schema }

func (s testSchema) Schema() *ast.Schema { return s.schema }

func (s testSchema) Complexity(_ context.Context, typeName, field string, child int, args map[string]any) (int, bool) {
	if field != "list" {
		return 0, false
	}
	n := 1
	if first, ok := args["first"].(int64); ok {
		n = int(first)
	}
	if typeName == "A" {
		return cost.Add(2, cost.Mul(child, 2*n)), true
	}
	return cost.Add(1, cost.Mul(child, n)), true
}

func (testSchema) Exec(context.Context) graphql.ResponseHandler { panic("not executed") }

// document builds a document from the fuzzer's bytes: an operation and up to seven fragments on Node, each
// fragment spreading only fragments after it (acyclic) unless cyclic is set. Each selection is one byte: a
// scalar, an aliased scalar, a nested field holding the next selections, a list, an inline fragment on A, or
// a spread.
func document(data []byte, cyclic bool) string {
	if len(data) == 0 {
		return "{ node { id } }"
	}
	nFragments := int(data[0]%7) + 1
	data = data[1:]
	next := func() (byte, bool) {
		if len(data) == 0 {
			return 0, false
		}
		b := data[0]
		data = data[1:]
		return b, true
	}
	var body func(self, depth, budget int) string
	body = func(self, depth, budget int) string {
		var parts []string
		for range budget {
			b, ok := next()
			if !ok {
				break
			}
			switch b % 8 {
			case 0, 1:
				parts = append(parts, "id")
			case 2:
				parts = append(parts, fmt.Sprintf("i%d: id", b/8%3))
			case 3:
				if depth < 3 {
					parts = append(parts, "next { id "+body(self, depth+1, 3)+" }")
				}
			case 4:
				if depth < 3 {
					parts = append(parts, fmt.Sprintf("l%d: list(first: %d) { id %s }", b/8%4, b/8%4+1, body(self, depth+1, 3)))
				}
			case 5:
				parts = append(parts, "... on A { a }")
			default:
				target := int(b/8) % nFragments
				if cyclic || target > self {
					parts = append(parts, fmt.Sprintf("...F%d", target))
				}
			}
		}
		return strings.Join(parts, " ")
	}
	var doc strings.Builder
	doc.WriteString("{ node { id " + body(-1, 0, 6) + " } }")
	for i := range nFragments {
		fmt.Fprintf(&doc, "\nfragment F%d on Node { id %s }", i, body(i, 0, 5))
	}
	return doc.String()
}

func parse(t *testing.T, query string) *ast.QueryDocument {
	t.Helper()
	doc, err := parser.ParseQuery(&ast.Source{Input: query})
	if err != nil {
		t.Fatalf("%v\n%s", err, query)
	}
	return doc
}

// expansion walks the document's expansion in full, each operation and fragment definition as a root, and
// returns what Measure and Repeats return. It gives up (ok false) past limit fields.
func expansion(doc *ast.QueryDocument, limit int) (s cost.Shape, r cost.Repeat, ok bool) {
	walked := 0
	type place struct {
		counts  map[string]int
		spreads map[string]map[string]bool
	}
	var walk func(set ast.SelectionSet, path string, depth int, p *place) (fields, maxDepth, aliases int)
	walk = func(set ast.SelectionSet, path string, depth int, p *place) (fields, maxDepth, aliases int) {
		for _, sel := range set {
			switch x := sel.(type) {
			case *ast.Field:
				walked++
				if walked > limit {
					return
				}
				key := x.Alias
				if key == "" {
					key = x.Name
				}
				p.counts[path+"/"+key]++
				d := depth + 1
				f, md, a := walk(x.SelectionSet, path+"/"+key, d, p)
				fields += 1 + f
				maxDepth = max(maxDepth, d, md)
				aliases += a
				if x.Alias != "" && x.Alias != x.Name {
					aliases++
				}
			case *ast.InlineFragment:
				f, md, a := walk(x.SelectionSet, path, depth, p)
				fields, maxDepth, aliases = fields+f, max(maxDepth, md), aliases+a
			case *ast.FragmentSpread:
				def := doc.Fragments.ForName(x.Name)
				if def == nil {
					continue
				}
				if p.spreads[path] == nil {
					p.spreads[path] = map[string]bool{}
				}
				p.spreads[path][x.Name] = true
				f, md, a := walk(def.SelectionSet, path, depth, p)
				fields, maxDepth, aliases = fields+f, max(maxDepth, md), aliases+a
			}
		}
		return
	}
	var roots []ast.SelectionSet
	for _, op := range doc.Operations {
		roots = append(roots, op.SelectionSet)
	}
	for _, f := range doc.Fragments {
		roots = append(roots, f.SelectionSet)
	}
	for _, root := range roots {
		p := &place{counts: map[string]int{}, spreads: map[string]map[string]bool{}}
		f, d, a := walk(root, "", 0, p)
		s.Fields, s.Depth, s.Aliases = s.Fields+f, max(s.Depth, d), max(s.Aliases, a)
		for _, c := range p.counts {
			r.Count = max(r.Count, c)
		}
		for _, names := range p.spreads {
			r.Spreads = max(r.Spreads, len(names))
		}
	}
	return s, r, walked <= limit
}

func FuzzMeasure(f *testing.F) {
	for _, seed := range []string{"", "\x03\x06\x0e\x16\x03\x04\x02", "\x06\x06\x06\x0e\x0e\x16\x16\x1e\x1e\x26\x26\x2e", "\x02\x03\x03\x04\x05\x06\x0e"} {
		f.Add([]byte(seed), false)
	}
	f.Add([]byte("\x03\x06\x0e\x06\x06\x0e"), true)
	f.Fuzz(func(t *testing.T, data []byte, cyclic bool) {
		query := document(data, cyclic)
		doc := parse(t, query)
		got := cost.Measure(doc)
		if cyclic {
			// A cycle is found, and the walk ends; the counts of a cyclic document mean nothing.
			if hasCycle(doc) != (got.Cycle != nil) {
				t.Fatalf("cycle %v, want one: %v\n%s", got.Cycle, hasCycle(doc), query)
			}
			return
		}
		if got.Cycle != nil {
			t.Fatalf("cycle %v in an acyclic document\n%s", got.Cycle, query)
		}
		want, repeats, ok := expansion(doc, 200_000)
		if !ok {
			t.Skip("the expansion is too large to walk")
		}
		if got.Fields != want.Fields || got.Depth != want.Depth || got.Aliases != want.Aliases {
			t.Fatalf("Measure = fields %d, depth %d, aliases %d; the expansion has %d, %d, %d\n%s",
				got.Fields, got.Depth, got.Aliases, want.Fields, want.Depth, want.Aliases, query)
		}
		r, over := cost.Repeats(doc, want.Fields)
		if over || r.Count != repeats.Count || r.Spreads != repeats.Spreads {
			t.Fatalf("Repeats = %d times, %d spreads (over %v); the expansion has %d, %d\n%s",
				r.Count, r.Spreads, over, repeats.Count, repeats.Spreads, query)
		}
		if _, over := cost.Repeats(doc, want.Fields-1); !over && want.Fields > 0 {
			t.Fatalf("Repeats walked %d fields within a budget of %d\n%s", want.Fields, want.Fields-1, query)
		}
	})
}

// hasCycle reports whether a fragment of the document reaches itself.
func hasCycle(doc *ast.QueryDocument) bool {
	var reaches func(set ast.SelectionSet, target string, seen map[string]bool) bool
	reaches = func(set ast.SelectionSet, target string, seen map[string]bool) bool {
		for _, sel := range set {
			switch x := sel.(type) {
			case *ast.Field:
				if reaches(x.SelectionSet, target, seen) {
					return true
				}
			case *ast.InlineFragment:
				if reaches(x.SelectionSet, target, seen) {
					return true
				}
			case *ast.FragmentSpread:
				if x.Name == target {
					return true
				}
				if def := doc.Fragments.ForName(x.Name); def != nil && !seen[x.Name] {
					seen[x.Name] = true
					if reaches(def.SelectionSet, target, seen) {
						return true
					}
				}
			}
		}
		return false
	}
	for _, f := range doc.Fragments {
		if reaches(f.SelectionSet, f.Name, map[string]bool{}) {
			return true
		}
	}
	return false
}

func FuzzOperation(f *testing.F) {
	schema := gqlparser.MustLoadSchema(&ast.Source{Input: testSDL})
	es := testSchema{schema}
	for _, seed := range []string{"", "\x03\x04\x0c\x14\x06\x0e", "\x06\x06\x06\x0e\x0e\x16\x16\x1e\x1e\x26\x26\x2e", "\x02\x04\x24\x2c\x05\x0e\x16"} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		query := document(data, false)
		doc := parse(t, query)
		if errs := validator.ValidateWithRules(schema, doc, rules.NewDefaultRules()); len(errs) > 0 {
			t.Skip("not valid:", errs[0].Message)
		}
		if _, _, ok := expansion(doc, 200_000); !ok {
			t.Skip("the expansion is too large to walk")
		}
		op := doc.Operations[0]
		got := cost.Operation(context.Background(), es, op, nil)
		want := complexity.Calculate(context.Background(), es, op, nil)
		if got != want {
			t.Fatalf("cost.Operation = %d, gqlgen's complexity.Calculate = %d\n%s", got, want, query)
		}
	})
}

func TestArithmeticSaturates(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ got, want int }{
		{cost.Add(math.MaxInt, 1), math.MaxInt},
		{cost.Add(math.MaxInt-1, math.MaxInt-1), math.MaxInt},
		{cost.Add(-5, 3), 3},
		{cost.Add(3, -5), 3},
		{cost.Mul(math.MaxInt/2, 3), math.MaxInt},
		{cost.Mul(1<<40, 1<<40), math.MaxInt},
		{cost.Mul(6, 7), 42},
		{cost.Mul(-1, 7), 0},
	} {
		if c.got != c.want {
			t.Errorf("got %d, want %d", c.got, c.want)
		}
	}
}

func TestMeasureNamesDirectives(t *testing.T) {
	t.Parallel()
	s := cost.Measure(parse(t, `{ node { id ... @defer { id } ...F @include(if: true) } } fragment F on Node { id @skip(if: false) }`))
	slices.Sort(s.Directives)
	if want := []string{"defer", "include", "skip"}; !slices.Equal(s.Directives, want) {
		t.Errorf("directives %v, want %v", s.Directives, want)
	}
}
