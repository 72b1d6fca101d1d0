package graph_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
	"github.com/vektah/gqlparser/v2/validator/rules"

	"github.com/iclei/directory/graph/schema"
)

func TestProbeValidation(t *testing.T) {
	sdl, _ := schema.SDL()
	s := gqlparser.MustLoadSchema(&ast.Source{Input: string(sdl)})
	docs := map[string]string{}
	var b strings.Builder
	b.WriteString("{")
	for range 600 {
		b.WriteString(" regions{code}")
	}
	b.WriteString("}")
	docs["same-fields"] = b.String()
	b.Reset()
	b.WriteString("{")
	for i := range 450 {
		fmt.Fprintf(&b, " a: region(code:\"%d\"){code}", i)
	}
	b.WriteString("}")
	docs["conflicting-aliases"] = b.String()
	b.Reset()
	b.WriteString("{ ...F0 } ")
	for i := range 700 {
		fmt.Fprintf(&b, " fragment F%d on Query { ...F%d }", i, i+1)
	}
	b.WriteString(" fragment F700 on Query { regions{code} }")
	docs["chain"] = b.String()
	b.Reset()
	b.WriteString("{ ")
	for i := range 600 {
		fmt.Fprintf(&b, " ...F%d", i)
	}
	b.WriteString("}")
	for i := range 600 {
		fmt.Fprintf(&b, " fragment F%d on Query { regions{code} }", i)
	}
	docs["many-spreads"] = b.String()
	b.Reset()
	b.WriteString("{ ")
	for i := range 300 {
		fmt.Fprintf(&b, " ...F%d", i)
	}
	b.WriteString("}")
	for i := range 300 {
		fmt.Fprintf(&b, " fragment F%d on Query { regions{code} x%d: regions{name} }", i, i)
	}
	docs["many-spreads2"] = b.String()
	for name, q := range docs {
		doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: q}, 100000)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		errs := validator.ValidateWithRules(s, doc, rules.NewDefaultRules())
		t.Logf("%s (%d bytes) validate %v errs %d", name, len(q), time.Since(start), len(errs))
	}
}
