package graph_test

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/iclei/directory/auth"
	"github.com/iclei/directory/directory"
	"github.com/iclei/directory/graph"
	"github.com/iclei/directory/internal/apitest"
	"github.com/iclei/directory/seed"
)

// api is the GraphQL endpoint in process, as the server builds it, over a seeded directory in memory that it
// reads and writes: a change log, its read model, the writer, the audit trail and the authenticator of API keys
// and JWTs signed with testJWTSecret.
type api struct {
	h   http.Handler
	log *directory.MemoryLog
	rm  *directory.ReadModel
	w   *directory.Writer
}

// testJWTSecret signs the JWTs of these tests.
const testJWTSecret = "test-secret-of-at-least-32-bytes-for-hs256"

// newAPI returns the endpoint with the options given, the server's defaults where opts sets none.
func newAPI(t testing.TB, opts graph.Options) *api {
	t.Helper()
	log := directory.NewMemoryLog()
	logger := slog.New(slog.DiscardHandler)
	rm := directory.NewReadModel(log, directory.NewSnapshot(directory.Data{}, time.Now()), logger)
	w := directory.NewWriter(log, rm)
	data, _, err := seed.Build()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Seed(context.Background(), directory.SeedActor, data, 100); err != nil {
		t.Fatal(err)
	}
	if opts.Log == nil {
		opts.Log = logger
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
	opts.Writer, opts.Auditor = w, directory.NewAuditor(rm, log)
	opts.Auth = auth.New(rm, auth.Config{Secret: []byte(testJWTSecret)})
	h, err := graph.NewHandler(rm, opts)
	if err != nil {
		t.Fatal(err)
	}
	return &api{h: h, log: log, rm: rm, w: w}
}

// writable is newAPI with the introspection the server allows by default.
func writable(t testing.TB) *api { return newAPI(t, graph.Options{Introspection: true}) }

// mintKey records an API key of the role as the mint-key command does, and returns the key.
func (s *api) mintKey(t testing.TB, name string, role directory.Role, regions ...string) string {
	t.Helper()
	key, hash := auth.NewAPIKey()
	if err := s.w.MintAPIKey(context.Background(), "test", directory.APIKey{Name: name, Hash: hash, Role: role, Regions: regions,
		CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	return key
}

// apiResponse is a GraphQL response.
type apiResponse struct {
	Data       json.RawMessage `json:"data"`
	Errors     []apiError      `json:"errors"`
	Extensions map[string]any  `json:"extensions"`
	Status     int             `json:"-"`
	Header     http.Header     `json:"-"`
}

type apiError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// Code returns the error's extensions.code.
func (e apiError) Code() string {
	c, _ := e.Extensions["code"].(string)
	return c
}

// request is a GraphQL request; Token, if set, is sent as a bearer token.
type request struct {
	Query     string         `json:"query"`
	Variables map[string]any `json:"variables,omitempty"`
	Token     string         `json:"-"`
}

// post sends a GraphQL request body with the headers and decodes the response; it is safe to call from any
// goroutine.
func (s *api) post(body []byte, header map[string]string) (*apiResponse, error) {
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	s.h.ServeHTTP(rec, req)
	var r apiResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil {
		return nil, fmt.Errorf("the response is not JSON (status %d): %s", rec.Code, rec.Body)
	}
	r.Status, r.Header = rec.Code, rec.Header()
	return &r, nil
}

// do posts a GraphQL request and decodes the response.
func (s *api) do(t testing.TB, req request) *apiResponse {
	t.Helper()
	body, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	header := map[string]string{}
	if req.Token != "" {
		header["Authorization"] = "Bearer " + req.Token
	}
	r, err := s.post(body, header)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// query runs a query that must succeed and decodes its data into out.
func (s *api) query(t testing.TB, query string, vars map[string]any, out any) {
	t.Helper()
	mustGQL(t, s, "", query, vars, out)
}

// queryError runs a query that must fail with one error of the code, and returns that error.
func (s *api) queryError(t testing.TB, req request, code string) apiError {
	t.Helper()
	r := s.do(t, req)
	if len(r.Errors) == 0 {
		t.Fatalf("want a %s error, got data %s", code, r.Data)
	}
	if got := r.Errors[0].Code(); got != code {
		t.Fatalf("want a %s error, got %s: %s", code, got, r.Errors[0].Message)
	}
	return r.Errors[0]
}

// checkNoLeak fails the test if an error message shows Go or database error text.
func checkNoLeak(t testing.TB, errs []apiError) {
	t.Helper()
	for _, e := range errs {
		for _, w := range apitest.LeakWords {
			if strings.Contains(strings.ToLower(e.Message), w) {
				t.Errorf("error message shows internal text %q: %s", w, e.Message)
			}
		}
		if e.Code() == string(directory.CodeInternal) {
			t.Errorf("internal error: %s (path %v)", e.Message, e.Path)
		}
	}
}

// gql runs a GraphQL request and checks that no error message leaks internal text.
func gql(t testing.TB, s *api, req request) *apiResponse {
	t.Helper()
	r := s.do(t, req)
	checkNoLeak(t, r.Errors)
	return r
}

// mustGQL runs a request that must succeed and decodes its data into out.
func mustGQL(t testing.TB, s *api, token, query string, vars map[string]any, out any) {
	t.Helper()
	r := gql(t, s, request{Query: query, Variables: vars, Token: token})
	if len(r.Errors) > 0 {
		t.Fatalf("request failed: %s: %s (field %v)\nquery: %s\nvariables: %v", r.Errors[0].Code(), r.Errors[0].Message,
			r.Errors[0].Extensions["field"], query, vars)
	}
	if out != nil {
		if err := json.Unmarshal(r.Data, out); err != nil {
			t.Fatalf("decode data: %v\n%s", err, r.Data)
		}
	}
}

// wantError checks that a response is one error with the code and, where field is given, extensions.field.
func wantError(t testing.TB, r *apiResponse, code, field string) {
	t.Helper()
	if len(r.Errors) == 0 {
		t.Fatalf("want a %s error, got data %s", code, r.Data)
	}
	e := r.Errors[0]
	if len(r.Errors) > 1 {
		t.Errorf("want one error, got %d: %+v", len(r.Errors), r.Errors)
	}
	if e.Code() != code {
		t.Fatalf("want a %s error, got %s: %s", code, e.Code(), e.Message)
	}
	got, _ := e.Extensions["field"].(string)
	if field != "" && got != field {
		t.Errorf("%s error is about field %q, want %q (message: %s)", code, got, field, e.Message)
	}
	if code == string(directory.CodeInvalidInput) && got == "" {
		t.Errorf("BAD_USER_INPUT error names no field: %s", e.Message)
	}
	if strings.TrimSpace(e.Message) == "" {
		t.Error("error has no message")
	}
}

// hasData reports whether a response has data other than null fields.
func hasData(r *apiResponse) bool {
	var fields map[string]any
	if err := json.Unmarshal(r.Data, &fields); err != nil {
		return false
	}
	for _, v := range fields {
		if v != nil {
			return true
		}
	}
	return false
}

// reply is an HTTP response with its body read.
type reply struct {
	Status int
	Header http.Header
	Body   []byte
}

// send makes an HTTP request to the endpoint. Headers with an empty value are not sent.
func (s *api) send(t testing.TB, method, target string, header map[string]string, body string) *reply {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, target, rd)
	if rd == nil {
		req.ContentLength = 0
	}
	for k, v := range header {
		if v != "" {
			req.Header.Set(k, v)
		}
	}
	req.Host = cmp.Or(header["Host"], req.Host)
	rec := httptest.NewRecorder()
	s.h.ServeHTTP(rec, req)
	return &reply{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
}

// mediaType returns the media type of the reply and its charset.
func (r *reply) mediaType(t testing.TB) (string, string) {
	t.Helper()
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		t.Fatalf("Content-Type %q: %v", r.Header.Get("Content-Type"), err)
	}
	return mt, params["charset"]
}

// graphQL decodes the reply as a GraphQL response, keeping which top-level keys it has.
func (r *reply) graphQL(t testing.TB) (map[string]json.RawMessage, *apiResponse) {
	t.Helper()
	var keys map[string]json.RawMessage
	var resp apiResponse
	if err := json.Unmarshal(r.Body, &keys); err != nil {
		t.Fatalf("status %d: body is not a JSON object: %s", r.Status, r.Body)
	}
	if err := json.Unmarshal(r.Body, &resp); err != nil {
		t.Fatal(err)
	}
	return keys, &resp
}

// at returns the value at the dotted path of a decoded JSON object.
func at(v any, path string) any {
	for _, p := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

// wantAt checks the value at the dotted path, compared as JSON.
func wantAt(t testing.TB, v any, path string, want any) {
	t.Helper()
	got, _ := json.Marshal(at(v, path))
	w, _ := json.Marshal(want)
	if string(got) != string(w) {
		t.Errorf("%s = %s, want %s", path, got, w)
	}
}

// pageInfo is a connection's page info.
type pageInfo struct {
	HasNextPage, HasPreviousPage bool
	StartCursor, EndCursor       *string
}

const programKey = "2016-low-carbon-capacity-program-chinese-local-governments"

const (
	graphQLResponse = graph.MediaTypeGraphQLResponse
	jsonMedia       = "application/json"
	postJSON        = "application/json"
)
