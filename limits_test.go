package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/iclei/directory/internal/apitest"
)

// The limits the server applies to each client and request. How the GraphQL endpoint bounds a document is
// tested in graph/ (shapes_test.go, limits_test.go); here, that the settings reach it, and the limits the server
// puts around every route.

func TestApplicationRateLimit(t *testing.T) {
	t.Parallel()
	s := startServer(t, map[string]string{"APPLICATION_LIMIT_PER_HOUR": "2", "RATE_LIMIT_PER_MINUTE": "0"})
	st := openStore(t, s.MongoURI, s.Database)
	for i := range 2 {
		mustGQL(t, s, "", applyQ, apitest.Input(apitest.Edit(applicationInput(), "name", fmt.Sprintf("Town %d", i))), nil)
	}
	r := gql(t, s, request{Query: applyQ, Variables: apitest.Input(apitest.Edit(applicationInput(), "name", "Town 3"))})
	wantError(t, r, "RATE_LIMITED", "")
	as, err := st.Applications(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(as) != 2 {
		t.Errorf("%d applications stored, want 2", len(as))
	}
	// The application limit does not hold up other requests.
	mustGQL(t, s, "", `{ regions { code } }`, nil, nil)
}

func TestLimitRequestRate(t *testing.T) {
	t.Parallel()
	s := startServer(t, map[string]string{"RATE_LIMIT_PER_MINUTE": "5"})
	for i := range 5 {
		r := gql(t, s, request{Query: `{ regions { code } }`})
		if r.Status != http.StatusOK || len(r.Errors) > 0 {
			t.Fatalf("request %d: status %d, errors %+v", i+1, r.Status, r.Errors)
		}
	}
	r := gql(t, s, request{Query: `{ regions { code } }`})
	if r.Status != http.StatusTooManyRequests {
		t.Errorf("6th request: status %d, want 429", r.Status)
	}
	wantError(t, r, "RATE_LIMITED", "")
	if r.Header.Get("Retry-After") == "" {
		t.Error("a rate-limited response has no Retry-After header")
	}
	// The limit is per client across the API: the exports and the playground count too; the probes do not.
	for path, want := range map[string]int{"/export/offices.csv": http.StatusTooManyRequests, "/": http.StatusTooManyRequests,
		"/healthz": http.StatusOK, "/readyz": http.StatusOK, "/metrics": http.StatusOK} {
		resp, err := http.Get(s.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s after the limit: status %d, want %d", path, resp.StatusCode, want)
		}
	}
}

func TestLimitRequestBody(t *testing.T) {
	t.Parallel()
	s := startServer(t, map[string]string{"RATE_LIMIT_PER_MINUTE": "0"})

	t.Run("a body of 1 MiB passes", func(t *testing.T) {
		head, tail := `{"query":"{ regions { code } }`, `"}`
		body := []byte(head + strings.Repeat(" ", 1<<20-len(head)-len(tail)) + tail)
		r, err := postGraphQL(context.Background(), s, body, nil)
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != http.StatusOK || len(r.Errors) > 0 {
			t.Errorf("status %d, errors %+v", r.Status, r.Errors)
		}
	})

	// The requests declare 64 MiB but send less; a server that waited for the whole body would never answer.
	t.Run("a larger body is refused once the limit is read", func(t *testing.T) {
		wantTooLarge(t, s, 64<<20, 1<<20+256<<10)
	})
	t.Run("a larger declared body is refused before it is read", func(t *testing.T) {
		wantTooLarge(t, s, 64<<20, 1<<10)
	})
}

// wantTooLarge sends a request that declares a body of declared bytes but sends only sent bytes of it, and
// checks that the server refuses it as too large while the body is incomplete.
func wantTooLarge(t *testing.T, s *testServer, declared, sent int) {
	t.Helper()
	u, err := url.Parse(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /graphql HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", u.Host, declared)
	go func() {
		if _, err := conn.Write([]byte(`{"query":"`)); err != nil {
			return
		}
		chunk := bytes.Repeat([]byte(" "), 1<<10)
		for n := 0; n < sent; n += len(chunk) {
			if _, err := conn.Write(chunk); err != nil {
				return
			}
		}
	}()
	if err := conn.SetReadDeadline(time.Now().Add(20 * time.Second)); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no response while the body was incomplete: %v", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("status %d, want 413: %s", resp.StatusCode, raw)
	}
	var r gqlResponse
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("response is not JSON: %s", raw)
	}
	checkNoLeak(t, r.Errors)
	if len(r.Errors) != 1 || r.Errors[0].Code() != "REQUEST_TOO_LARGE" || !strings.Contains(r.Errors[0].Message, "larger than") {
		t.Errorf("errors = %+v, want one REQUEST_TOO_LARGE", r.Errors)
	}
}

