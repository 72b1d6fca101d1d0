package main

import (
	"cmp"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// reply is an HTTP response with its body read.
type reply struct {
	Status int
	Header http.Header
	Body   []byte
}

// send makes an HTTP request to the server. Headers with an empty value are not sent; Go's client sends no
// Accept header of its own. A Host header replaces the request's host.
func (s *testServer) send(t *testing.T, method, target string, header map[string]string, body string) *reply {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.URL+target, rd)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		if v != "" {
			req.Header.Set(k, v)
		}
	}
	req.Host = cmp.Or(header["Host"], req.Host)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return &reply{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// mediaType returns the media type of the reply and its charset.
func (r *reply) mediaType(t *testing.T) (string, string) {
	t.Helper()
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		t.Fatalf("Content-Type %q: %v", r.Header.Get("Content-Type"), err)
	}
	return mt, params["charset"]
}

// graphQL decodes the reply as a GraphQL response, keeping which top-level keys it has.
func (r *reply) graphQL(t *testing.T) (map[string]json.RawMessage, *gqlResponse) {
	t.Helper()
	var keys map[string]json.RawMessage
	var resp gqlResponse
	if err := json.Unmarshal(r.Body, &keys); err != nil {
		t.Fatalf("status %d: body is not a JSON object: %s", r.Status, r.Body)
	}
	if err := json.Unmarshal(r.Body, &resp); err != nil {
		t.Fatal(err)
	}
	return keys, &resp
}

// getQuery is the URL of a GET request for the GraphQL parameters.
func getQuery(params map[string]string) string {
	v := url.Values{}
	for k, p := range params {
		v.Set(k, p)
	}
	return "/graphql?" + v.Encode()
}

const (
	graphQLResponse = "application/graphql-response+json"
	jsonMedia       = "application/json"
	postJSON        = "application/json"
)

// TestHEADIsAnsweredWithoutABody: the endpoint answers HEAD as GET, and the server sends the headers alone.
// graph/protocol_test.go checks the endpoint against the GraphQL-over-HTTP specification in process.
func TestHEADIsAnsweredWithoutABody(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	r := s.send(t, "HEAD", getQuery(map[string]string{"query": "{ __typename }"}), nil, "")
	if r.Status != http.StatusOK || len(r.Body) != 0 || r.Header.Get("ETag") == "" {
		t.Errorf("status %d, ETag %q, body %q; want 200 with the GET answer's headers and no body", r.Status, r.Header.Get("ETag"), r.Body)
	}
}
