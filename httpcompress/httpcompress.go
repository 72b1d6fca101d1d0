// Package httpcompress compresses HTTP responses with zstd or gzip, as the client accepts, using
// github.com/klauspost/compress's gzhttp, and keeps entity tags right for each encoding.
package httpcompress

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/klauspost/compress/gzhttp"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// MinSize is the smallest response compressed. Below about one packet, compression saves no round trip and
// costs CPU on both sides.
const MinSize = gzhttp.DefaultMinSize

// The encodings, in the order preferred when a client accepts both equally: zstd compresses JSON about as
// well as gzip at a fraction of the CPU.
const (
	Zstd = "zstd"
	Gzip = "gzip"
)

// Handler returns next with its responses compressed, when the client accepts zstd or gzip and a response is
// at least MinSize bytes of a type that is not compressed already.
//
// Entity tags name a representation, and a compressed response is another one: every ETag next sets is given
// the suffix "-zstd" or "-gzip" (inside the quotes) when the client accepts that encoding, whether or not
// the response turned out large enough to compress, so that a tag always stands for the same bytes. An
// If-None-Match the client sends is translated back before next sees it, so that conditional requests still
// get 304 Not Modified, and only for a tag of the encoding this request would get. Responses vary on
// Accept-Encoding.
func Handler(next http.Handler) (http.Handler, error) {
	gz, err := gzhttp.NewWrapper(gzhttp.EnableZstd(false), gzhttp.MinSize(MinSize),
		// The fastest level: these are dynamic answers, and most of what gzip saves it saves at level 1.
		gzhttp.CompressionLevel(gzip.BestSpeed))
	if err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	zs, err := gzhttp.NewWrapper(gzhttp.EnableGzip(false), gzhttp.MinSize(MinSize),
		gzhttp.ZstdCompressionLevel(int(zstd.SpeedFastest)))
	if err != nil {
		return nil, fmt.Errorf("zstd: %w", err)
	}
	return &handler{next: next, gzip: gz(next), zstd: zs(next)}, nil
}

type handler struct {
	next, gzip, zstd http.Handler
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Upgrade") != "" {
		// A WebSocket takes the connection over: there is no response body to compress, and the compressing
		// writer would stand between the handler and the connection it hijacks.
		h.next.ServeHTTP(w, r)
		return
	}
	enc := Negotiate(r.Header.Get("Accept-Encoding"))
	if inm := r.Header.Values("If-None-Match"); len(inm) > 0 {
		r.Header.Set("If-None-Match", untag(strings.Join(inm, ","), enc))
	}
	switch enc {
	case Zstd:
		h.zstd.ServeHTTP(&taggingWriter{ResponseWriter: w, suffix: "-" + Zstd}, r)
	case Gzip:
		h.gzip.ServeHTTP(&taggingWriter{ResponseWriter: w, suffix: "-" + Gzip}, r)
	default:
		w.Header().Add("Vary", "Accept-Encoding")
		h.next.ServeHTTP(w, r)
	}
}

// Negotiate returns the encoding of a response to a request with the Accept-Encoding header value: Zstd, Gzip,
// or "" for none. A coding the header gives a higher quality wins; zstd wins a tie. It reads the header as
// gzhttp does, so that the two agree.
func Negotiate(acceptEncoding string) string {
	zq, gq := quality(acceptEncoding, Zstd), quality(acceptEncoding, Gzip)
	switch {
	case zq > 0 && zq >= gq:
		return Zstd
	case gq > 0:
		return Gzip
	}
	return ""
}

// quality returns the quality the header gives the coding, 0 when it does not name it.
func quality(header, coding string) float64 {
	for part := range strings.SplitSeq(header, ",") {
		name, params, _ := strings.Cut(part, ";")
		if !strings.EqualFold(strings.TrimSpace(name), coding) {
			continue
		}
		q := 1.0
		for p := range strings.SplitSeq(params, ";") {
			k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
				var err error
				if q, err = strconv.ParseFloat(strings.TrimSpace(v), 64); err != nil || q < 0 || q > 1 {
					q = 0
				}
			}
		}
		return q
	}
	return 0
}

// suffixes are the tag suffixes of the encodings.
var suffixes = []string{"-" + Zstd, "-" + Gzip}

// untag translates the entity tags of an If-None-Match header for next: a tag with the suffix of enc loses
// it, a tag with the suffix of another encoding, or none when enc is one, is dropped, as it names a
// representation this request does not get. "*" stays.
func untag(header, enc string) string {
	var kept []string
	for tag := range strings.SplitSeq(header, ",") {
		tag = strings.TrimSpace(tag)
		if tag == "*" {
			kept = append(kept, tag)
			continue
		}
		if !strings.HasSuffix(tag, `"`) {
			continue
		}
		opaque := tag[:len(tag)-1]
		found := ""
		for _, s := range suffixes {
			if strings.HasSuffix(opaque, s) {
				found = s
				break
			}
		}
		switch {
		case enc == "" && found == "":
			kept = append(kept, tag)
		case enc != "" && found == "-"+enc:
			kept = append(kept, strings.TrimSuffix(opaque, found)+`"`)
		}
	}
	if len(kept) == 0 {
		// Matches nothing: the client has no representation this request would get.
		return `"-"`
	}
	return strings.Join(kept, ", ")
}

// taggingWriter adds the encoding's suffix to the ETag next sets, just before the header is written.
type taggingWriter struct {
	http.ResponseWriter
	suffix string
	done   bool
}

func (w *taggingWriter) tag() {
	if w.done {
		return
	}
	w.done = true
	h := w.ResponseWriter.Header()
	if etag := h.Get("ETag"); strings.HasSuffix(etag, `"`) {
		h.Set("ETag", etag[:len(etag)-1]+w.suffix+`"`)
	}
}

func (w *taggingWriter) WriteHeader(status int) {
	w.tag()
	w.ResponseWriter.WriteHeader(status)
}

func (w *taggingWriter) Write(b []byte) (int, error) {
	w.tag()
	return w.ResponseWriter.Write(b)
}

// Flush lets a handler that streams flush through the compressor.
func (w *taggingWriter) Flush() {
	w.tag()
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *taggingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
