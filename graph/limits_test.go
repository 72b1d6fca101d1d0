package graph_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/iclei/directory/graph"
	"github.com/iclei/directory/httperror"
	"github.com/iclei/directory/internal/benchdata"
)

// fragmentBomb is a document of a few hundred bytes whose fragments spread the one below twice, levels deep:
// its expansion selects 3·2^(levels-1) fields. body goes into the bottom fragment.
func fragmentBomb(levels int, body string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "{ ...F%d }\nfragment F0 on Query { %s }", levels-1, body)
	for i := 1; i < levels; i++ {
		fmt.Fprintf(&b, "\nfragment F%d on Query { ...F%d ...F%d }", i, i-1, i-1)
	}
	return b.String()
}

func TestFragmentBombIsRefusedBeforeAnyPassWalksIt(t *testing.T) {
	t.Parallel()
	h := newHandler(t, graph.Options{})
	bomb := fragmentBomb(30, "regions { code name }")
	if len(bomb) > 1200 {
		t.Fatalf("the bomb is %d bytes; it should be about 1 KB", len(bomb))
	}

	t.Run("the 30-level bomb is refused for its expansion", func(t *testing.T) {
		t.Parallel()
		rec, resp := post(t, h, map[string]any{"query": bomb})
		if rec.Code != http.StatusBadRequest || resp.code() != httperror.CodeFieldLimit || resp.Data != nil {
			t.Fatalf("status %d, code %q, data %s; want 400 %s without data", rec.Code, resp.code(), resp.Data, httperror.CodeFieldLimit)
		}
		if msg := resp.Errors[0].Message; !strings.Contains(msg, "exceeds the limit of 10000") {
			t.Errorf("the message does not give the limit: %s", msg)
		}
	})
	t.Run("before validation walks it", func(t *testing.T) {
		t.Parallel()
		// The same bomb over a field that does not exist: validation would refuse it, but it never runs.
		_, resp := post(t, h, map[string]any{"query": fragmentBomb(30, "noSuchField")})
		if resp.code() != httperror.CodeFieldLimit {
			t.Fatalf("code %q (%s), want %s: something walked the document before its size was checked", resp.code(), resp.Errors[0].Message, httperror.CodeFieldLimit)
		}
	})
	t.Run("with no field limit, the complexity limit refuses it, each fragment costed once", func(t *testing.T) {
		t.Parallel()
		h := newHandler(t, graph.Options{Limits: graph.Limits{MaxComplexity: 20000}})
		_, resp := post(t, h, map[string]any{"query": bomb})
		if resp.code() != httperror.CodeComplexityLimit {
			t.Fatalf("code %q, want %s", resp.code(), httperror.CodeComplexityLimit)
		}
		// 3 per copy of regions { code name }, 2^29 copies.
		if msg := resp.Errors[0].Message; !strings.Contains(msg, fmt.Sprint(3<<29)) {
			t.Errorf("the message does not give the complexity %d: %s", 3<<29, msg)
		}
	})
	t.Run("a document under the limits runs", func(t *testing.T) {
		t.Parallel()
		rec, resp := post(t, h, map[string]any{"query": fragmentBomb(4, "regions { code name }")})
		if rec.Code != http.StatusOK || len(resp.Errors) > 0 {
			t.Fatalf("status %d: %+v", rec.Code, resp.Errors)
		}
	})
}

