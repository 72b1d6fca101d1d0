package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/iclei/directory/auth"
	"github.com/iclei/directory/directory"
	"github.com/iclei/directory/internal/apitest"
	"github.com/iclei/directory/seed"
)

// outcomes returns how many requests of the GraphQL operation the server has counted, by outcome: "cached"
// counts the answers the response cache gave without running the operation.
func (s *testServer) outcomes(t *testing.T, operation string) map[string]float64 {
	t.Helper()
	got := map[string]float64{}
	f := s.scrape(t)["directory_graphql_requests_total"]
	if f == nil {
		return got
	}
	for _, m := range f.Metric {
		labels := map[string]string{}
		for _, l := range m.Label {
			labels[l.GetName()] = l.GetValue()
		}
		if labels["operation"] == operation {
			got[labels["outcome"]] += m.Counter.GetValue()
		}
	}
	return got
}

// wantOutcomes fails unless the operation's requests ended as want says.
func (s *testServer) wantOutcomes(t *testing.T, operation string, want map[string]float64) {
	t.Helper()
	got := s.outcomes(t, operation)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("outcomes of %s = %v, want %v", operation, got, want)
	}
}

// graphQLBody is the JSON body of a POST request.
func graphQLBody(t *testing.T, query string, variables map[string]any) string {
	t.Helper()
	b, err := json.Marshal(map[string]any{"query": query, "variables": variables})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// sameAnswer fails unless two replies carry the same status, body and the headers the transport sets.
func sameAnswer(t *testing.T, a, b *reply) {
	t.Helper()
	if a.Status != b.Status || string(a.Body) != string(b.Body) {
		t.Errorf("answers differ: status %d, %s\nand status %d, %s", a.Status, a.Body, b.Status, b.Body)
	}
	for _, h := range []string{"Content-Type", "Content-Length", "Cache-Control", "ETag", "Vary"} {
		if x, y := strings.Join(a.Header.Values(h), ", "), strings.Join(b.Header.Values(h), ", "); x != y {
			t.Errorf("%s: %q, then %q", h, x, y)
		}
	}
}

func TestResponseCache(t *testing.T) {
	t.Parallel()
	env := map[string]string{"JWT_SECRET": testJWTSecret, "RATE_LIMIT_PER_MINUTE": "0", "APPLICATION_LIMIT_PER_HOUR": "1000"}
	s := startServer(t, env)
	post := func(body string, header map[string]string) *reply {
		t.Helper()
		h := map[string]string{"Content-Type": "application/json"}
		for k, v := range header {
			h[k] = v
		}
		return s.send(t, "POST", "/graphql", h, body)
	}
	token := func(role directory.Role) string {
		t.Helper()
		tok, err := auth.MintJWT(auth.Config{Secret: []byte(testJWTSecret)}, "response-cache-test", role, nil, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return "Bearer " + tok
	}

	t.Run("a repeated anonymous POST is answered from the cache, with the same answer", func(t *testing.T) {
		body := `{"query":"query RepeatedPost { regions { code name } }"}`
		first, second := post(body, nil), post(body, nil)
		if first.Status != http.StatusOK || !strings.Contains(string(first.Body), "east-asia") {
			t.Fatalf("status %d: %s", first.Status, first.Body)
		}
		sameAnswer(t, first, second)
		if second.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("Cache-Control = %q: a POST answer from the cache is still not for HTTP caches", second.Header.Get("Cache-Control"))
		}
		s.wantOutcomes(t, "RepeatedPost", map[string]float64{"ok": 1, "cached": 1})
	})

	t.Run("a repeated anonymous GET is answered from the cache, with its ETag, and a conditional one with 304", func(t *testing.T) {
		target := getQuery(map[string]string{"query": "query RepeatedGet { regions { code } }"})
		first, second := s.send(t, "GET", target, nil, ""), s.send(t, "GET", target, nil, "")
		if first.Status != http.StatusOK || first.Header.Get("ETag") == "" {
			t.Fatalf("status %d, ETag %q", first.Status, first.Header.Get("ETag"))
		}
		sameAnswer(t, first, second)
		r := s.send(t, "GET", target, map[string]string{"If-None-Match": first.Header.Get("ETag")}, "")
		if r.Status != http.StatusNotModified || r.Header.Get("ETag") != first.Header.Get("ETag") {
			t.Errorf("If-None-Match: status %d, ETag %q", r.Status, r.Header.Get("ETag"))
		}
		s.wantOutcomes(t, "RepeatedGet", map[string]float64{"ok": 1, "cached": 1, "not_modified": 1})
	})

	t.Run("an answer is never given in another media type", func(t *testing.T) {
		body := `{"query":"query MediaTypes { regions { code } }"}`
		for _, accept := range []string{jsonMedia, graphQLResponse, jsonMedia, graphQLResponse} {
			r := post(body, map[string]string{"Accept": accept})
			if mt, _ := r.mediaType(t); mt != accept || r.Status != http.StatusOK {
				t.Errorf("Accept %s: status %d, Content-Type %s", accept, r.Status, r.Header.Get("Content-Type"))
			}
		}
		s.wantOutcomes(t, "MediaTypes", map[string]float64{"ok": 2, "cached": 2})
	})

	t.Run("an answer is never given for other variables or another operation", func(t *testing.T) {
		const byCode = "query RegionByCode($c: String!) { region(code: $c) { code } }"
		for _, code := range []string{"europe", "europe", "africa", "europe"} {
			r := post(graphQLBody(t, byCode, map[string]any{"c": code}), nil)
			if want := `{"data":{"region":{"code":"` + code + `"}},`; !strings.HasPrefix(string(r.Body), want) {
				t.Errorf("region %s: %s", code, r.Body)
			}
		}
		s.wantOutcomes(t, "RegionByCode", map[string]float64{"ok": 2, "cached": 2})

		const twoOps = "query PickRegions { regions { code } } query PickInfo { directory { counts { regions } } }"
		for _, op := range []string{"PickRegions", "PickInfo", "PickRegions", "PickInfo"} {
			target := getQuery(map[string]string{"query": twoOps, "operationName": op})
			r := s.send(t, "GET", target, nil, "")
			if got := strings.Contains(string(r.Body), `"counts"`); got != (op == "PickInfo") {
				t.Errorf("operation %s: %s", op, r.Body)
			}
		}
		s.wantOutcomes(t, "PickRegions", map[string]float64{"ok": 1, "cached": 1})
		s.wantOutcomes(t, "PickInfo", map[string]float64{"ok": 1, "cached": 1})
	})

	t.Run("answers with errors are not cached", func(t *testing.T) {
		body := `{"query":"query WithError { regions { code } node(id: \"not an id\") { id } }"}`
		for range 2 {
			r := post(body, map[string]string{"Accept": jsonMedia})
			if _, resp := r.graphQL(t); r.Status != http.StatusOK || len(resp.Errors) == 0 || len(resp.Data) == 0 {
				t.Fatalf("want data and errors: status %d: %s", r.Status, r.Body)
			}
		}
		if got := s.outcomes(t, "WithError"); got["cached"] != 0 || got["ok"] != 0 {
			t.Errorf("outcomes = %v, want two errors", got)
		}
	})

	t.Run("mutations are not cached", func(t *testing.T) {
		body := graphQLBody(t, "mutation Apply($input: MembershipApplicationInput!) { applyForMembership(input: $input) { reference } }",
			apitest.Input(applicationInput()))
		refs := map[string]bool{}
		for range 2 {
			var resp struct {
				Data struct{ ApplyForMembership struct{ Reference string } }
			}
			if err := json.Unmarshal(post(body, nil).Body, &resp); err != nil {
				t.Fatal(err)
			}
			refs[resp.Data.ApplyForMembership.Reference] = true
		}
		if len(refs) != 2 {
			t.Errorf("two applications got the references %v", refs)
		}
		s.wantOutcomes(t, "Apply", map[string]float64{"ok": 2})
	})

	t.Run("a caller with credentials is never answered from the cache", func(t *testing.T) {
		body := `{"query":"query WithCredentials { regions { code } }"}`
		post(body, nil)
		if r := post(body, nil); !strings.Contains(string(r.Body), "east-asia") {
			t.Fatalf("anonymous: %s", r.Body)
		}
		r := post(body, map[string]string{"Authorization": "Bearer not-a-token"})
		if _, resp := r.graphQL(t); r.Status != http.StatusUnauthorized || len(resp.Errors) == 0 || resp.Errors[0].Code() != "UNAUTHENTICATED" {
			t.Errorf("a rejected token got status %d: %s", r.Status, r.Body)
		}
		admin := token(directory.RoleAdmin)
		for range 2 {
			if r := post(body, map[string]string{"Authorization": admin}); r.Status != http.StatusOK {
				t.Errorf("admin: status %d: %s", r.Status, r.Body)
			}
		}
		s.wantOutcomes(t, "WithCredentials", map[string]float64{"ok": 3, "cached": 1, "UNAUTHENTICATED": 1})
	})

	t.Run("answers read from the store rather than the snapshot are not cached", func(t *testing.T) {
		var applied struct {
			Data struct{ ApplyForMembership struct{ Reference string } }
		}
		if err := json.Unmarshal(post(graphQLBody(t, applyQ, apitest.Input(applicationInput())), nil).Body, &applied); err != nil {
			t.Fatal(err)
		}
		ref := applied.Data.ApplyForMembership.Reference
		status := getQuery(map[string]string{"query": `query Status($r: String!) { membershipApplicationStatus(reference: $r) { status } }`,
			"variables": `{"r":"` + ref + `"}`})
		if r := s.send(t, "GET", status, nil, ""); !strings.Contains(string(r.Body), "SUBMITTED") {
			t.Fatalf("status of %s: %s", ref, r.Body)
		}
		// A rejection is stored with the application; the directory, and its revision, do not change.
		if r := post(graphQLBody(t, reviewQ, review(ref, 1, "REJECT")), map[string]string{"Authorization": token(directory.RoleAdmin)}); r.Status != http.StatusOK {
			t.Fatalf("review: status %d: %s", r.Status, r.Body)
		}
		r := s.send(t, "GET", status, nil, "")
		if !strings.Contains(string(r.Body), "REJECTED") {
			t.Errorf("status after the rejection: %s", r.Body)
		}
		if r.Header.Get("Cache-Control") != "no-store" || r.Header.Get("ETag") != "" {
			t.Errorf("an HTTP cache may keep it: Cache-Control %q, ETag %q", r.Header.Get("Cache-Control"), r.Header.Get("ETag"))
		}
		s.wantOutcomes(t, "Status", map[string]float64{"ok": 2})
	})

	t.Run("a request that registers a persisted query always runs, so that the query is registered", func(t *testing.T) {
		const query = "query PersistedAgain { regions { code } }"
		ext := json.RawMessage(persistedQuery(query))
		withQuery, _ := json.Marshal(map[string]any{"query": query, "extensions": ext})
		hashOnly, _ := json.Marshal(map[string]any{"extensions": ext})
		for _, body := range [][]byte{withQuery, withQuery, hashOnly, hashOnly} {
			if r := post(string(body), nil); r.Status != http.StatusOK || !strings.Contains(string(r.Body), "east-asia") {
				t.Errorf("%s: status %d: %s", body, r.Status, r.Body)
			}
		}
		s.wantOutcomes(t, "PersistedAgain", map[string]float64{"ok": 3, "cached": 1})
	})

	t.Run("after a write the answers come from the new revision, never from the cache", func(t *testing.T) {
		const q = "query OfficeName($k: String!) { office(key: $k) { name } directory { revision } }"
		data, _, err := seed.Build()
		if err != nil {
			t.Fatal(err)
		}
		key := data.Offices[0].Key
		body := graphQLBody(t, q, map[string]any{"k": key})
		type answer struct {
			Data struct {
				Office    struct{ Name string }
				Directory struct{ Revision string }
			}
		}
		read := func() answer {
			t.Helper()
			var a answer
			if err := json.Unmarshal(post(body, nil).Body, &a); err != nil {
				t.Fatal(err)
			}
			return a
		}
		before := read()
		if again := read(); again != before {
			t.Fatalf("the same revision answered %+v, then %+v", before, again)
		}
		s.wantOutcomes(t, "OfficeName", map[string]float64{"ok": 1, "cached": 1})

		data.Offices[0].Name += " (renamed for the response cache)"
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := openStore(t, s.MongoURI, s.Database).Seed(ctx, data); err != nil {
			t.Fatal(err)
		}
		eventually(t, 10*time.Second, func() error {
			a := read()
			renamed := a.Data.Office.Name == data.Offices[0].Name
			if renamed != (a.Data.Directory.Revision != before.Data.Directory.Revision) {
				t.Fatalf("revision %s answered with the name %q", a.Data.Directory.Revision, a.Data.Office.Name)
			}
			if !renamed {
				return fmt.Errorf("still %q at revision %s", a.Data.Office.Name, a.Data.Directory.Revision)
			}
			return nil
		})
	})
}

func TestResponseCacheBound(t *testing.T) {
	t.Parallel()
	const large = `{"query":"query Large { regions { code name } offices(first: 50) { nodes { key name } } cities(first: 50) { nodes { key name } } }"}`
	const small = `{"query":"query Small { __typename }"}`
	cases := []struct {
		name  string
		bytes string
		want  map[string]map[string]float64
	}{
		{"an answer larger than the whole cache is not kept; a small one is", "1024",
			map[string]map[string]float64{"Large": {"ok": 2}, "Small": {"ok": 1, "cached": 1}}},
		{"0 turns the cache off", "0",
			map[string]map[string]float64{"Large": {"ok": 2}, "Small": {"ok": 2}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := startServer(t, map[string]string{"GRAPHQL_RESPONSE_CACHE_BYTES": c.bytes})
			for _, body := range []string{large, large, small, small} {
				r := s.send(t, "POST", "/graphql", map[string]string{"Content-Type": "application/json"}, body)
				if r.Status != http.StatusOK {
					t.Fatalf("status %d: %s", r.Status, r.Body)
				}
				if body == large && len(r.Body) <= 1024 {
					t.Fatalf("the large answer has only %d bytes", len(r.Body))
				}
			}
			for op, want := range c.want {
				s.wantOutcomes(t, op, want)
			}
		})
	}
}
