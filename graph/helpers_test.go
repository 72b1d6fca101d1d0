package graph_test

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/iclei/directory/directory"
	"github.com/iclei/directory/graph"
	"github.com/iclei/directory/seed"
)

// The directory as shipped, built once for the tests of this package that read it.
var shipped = sync.OnceValues(func() (*directory.Data, error) {
	data, _, err := seed.Build()
	if err != nil {
		return nil, err
	}
	data.Revision = 1
	return data, nil
})

// serverLimits are the limits the server runs with by default (README, Limits).
var serverLimits = graph.Limits{MaxTokens: 5000, MaxFields: 10000, MaxRepeats: 30, MaxDepth: 12, MaxAliases: 30, MaxComplexity: 20000}

// allowApplications lets every membership application through.
type allowApplications struct{}

func (allowApplications) AllowApplication(*http.Request) bool { return true }

// newHandler returns the GraphQL endpoint over the shipped directory with the options given, the server's
// default limits where opts sets none, and a handler for each required option opts leaves out.
func newHandler(t testing.TB, opts graph.Options) http.Handler {
	t.Helper()
	data, err := shipped()
	if err != nil {
		t.Fatal(err)
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Applications == nil {
		opts.Applications = allowApplications{}
	}
	if opts.Limits == (graph.Limits{}) {
		opts.Limits = serverLimits
	}
	if opts.QueryCacheSize == 0 {
		opts.QueryCacheSize = 100
	}
	rm := directory.NewReadModel(directory.NewMemoryLog(), directory.NewSnapshot(*data, time.Now()), opts.Log)
	h, err := graph.NewHandler(rm, opts)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// gqlResponse is a GraphQL response as the tests read it.
type gqlResponse struct {
	Data   json.RawMessage `json:"data"`
	Errors []struct {
		Message    string         `json:"message"`
		Extensions map[string]any `json:"extensions"`
	} `json:"errors"`
	Extensions map[string]json.RawMessage `json:"extensions"`
}

// code returns the code of the response's first error, or "".
func (r *gqlResponse) code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

// post sends a GraphQL request as a POST with the JSON body of the parameters, asking for
// application/graphql-response+json unless header says otherwise, and decodes the answer.
func post(t testing.TB, h http.Handler, params map[string]any, header ...string) (*httptest.ResponseRecorder, *gqlResponse) {
	t.Helper()
	body, err := json.Marshal(params)
	if err != nil {
		t.Fatal(err)
	}
	return postRaw(t, h, string(body), header...)
}

// postRaw is post with the body as given.
func postRaw(t testing.TB, h http.Handler, body string, header ...string) (*httptest.ResponseRecorder, *gqlResponse) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", graph.MediaTypeGraphQLResponse)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var resp gqlResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
		t.Fatalf("status %d: the body is not a GraphQL response: %v: %.300s", rec.Code, err, rec.Body)
	}
	return rec, &resp
}