func TestDocumentShapeLimits(t *testing.T) {
	t.Parallel()
	h := newHandler(t, graph.Options{Limits: graph.Limits{MaxFields: 40, MaxRepeats: 3, MaxDepth: 4, MaxAliases: 3, MaxComplexity: 1000}})
	chain := func(n int) string {
		// Each fragment spreads the next: validation checks each on its own, so each costs its expansion.
		var b strings.Builder
		b.WriteString("{ ...C0 }")
		for i := range n {
			fmt.Fprintf(&b, " fragment C%d on Query { __typename ...C%d }", i, i+1)
		}
		fmt.Fprintf(&b, " fragment C%d on Query { __typename }", n)
		return b.String()
	}
	t.Run("fields", func(t *testing.T) {
		t.Parallel()
		h := newHandler(t, graph.Options{Limits: graph.Limits{MaxFields: 40}})
		if _, resp := post(t, h, map[string]any{"query": chain(4)}); resp.code() != "" {
			t.Errorf("a short fragment chain: code %q: %+v", resp.code(), resp.Errors)
		}
		if _, resp := post(t, h, map[string]any{"query": chain(10)}); resp.code() != httperror.CodeFieldLimit {
			t.Errorf("a fragment chain counts each fragment's expansion: code %q, want %s", resp.code(), httperror.CodeFieldLimit)
		}
	})
	for _, c := range []struct{ name, query, code string }{
		{"as deep as the limit passes", `{ region(code: "east-asia") { secretariat { headOffice { code: key } } } }`, ""},
		{"deeper than the limit through a fragment", `{ ...R } fragment R on Query { region(code: "east-asia") { secretariat { headOffice { region { code } } } } }`, httperror.CodeDepthLimit},
		{"more aliases than the limit through a fragment spread twice", `{ ...A ...A } fragment A on Query { a: regions { code } b: regions { code } }`, httperror.CodeAliasLimit},
		{"an unused fragment counts too", `{ __typename } fragment U on Query { a: regions { code } b: regions { code } c: regions { code } d: regions { code } }`, httperror.CodeAliasLimit},
		{"a field selected as often as the limit at one place passes", `{ regions { code } ...A } fragment A on Query { regions { code } regions { name } }`, ""},
		{"a field selected more often than the limit at one place", `{ regions { code } ...A ... on Query { regions { code } } } fragment A on Query { regions { code } regions { name } }`, httperror.CodeRepeatLimit},
		{"repeats count where the response merges them", `{ regions { secretariat { key } secretariat { key } } regions { secretariat { key } secretariat { key } } }`, httperror.CodeRepeatLimit},
		{"more fragments spread at one place than the limit", `{ regions { ...A ...B ...C ...D } } fragment A on Region { code } fragment B on Region { name } fragment C on Region { id } fragment D on Region { __typename }`, httperror.CodeRepeatLimit},
		{"a fragment cycle is refused without looping", `{ ...A } fragment A on Query { regions { ...B } } fragment B on Region { secretariat { region { ...B } } }`, httperror.CodeValidationFailed},
		{"@defer is refused with a code of its own", `{ regions { code ... @defer { name } } }`, httperror.CodeDeferUnsupported},
		{"@defer on a fragment spread too", `{ regions { code ...N @defer } } fragment N on Region { name }`, httperror.CodeDeferUnsupported},
		{"@stream is refused with it", `{ regions @stream { code } }`, httperror.CodeDeferUnsupported},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			rec, resp := post(t, h, map[string]any{"query": c.query})
			if resp.code() != c.code {
				t.Fatalf("code %q, want %q: %+v", resp.code(), c.code, resp.Errors)
			}
			if c.code != "" && (rec.Code != http.StatusBadRequest || resp.Data != nil) {
				t.Errorf("refused with status %d and data %s; want 400 without data", rec.Code, resp.Data)
			}
		})
	}
}

