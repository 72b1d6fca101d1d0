package graph

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"sync"
	"testing"
)

// The response cache's own rules; its use by the transport is tested through HTTP in package main.

func cacheKey(snap snapshotID, request string) responseKey {
	return responseKey{snapshot: snap, mediaType: MediaTypeJSON, request: sha256.Sum256([]byte(request))}
}

func bodyOf(n int) *cachedResponse { return &cachedResponse{body: bytes.Repeat([]byte("x"), n)} }

func TestResponseCacheBounds(t *testing.T) {
	rev1, rev2 := snapshotID{revision: 1, loadedAt: 10}, snapshotID{revision: 2, loadedAt: 20}
	entry := bodyOf(1000).size()

	t.Run("it keeps entries up to its bound in bytes, evicting the least recently used", func(t *testing.T) {
		c := newResponseCache(3 * entry)
		for i := range 3 {
			c.add(cacheKey(rev1, fmt.Sprint(i)), bodyOf(1000), rev1)
		}
		c.get(cacheKey(rev1, "0")) // now the most recently used
		c.add(cacheKey(rev1, "3"), bodyOf(1000), rev1)
		for i, want := range []bool{true, false, true, true} {
			if _, ok := c.get(cacheKey(rev1, fmt.Sprint(i))); ok != want {
				t.Errorf("entry %d kept: %v, want %v", i, ok, want)
			}
		}
		if c.bytes > c.maxBytes || c.bytes != 3*entry {
			t.Errorf("%d bytes held, bound %d", c.bytes, c.maxBytes)
		}
		c.add(cacheKey(rev1, "big"), bodyOf(2500), rev1)
		if c.bytes > c.maxBytes || c.entries.Len() != 1 {
			t.Errorf("%d bytes in %d entries held, bound %d", c.bytes, c.entries.Len(), c.maxBytes)
		}
	})

	t.Run("an entry larger than the bound is not kept", func(t *testing.T) {
		c := newResponseCache(entry)
		c.add(cacheKey(rev1, "a"), bodyOf(1001), rev1)
		if _, ok := c.get(cacheKey(rev1, "a")); ok || c.bytes != 0 {
			t.Errorf("kept: %v, %d bytes held", ok, c.bytes)
		}
	})

	t.Run("a new snapshot empties it", func(t *testing.T) {
		c := newResponseCache(10 * entry)
		c.add(cacheKey(rev1, "a"), bodyOf(1000), rev1)
		c.add(cacheKey(rev2, "b"), bodyOf(1000), rev2)
		if _, ok := c.get(cacheKey(rev1, "a")); ok {
			t.Error("an entry of the old snapshot is still held")
		}
		if _, ok := c.get(cacheKey(rev2, "b")); !ok || c.bytes != entry {
			t.Errorf("new entry kept: %v, %d bytes held", ok, c.bytes)
		}
	})

	t.Run("an answer of a snapshot replaced while it ran is not kept", func(t *testing.T) {
		c := newResponseCache(10 * entry)
		c.add(cacheKey(rev2, "b"), bodyOf(1000), rev2)
		c.add(cacheKey(rev1, "a"), bodyOf(1000), rev2)
		if _, ok := c.get(cacheKey(rev1, "a")); ok {
			t.Error("the old snapshot's answer was kept")
		}
		if _, ok := c.get(cacheKey(rev2, "b")); !ok {
			t.Error("the current snapshot's answers were dropped")
		}
	})

	t.Run("a snapshot of the same revision loaded again is another snapshot", func(t *testing.T) {
		c := newResponseCache(10 * entry)
		reloaded := snapshotID{revision: 1, loadedAt: 30}
		c.add(cacheKey(rev1, "a"), bodyOf(1000), rev1)
		if _, ok := c.get(cacheKey(reloaded, "a")); ok {
			t.Error("the reloaded snapshot was answered from the old one")
		}
	})
}

func TestResponseCacheConcurrency(t *testing.T) {
	// Run with -race: requests look answers up and add them from many goroutines, across a snapshot change.
	rev1, rev2 := snapshotID{revision: 1}, snapshotID{revision: 2}
	c := newResponseCache(20 * bodyOf(100).size())
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 500 {
				snap := rev1
				if i >= 250 {
					snap = rev2
				}
				k := cacheKey(snap, fmt.Sprint(i%40))
				if _, ok := c.get(k); !ok {
					c.add(k, bodyOf(100+g), snap)
				}
			}
		})
	}
	wg.Wait()
	if c.bytes > c.maxBytes || c.bytes < 0 {
		t.Errorf("%d bytes held, bound %d", c.bytes, c.maxBytes)
	}
}

func TestEveryQueryFieldIsClassified(t *testing.T) {
	for _, f := range NewExecutableSchema(Config{}).Schema().Query.Fields {
		if _, known := snapshotQuery(f.Name); !known {
			t.Errorf("Query.%s is not in snapshotQuery: say whether the snapshot alone answers it", f.Name)
		}
	}
}
