package graph

import (
	"context"
	"maps"
	"slices"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
	"github.com/vektah/gqlparser/v2/validator/rules"

	"github.com/iclei/directory/graph/cost"
	"github.com/iclei/directory/httperror"
)

// documentGate admits a request's document before gqlgen does anything with it. gqlgen parses a document,
// validates it, coerces the variables and only then lets extensions look at it; validation walks every
// fragment spread, and so could be made to walk a document's expansion. The gate runs first, as an operation
// parameter mutator after the persisted-query lookup, and does, in order:
//
//  1. parse, with the token limit: linear in the document;
//  2. measure the document in one pass, each fragment once (cost.Measure), and refuse one over the shape
//     limits, one with a fragment cycle, or one asking for incremental delivery: linear; then, the expansion
//     being bounded, refuse one that selects a field or spreads fragments too often at one place
//     (cost.Repeats), which is what makes validation's comparison of overlapping fields quadratic;
//  3. validate, with the rules gqlgen uses, a document the limits bound, and keep it in gqlgen's query cache,
//     where gqlgen finds it parsed and validated;
//  4. coerce the variables by the specification (variables.go), which gqlgen's own coercion does too loosely.
//
// A document the cache holds has passed the first three steps. A document that does not parse or validate is
// left to gqlgen, which parses and validates it again and reports every error in its own words; the limits
// bound what that costs.
type documentGate struct {
	schema *ast.Schema
	cache  graphql.Cache[*ast.QueryDocument]
	rules  func() *rules.Rules
	limits Limits
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = (*documentGate)(nil)

func (*documentGate) ExtensionName() string                   { return "DocumentGate" }
func (*documentGate) Validate(graphql.ExecutableSchema) error { return nil }

func (g *documentGate) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	if p.Query == "" {
		return nil // gqlgen says there is no operation
	}
	doc, ok := g.cache.Get(ctx, p.Query)
	if !ok {
		var err *gqlerror.Error
		if doc, err = g.admit(ctx, p.Query); doc == nil {
			return err
		}
	}
	op := doc.Operations.ForName(p.OperationName)
	if op == nil {
		return nil // gqlgen says which operation is missing
	}
	vars, err := coerceVariables(g.schema, op, p.Variables)
	if err != nil {
		return err
	}
	p.Variables = vars
	return nil
}

// admit parses, measures and validates a document the cache does not hold, and keeps it there once it
// passes. It returns nil, with the refusal if it refuses the document itself, or without one for a document
// that gqlgen is to report on.
func (g *documentGate) admit(ctx context.Context, query string) (*ast.QueryDocument, *gqlerror.Error) {
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: query}, g.limits.MaxTokens)
	if err != nil || len(doc.Operations) == 0 {
		return nil, nil
	}
	shape := cost.Measure(doc)
	if err := g.limits.checkShape(shape); err != nil {
		return nil, err
	}
	if g.limits.MaxFields > 0 && g.limits.MaxRepeats > 0 {
		// The walk is bounded: the document's expansion has at most MaxFields fields.
		r, _ := cost.Repeats(doc, g.limits.MaxFields)
		if err := g.limits.checkRepeats(r); err != nil {
			return nil, err
		}
	}
	if slices.Contains(shape.Directives, "defer") || slices.Contains(shape.Directives, "stream") {
		err := gqlerror.Errorf("this server answers every operation in one response and does not support @defer or @stream; remove the directive to receive every field at once")
		errcode.Set(err, httperror.CodeDeferUnsupported)
		return nil, err
	}
	if errs := validator.ValidateWithRules(g.schema, doc, g.rules()); len(errs) > 0 {
		return nil, nil
	}
	g.cache.Add(ctx, query, doc)
	return doc, nil
}

// validationRules returns gqlgen's validation rules, with or without field suggestions, as gqlgen itself
// picks them; the gate and gqlgen validate with the same.
func validationRules(disableSuggestions bool) func() *rules.Rules {
	return func() *rules.Rules {
		r := rules.NewDefaultRules()
		if disableSuggestions {
			r.RemoveRule(rules.FieldsOnCorrectTypeRule.Name)
			r.AddRule(rules.FieldsOnCorrectTypeRuleWithoutSuggestions.Name, rules.FieldsOnCorrectTypeRuleWithoutSuggestions.RuleFunc)
			r.RemoveRule(rules.ScalarLeafsRule.Name)
			r.AddRule(rules.ScalarLeafsRuleWithoutSuggestions.Name, rules.ScalarLeafsRuleWithoutSuggestions.RuleFunc)
		}
		return r
	}
}

// withoutIncrementalDelivery returns the schema without the @defer directive, which gqlparser declares in
// every schema. This server answers each operation in one response (docs/http.md says why), so it does not
// advertise @defer in introspection, and the gate refuses it with a code of its own.
func withoutIncrementalDelivery(s *ast.Schema) *ast.Schema {
	c := *s
	c.Directives = maps.Clone(s.Directives)
	delete(c.Directives, "defer")
	delete(c.Directives, "stream")
	return &c
}
