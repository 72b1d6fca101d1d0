// Package httpcache implements the HTTP caching the directory's read endpoints share: entity tags derived from
// the snapshot revision and the request, and conditional requests (If-None-Match) answered with 304 Not Modified.
package httpcache

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
)

// DefaultCacheControl is the Cache-Control of cacheable responses unless configured otherwise: shared caches
// (a CDN) may serve a response for a minute, and a stale one for five more while they revalidate it.
const DefaultCacheControl = "public, max-age=60, stale-while-revalidate=300"

// NoStore is the Cache-Control of responses no cache may keep.
const NoStore = "no-store"

// ETag returns a weak entity tag for the representation of a request at a revision of the directory. parts name
// everything else the representation depends on (the query, its variables, the media type). Weak, because the
// same data may be sent with different content codings.
func ETag(revision int64, parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		// Length-prefixed, so that ("ab", "c") and ("a", "bc") differ.
		h.Write([]byte(strconv.Itoa(len(p))))
		h.Write([]byte{':'})
		h.Write([]byte(p))
	}
	return `W/"` + strconv.FormatInt(revision, 10) + "-" + hex.EncodeToString(h.Sum(nil)[:12]) + `"`
}

// BuildID names the running build: its module version and, where the binary records them, the VCS revision
// and whether the tree was modified. Entity tags include it, so that a new release does not answer 304 for a
// representation it now renders differently.
func BuildID() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	id := info.Main.Path + "@" + info.Main.Version
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" || s.Key == "vcs.modified" {
			id += " " + s.Key + "=" + s.Value
		}
	}
	return id
}

// NotModified reports whether the request's If-None-Match names etag (or is "*"), by the weak comparison
// RFC 9110 prescribes for If-None-Match: the client's copy is current and a 304 answers it.
func NotModified(r *http.Request, etag string) bool {
	for _, field := range r.Header.Values("If-None-Match") {
		for tag := range strings.SplitSeq(field, ",") {
			tag = strings.TrimSpace(tag)
			if tag == "*" || opaque(tag) != "" && opaque(tag) == opaque(etag) {
				return true
			}
		}
	}
	return false
}

// opaque returns the quoted part of an entity tag, without its weakness indicator.
func opaque(tag string) string {
	tag = strings.TrimPrefix(tag, "W/")
	if len(tag) < 2 || tag[0] != '"' || tag[len(tag)-1] != '"' {
		return ""
	}
	return tag
}

// WriteNotModified answers a conditional request whose copy is current: 304 with the validator and caching
// headers already set on w, and no body.
func WriteNotModified(w http.ResponseWriter) {
	h := w.Header()
	for _, k := range []string{"Content-Type", "Content-Length", "Content-Disposition"} {
		h.Del(k)
	}
	w.WriteHeader(http.StatusNotModified)
}
