package graph_test

import (
	"fmt"
	"testing"

	"github.com/iclei/directory/directory"
	"github.com/iclei/directory/graph"
)

// importMembers answers each row with what the operation selects of it, its city included: the cost counts the
// rows' selections once per row, so that a roster of many rows cannot buy an answer as large as the complexity
// limit for each of them.
func TestImportMembersCostsPerRow(t *testing.T) {
	t.Parallel()
	s := newAPI(t, graph.Options{Introspection: true, Limits: graph.Limits{MaxComplexity: 5000}})
	admin := s.mintKey(t, "import-admin", directory.RoleAdmin)
	const q = `mutation($input: MemberImportInput!) { importMembers(input: $input) {
  source applied revision created updated unchanged refused
  rows { line outcome city { key programs(first: 100) { nodes { key } } } } } }`
	rows := func(n int) map[string]any {
		out := make([]map[string]any, n)
		for i := range out {
			out[i] = map[string]any{"name": fmt.Sprintf("Exampletown %d", i), "country": "DE", "memberSince": "2004-05-01", "category": "FULL"}
		}
		return map[string]any{"input": map[string]any{"source": "r.csv", "rows": out}}
	}
	complexity := func(r *apiResponse) int {
		c, _ := r.Extensions["cost"].(map[string]any)
		n, _ := c["complexity"].(float64)
		return int(n)
	}
	one := gql(t, s, request{Query: q, Token: admin, Variables: rows(1)})
	ten := gql(t, s, request{Query: q, Token: admin, Variables: rows(10)})
	if len(one.Errors) > 0 || len(ten.Errors) > 0 {
		t.Fatalf("one row: %+v; ten rows: %+v", one.Errors, ten.Errors)
	}
	// The report's own fields count once, the rows' selections once per row.
	if perRow := (complexity(ten) - complexity(one)) / 9; perRow < 200 || complexity(one)-perRow > 20 {
		t.Errorf("complexity of one row %d, of ten rows %d", complexity(one), complexity(ten))
	}
	wantError(t, gql(t, s, request{Query: q, Token: admin, Variables: rows(100)}), "COMPLEXITY_LIMIT_EXCEEDED", "")
}
