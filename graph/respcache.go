package graph

import (
	"crypto/sha256"
	"math"
	"strconv"
	"sync"

	"github.com/hashicorp/golang-lru/v2/simplelru"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/iclei/directory/directory"
)

// maxCachedResponseBytes is the largest response body the response cache keeps. Larger answers are rare (an
// export-sized query), would crowd out many small ones, and cost little to execute next to their transfer.
const maxCachedResponseBytes = 256 << 10

// entryOverhead estimates what an entry costs besides its body: its key, the list element and map slot that
// hold it, and the struct itself. It keeps a cache of many tiny answers within its bound too.
const entryOverhead = 256

// responseCache keeps the serialized responses to anonymous queries, so that a query asked again at the same
// snapshot is answered without running it. A snapshot is immutable, so such a response is fixed once the
// snapshot, the request and the media type are: those make the key, and nothing else can be served for it.
//
// The cache holds the responses of one snapshot. Entries of an older one could not be reached anyway (their
// key names it), so when the read model moves on they are dropped at once rather than left to age out: they
// would otherwise hold memory, up to the whole bound, until enough new answers pushed them out.
type responseCache struct {
	mu       sync.Mutex
	maxBytes int
	bytes    int
	snapshot snapshotID
	entries  *simplelru.LRU[responseKey, *cachedResponse]
}

// snapshotID names a snapshot: its revision, and the time it was loaded, so that even a store whose revision
// counter went back (a restored backup) cannot make an older snapshot's entries reachable.
type snapshotID struct{ revision, loadedAt int64 }

func snapshotIDOf(s *directory.Snapshot) snapshotID {
	return snapshotID{s.PublicRevision, s.LoadedAt.UnixNano()}
}

// responseKey names a response. request is a SHA-256 of the request as sent: the parameters of a GET, the body
// of a POST. The full digest, not the entity tag's shortened one, so that no one can make two requests share
// an entry. The fingerprint the entity tag also names is left out: it is fixed for the cache's handler.
type responseKey struct {
	snapshot  snapshotID
	mediaType string
	post      bool
	request   [sha256.Size]byte
}

// cachedResponse is what answering a request again takes besides the media type: the body, the entity tag of
// a GET and, for the observer, the operation's name.
type cachedResponse struct {
	body      []byte
	etag      string
	operation string
}

func (r *cachedResponse) size() int {
	return len(r.body) + len(r.etag) + len(r.operation) + entryOverhead
}

func newResponseCache(maxBytes int) *responseCache {
	c := &responseCache{maxBytes: maxBytes}
	// Bounded by bytes, below; the count is never the limit.
	c.entries, _ = simplelru.NewLRU(math.MaxInt, func(_ responseKey, r *cachedResponse) { c.bytes -= r.size() })
	return c
}

func (c *responseCache) get(k responseKey) (*cachedResponse, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.entries.Get(k)
}

// add keeps r under k, when k names current, the read model's snapshot now. A response of a snapshot that has
// been replaced while it ran is not kept: no request will ask for it again.
func (c *responseCache) add(k responseKey, r *cachedResponse, current snapshotID) {
	size := r.size()
	if k.snapshot != current || size > c.maxBytes {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.snapshot != current {
		c.entries.Purge()
		c.snapshot = current
	}
	if c.entries.Contains(k) {
		return // a concurrent miss stored the same bytes
	}
	c.entries.Add(k, r)
	c.bytes += size
	for c.bytes > c.maxBytes {
		c.entries.RemoveOldest()
	}
}

// getRequestDigest names a GET request by its parameters as sent, length-prefixed so that ("ab", "c") and
// ("a", "bc") differ.
func getRequestDigest(query, operationName, variables, extensions string) [sha256.Size]byte {
	h := sha256.New()
	var n [20]byte
	for _, p := range [...]string{query, operationName, variables, extensions} {
		h.Write(strconv.AppendInt(n[:0], int64(len(p)), 10))
		h.Write([]byte{':'})
		h.Write([]byte(p))
	}
	var d [sha256.Size]byte
	h.Sum(d[:0])
	return d
}

// snapshotQuery tells whether the snapshot alone answers a field of Query, and whether the field is known.
// Those that read the store (applications, the audit trail) or the caller's identity are answered afresh every
// time: their answers change without the revision moving, so neither the response cache nor an HTTP cache may
// keep them. The change feed reads entries of the log too, but only up to the snapshot's revision, and entries
// never change: its answer is fixed by the snapshot like the others'. The federation's _entities reads the
// snapshot, and _service the schema, which every entity tag names. An unknown field is treated as one that may not be kept; a test makes sure every field is known.
func snapshotQuery(name string) (snapshotOnly, known bool) {
	switch name {
	case "__typename", "__schema", "__type",
		"node", "nodes", "directory", "regions", "region", "secretariats", "secretariat", "offices", "office",
		"cities", "city", "programs", "program", "organizations", "organization", "people", "person",
		"countries", "country", "search", "nearestOffices", "serviceFor", "changes", "_entities", "_service":
		return true, true
	case "viewer", "membershipApplicationStatus", "membershipApplications", "membershipApplication", "auditTrail", "webhooks":
		return false, true
	}
	return false, false
}

// readsSnapshotOnly reports whether every root field the query selects, through fragments too, is answered
// by the snapshot alone. Only root fields are checked: below them, every type reached from a snapshot field is
// resolved from the snapshot. Each fragment is looked at once: what it selects does not change where it is
// spread.
func readsSnapshotOnly(set ast.SelectionSet, seen map[string]bool) bool {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if ok, _ := snapshotQuery(s.Name); !ok {
				return false
			}
		case *ast.InlineFragment:
			if !readsSnapshotOnly(s.SelectionSet, seen) {
				return false
			}
		case *ast.FragmentSpread:
			// Validation has bound every spread to its fragment by now.
			if seen[s.Name] {
				continue
			}
			seen[s.Name] = true
			if s.Definition == nil || !readsSnapshotOnly(s.Definition.SelectionSet, seen) {
				return false
			}
		}
	}
	return true
}
