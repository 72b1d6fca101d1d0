package main

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// rawClient leaves Accept-Encoding and the body as they are: Go's default client asks for gzip itself and
// decompresses where the request did not say.
var rawClient = &http.Client{Transport: &http.Transport{DisableCompression: true}}

func TestLargeResponsesAreCompressed(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)

	page := s.send(t, http.MethodGet, "/", nil, "")
	script := regexp.MustCompile(`<script src="([^"]+)"`).FindSubmatch(page.Body)
	if script == nil {
		t.Fatalf("the playground page names no script: %s", page.Body)
	}
	countries := `{ countries { code name region { name } } }`
	targets := []struct {
		name, method, target, body string
	}{
		{"a GraphQL answer over POST", http.MethodPost, "/graphql", `{"query":"` + countries + `"}`},
		{"a GraphQL answer over GET", http.MethodGet, "/graphql?query=" + url.QueryEscape(countries), ""},
		{"an export", http.MethodGet, "/export/offices.geojson", ""},
		{"the schema", http.MethodGet, "/schema.graphql", ""},
		{"the playground's script", http.MethodGet, string(script[1]), ""},
	}
	do := func(t *testing.T, method, target, body string, header ...string) (*http.Response, []byte) {
		t.Helper()
		req, err := http.NewRequest(method, s.URL+target, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if method == http.MethodPost {
			req.Header.Set("Content-Type", "application/json")
		}
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		res, err := rawClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		return res, b
	}
	for _, tt := range targets {
		t.Run(tt.name, func(t *testing.T) {
			plain, plainBody := do(t, tt.method, tt.target, tt.body)
			if plain.StatusCode != http.StatusOK || plain.Header.Get("Content-Encoding") != "" {
				t.Fatalf("without Accept-Encoding: status %d, Content-Encoding %q", plain.StatusCode, plain.Header.Get("Content-Encoding"))
			}
			for _, enc := range []string{"gzip", "zstd"} {
				res, body := do(t, tt.method, tt.target, tt.body, "Accept-Encoding", enc)
				if got := res.Header.Get("Content-Encoding"); got != enc {
					t.Fatalf("%s: Content-Encoding %q, want it (%d bytes plain)", enc, got, len(plainBody))
				}
				if !strings.Contains(strings.Join(res.Header.Values("Vary"), ","), "Accept-Encoding") {
					t.Errorf("%s: Vary %q", enc, res.Header.Values("Vary"))
				}
				if decoded := decompress(t, enc, body); !bytes.Equal(decoded, plainBody) {
					t.Errorf("%s: decodes to %d bytes that differ from the %d plain ones", enc, len(decoded), len(plainBody))
				}
				if len(body) >= len(plainBody)/2 {
					t.Errorf("%s: %d bytes for %d plain", enc, len(body), len(plainBody))
				}
				tag := plain.Header.Get("ETag")
				if tag == "" {
					continue
				}
				want := tag[:len(tag)-1] + "-" + enc + `"`
				if got := res.Header.Get("ETag"); got != want {
					t.Fatalf("%s: ETag %s, want %s", enc, got, want)
				}
				again, _ := do(t, tt.method, tt.target, tt.body, "Accept-Encoding", enc, "If-None-Match", want)
				if again.StatusCode != http.StatusNotModified || again.Header.Get("ETag") != want {
					t.Errorf("%s: revalidation: status %d, ETag %s", enc, again.StatusCode, again.Header.Get("ETag"))
				}
				other, _ := do(t, tt.method, tt.target, tt.body, "If-None-Match", want)
				if other.StatusCode != http.StatusOK {
					t.Errorf("%s: the %s tag revalidates a plain response: status %d", enc, enc, other.StatusCode)
				}
			}
		})
	}

	t.Run("small answers are not", func(t *testing.T) {
		res, _ := do(t, http.MethodPost, "/graphql", `{"query":"{ __typename }"}`, "Accept-Encoding", "gzip, zstd")
		if res.StatusCode != http.StatusOK || res.Header.Get("Content-Encoding") != "" {
			t.Errorf("status %d, Content-Encoding %q", res.StatusCode, res.Header.Get("Content-Encoding"))
		}
	})
}

func decompress(t *testing.T, enc string, b []byte) []byte {
	t.Helper()
	var r io.Reader
	switch enc {
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		r = zr
	case "zstd":
		zr, err := zstd.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		defer zr.Close()
		r = zr
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