// TestDocumentsThatMakeValidationQuadraticAreRefused holds documents of a few kilobytes, within the token
// limit, that validation would spend a large fraction of a second on: the overlapping-fields rule compares
// every pair of fields that land at one place in the response, and every pair of fragments spread at one
// place, and the pairs below each. The gate refuses them before validation runs.
func TestDocumentsThatMakeValidationQuadraticAreRefused(t *testing.T) {
	t.Parallel()
	h := newHandler(t, graph.Options{})
	nested := "key"
	for d := range 3 {
		nested = strings.Repeat([]string{"secretariat", "region"}[d%2]+" { "+nested+" } ", 10)
	}
	var spreads, fragments strings.Builder
	for i := range 400 {
		fmt.Fprintf(&spreads, " ...F%d", i)
		fmt.Fprintf(&fragments, " fragment F%d on Query { %s }", i, []string{"regions { code }", "directory { revision }", "__typename"}[i%3])
	}
	for _, c := range []struct{ name, query string }{
		{"one field 600 times", "{" + strings.Repeat(" regions { code }", 600) + " }"},
		{"ten copies of ten copies of ten copies", "{ regions { " + nested + " } }"},
		{"400 fragments spread at one place", "{" + spreads.String() + " }" + fragments.String()},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, resp := post(t, h, map[string]any{"query": c.query})
			if resp.code() != httperror.CodeRepeatLimit {
				t.Errorf("code %q, want %s: %+v", resp.code(), httperror.CodeRepeatLimit, resp.Errors)
			}
		})
	}
}

func TestIntrospectionDoesNotAdvertiseDefer(t *testing.T) {
	t.Parallel()
	h := newHandler(t, graph.Options{Introspection: true})
	_, resp := post(t, h, map[string]any{"query": `{ __schema { directives { name } } }`})
	if len(resp.Errors) > 0 {
		t.Fatal(resp.Errors)
	}
	var got struct {
		Schema struct{ Directives []struct{ Name string } } `json:"__schema"`
	}
	if err := json.Unmarshal(resp.Data, &got); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range got.Schema.Directives {
		names = append(names, d.Name)
	}
	if len(names) == 0 || strings.Contains(strings.Join(names, " "), "defer") || strings.Contains(strings.Join(names, " "), "stream") {
		t.Errorf("the schema's directives are %v; want them without defer and stream", names)
	}
}

func TestCostIsReported(t *testing.T) {
	t.Parallel()
	h := newHandler(t, graph.Options{})
	// regions (1) + code (1) + name (1); offices(first: 5) counts its selections five times: 1 + 5·(1 + 1).
	const query = `{ regions { code name } offices(first: 5) { nodes { key } } }`
	const want = `{"complexity":14,"limit":20000}`

	t.Run("in the extensions of every answer", func(t *testing.T) {
		t.Parallel()
		rec, resp := post(t, h, map[string]any{"query": query})
		if rec.Code != http.StatusOK || resp.Data == nil {
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
		if got := string(resp.Extensions["cost"]); got != want {
			t.Errorf("extensions.cost = %s, want %s", got, want)
		}
	})
	t.Run("in the refusal of an operation over the limit", func(t *testing.T) {
		t.Parallel()
		_, resp := post(t, h, map[string]any{"query": `{ cities(first: 100) { nodes { districts(first: 100) { nodes { key } } } } }`})
		if resp.code() != httperror.CodeComplexityLimit || resp.Extensions["cost"] == nil {
			t.Errorf("code %q, extensions %v; want %s with the cost", resp.code(), resp.Extensions, httperror.CodeComplexityLimit)
		}
	})
	t.Run("without running the operation, by POST", func(t *testing.T) {
		t.Parallel()
		rec, resp := post(t, h, map[string]any{"query": query, "extensions": map[string]any{"cost": map[string]any{"dryRun": true}}})
		if rec.Code != http.StatusOK || resp.Data != nil || len(resp.Errors) > 0 {
			t.Fatalf("status %d: %s; want 200 with no data and no errors", rec.Code, rec.Body)
		}
		if got := string(resp.Extensions["cost"]); got != want {
			t.Errorf("extensions.cost = %s, want %s", got, want)
		}
	})
	t.Run("without running the operation, by GET", func(t *testing.T) {
		t.Parallel()
		target := "/graphql?" + url.Values{"query": {query}, "extensions": {`{"cost":{"dryRun":true}}`}}.Encode()
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
		var resp gqlResponse
		if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil || rec.Code != http.StatusOK || resp.Data != nil {
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
		if got := string(resp.Extensions["cost"]); got != want {
			t.Errorf("extensions.cost = %s, want %s", got, want)
		}
		if etag := rec.Header().Get("ETag"); etag != "" {
			t.Errorf("a cost-only answer has the entity tag %s of an answer with data", etag)
		}
	})
	t.Run("saturating rather than overflowing", func(t *testing.T) {
		t.Parallel()
		h := newHandler(t, graph.Options{Limits: graph.Limits{MaxComplexity: 20000}})
		// Eleven nested pages of 100: 100^11 is past the largest int, which a wrapping product would not show.
		q := "code"
		for range 11 {
			q = "offices(first: 100) { nodes { region { " + q + " } } }"
		}
		_, resp := post(t, h, map[string]any{"query": "{ regions { " + q + " } }"})
		if resp.code() != httperror.CodeComplexityLimit {
			t.Fatalf("code %q, want %s: %+v", resp.code(), httperror.CodeComplexityLimit, resp.Errors)
		}
	})
}

// BenchmarkFragmentBomb measures what refusing the fragment bomb costs, by its levels. Before the document
// gate and the memoized cost, 20 levels took about a second of CPU and each level doubled it.
//
//	go test -run '^$' -bench FragmentBomb ./graph
func BenchmarkFragmentBomb(b *testing.B) {
	h := newHandler(b, graph.Options{})
	for _, levels := range []int{10, 20, 30} {
		body, err := json.Marshal(map[string]any{"query": fragmentBomb(levels, "regions { code name }")})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("levels=%d", levels), func(b *testing.B) {
			b.ReportAllocs()
			cpu := benchdata.CPUTime()
			for b.Loop() {
				rec := httptest.NewRecorder()
				req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(string(body)))
				req.Header.Set("Content-Type", "application/json")
				h.ServeHTTP(rec, req)
				if levels > 10 && rec.Code != http.StatusBadRequest {
					b.Fatalf("status %d: %.200s", rec.Code, rec.Body)
				}
			}
			b.ReportMetric(float64(benchdata.CPUTime()-cpu)/float64(b.N), "cpu-ns/op")
		})
	}
}

