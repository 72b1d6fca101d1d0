package index

import (
	"slices"
	"sync"

	"github.com/tidwall/btree"
)

// Term is a filter: the record has Value in dimension Dim.
type Term struct{ Dim, Value string }

// Query selects records: every term must hold and Match, where set, must accept the record. Keys, when not nil,
// limits the query to the records with those keys (a relation another record holds, such as a program's
// participants); a query walks them instead of a posting list, so it costs about len(Keys) whatever the table's
// size.
type Query[T any] struct {
	Terms []Term
	Keys  []string
	Match func(*T) bool
}

// Window is a validated page request: how many records, from which end, between which positions. After and
// Before are positions in the connection's own order.
type Window struct {
	Size    int
	FromEnd bool // the page is taken from the end of the window (last/before)
	After   *SortKey
	Before  *SortKey
}

// Page is one page of records with their sort keys and where it stands in the whole list.
type Page[T any] struct {
	Items   []T
	Keys    []SortKey
	HasNext bool
	HasPrev bool
	// Total counts the records the query selects; it is counted only when called.
	Total func() int
}

// Find returns a page of the records the query selects, in the order (descending when desc is set). It reports
// false when the table has no such order.
func (t *Table[T]) Find(q Query[T], order string, desc bool, w Window) (*Page[*T], bool) {
	o, ok := slices.BinarySearch(t.orders, order)
	if !ok {
		return nil, false
	}
	terms := make([]posting[T], len(q.Terms))
	for n, tm := range q.Terms {
		terms[n] = posting[T]{dim: t.dimIndex(tm.Dim), value: tm.Value}
	}
	if q.Keys != nil {
		return t.findAmong(o, terms, q, desc, w), true
	}
	// The shortest posting list drives the walk; the other terms are checked on the records it yields.
	list := t.ords[o].all
	var checks []posting[T]
	if len(terms) > 0 {
		lists := make([]*btree.BTreeG[*row[T]], len(terms))
		best := 0
		for n, tm := range terms {
			lists[n] = t.list(o, tm.dim, tm.value)
			if lists[n] == nil {
				return &Page[*T]{Total: func() int { return 0 }}, true
			}
			if lists[n].Len() < lists[best].Len() {
				best = n
			}
		}
		list = lists[best]
		checks = slices.Delete(slices.Clone(terms), best, best+1)
	}
	ok2 := matcher(checks, q.Match)
	seq := treeSeq[T]{tree: list, o: o, width: len(t.orders)}
	page := paginate[*row[T]](seq, ok2, w, !desc)
	out := &Page[*T]{Items: make([]*T, len(page.Items)), Keys: page.Keys, HasNext: page.HasNext, HasPrev: page.HasPrev}
	for i, r := range page.Items {
		out.Items[i] = r.rec
	}
	if ok2 == nil {
		n := list.Len()
		out.Total = func() int { return n }
	} else {
		out.Total = sync.OnceValue(func() int {
			n := 0
			list.Scan(func(r *row[T]) bool {
				if ok2(r) {
					n++
				}
				return true
			})
			return n
		})
	}
	return out, true
}

// findAmong pages the records with the query's keys.
func (t *Table[T]) findAmong(o int, terms []posting[T], q Query[T], desc bool, w Window) *Page[*T] {
	ok := matcher(terms, q.Match)
	var rows []*row[T]
	seen := make(map[string]bool, len(q.Keys))
	for _, k := range q.Keys {
		if seen[k] {
			continue
		}
		seen[k] = true
		if r, found := t.byKey.Get(&row[T]{key: k}); found && (ok == nil || ok(r)) {
			rows = append(rows, r)
		}
	}
	slices.SortFunc(rows, func(a, b *row[T]) int { return a.sort[o].Compare(&b.sort[o]) })
	keys := make([]SortKey, len(rows))
	for i, r := range rows {
		keys[i] = r.sort[o]
	}
	page := paginate[*row[T]](sliceSeq[*row[T]]{items: rows, keys: keys}, nil, w, !desc)
	out := &Page[*T]{Items: make([]*T, len(page.Items)), Keys: page.Keys, HasNext: page.HasNext, HasPrev: page.HasPrev}
	for i, r := range page.Items {
		out.Items[i] = r.rec
	}
	n := len(rows)
	out.Total = func() int { return n }
	return out
}

// matcher returns a predicate over rows for the terms and match, or nil when every row passes.
func matcher[T any](terms []posting[T], match func(*T) bool) func(*row[T]) bool {
	if len(terms) == 0 && match == nil {
		return nil
	}
	return func(r *row[T]) bool {
		for _, tm := range terms {
			if !slices.Contains(r.dims[tm.dim], tm.value) {
				return false
			}
		}
		return match == nil || match(r.rec)
	}
}

// PageSlice returns the page that w selects from items, whose keys ascend along keys and are unique.
func PageSlice[E any](items []E, keys []SortKey, w Window) *Page[E] {
	p := paginate[E](sliceSeq[E]{items: items, keys: keys}, nil, w, true)
	n := len(items)
	p.Total = func() int { return n }
	return p
}

