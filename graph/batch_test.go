package graph_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/iclei/directory/directory"
	"github.com/iclei/directory/graph"
	"github.com/iclei/directory/httperror"
)

// Batches: several operations in one POST, as a JSON array (graph/batch.go).

// postBatch sends a batch body and returns the reply; header pairs override the defaults (JSON in, both
// response media types accepted).
func postBatch(t testing.TB, h http.Handler, body string, header ...string) *reply {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", graph.MediaTypeGraphQLResponse)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return &reply{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
}

// answers decodes a batch's answer, which must be a JSON array, keeping each response as sent.
func (r *reply) answers(t testing.TB) []json.RawMessage {
	t.Helper()
	var out []json.RawMessage
	if err := json.Unmarshal(r.Body, &out); err != nil {
		t.Fatalf("status %d: the answer is not a JSON array: %v: %.500s", r.Status, err, r.Body)
	}
	return out
}

// refusal decodes an answer that must be one error, with the status and code given, and returns its message.
func (r *reply) refusal(t testing.TB, status int, code string) string {
	t.Helper()
	var resp gqlResponse
	if err := json.Unmarshal(r.Body, &resp); err != nil {
		t.Fatalf("status %d: the answer is not one GraphQL response: %.300s", r.Status, r.Body)
	}
	if r.Status != status || resp.code() != code || len(resp.Errors) != 1 || resp.Data != nil {
		t.Fatalf("status %d, %s; want %d and one %s error without data", r.Status, r.Body, status, code)
	}
	return resp.Errors[0].Message
}

// batchOf makes a batch body of the requests.
func batchOf(t testing.TB, requests ...any) string {
	t.Helper()
	b, err := json.Marshal(requests)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// recordingObserver records what the observer learns of each operation.
type recordingObserver struct {
	mu       sync.Mutex
	observed []string // "name outcome"
}

func (o *recordingObserver) ObserveOperation(name, outcome string, _ time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.observed = append(o.observed, name+" "+outcome)
}

func (o *recordingObserver) take() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := o.observed
	o.observed = nil
	return out
}

func TestBatchesAreRefusedUnlessAllowed(t *testing.T) {
	t.Parallel()
	h := newHandler(t, graph.Options{})
	body := batchOf(t, map[string]any{"query": "{ directory { revision } }"})
	for _, accept := range []string{graph.MediaTypeGraphQLResponse, graph.MediaTypeJSON} {
		msg := postBatch(t, h, "\n "+body, "Accept", accept).refusal(t, http.StatusBadRequest, httperror.CodeBatchingDisabled)
		if !strings.Contains(msg, "GRAPHQL_BATCH_MAX") || !strings.Contains(msg, "does not take batches") {
			t.Errorf("the refusal does not say batches are off and how to allow them: %s", msg)
		}
	}
}

// TestBatchAnswersEachOperationAsOnItsOwn sends operations that succeed, fail in every way one can, and only
// ask for their cost: the answer is an array in the same order, each item the very body the operation gets when
// sent on its own, and the observer learns of each.
func TestBatchAnswersEachOperationAsOnItsOwn(t *testing.T) {
	t.Parallel()
	obs := &recordingObserver{}
	h := newHandler(t, graph.Options{BatchMax: 10, Observer: obs})
	requests := []map[string]any{
		{"query": "query Regions { regions { code } }"},
		{"query": "query Mars { countries(region: \"mars\") { code } }"},
		{"query": "query Bad { regions { nope } }"},
		{"query": "query Deep($k: String!) { city(key: $k) { name } }", "variables": map[string]any{"k": 7}},
		{"query": "{ cities(first: 100) { nodes { name } } }", "extensions": map[string]any{"cost": map[string]any{"dryRun": true}}},
		{"query": "query Two { directory { revision } }", "operationName": "Two"},
		{"query": 42},
	}
	for _, accept := range []string{graph.MediaTypeGraphQLResponse, graph.MediaTypeJSON} {
		t.Run(accept, func(t *testing.T) {
			batch := make([]any, len(requests))
			for i, r := range requests {
				batch[i] = r
			}
			r := postBatch(t, h, batchOf(t, batch...), "Accept", accept)
			if r.Status != http.StatusOK {
				t.Fatalf("status %d: %s", r.Status, r.Body)
			}
			if mt, _ := r.mediaType(t); mt != accept {
				t.Errorf("media type %s, want %s", mt, accept)
			}
			if cc := r.Header.Get("Cache-Control"); cc != "no-store" || r.Header.Get("ETag") != "" {
				t.Errorf("Cache-Control %q, ETag %q: a batch is never kept", cc, r.Header.Get("ETag"))
			}
			answers := r.answers(t)
			if len(answers) != len(requests) {
				t.Fatalf("%d answers to %d operations: %s", len(answers), len(requests), r.Body)
			}
			for i, req := range requests {
				alone, _ := post(t, h, req, "Accept", accept)
				if string(answers[i]) != alone.Body.String() {
					t.Errorf("operation %d answered\n%s\nin the batch, and on its own\n%s", i, answers[i], alone.Body)
				}
			}
		})
	}
	obs.take()
	postBatch(t, h, batchOf(t, requests[0], requests[1], requests[2], requests[6]))
	want := []string{"Regions ok", "Mars BAD_USER_INPUT", "Bad GRAPHQL_VALIDATION_FAILED", " BAD_REQUEST"}
	if got := obs.take(); !slices.Equal(got, want) {
		t.Errorf("the observer learnt %q, want %q", got, want)
	}
}

