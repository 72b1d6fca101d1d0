package directory

import (
	"math/bits"
	"slices"
	"sort"
	"strings"
	"sync"
)

// table holds the records of one type with the indexes that make a filtered, ordered page cost about the same at
// any size: for every ordering, the records in that order and, per filter dimension and value, the matching
// records in that order (posting lists). A page is a binary search for the cursor and a walk of one posting list.
type table[T any] struct {
	name   string // names the list in cursors, such as "City"
	items  []T    // sorted by key
	byKey  map[string]int32
	spec   *tableSpec[T]
	orders map[string]*ordering
	// dimValues[dim][i] are the values items[i] has in dimension dim.
	dimValues map[string][][]string
	// sets[dim][value] has bit i set when items[i] has value in dim. A query of several terms counts its
	// records with an AND of these sets rather than by checking every record of a posting list, which would
	// make totalCount grow with the table. Only values held by at least one item in setDensity get a set, so
	// that none is larger than a posting list; a query with a rarer value counts along that value's posting
	// list, which is short.
	sets map[string]map[string][]uint64
}

const setDensity = 32

type ordering struct {
	keys     []sortKey // keys[i] places items[i]
	all      []int32   // every item, ascending
	postings map[string]map[string][]int32
}

// tableSpec describes how a table indexes its records.
type tableSpec[T any] struct {
	key func(*T) string
	// orders give, per order field, the sort key of a record without its key (the table fills it in).
	orders map[string]func(*T) sortKey
	// dims give, per filter dimension, the values a record has in it (a city has one country but may take part
	// in several programs).
	dims map[string]func(*T) []string
}

func newTable[T any](name string, items []T, spec *tableSpec[T]) *table[T] {
	sortByKey(items, spec.key)
	t := &table[T]{name: name, items: items, byKey: make(map[string]int32, len(items)), spec: spec, orders: map[string]*ordering{}}
	for i := range items {
		t.byKey[spec.key(&items[i])] = int32(i)
	}
	dimValues := make(map[string][][]string, len(spec.dims))
	t.dimValues = dimValues
	// Per dimension, each value's posting list has the same length in every ordering: count once, so that each
	// list is allocated at its size.
	counts := make(map[string]map[string]int, len(spec.dims))
	for dim, values := range spec.dims {
		vs := make([][]string, len(items))
		n := map[string]int{}
		for i := range items {
			vs[i] = values(&items[i])
			for _, v := range vs[i] {
				n[v]++
			}
		}
		dimValues[dim], counts[dim] = vs, n
	}
	t.sets = make(map[string]map[string][]uint64, len(dimValues))
	for dim, vs := range dimValues {
		sets := map[string][]uint64{}
		for v, n := range counts[dim] {
			if n*setDensity >= len(items) {
				sets[v] = make([]uint64, (len(items)+63)/64)
			}
		}
		for i, values := range vs {
			for _, v := range values {
				if set := sets[v]; set != nil {
					set[i/64] |= 1 << (i % 64)
				}
			}
		}
		t.sets[dim] = sets
	}
	for field, keyOf := range spec.orders {
		o := &ordering{keys: make([]sortKey, len(items)), all: make([]int32, len(items)), postings: map[string]map[string][]int32{}}
		for i := range items {
			o.keys[i] = keyOf(&items[i])
			o.keys[i].key = spec.key(&items[i])
			o.all[i] = int32(i)
		}
		slices.SortFunc(o.all, func(a, b int32) int { return o.keys[a].compare(&o.keys[b]) })
		for dim, vs := range dimValues {
			p := make(map[string][]int32, len(counts[dim]))
			for v, n := range counts[dim] {
				p[v] = make([]int32, 0, n)
			}
			for _, i := range o.all {
				for _, v := range vs[i] {
					p[v] = append(p[v], i)
				}
			}
			o.postings[dim] = p
		}
		t.orders[field] = o
	}
	return t
}

// sortByKey sorts items by key in place. It sorts positions and then moves each record once, as records are
// large and a comparison of two records by value would copy both.
func sortByKey[T any](items []T, key func(*T) string) {
	keys := make([]string, len(items))
	perm := make([]int32, len(items))
	for i := range items {
		keys[i], perm[i] = key(&items[i]), int32(i)
	}
	slices.SortFunc(perm, func(a, b int32) int { return strings.Compare(keys[a], keys[b]) })
	// items[j] is to receive items[perm[j]]: follow each cycle of the permutation, marking its positions done.
	for start := range perm {
		if perm[start] < 0 {
			continue
		}
		first := items[start]
		j := start
		for {
			k := int(perm[j])
			perm[j] = -1
			if k == start {
				items[j] = first
				break
			}
			items[j] = items[k]
			j = k
		}
	}
}

func (t *table[T]) get(key string) *T {
	i, ok := t.byKey[key]
	if !ok {
		return nil
	}
	return &t.items[i]
}

func (t *table[T]) len() int { return len(t.items) }

// term is a filter: the record has value in dimension dim.
type term struct{ dim, value string }

// tableQuery selects records: every term must hold, and match, where set.
type tableQuery[T any] struct {
	terms []term
	match func(*T) bool
}

