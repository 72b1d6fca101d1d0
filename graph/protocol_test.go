package graph_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

// getQuery is the URL of a GET request for the GraphQL parameters.
func getQuery(params map[string]string) string {
	v := url.Values{}
	for k, p := range params {
		v.Set(k, p)
	}
	return "/graphql?" + v.Encode()
}

// TestGraphQLOverHTTP checks the GraphQL endpoint against the GraphQL-over-HTTP specification
// (graphql/graphql-over-http, spec/GraphQLOverHTTP.md): each case names the requirement it checks.
func TestGraphQLOverHTTP(t *testing.T) {
	t.Parallel()
	s := writable(t)
	const ok = `{"query":"{ __typename }"}`
	type want struct {
		status    int
		mediaType string // "" when the response is not a GraphQL response
		data      bool   // the response has a data entry
		code      string // extensions.code of the first error; "" for none
		allow     string // the Allow header
	}
	cases := []struct {
		name   string
		method string
		target string
		header map[string]string
		body   string
		want   want
	}{
		// Media types and Accept.
		{"MUST accept application/json and answer in it", "POST", "/graphql", map[string]string{"Content-Type": postJSON, "Accept": jsonMedia}, ok,
			want{200, jsonMedia, true, "", ""}},
		{"MUST accept application/graphql-response+json and answer in it", "POST", "/graphql", map[string]string{"Content-Type": postJSON, "Accept": graphQLResponse}, ok,
			want{200, graphQLResponse, true, "", ""}},
		{"SHOULD treat a missing Accept as application/graphql-response+json", "POST", "/graphql", map[string]string{"Content-Type": postJSON}, ok,
			want{200, graphQLResponse, true, "", ""}},
		{"a wildcard Accept gets application/json", "POST", "/graphql", map[string]string{"Content-Type": postJSON, "Accept": "*/*"}, ok,
			want{200, jsonMedia, true, "", ""}},
		{"MUST encode in the highest priority media type: the first listed", "POST", "/graphql", map[string]string{"Content-Type": postJSON, "Accept": "application/graphql-response+json; charset=utf-8, application/json; charset=utf-8"}, ok,
			want{200, graphQLResponse, true, "", ""}},
		{"MUST encode in the highest priority media type: the first listed of equal quality", "POST", "/graphql", map[string]string{"Content-Type": postJSON, "Accept": "application/json, application/graphql-response+json"}, ok,
			want{200, jsonMedia, true, "", ""}},
		{"MUST encode in the highest priority media type: by quality", "POST", "/graphql", map[string]string{"Content-Type": postJSON, "Accept": "application/graphql-response+json;q=0.5, application/json"}, ok,
			want{200, jsonMedia, true, "", ""}},
		{"a more specific range overrides a wildcard", "POST", "/graphql", map[string]string{"Content-Type": postJSON, "Accept": "application/json;q=0, */*"}, ok,
			want{200, graphQLResponse, true, "", ""}},
		{"SHOULD answer 406 when nothing acceptable is supported", "POST", "/graphql", map[string]string{"Content-Type": postJSON, "Accept": "text/html"}, ok,
			want{406, jsonMedia, false, "NOT_ACCEPTABLE", ""}},
		{"406 for an encoding other than UTF-8", "GET", getQuery(map[string]string{"query": "{ __typename }"}), map[string]string{"Accept": "application/json; charset=iso-8859-1"}, "",
			want{406, jsonMedia, false, "NOT_ACCEPTABLE", ""}},

		// POST.
		{"MUST accept a UTF-8 body that says so", "POST", "/graphql", map[string]string{"Content-Type": "application/json; charset=utf-8"}, ok,
			want{200, graphQLResponse, true, "", ""}},
		{"415 for another charset", "POST", "/graphql", map[string]string{"Content-Type": "application/json; charset=iso-8859-1"}, ok,
			want{415, graphQLResponse, false, "UNSUPPORTED_MEDIA_TYPE", ""}},
		{"SHOULD refuse a POST without Content-Type with a 4xx", "POST", "/graphql", nil, ok,
			want{415, graphQLResponse, false, "UNSUPPORTED_MEDIA_TYPE", ""}},
		{"415 for an unsupported content type", "POST", "/graphql", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, "query=%7B__typename%7D",
			want{415, graphQLResponse, false, "UNSUPPORTED_MEDIA_TYPE", ""}},
		{"415 for a compressed body", "POST", "/graphql", map[string]string{"Content-Type": postJSON, "Content-Encoding": "gzip"}, ok,
			want{415, graphQLResponse, false, "UNSUPPORTED_MEDIA_TYPE", ""}},
		{"400 for a body that is not JSON", "POST", "/graphql", map[string]string{"Content-Type": postJSON, "Accept": jsonMedia}, `{"query":`,
			want{400, jsonMedia, false, "BAD_REQUEST", ""}},
		{"400 for an empty body", "POST", "/graphql", map[string]string{"Content-Type": postJSON}, "",
			want{400, graphQLResponse, false, "BAD_REQUEST", ""}},
		{"400 for a body that is not UTF-8", "POST", "/graphql", map[string]string{"Content-Type": postJSON}, "{\"query\":\"{ __typename \xff }\"}",
			want{400, graphQLResponse, false, "BAD_REQUEST", ""}},
		{"413 for a body over the limit", "POST", "/graphql", map[string]string{"Content-Type": postJSON}, `{"query":"{ __typename }","x":"` + strings.Repeat("x", 1<<20) + `"}`,
			want{413, graphQLResponse, false, "REQUEST_TOO_LARGE", ""}},

		// Request parameters: a request that is not well-formed gets 400 in either media type.
		{"400 for a missing query", "POST", "/graphql", map[string]string{"Content-Type": postJSON, "Accept": jsonMedia}, `{"qeury":"{ __typename }"}`,
			want{400, jsonMedia, false, "BAD_REQUEST", ""}},
		{"400 for a query that is not a string", "POST", "/graphql", map[string]string{"Content-Type": postJSON}, `{"query":{"obj":"ect"}}`,
			want{400, graphQLResponse, false, "BAD_REQUEST", ""}},
		{"400 for an operationName that is not a string", "POST", "/graphql", map[string]string{"Content-Type": postJSON}, `{"query":"{ __typename }","operationName":0}`,
			want{400, graphQLResponse, false, "BAD_REQUEST", ""}},
		{"400 for variables that are not a map", "POST", "/graphql", map[string]string{"Content-Type": postJSON, "Accept": jsonMedia}, `{"query":"{ __typename }","variables":[7]}`,
			want{400, jsonMedia, false, "BAD_REQUEST", ""}},
		{"400 for extensions that are not a map", "POST", "/graphql", map[string]string{"Content-Type": postJSON}, `{"query":"{ __typename }","extensions":"x"}`,
			want{400, graphQLResponse, false, "BAD_REQUEST", ""}},
		{"MUST allow null optional parameters", "POST", "/graphql", map[string]string{"Content-Type": postJSON, "Accept": jsonMedia}, `{"query":"{ __typename }","operationName":null,"variables":null,"extensions":null}`,
			want{200, jsonMedia, true, "", ""}},
		{"MUST allow map variables", "POST", "/graphql", map[string]string{"Content-Type": postJSON}, `{"query":"query ($c: String!) { region(code: $c) { name } }","variables":{"c":"europe"}}`,
			want{200, graphQLResponse, true, "", ""}},
		{"MUST allow map extensions", "POST", "/graphql", map[string]string{"Content-Type": postJSON}, `{"query":"{ __typename }","extensions":{"some":"value"}}`,
			want{200, graphQLResponse, true, "", ""}},

		// Status codes of GraphQL request errors, by media type.
		{"graphql-response+json: 400 when the document does not parse", "POST", "/graphql", map[string]string{"Content-Type": postJSON, "Accept": graphQLResponse}, `{"query":"{"}`,
			want{400, graphQLResponse, false, "GRAPHQL_PARSE_FAILED", ""}},
		{"application/json: 200 when the document does not parse", "POST", "/graphql", map[string]string{"Content-Type": postJSON, "Accept": jsonMedia}, `{"query":"{"}`,
			want{200, jsonMedia, false, "GRAPHQL_PARSE_FAILED", ""}},
		{"graphql-response+json: 400 when the document does not validate", "POST", "/graphql", map[string]string{"Content-Type": postJSON, "Accept": graphQLResponse}, `{"query":"{ noSuchField }"}`,
			want{400, graphQLResponse, false, "GRAPHQL_VALIDATION_FAILED", ""}},
		{"application/json: 200 when the document does not validate", "POST", "/graphql", map[string]string{"Content-Type": postJSON, "Accept": jsonMedia}, `{"query":"{ noSuchField }"}`,
			want{200, jsonMedia, false, "GRAPHQL_VALIDATION_FAILED", ""}},
		{"graphql-response+json: 400 when variables do not coerce", "POST", "/graphql", map[string]string{"Content-Type": postJSON, "Accept": graphQLResponse}, `{"query":"query ($n: Int) { nearestOffices(latitude: 0, longitude: 0, first: $n) { distanceKm } }","variables":{"n":"many"}}`,
			want{400, graphQLResponse, false, "BAD_USER_INPUT", ""}},
		{"application/json: 200 when variables do not coerce", "POST", "/graphql", map[string]string{"Content-Type": postJSON, "Accept": jsonMedia}, `{"query":"query ($c: String!) { region(code: $c) { name } }"}`,
			want{200, jsonMedia, false, "BAD_USER_INPUT", ""}},
		{"graphql-response+json: 200 for partial data with a field error", "POST", "/graphql", map[string]string{"Content-Type": postJSON, "Accept": graphQLResponse}, `{"query":"{ regions { code } region(code: \"east-asia\") { offices(first: 500) { totalCount } } }"}`,
			want{200, graphQLResponse, true, "BAD_USER_INPUT", ""}},
		{"graphql-response+json: 2xx when data is null", "POST", "/graphql", map[string]string{"Content-Type": postJSON, "Accept": graphQLResponse}, `{"query":"{ nearestOffices(latitude: 100, longitude: 0) { distanceKm } }"}`,
			want{200, graphQLResponse, true, "BAD_USER_INPUT", ""}},

		// Operation selection.
		{"operationName selects the operation", "POST", "/graphql", map[string]string{"Content-Type": postJSON}, `{"query":"query A { regions { code } } query B { __typename }","operationName":"B"}`,
			want{200, graphQLResponse, true, "", ""}},
		{"a document of several operations needs operationName", "POST", "/graphql", map[string]string{"Content-Type": postJSON}, `{"query":"query A { regions { code } } query B { __typename }"}`,
			want{400, graphQLResponse, false, "GRAPHQL_VALIDATION_FAILED", ""}},
		{"operationName must name an operation of the document", "POST", "/graphql", map[string]string{"Content-Type": postJSON}, `{"query":"query A { __typename }","operationName":"C"}`,
			want{400, graphQLResponse, false, "GRAPHQL_VALIDATION_FAILED", ""}},

		// GET.
		{"MAY accept GET with the parameters in the query string", "GET", getQuery(map[string]string{"query": "query Q($c: String!) { region(code: $c) { name } }", "variables": `{"c":"africa"}`, "operationName": "Q"}), nil, "",
			want{200, graphQLResponse, true, "", ""}},
		{"an empty operationName is the same as none", "GET", getQuery(map[string]string{"query": "{ __typename }", "operationName": ""}), map[string]string{"Accept": jsonMedia}, "",
			want{200, jsonMedia, true, "", ""}},
		{"MUST answer 405 to a mutation over GET", "GET", getQuery(map[string]string{"query": "mutation { __typename }"}), map[string]string{"Accept": graphQLResponse}, "",
			want{405, graphQLResponse, false, "METHOD_NOT_ALLOWED", "POST"}},
		{"MUST answer 405 to a mutation over GET picked by operationName", "GET", getQuery(map[string]string{"query": "query Q { __typename } mutation M { __typename }", "operationName": "M"}), map[string]string{"Accept": jsonMedia}, "",
			want{405, jsonMedia, false, "METHOD_NOT_ALLOWED", "POST"}},
		{"400 for GET variables that are not JSON", "GET", getQuery(map[string]string{"query": "{ __typename }", "variables": "{c:1}"}), nil, "",
			want{400, graphQLResponse, false, "BAD_REQUEST", ""}},
		{"400 for a GET without query", "GET", "/graphql", nil, "",
			want{400, graphQLResponse, false, "BAD_REQUEST", ""}},
		{"HEAD is answered as GET, without a body", "HEAD", getQuery(map[string]string{"query": "{ __typename }"}), nil, "",
			want{200, "", false, "", ""}},

		// Methods.
		{"405 with Allow for another method", "PUT", "/graphql", map[string]string{"Content-Type": postJSON}, ok,
			want{405, graphQLResponse, false, "METHOD_NOT_ALLOWED", "GET, HEAD, POST, OPTIONS"}},
		{"405 with Allow for DELETE", "DELETE", "/graphql", nil, "",
			want{405, graphQLResponse, false, "METHOD_NOT_ALLOWED", "GET, HEAD, POST, OPTIONS"}},
		{"OPTIONS lists the methods", "OPTIONS", "/graphql", nil, "",
			want{204, "", false, "", "GET, HEAD, POST, OPTIONS"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := s.send(t, tc.method, tc.target, tc.header, tc.body)
			if r.Status != tc.want.status {
				t.Fatalf("status = %d, want %d; body %.300s", r.Status, tc.want.status, r.Body)
			}
			if got := r.Header.Get("Allow"); got != tc.want.allow {
				t.Errorf("Allow = %q, want %q", got, tc.want.allow)
			}
			if tc.want.mediaType == "" {
				// The HTTP server, not the handler, drops the body of an answer to HEAD (root package,
				// TestHEADIsAnsweredWithoutABody).
				if len(r.Body) > 0 && tc.method != http.MethodHead {
					t.Errorf("want no body, got %.200s", r.Body)
				}
				return
			}
			mt, charset := r.mediaType(t)
			if mt != tc.want.mediaType || !strings.EqualFold(charset, "utf-8") {
				t.Errorf("Content-Type = %q, want %s; charset=utf-8", r.Header.Get("Content-Type"), tc.want.mediaType)
			}
			keys, resp := r.graphQL(t)
			if _, has := keys["data"]; has != tc.want.data {
				t.Errorf("data entry present = %v, want %v: %s", has, tc.want.data, r.Body)
			}
			code := ""
			if len(resp.Errors) > 0 {
				code = resp.Errors[0].Code()
			}
			if code != tc.want.code {
				t.Errorf("error code = %q, want %q: %s", code, tc.want.code, r.Body)
			}
			for _, e := range resp.Errors {
				if e.Code() == "" || e.Message == "" {
					t.Errorf("error without code or message: %+v", e)
				}
			}
		})
	}

	t.Run("a body that does not parse is not echoed back", func(t *testing.T) {
		const secret = "s3cr3t-token-in-a-broken-body"
		r := s.send(t, "POST", "/graphql", map[string]string{"Content-Type": postJSON}, `{"query": "{ __typename }", "password": "`+secret)
		if r.Status != http.StatusBadRequest {
			t.Fatalf("status = %d", r.Status)
		}
		if strings.Contains(string(r.Body), secret) {
			t.Errorf("the response repeats the body: %s", r.Body)
		}
	})

	t.Run("413 for a chunked body over the limit", func(t *testing.T) {
		// Without Content-Length the body is read up to the limit.
		body := io.MultiReader(strings.NewReader(`{"query":"{ __typename }","x":"`), strings.NewReader(strings.Repeat("x", 1<<20)+`"}`))
		req := httptest.NewRequest("POST", "/graphql", body)
		req.ContentLength = -1
		req.Header.Set("Content-Type", postJSON)
		rec := httptest.NewRecorder()
		s.h.ServeHTTP(rec, req)
		resp := rec.Result()
		if resp.StatusCode != http.StatusRequestEntityTooLarge || req.ContentLength > 0 {
			t.Errorf("status %d (Content-Length %d)", resp.StatusCode, req.ContentLength)
		}
	})

	t.Run("UTF-8 in requests and responses", func(t *testing.T) {
		// A name outside ASCII in the query, and local names outside ASCII in the data.
		body := `{"query":"query { __type(name: \"Run🏃Swim🏊\") { name } city(key: \"seoul\") { localNames { name } } }"}`
		r := s.send(t, "POST", "/graphql", map[string]string{"Content-Type": "application/json; charset=utf-8"}, body)
		if r.Status != http.StatusOK || !utf8.Valid(r.Body) {
			t.Fatalf("status %d, valid UTF-8 %v: %s", r.Status, utf8.Valid(r.Body), r.Body)
		}
		if !strings.Contains(string(r.Body), "서울특별시") {
			t.Errorf("want the Korean name as UTF-8 text: %s", r.Body)
		}
	})

	t.Run("the operation operationName names is the one that runs", func(t *testing.T) {
		r := s.send(t, "POST", "/graphql", map[string]string{"Content-Type": postJSON},
			`{"query":"query A { regions { code } } query B { directory { revision } }","operationName":"B"}`)
		_, resp := r.graphQL(t)
		if !strings.Contains(string(resp.Data), "revision") || strings.Contains(string(resp.Data), "regions") {
			t.Errorf("want B's data, got %s", resp.Data)
		}
	})
}