// BenchmarkDocumentsAtTheLimits measures what the dearest documents the default limits admit cost to refuse
// or to validate: about 5000 tokens each, one selecting a field as often as the repeat limit allows at thirty
// places, one spreading as many fragments as it allows at as many places as the token limit leaves room for.
//
//	go test -run '^$' -bench DocumentsAtTheLimits ./graph
func BenchmarkDocumentsAtTheLimits(b *testing.B) {
	h := newHandler(b, graph.Options{})
	repeats := serverLimits.MaxRepeats
	var fields, spreads, fragments strings.Builder
	fields.WriteString("{")
	for place := range 30 {
		fmt.Fprintf(&fields, " p%d: regions { %s}", place, strings.Repeat("code ", repeats))
	}
	fields.WriteString(" }")
	spreads.WriteString("{")
	n := 0
	for place := 0; place < 30 && n < 400; place++ {
		fmt.Fprintf(&spreads, " p%d: regions {", place)
		for range repeats {
			fmt.Fprintf(&spreads, " ...R%d", n)
			fmt.Fprintf(&fragments, " fragment R%d on Region { %s }", n, []string{"id", "code", "name", "__typename"}[n%4])
			n++
		}
		spreads.WriteString(" }")
	}
	spreads.WriteString(" }")
	for name, query := range map[string]string{"repeated-fields": fields.String(), "spread-fragments": spreads.String() + fragments.String()} {
		body, err := json.Marshal(map[string]any{"query": query})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			// A new document every time, so that none is answered from the query cache.
			i := 0
			cpu := benchdata.CPUTime()
			for b.Loop() {
				i++
				unique := strings.Replace(string(body), `"query":"{`, fmt.Sprintf(`"query":"query Q%d {`, i), 1)
				rec := httptest.NewRecorder()
				req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(unique))
				req.Header.Set("Content-Type", "application/json")
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d: %.300s", rec.Code, rec.Body)
				}
			}
			b.ReportMetric(float64(benchdata.CPUTime()-cpu)/float64(b.N), "cpu-ns/op")
		})
	}
}
