package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/iclei/directory/auth"
	"github.com/iclei/directory/directory"
	"github.com/iclei/directory/seed"
)

func TestGETResponsesAreCacheable(t *testing.T) {
	t.Parallel()
	secret := strings.Repeat("k", 32)
	s := startServer(t, map[string]string{"JWT_SECRET": secret})
	query := getQuery(map[string]string{"query": "query Revision { directory { revision } }"})

	first := s.send(t, "GET", query, nil, "")
	etag := first.Header.Get("ETag")
	t.Run("a GET answer carries an ETag, the default Cache-Control and Vary", func(t *testing.T) {
		if first.Status != http.StatusOK || etag == "" {
			t.Fatalf("status %d, ETag %q", first.Status, etag)
		}
		if got := first.Header.Get("Cache-Control"); got != "public, max-age=60, stale-while-revalidate=300" {
			t.Errorf("Cache-Control = %q", got)
		}
		vary := strings.Join(first.Header.Values("Vary"), ", ")
		if !strings.Contains(vary, "Accept") || !strings.Contains(vary, "Authorization") {
			t.Errorf("Vary = %q, want Accept and Authorization", vary)
		}
	})

	t.Run("the ETag names the revision the data was read at", func(t *testing.T) {
		_, resp := first.graphQL(t)
		var data struct{ Directory struct{ Revision string } }
		if err := json.Unmarshal(resp.Data, &data); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(etag, `W/"`+data.Directory.Revision+"-") {
			t.Errorf("ETag %s does not name revision %s", etag, data.Directory.Revision)
		}
	})

	t.Run("If-None-Match with the ETag gets 304 without a body", func(t *testing.T) {
		for _, inm := range []string{etag, `W/"other", ` + etag, strings.TrimPrefix(etag, "W/"), "*"} {
			r := s.send(t, "GET", query, map[string]string{"If-None-Match": inm}, "")
			if r.Status != http.StatusNotModified || len(r.Body) != 0 {
				t.Errorf("If-None-Match %s: status %d, body %q", inm, r.Status, r.Body)
			}
			if r.Header.Get("ETag") != etag || r.Header.Get("Cache-Control") == "" {
				t.Errorf("If-None-Match %s: 304 without the validator and caching headers: %v", inm, r.Header)
			}
		}
	})

	t.Run("a stale ETag gets the data", func(t *testing.T) {
		r := s.send(t, "GET", query, map[string]string{"If-None-Match": `W/"0-000000000000000000000000"`}, "")
		if r.Status != http.StatusOK || len(r.Body) == 0 {
			t.Errorf("status %d, body %q", r.Status, r.Body)
		}
	})

	t.Run("the ETag depends on the request", func(t *testing.T) {
		variants := map[string]*reply{
			"another query":          s.send(t, "GET", getQuery(map[string]string{"query": "{ directory { revision loadedAt } }"}), nil, ""),
			"other variables":        s.send(t, "GET", getQuery(map[string]string{"query": "query Revision { directory { revision } }", "variables": `{"x":1}`}), nil, ""),
			"another operation name": s.send(t, "GET", getQuery(map[string]string{"query": "query Revision { directory { revision } } query Other { __typename }", "operationName": "Revision"}), nil, ""),
			"another media type":     s.send(t, "GET", query, map[string]string{"Accept": "application/json"}, ""),
			"extensions":             s.send(t, "GET", getQuery(map[string]string{"query": "query Revision { directory { revision } }", "extensions": `{"x":1}`}), nil, ""),
		}
		for name, r := range variants {
			if r.Status != http.StatusOK || r.Header.Get("ETag") == "" || r.Header.Get("ETag") == etag {
				t.Errorf("%s: status %d, ETag %q (the first was %q)", name, r.Status, r.Header.Get("ETag"), etag)
			}
		}
	})

	t.Run("an answer for a caller with credentials is private", func(t *testing.T) {
		token, err := auth.MintJWT(auth.Config{Secret: []byte(secret)}, "cache-test", directory.RoleAdmin, nil, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		bearer := "Bearer " + token
		r := s.send(t, "GET", query, map[string]string{"Authorization": bearer}, "")
		if r.Status != http.StatusOK {
			t.Fatalf("status %d: %s", r.Status, r.Body)
		}
		if got := r.Header.Get("Cache-Control"); got != "private, no-store" {
			t.Errorf("Cache-Control = %q", got)
		}
		if r.Header.Get("ETag") == etag {
			t.Error("a caller with credentials shares the anonymous ETag")
		}
		r = s.send(t, "GET", query, map[string]string{"Authorization": bearer, "If-None-Match": etag}, "")
		if r.Status != http.StatusOK {
			t.Errorf("the anonymous ETag answered a caller with credentials: status %d", r.Status)
		}
	})

	t.Run("POST answers are not stored", func(t *testing.T) {
		r := s.send(t, "POST", "/graphql", map[string]string{"Content-Type": "application/json"}, `{"query":"{ directory { revision } }"}`)
		if r.Header.Get("Cache-Control") != "no-store" || r.Header.Get("ETag") != "" {
			t.Errorf("Cache-Control %q, ETag %q", r.Header.Get("Cache-Control"), r.Header.Get("ETag"))
		}
	})

	t.Run("error answers are not stored", func(t *testing.T) {
		for _, q := range []string{"{ noSuchField }", "{"} {
			r := s.send(t, "GET", getQuery(map[string]string{"query": q}), map[string]string{"Accept": "application/json"}, "")
			if r.Header.Get("Cache-Control") != "no-store" || r.Header.Get("ETag") != "" {
				t.Errorf("%s: Cache-Control %q, ETag %q", q, r.Header.Get("Cache-Control"), r.Header.Get("ETag"))
			}
		}
	})

	t.Run("a write changes the ETag", func(t *testing.T) {
		data, _, err := seed.Build()
		if err != nil {
			t.Fatal(err)
		}
		data.Offices[0].Name += " (renamed)"
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := openStore(t, s.MongoURI, s.Database).Seed(ctx, data); err != nil {
			t.Fatal(err)
		}
		eventually(t, 10*time.Second, func() error {
			r := s.send(t, "GET", query, map[string]string{"If-None-Match": etag}, "")
			if r.Status != http.StatusOK || r.Header.Get("ETag") == etag {
				return fmt.Errorf("status %d, ETag %s", r.Status, r.Header.Get("ETag"))
			}
			return nil
		})
	})
}

func TestCacheControlIsConfigurable(t *testing.T) {
	t.Parallel()
	s := startServer(t, map[string]string{"HTTP_CACHE_CONTROL": "public, max-age=5"})
	for _, target := range []string{getQuery(map[string]string{"query": "{ __typename }"}), "/export/offices.csv", "/schema.graphql"} {
		if got := s.send(t, "GET", target, nil, "").Header.Get("Cache-Control"); got != "public, max-age=5" {
			t.Errorf("%s: Cache-Control = %q", target, got)
		}
	}
}

// persistedQuery is the extensions entry of an automatic persisted query.
func persistedQuery(query string) string {
	sum := sha256.Sum256([]byte(query))
	return `{"persistedQuery":{"version":1,"sha256Hash":"` + hex.EncodeToString(sum[:]) + `"}}`
}

func TestAutomaticPersistedQueries(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	const query = "query PersistedRegions { regions { code } }"
	ext := persistedQuery(query)
	post := func(body string) *reply {
		return s.send(t, "POST", "/graphql", map[string]string{"Content-Type": "application/json", "Accept": "application/graphql-response+json"}, body)
	}

	t.Run("an unknown hash asks for the query", func(t *testing.T) {
		r := post(`{"extensions":` + ext + `}`)
		keys, resp := r.graphQL(t)
		if len(resp.Errors) != 1 || resp.Errors[0].Code() != "PERSISTED_QUERY_NOT_FOUND" || keys["data"] != nil {
			t.Fatalf("status %d: %s", r.Status, r.Body)
		}
		if r.Status != http.StatusBadRequest || r.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("status %d, Cache-Control %q", r.Status, r.Header.Get("Cache-Control"))
		}
		get := s.send(t, "GET", "/graphql?extensions="+url.QueryEscape(ext), nil, "")
		if get.Header.Get("Cache-Control") != "no-store" || get.Header.Get("ETag") != "" {
			t.Errorf("a miss over GET may be cached: %v", get.Header)
		}
	})

	t.Run("the query with its hash runs and is kept", func(t *testing.T) {
		body, _ := json.Marshal(map[string]any{"query": query, "extensions": json.RawMessage(ext)})
		if r := post(string(body)); r.Status != http.StatusOK || !strings.Contains(string(r.Body), "east-asia") {
			t.Fatalf("status %d: %s", r.Status, r.Body)
		}
	})

	t.Run("then the hash alone runs it, over POST and over GET", func(t *testing.T) {
		if r := post(`{"extensions":` + ext + `}`); r.Status != http.StatusOK || !strings.Contains(string(r.Body), "east-asia") {
			t.Errorf("POST: status %d: %s", r.Status, r.Body)
		}
		r := s.send(t, "GET", "/graphql?extensions="+url.QueryEscape(ext), nil, "")
		if r.Status != http.StatusOK || !strings.Contains(string(r.Body), "east-asia") || r.Header.Get("ETag") == "" {
			t.Fatalf("GET: status %d, ETag %q: %s", r.Status, r.Header.Get("ETag"), r.Body)
		}
		again := s.send(t, "GET", "/graphql?extensions="+url.QueryEscape(ext), map[string]string{"If-None-Match": r.Header.Get("ETag")}, "")
		if again.Status != http.StatusNotModified {
			t.Errorf("If-None-Match: status %d", again.Status)
		}
	})

	t.Run("a hash that does not match the query is refused", func(t *testing.T) {
		body, _ := json.Marshal(map[string]any{"query": "{ __typename }", "extensions": json.RawMessage(ext)})
		r := post(string(body))
		if _, resp := r.graphQL(t); r.Status != http.StatusBadRequest || len(resp.Errors) == 0 || resp.Errors[0].Code() != "BAD_REQUEST" {
			t.Errorf("status %d: %s", r.Status, r.Body)
		}
	})
}
