package httpcompress_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/iclei/directory/directory"
	"github.com/iclei/directory/httpcompress"
)

const baseTag = `W/"7-abc"`

// resource answers with body and baseTag, and 304 to a request whose If-None-Match names baseTag.
func resource(t *testing.T, body string) http.Handler {
	t.Helper()
	h, err := httpcompress.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", baseTag)
		w.Header().Set("Content-Type", "application/json")
		if inm := r.Header.Get("If-None-Match"); inm != "" && strings.Contains(inm, baseTag) {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		_, _ = io.WriteString(w, body)
	}))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func get(h http.Handler, headers ...string) *http.Response {
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func decode(t *testing.T, res *http.Response) string {
	t.Helper()
	var r io.Reader = res.Body
	switch enc := res.Header.Get("Content-Encoding"); enc {
	case "gzip":
		zr, err := gzip.NewReader(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		r = zr
	case "zstd":
		zr, err := zstd.NewReader(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		defer zr.Close()
		r = zr
	case "":
	default:
		t.Fatalf("Content-Encoding %q", enc)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestCompression(t *testing.T) {
	t.Parallel()
	large := `{"data":` + strings.Repeat(`{"code":"KR","name":"South Korea"},`, 100) + `null}`
	small := `{"data":{"ok":true}}`
	tests := []struct {
		name, acceptEncoding, body string
		wantEncoding, wantTag      string
	}{
		{"zstd when the client prefers it", "gzip, deflate, br, zstd", large, "zstd", `W/"7-abc-zstd"`},
		{"gzip when the client accepts only gzip", "gzip", large, "gzip", `W/"7-abc-gzip"`},
		{"gzip when the client gives zstd a lower quality", "zstd;q=0.5, gzip", large, "gzip", `W/"7-abc-gzip"`},
		{"zstd when gzip is refused", "gzip;q=0, zstd", large, "zstd", `W/"7-abc-zstd"`},
		{"nothing without Accept-Encoding", "", large, "", baseTag},
		{"nothing for codings it does not speak", "br, deflate", large, "", baseTag},
		{"nothing below MinSize, with the tag of the encoding asked for", "gzip", small, "", `W/"7-abc-gzip"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := get(resource(t, tt.body), "Accept-Encoding", tt.acceptEncoding)
			if got := res.Header.Get("Content-Encoding"); got != tt.wantEncoding {
				t.Errorf("Content-Encoding %q, want %q", got, tt.wantEncoding)
			}
			if got := res.Header.Get("ETag"); got != tt.wantTag {
				t.Errorf("ETag %s, want %s", got, tt.wantTag)
			}
			if !strings.Contains(strings.Join(res.Header.Values("Vary"), ","), "Accept-Encoding") {
				t.Errorf("Vary %q lacks Accept-Encoding", res.Header.Values("Vary"))
			}
			if got := decode(t, res); got != tt.body {
				t.Errorf("body decodes to %d bytes, want the %d sent", len(got), len(tt.body))
			}
		})
	}
}

func TestConditionalRequests(t *testing.T) {
	t.Parallel()
	large := strings.Repeat("x", 4*httpcompress.MinSize)
	tests := []struct {
		name, acceptEncoding, ifNoneMatch string
		want                              int
		wantTag                           string
	}{
		{"the gzip tag revalidates a gzip response", "gzip", `W/"7-abc-gzip"`, http.StatusNotModified, `W/"7-abc-gzip"`},
		{"the zstd tag revalidates a zstd response", "zstd", `W/"7-abc-zstd"`, http.StatusNotModified, `W/"7-abc-zstd"`},
		{"the plain tag revalidates a plain response", "", baseTag, http.StatusNotModified, baseTag},
		{"one of several tags revalidates", "gzip", `"other", W/"7-abc-gzip"`, http.StatusNotModified, `W/"7-abc-gzip"`},
		{"the gzip tag does not revalidate a zstd response", "zstd", `W/"7-abc-gzip"`, http.StatusOK, `W/"7-abc-zstd"`},
		{"the plain tag does not revalidate a gzip response", "gzip", baseTag, http.StatusOK, `W/"7-abc-gzip"`},
		{"the gzip tag does not revalidate a plain response", "", `W/"7-abc-gzip"`, http.StatusOK, baseTag},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := get(resource(t, large), "Accept-Encoding", tt.acceptEncoding, "If-None-Match", tt.ifNoneMatch)
			if res.StatusCode != tt.want {
				t.Errorf("status %d, want %d", res.StatusCode, tt.want)
			}
			if got := res.Header.Get("ETag"); got != tt.wantTag {
				t.Errorf("ETag %s, want %s", got, tt.wantTag)
			}
			if tt.want == http.StatusOK && decode(t, res) != large {
				t.Error("the body differs from the one sent")
			}
		})
	}
}

func TestNegotiate(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"":                       "",
		"identity":               "",
		"gzip":                   "gzip",
		"GZIP":                   "gzip",
		"zstd":                   "zstd",
		"gzip, zstd":             "zstd",
		"zstd;q=0.9, gzip":       "gzip",
		"zstd ; q=1, gzip;q=0.9": "zstd",
		"zstd;q=0, gzip;q=0":     "",
		"zstd;q=bad, gzip":       "gzip",
		"*":                      "",
	}
	for header, want := range tests {
		if got := httpcompress.Negotiate(header); got != want {
			t.Errorf("Negotiate(%q) = %q, want %q", header, got, want)
		}
	}
}

func BenchmarkCompression(b *testing.B) {
	// The answer to { countries { code name region { code } } }, about 16 KB.
	var countries []map[string]any
	for _, c := range directory.Countries() {
		countries = append(countries, map[string]any{"code": c.Code, "name": c.Name(""), "region": map[string]string{"code": c.Region}})
	}
	body, err := json.Marshal(map[string]any{"data": map[string]any{"countries": countries}})
	if err != nil {
		b.Fatal(err)
	}
	h, err := httpcompress.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	if err != nil {
		b.Fatal(err)
	}
	for _, enc := range []string{"identity", "gzip", "zstd"} {
		b.Run(enc, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.Header.Set("Accept-Encoding", enc)
			var out bytes.Buffer
			b.ReportAllocs()
			for b.Loop() {
				rec := httptest.NewRecorder()
				rec.Body = &out
				out.Reset()
				h.ServeHTTP(rec, req)
			}
			b.ReportMetric(float64(out.Len()), "bytes")
		})
	}
}

func TestUpgradesPassThrough(t *testing.T) {
	t.Parallel()
	var got http.ResponseWriter
	h, err := httpcompress.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = w }))
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodGet, "/graphql", nil)
	r.Header.Set("Upgrade", "websocket")
	r.Header.Set("Accept-Encoding", "gzip, zstd")
	h.ServeHTTP(w, r)
	if got != w {
		t.Errorf("an upgrade reached the handler through %T, want the connection's own writer, which it hijacks", got)
	}
}