// find returns a page of the records the query selects, in the order.
func (t *table[T]) find(q tableQuery[T], order Order, args PageArgs) (*Page[*T], error) {
	o := t.orders[order.Field]
	if o == nil {
		return nil, Invalid("orderBy.field", "%s cannot be ordered by %s", t.name, order.Field)
	}
	cursorOrder := t.name + "." + order.Field
	w, err := args.window(cursorOrder)
	if err != nil {
		return nil, err
	}
	// The smallest posting list drives the walk; the other terms are checked on the records it yields.
	list := o.all
	var checks []term
	if len(q.terms) > 0 {
		best := 0
		for n, tm := range q.terms {
			if len(o.postings[tm.dim][tm.value]) < len(o.postings[q.terms[best].dim][q.terms[best].value]) {
				best = n
			}
		}
		list = o.postings[q.terms[best].dim][q.terms[best].value]
		for n, tm := range q.terms {
			if n != best {
				checks = append(checks, tm)
			}
		}
	}
	ok := t.matcher(checks, q.match)

	page := paginate(list, func(i int32) *sortKey { return &o.keys[i] }, func(i int32) *T { return &t.items[i] },
		ok, w, order.Direction != Desc, cursorOrder)
	if len(checks) > 0 && q.match == nil {
		if sets := t.termSets(q.terms); sets != nil {
			page.total = sync.OnceValue(func() int { return countAll(sets) })
		}
	}
	return page, nil
}

// termSets returns the sets of the terms' values, or nil unless every value has one.
func (t *table[T]) termSets(terms []term) [][]uint64 {
	sets := make([][]uint64, len(terms))
	for n, tm := range terms {
		if sets[n] = t.sets[tm.dim][tm.value]; sets[n] == nil {
			return nil
		}
	}
	return sets
}

// countAll returns how many items are in every one of the sets.
func countAll(sets [][]uint64) int {
	n := 0
	for w, x := range sets[0] {
		for _, s := range sets[1:] {
			x &= s[w]
		}
		n += bits.OnesCount64(x)
	}
	return n
}

// paginate takes the page that w selects from list, whose entries ascend by the keys, walking it in ascending
// order when asc is set and descending otherwise. ok, where set, tells which entries the query selects.
func paginate[T any](list []int32, keyOf func(int32) *sortKey, node func(int32) T, ok func(int32) bool, w pageWindow, asc bool, cursorOrder string) *Page[T] {
	// The window [lo, hi) of list, in ascending positions, that the cursors leave.
	lo, hi := 0, len(list)
	bound := func(c *sortKey, strictlyAfter bool) int {
		return sort.Search(len(list), func(j int) bool {
			cmp := keyOf(list[j]).compare(c)
			if strictlyAfter {
				return cmp > 0
			}
			return cmp >= 0
		})
	}
	if w.after != nil {
		if asc {
			lo = max(lo, bound(w.after, true))
		} else {
			hi = min(hi, bound(w.after, false))
		}
	}
	if w.before != nil {
		if asc {
			hi = min(hi, bound(w.before, false))
		} else {
			lo = max(lo, bound(w.before, true))
		}
	}

	// Walk from one end of the window: ascending positions for first in ASC order or last in DESC order.
	forward := asc != w.fromEnd
	picked := make([]int32, 0, min(w.size, max(hi-lo, 0)))
	more := false
	take := func(j int) bool {
		if ok == nil || ok(list[j]) {
			if len(picked) == w.size {
				more = true
				return false
			}
			picked = append(picked, list[j])
		}
		return true
	}
	if forward {
		for j := lo; j < hi && take(j); j++ {
		}
	} else {
		for j := hi - 1; j >= lo && take(j); j-- {
		}
	}
	if w.fromEnd {
		slices.Reverse(picked)
	}
	// Records beyond the cursors: is there one the query selects?
	anyIn := func(from, to int) bool {
		for j := from; j < to; j++ {
			if ok == nil || ok(list[j]) {
				return true
			}
		}
		return false
	}
	below, above := lo > 0 && anyIn(0, lo), hi < len(list) && anyIn(hi, len(list))
	beyondStart, beyondEnd := below, above // in the connection's own order
	if !asc {
		beyondStart, beyondEnd = above, below
	}

	page := &Page[T]{Edges: make([]Edge[T], len(picked))}
	for n, i := range picked {
		page.Edges[n] = Edge[T]{Cursor: encodeCursor(cursorOrder, keyOf(i)), Node: node(i)}
	}
	if w.fromEnd {
		page.PageInfo.HasPreviousPage, page.PageInfo.HasNextPage = more, beyondEnd
	} else {
		page.PageInfo.HasNextPage, page.PageInfo.HasPreviousPage = more, beyondStart
	}
	if len(page.Edges) > 0 {
		page.PageInfo.StartCursor = &page.Edges[0].Cursor
		page.PageInfo.EndCursor = &page.Edges[len(page.Edges)-1].Cursor
	}
	page.total = sync.OnceValue(func() int {
		if ok == nil {
			return len(list)
		}
		n := 0
		for _, i := range list {
			if ok(i) {
				n++
			}
		}
		return n
	})
	return page
}

// matcher returns a predicate over item positions for the checks and match, or nil when every item passes.
func (t *table[T]) matcher(checks []term, match func(*T) bool) func(int32) bool {
	if len(checks) == 0 && match == nil {
		return nil
	}
	values := make([][][]string, len(checks))
	for n, c := range checks {
		values[n] = t.dimValues[c.dim]
	}
	return func(i int32) bool {
		for n, c := range checks {
			if !slices.Contains(values[n][i], c.value) {
				return false
			}
		}
		return match == nil || match(&t.items[i])
	}
}