func TestBatchWrongShapes(t *testing.T) {
	t.Parallel()
	h := newHandler(t, graph.Options{BatchMax: 3})
	q := map[string]any{"query": "{ directory { revision } }"}
	for _, c := range []struct {
		name, body string
		code       string
		says       string
	}{
		{"empty", "[]", httperror.CodeBadRequest, "the batch is empty"},
		{"empty with spaces", " [ \n ] ", httperror.CodeBadRequest, "the batch is empty"},
		{"over the bound", batchOf(t, q, q, q, q), httperror.CodeBatchLimit, "more than 3 operations"},
		{"over the bound, and broken past it", strings.TrimSuffix(batchOf(t, q, q, q, q), "]") + ", {", httperror.CodeBatchLimit, "more than 3"},
		{"not closed", strings.TrimSuffix(batchOf(t, q), "]"), httperror.CodeBadRequest, "well-formed JSON array"},
		{"trailing text", batchOf(t, q) + " []", httperror.CodeBadRequest, "well-formed JSON array"},
	} {
		t.Run(c.name, func(t *testing.T) {
			msg := postBatch(t, h, c.body).refusal(t, http.StatusBadRequest, c.code)
			if !strings.Contains(msg, c.says) {
				t.Errorf("message %q does not say %q", msg, c.says)
			}
		})
	}
	t.Run("at the bound", func(t *testing.T) {
		if n := len(postBatch(t, h, batchOf(t, q, q, q)).answers(t)); n != 3 {
			t.Errorf("%d answers, want 3", n)
		}
	})
	t.Run("items that are not requests", func(t *testing.T) {
		answers := postBatch(t, h, `[1, {"query": "{ directory { revision } }"}, null]`).answers(t)
		for _, i := range []int{0, 2} {
			var resp gqlResponse
			if err := json.Unmarshal(answers[i], &resp); err != nil || resp.code() != httperror.CodeBadRequest || !strings.Contains(resp.Errors[0].Message, "JSON object") {
				t.Errorf("item %d answered %s", i, answers[i])
			}
		}
		if !strings.Contains(string(answers[1]), `"revision"`) {
			t.Errorf("the request among them answered %s", answers[1])
		}
	})
	t.Run("the body limit holds for the whole batch", func(t *testing.T) {
		pad := strings.Repeat("x", graph.MaxRequestBytes/3)
		big := map[string]any{"query": "{ directory { revision } }", "extensions": map[string]any{"pad": pad}}
		postBatch(t, h, batchOf(t, big, big, big)).refusal(t, http.StatusRequestEntityTooLarge, httperror.CodeRequestTooLarge)
	})
}