// seq is a list in ascending key order that can be walked from a position in either direction.
type seq[E any] interface {
	// ascend calls f on the items from the position (all when from is nil) upwards until f returns false;
	// inclusive says whether an item at exactly from is included.
	ascend(from *SortKey, inclusive bool, f func(E, *SortKey) bool)
	// descend is ascend downwards.
	descend(from *SortKey, inclusive bool, f func(E, *SortKey) bool)
}

// paginate takes the page that w selects from s, walking it in ascending order when asc is set and descending
// otherwise. ok, where set, tells which items the query selects.
func paginate[E any](s seq[E], ok func(E) bool, w Window, asc bool) *Page[E] {
	// The window (lo, hi), both exclusive, in ascending key order.
	lo, hi := w.After, w.Before
	if !asc {
		lo, hi = w.Before, w.After
	}
	// Walk from one end of the window: upwards for first in ASC order or last in DESC order.
	up := asc != w.FromEnd
	var items []E
	var keys []SortKey
	more := false
	take := func(x E, k *SortKey) bool {
		if ok != nil && !ok(x) {
			return true
		}
		if len(items) == w.Size {
			more = true
			return false
		}
		items, keys = append(items, x), append(keys, *k)
		return true
	}
	if up {
		s.ascend(lo, false, func(x E, k *SortKey) bool {
			if hi != nil && k.Compare(hi) >= 0 {
				return false
			}
			return take(x, k)
		})
	} else {
		s.descend(hi, false, func(x E, k *SortKey) bool {
			if lo != nil && k.Compare(lo) <= 0 {
				return false
			}
			return take(x, k)
		})
	}
	if w.FromEnd { // collected from the end of the connection backwards
		slices.Reverse(items)
		slices.Reverse(keys)
	}
	// Records beyond the window's bounds: is there one the query selects?
	anyFrom := func(walk func(*SortKey, bool, func(E, *SortKey) bool), from *SortKey) bool {
		if from == nil {
			return false
		}
		found := false
		walk(from, true, func(x E, _ *SortKey) bool {
			found = ok == nil || ok(x)
			return !found
		})
		return found
	}
	below, above := anyFrom(s.descend, lo), anyFrom(s.ascend, hi)
	beyondStart, beyondEnd := below, above // in the connection's own order
	if !asc {
		beyondStart, beyondEnd = above, below
	}
	p := &Page[E]{Items: items, Keys: keys}
	if w.FromEnd {
		p.HasPrev, p.HasNext = more, beyondEnd
	} else {
		p.HasNext, p.HasPrev = more, beyondStart
	}
	return p
}

type treeSeq[T any] struct {
	tree  *btree.BTreeG[*row[T]]
	o     int
	width int
}

func (s treeSeq[T]) pivot(k *SortKey) *row[T] {
	r := &row[T]{sort: make([]SortKey, s.width)}
	r.sort[s.o] = *k
	return r
}

func (s treeSeq[T]) ascend(from *SortKey, inclusive bool, f func(*row[T], *SortKey) bool) {
	if from == nil {
		s.tree.Scan(func(r *row[T]) bool { return f(r, &r.sort[s.o]) })
		return
	}
	s.tree.Ascend(s.pivot(from), func(r *row[T]) bool {
		if !inclusive && r.sort[s.o].Compare(from) == 0 {
			return true
		}
		return f(r, &r.sort[s.o])
	})
}

func (s treeSeq[T]) descend(from *SortKey, inclusive bool, f func(*row[T], *SortKey) bool) {
	if from == nil {
		s.tree.Reverse(func(r *row[T]) bool { return f(r, &r.sort[s.o]) })
		return
	}
	s.tree.Descend(s.pivot(from), func(r *row[T]) bool {
		if !inclusive && r.sort[s.o].Compare(from) == 0 {
			return true
		}
		return f(r, &r.sort[s.o])
	})
}

type sliceSeq[E any] struct {
	items []E
	keys  []SortKey
}

// search returns the first position whose key is above from, or at or above it when inclusive.
func (s sliceSeq[E]) search(from *SortKey, inclusive bool) int {
	i, _ := slices.BinarySearchFunc(s.keys, from, func(k SortKey, from *SortKey) int {
		c := k.Compare(from)
		if c == 0 && !inclusive {
			return -1
		}
		return c
	})
	return i
}

func (s sliceSeq[E]) ascend(from *SortKey, inclusive bool, f func(E, *SortKey) bool) {
	i := 0
	if from != nil {
		i = s.search(from, inclusive)
	}
	for ; i < len(s.items); i++ {
		if !f(s.items[i], &s.keys[i]) {
			return
		}
	}
}

func (s sliceSeq[E]) descend(from *SortKey, inclusive bool, f func(E, *SortKey) bool) {
	i := len(s.items) - 1
	if from != nil {
		// The last position at or below from (below it when not inclusive).
		i = s.search(from, !inclusive) - 1
	}
	for ; i >= 0; i-- {
		if !f(s.items[i], &s.keys[i]) {
			return
		}
	}
}
