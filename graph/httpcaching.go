package graph

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"

	"github.com/99designs/gqlgen/graphql"

	"github.com/iclei/directory/directory"
	"github.com/iclei/directory/httpcache"
)

// This file is the transport's caching: entity tags and Cache-Control for HTTP caches, and the glue to the
// response cache (respcache.go) that answers repeated anonymous queries without running them.

// responseKeyOf names the request's answer at snap in the response cache.
func responseKeyOf(snap *directory.Snapshot, x *exchange, req *request) responseKey {
	k := responseKey{snapshot: snapshotIDOf(snap), mediaType: x.mediaType, post: !x.get}
	if x.get {
		k.request = getRequestDigest(req.query, req.params.OperationName, req.variables, req.extensions)
	} else {
		k.request = sha256.Sum256(req.body)
	}
	return k
}

// replay answers a request from the response cache, with the headers running it would have given: the same
// status, media type and, for a GET, entity tag and Cache-Control, and 304 to a conditional GET.
func (t *httpTransport) replay(x *exchange, cached *cachedResponse) string {
	x.operation = cached.operation
	if x.get {
		t.setCacheable(x, cached.etag)
		if httpcache.NotModified(x.r, cached.etag) {
			httpcache.WriteNotModified(x.w)
			return "not_modified"
		}
	}
	x.write(http.StatusOK, cached.body)
	return "cached"
}

// setCacheable lets caches keep the response to a GET request. A request with credentials is answered for its
// caller alone.
func (t *httpTransport) setCacheable(x *exchange, etag string) {
	h := x.w.Header()
	h.Set("ETag", etag)
	if x.r.Header.Get("Authorization") != "" {
		h.Set("Cache-Control", "private, no-store")
	} else {
		h.Set("Cache-Control", t.cacheControl)
	}
}

// cacheable reports whether a response may be kept until the directory changes: it has data, and none of its
// errors is a passing one.
func cacheable(resp *graphql.Response) bool {
	if len(resp.Data) == 0 {
		return false
	}
	for _, e := range resp.Errors {
		switch errorCode(e) {
		case string(directory.CodeInternal), string(directory.CodeUnavailable):
			return false
		}
	}
	return true
}

// credentials returns a digest of the request's Authorization header, so that callers with different
// credentials never share an entity tag.
func credentials(r *http.Request) string {
	a := r.Header.Get("Authorization")
	if a == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(a))
	return hex.EncodeToString(sum[:])
}