// TestBatchIsHeldToTheLimitsOfOneRequest: each operation of a batch is within the limits, but together they
// are not, and the batch is refused before any of them runs (a mutation among them writes nothing).
func TestBatchIsHeldToTheLimitsOfOneRequest(t *testing.T) {
	t.Parallel()
	create := map[string]any{"query": `mutation { createPerson(input: {key: "batch-limits", name: "Batch Limits"}) { key } }`}
	aliases := func(n int, sel string) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, " r%d: directory { %s }", i, sel)
		}
		return "{" + b.String() + " }"
	}
	for _, c := range []struct {
		name   string
		limits func(*graph.Limits)
		query  string
		code   string
	}{
		{"complexity", func(l *graph.Limits) { l.MaxComplexity = 400 },
			"{ cities(first: 100) { nodes { name } } }", httperror.CodeComplexityLimit}, // 201 each
		{"aliases", func(l *graph.Limits) { l.MaxAliases = 30 },
			aliases(20, "revision"), httperror.CodeAliasLimit},
		{"fields", func(l *graph.Limits) { l.MaxFields, l.MaxAliases = 200, 100 },
			aliases(25, "revision counts { offices cities memberships }"), httperror.CodeFieldLimit}, // 150 each
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			limits := serverLimits
			c.limits(&limits)
			s := newAPI(t, graph.Options{BatchMax: 10, Limits: limits})
			admin := s.mintKey(t, "batch-admin", directory.RoleAdmin)
			op := map[string]any{"query": c.query}
			if alone := postBatch(t, s.h, batchOf(t, op)).answers(t); strings.Contains(string(alone[0]), `"errors"`) {
				t.Fatalf("the operation alone is refused: %s", alone[0])
			}
			before := s.log.Len()
			msg := postBatch(t, s.h, batchOf(t, create, op, op), "Authorization", "Bearer "+admin).refusal(t, http.StatusBadRequest, c.code)
			if !strings.Contains(msg, "the batch's 3 operations") {
				t.Errorf("the refusal does not speak of the batch: %s", msg)
			}
			if s.log.Len() != before {
				t.Error("the mutation of a refused batch was written")
			}
		})
	}
	t.Run("refused operations do not count", func(t *testing.T) {
		t.Parallel()
		limits := serverLimits
		limits.MaxComplexity = 250
		h := newHandler(t, graph.Options{BatchMax: 10, Limits: limits})
		over := map[string]any{"query": "{ cities(first: 100) { nodes { name country { name } } } }"} // 301, refused
		ok := map[string]any{"query": "{ cities(first: 100) { nodes { name } } }"}
		answers := postBatch(t, h, batchOf(t, over, ok)).answers(t)
		if !strings.Contains(string(answers[0]), httperror.CodeComplexityLimit) || !strings.Contains(string(answers[1]), `"data"`) {
			t.Errorf("answers %s", answers)
		}
	})
}

// TestBatchRunsInOrder: the operations of a batch run one after another in order, each seeing the writes of
// those before it; one that fails leaves the others to run.
func TestBatchRunsInOrder(t *testing.T) {
	t.Parallel()
	s := newAPI(t, graph.Options{BatchMax: 10})
	admin := s.mintKey(t, "batch-admin", directory.RoleAdmin)
	read := map[string]any{"query": `{ person(key: "batch-order") { name version } }`}
	body := batchOf(t,
		read,
		map[string]any{"query": `mutation { createPerson(input: {key: "batch-order", name: "First"}) { key version } }`},
		read,
		map[string]any{"query": `mutation { updatePerson(key: "batch-order", version: 1, input: {name: "Second"}) { version } }`},
		read,
		map[string]any{"query": `mutation { updatePerson(key: "batch-order", version: 1, input: {name: "Stale"}) { version } }`},
		read,
	)
	answers := postBatch(t, s.h, body, "Authorization", "Bearer "+admin).answers(t)
	want := []string{
		`{"person":null}`,
		`{"createPerson":{"key":"batch-order","version":1}}`,
		`{"person":{"name":"First","version":1}}`,
		`{"updatePerson":{"version":2}}`,
		`{"person":{"name":"Second","version":2}}`,
		"", // a conflict: the stale version
		`{"person":{"name":"Second","version":2}}`,
	}
	for i, a := range answers {
		var resp gqlResponse
		if err := json.Unmarshal(a, &resp); err != nil {
			t.Fatal(err)
		}
		switch {
		case want[i] == "" && resp.code() != string(directory.CodeConflict):
			t.Errorf("operation %d answered %s, want a CONFLICT", i, a)
		case want[i] != "" && (string(resp.Data) != want[i] || len(resp.Errors) > 0):
			t.Errorf("operation %d answered %s, want data %s", i, a, want[i])
		}
	}
}

func TestBatchCannotHoldASubscription(t *testing.T) {
	t.Parallel()
	h := newHandler(t, graph.Options{BatchMax: 5})
	for _, sub := range []string{
		"subscription { directoryChanged { revision } }",
		"query Q { directory { revision } } subscription S { directoryChanged { revision } }",
	} {
		req := map[string]any{"query": sub}
		if strings.Contains(sub, "query Q") {
			req["operationName"] = "S"
		}
		answers := postBatch(t, h, batchOf(t, req, map[string]any{"query": "{ directory { revision } }"})).answers(t)
		var resp gqlResponse
		if err := json.Unmarshal(answers[0], &resp); err != nil || resp.code() != httperror.CodeBadRequest || !strings.Contains(resp.Errors[0].Message, "subscription cannot be part of a batch") {
			t.Errorf("the subscription answered %s", answers[0])
		}
		if !strings.Contains(string(answers[1]), `"revision"`) {
			t.Errorf("the query beside it answered %s", answers[1])
		}
	}
	// Asked as a stream, a batch is refused: its answer is one array.
	r := postBatch(t, h, batchOf(t, map[string]any{"query": "subscription { directoryChanged { revision } }"}), "Accept", graph.MediaTypeEventStream)
	if msg := r.refusal(t, http.StatusBadRequest, httperror.CodeBadRequest); !strings.Contains(msg, "Accept: application/json") {
		t.Errorf("the refusal says %q", msg)
	}
}