// graphiQLIntrospectionQuery is the introspection query the playground's GraphiQL sends on load
// (getIntrospectionQuery of graphql-js with descriptions and a type depth of 9).
func graphiQLIntrospectionQuery() string {
	typeRef := "kind name"
	for range 9 {
		typeRef = "kind name ofType { " + typeRef + " }"
	}
	return `query IntrospectionQuery {
  __schema {
    queryType { name kind } mutationType { name kind } subscriptionType { name kind }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type { ` + typeRef + ` }`
}

// TestLimitSettingsReachTheEndpoint sets each limit on the GraphQL document below its default and sends one
// document past it; graph/shapes_test.go has the rules.
func TestLimitSettingsReachTheEndpoint(t *testing.T) {
	t.Parallel()
	limited := startServer(t, map[string]string{"GRAPHQL_MAX_DEPTH": "5", "GRAPHQL_MAX_ALIASES": "3", "GRAPHQL_MAX_COMPLEXITY": "1000",
		"GRAPHQL_MAX_TOKENS": "200", "GRAPHQL_INTROSPECTION": "false", "GRAPHQL_FIELD_SUGGESTIONS": "false", "RATE_LIMIT_PER_MINUTE": "0"})
	for _, c := range []struct {
		setting, query, code string
	}{
		{"GRAPHQL_MAX_DEPTH", `{ region(code: "east-asia") { secretariat { headOffice { region { secretariat { key } } } } } }`, "QUERY_DEPTH_LIMIT_EXCEEDED"},
		{"GRAPHQL_MAX_ALIASES", `{ a: regions { code } b: regions { code } c: regions { code } d: regions { code } }`, "ALIAS_LIMIT_EXCEEDED"},
		{"GRAPHQL_MAX_COMPLEXITY", `{ cities(first: 100) { nodes { districts(first: 100) { nodes { key } } } } }`, "COMPLEXITY_LIMIT_EXCEEDED"},
		{"GRAPHQL_MAX_TOKENS", `{ regions { ` + strings.Repeat("code ", 250) + `} }`, "GRAPHQL_PARSE_FAILED"},
		{"GRAPHQL_INTROSPECTION", `{ __schema { queryType { name } } }`, "GRAPHQL_VALIDATION_FAILED"},
	} {
		t.Run(c.setting, func(t *testing.T) {
			r := gql(t, limited, request{Query: c.query})
			wantError(t, r, c.code, "")
		})
	}
	t.Run("GRAPHQL_FIELD_SUGGESTIONS", func(t *testing.T) {
		r := gql(t, limited, request{Query: `{ regions { cod } }`})
		wantError(t, r, "GRAPHQL_VALIDATION_FAILED", "")
		if strings.Contains(r.Errors[0].Message, "Did you mean") {
			t.Errorf("message suggests: %s", r.Errors[0].Message)
		}
	})
}

// TestLimitsAndThePlayground: the default limits let the playground work, its introspection query and every
// example tab.
func TestLimitsAndThePlayground(t *testing.T) {
	t.Parallel()
	open := startServer(t, map[string]string{"RATE_LIMIT_PER_MINUTE": "0"})
	t.Run("the playground's introspection query passes the default limits", func(t *testing.T) {
		var got struct {
			Schema struct{ Types []struct{ Name string } } `json:"__schema"`
		}
		mustGQL(t, open, "", graphiQLIntrospectionQuery(), nil, &got)
		if len(got.Schema.Types) < 50 {
			t.Errorf("introspection gave %d types", len(got.Schema.Types))
		}
	})
	for _, tab := range exampleTabs {
		t.Run("the playground tab "+tab.Name+" passes the default limits", func(t *testing.T) {
			var vars map[string]any
			if tab.Variables != "" {
				if err := json.Unmarshal([]byte(tab.Variables), &vars); err != nil {
					t.Fatal(err)
				}
			}
			mustGQL(t, open, "", tab.Query, vars, nil)
		})
	}
}