func TestGETCannotBatch(t *testing.T) {
	t.Parallel()
	h := newHandler(t, graph.Options{BatchMax: 5})
	target := "/graphql?" + url.Values{"query": {"{ regions { code } }", "{ directory { revision } }"}}.Encode()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	r := &reply{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
	if msg := r.refusal(t, http.StatusBadRequest, httperror.CodeBadRequest); !strings.Contains(msg, "POST them as a JSON array") {
		t.Errorf("the refusal says %q", msg)
	}
}

// batchThrottle allows a budget of requests and records what it was asked.
type batchThrottle struct {
	mu    sync.Mutex
	left  int
	asked []int
}

func (b *batchThrottle) AllowRequests(w http.ResponseWriter, _ *http.Request, n int) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.asked = append(b.asked, n)
	if n > b.left {
		w.Header().Set("Retry-After", "60")
		return false
	}
	b.left -= n
	return true
}

// TestBatchCountsEachOperationAgainstTheRateLimit: a batch of n asks the throttle for n-1 more requests (the
// server counted the request itself) before anything runs, and a batch over the client's budget runs nothing.
func TestBatchCountsEachOperationAgainstTheRateLimit(t *testing.T) {
	t.Parallel()
	throttle := &batchThrottle{left: 4}
	s := newAPI(t, graph.Options{BatchMax: 10, Requests: throttle})
	admin := s.mintKey(t, "batch-admin", directory.RoleAdmin)
	q := map[string]any{"query": "{ directory { revision } }"}
	create := map[string]any{"query": `mutation { createPerson(input: {key: "batch-rate", name: "Rate"}) { key } }`}

	if n := len(postBatch(t, s.h, batchOf(t, q, q, q)).answers(t)); n != 3 {
		t.Fatalf("%d answers", n)
	}
	postBatch(t, s.h, batchOf(t, q)).answers(t) // one operation: counted as the request it is
	before := s.log.Len()
	r := postBatch(t, s.h, batchOf(t, create, q, q, q), "Authorization", "Bearer "+admin)
	r.refusal(t, http.StatusTooManyRequests, string(directory.CodeRateLimited))
	if r.Header.Get("Retry-After") == "" {
		t.Error("a rate-limited batch has no Retry-After")
	}
	if s.log.Len() != before {
		t.Error("the mutation of a refused batch was written")
	}
	if want := []int{2, 3}; !slices.Equal(throttle.asked, want) {
		t.Errorf("the throttle was asked for %v more requests, want %v", throttle.asked, want)
	}
}

// TestBatchesAreNotCached: with the response cache on, a batch of anonymous queries is neither answered from
// it nor kept in it.
func TestBatchesAreNotCached(t *testing.T) {
	t.Parallel()
	obs := &recordingObserver{}
	h := newHandler(t, graph.Options{BatchMax: 5, ResponseCacheBytes: 1 << 20, Observer: obs})
	q := map[string]any{"query": "query R { regions { code } }"}
	body := batchOf(t, q)
	postBatch(t, h, body)
	postBatch(t, h, body)
	post(t, h, q)
	post(t, h, q)
	want := []string{"R ok", "R ok", "R ok", "R cached"}
	if got := obs.take(); !slices.Equal(got, want) {
		t.Errorf("the observer learnt %q, want %q", got, want)
	}
}

// BenchmarkBatch compares ten queries sent as ten requests with the same ten sent as one batch, in process
// over the shipped directory with the response cache off: what a batch saves the server, besides the client's
// round trips, is the per-request work of the transport. One op is ten queries either way.
func BenchmarkBatch(b *testing.B) {
	h := newHandler(b, graph.Options{BatchMax: 10})
	queries := []string{
		`{ regions { code name } }`,
		`{ office(key: "korea-office") { name address { lines } } }`,
		`{ cities(first: 20) { nodes { key name country { code } } } }`,
		`{ directory { revision counts { offices cities } } }`,
		`{ countries(region: "east-asia") { code name } }`,
	}
	var requests []any
	var singles []string
	for i := range 10 {
		q := map[string]any{"query": queries[i%len(queries)]}
		requests = append(requests, q)
		body, _ := json.Marshal(q)
		singles = append(singles, string(body))
	}
	batch := batchOf(b, requests...)
	serve := func(body string) {
		req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || strings.Contains(rec.Body.String(), `"errors"`) {
			b.Fatalf("status %d: %.300s", rec.Code, rec.Body)
		}
	}
	b.Run("ten-requests", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, s := range singles {
				serve(s)
			}
		}
	})
	b.Run("one-batch-of-ten", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			serve(batch)
		}
	})
}
