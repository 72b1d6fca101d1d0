// Package index keeps records of one type with the indexes that make a filtered, ordered page cost about the
// same at any size, as a persistent data structure: a table is never changed once built, and an edit makes a
// new table that shares all but the changed paths with the old one. Applying one record's change to a table of
// N records costs O(log N) per index it is in, so a read model can follow a change log by deltas while readers
// go on using the tables they hold.
//
// For every ordering a table keeps its records in that order and, per filter dimension and value, the records
// that have the value in that order (posting lists). A page is a seek to the cursor and a walk of the shortest
// posting list the query names.
package index

import (
	"slices"
	"strings"
	"sync"

	"github.com/tidwall/btree"
)

// SortKey places a record in an ordering: by Num, then Text, then the record's unique Key, so that every ordering
// is total and a cursor names a position even after its record is gone.
type SortKey struct {
	Num  float64
	Text string
	Key  string
}

// Compare orders two keys.
func (a *SortKey) Compare(b *SortKey) int {
	switch {
	case a.Num < b.Num:
		return -1
	case a.Num > b.Num:
		return 1
	}
	if c := strings.Compare(a.Text, b.Text); c != 0 {
		return c
	}
	return strings.Compare(a.Key, b.Key)
}

// Spec describes how a table indexes its records. Every function must depend on the record alone, so that a
// record's place in the indexes changes only when the record does.
type Spec[T any] struct {
	// Key is the record's unique key.
	Key func(*T) string
	// Orders give, per order name, the sort key of a record; the table sets its Key.
	Orders map[string]func(*T) SortKey
	// Dims give, per filter dimension, the values a record has in it (a city has one country but may be
	// served by several secretariats over time).
	Dims map[string]func(*T) []string
}

// Table is an immutable, indexed set of records. It is safe for concurrent use. The records it holds must not
// be changed: an edit replaces a record with a new one.
type Table[T any] struct {
	spec   *Spec[T]
	orders []string // order names, sorted
	dims   []string // dimension names, sorted
	byKey  *btree.BTreeG[*row[T]]
	ords   []*ordering[T]
}

// row is a record with what the indexes need of it, computed once when it enters the table.
type row[T any] struct {
	key  string
	rec  *T
	sort []SortKey  // per ordering
	dims [][]string // per dimension
}

type ordering[T any] struct {
	all *btree.BTreeG[*row[T]]
	// postings holds, per dimension and value, the records with that value in this order.
	postings *btree.BTreeG[*posting[T]]
}

type posting[T any] struct {
	dim   int
	value string
	rows  *btree.BTreeG[*row[T]]
}

var treeOptions = btree.Options{NoLocks: true}

func postingLess[T any](a, b *posting[T]) bool {
	if a.dim != b.dim {
		return a.dim < b.dim
	}
	return a.value < b.value
}

func (t *Table[T]) rowLess(o int) func(a, b *row[T]) bool {
	return func(a, b *row[T]) bool { return a.sort[o].Compare(&b.sort[o]) < 0 }
}

func newTable[T any](spec *Spec[T]) *Table[T] {
	t := &Table[T]{spec: spec}
	for name := range spec.Orders {
		t.orders = append(t.orders, name)
	}
	for name := range spec.Dims {
		t.dims = append(t.dims, name)
	}
	slices.Sort(t.orders)
	slices.Sort(t.dims)
	t.byKey = btree.NewBTreeGOptions(func(a, b *row[T]) bool { return a.key < b.key }, treeOptions)
	t.ords = make([]*ordering[T], len(t.orders))
	for o := range t.ords {
		t.ords[o] = &ordering[T]{
			all:      btree.NewBTreeGOptions(t.rowLess(o), treeOptions),
			postings: btree.NewBTreeGOptions(postingLess[T], treeOptions),
		}
	}
	return t
}

func (t *Table[T]) newRow(x *T) *row[T] {
	r := &row[T]{key: t.spec.Key(x), rec: x, sort: make([]SortKey, len(t.orders)), dims: make([][]string, len(t.dims))}
	for o, name := range t.orders {
		r.sort[o] = t.spec.Orders[name](x)
		r.sort[o].Key = r.key
	}
	for d, name := range t.dims {
		r.dims[d] = dedupe(t.spec.Dims[name](x))
	}
	return r
}

// dedupe drops repeated values, so that a record is in each posting list once.
func dedupe(vs []string) []string {
	for i := 1; i < len(vs); i++ {
		if slices.Contains(vs[:i], vs[i]) {
			out := slices.Clone(vs[:i])
			for _, v := range vs[i:] {
				if !slices.Contains(out, v) {
					out = append(out, v)
				}
			}
			return out
		}
	}
	return vs
}

// Build returns a table of the records. A later record replaces an earlier one with the same key. The
// orderings are built side by side, one goroutine each.
func Build[T any](spec *Spec[T], records []*T) *Table[T] {
	t := newTable(spec)
	rows := make([]*row[T], 0, len(records))
	for _, x := range records {
		rows = append(rows, t.newRow(x))
	}
	// Keep the last record of each key.
	seen := make(map[string]int, len(rows))
	kept := rows[:0]
	for _, r := range rows {
		if i, dup := seen[r.key]; dup {
			kept[i] = r
			continue
		}
		seen[r.key] = len(kept)
		kept = append(kept, r)
	}
	rows = kept
	slices.SortFunc(rows, func(a, b *row[T]) int { return strings.Compare(a.key, b.key) })
	for _, r := range rows {
		t.byKey.Load(r)
	}
	// Number the posting lists once: every ordering has the same lists, each in its own order.
	type dimValue struct {
		dim   int
		value string
	}
	listOf := map[dimValue]int{}
	var lists []dimValue
	rowLists := make([][]int, len(rows)) // rowLists[i] are the lists rows[i] is in
	for i, r := range rows {
		for d, values := range r.dims {
			for _, v := range values {
				k := dimValue{d, v}
				id, ok := listOf[k]
				if !ok {
					id = len(lists)
					listOf[k] = id
					lists = append(lists, k)
				}
				rowLists[i] = append(rowLists[i], id)
			}
		}
	}
	// The posting lists in (dimension, value) order, as the postings tree keeps them.
	byName := make([]int, len(lists))
	for i := range byName {
		byName[i] = i
	}
	slices.SortFunc(byName, func(a, b int) int {
		if lists[a].dim != lists[b].dim {
			return lists[a].dim - lists[b].dim
		}
		return strings.Compare(lists[a].value, lists[b].value)
	})
	var wg sync.WaitGroup
	for o, ord := range t.ords {
		wg.Go(func() {
			// Sorting the keys by value, beside the rows' positions, keeps each comparison in one cache line.
			type keyed struct {
				key SortKey
				at  int
			}
			sorted := make([]keyed, len(rows))
			for i, r := range rows {
				sorted[i] = keyed{r.sort[o], i}
			}
			slices.SortFunc(sorted, func(a, b keyed) int { return a.key.Compare(&b.key) })
			trees := make([]*btree.BTreeG[*row[T]], len(lists))
			for _, k := range sorted {
				r := rows[k.at]
				ord.all.Load(r)
				for _, id := range rowLists[k.at] {
					if trees[id] == nil {
						trees[id] = btree.NewBTreeGOptions(t.rowLess(o), treeOptions)
					}
					trees[id].Load(r)
				}
			}
			for _, id := range byName {
				ord.postings.Load(&posting[T]{dim: lists[id].dim, value: lists[id].value, rows: trees[id]})
			}
		})
	}
	wg.Wait()
	return t
}

// Len returns how many records the table holds.
func (t *Table[T]) Len() int { return t.byKey.Len() }

// Get returns the record with the key, or nil.
func (t *Table[T]) Get(key string) *T {
	if r, ok := t.byKey.Get(&row[T]{key: key}); ok {
		return r.rec
	}
	return nil
}

// Scan calls f with every record in key order until f returns false.
func (t *Table[T]) Scan(f func(*T) bool) {
	t.byKey.Scan(func(r *row[T]) bool { return f(r.rec) })
}

// Records returns every record in key order.
func (t *Table[T]) Records() []*T {
	out := make([]*T, 0, t.Len())
	t.Scan(func(x *T) bool {
		out = append(out, x)
		return true
	})
	return out
}

func (t *Table[T]) dimIndex(dim string) int {
	i, ok := slices.BinarySearch(t.dims, dim)
	if !ok {
		panic("index: unknown dimension " + dim)
	}
	return i
}

// list returns the posting list of a value in ordering o, or nil when no record has it.
func (t *Table[T]) list(o int, dim int, value string) *btree.BTreeG[*row[T]] {
	if p, ok := t.ords[o].postings.Get(&posting[T]{dim: dim, value: value}); ok {
		return p.rows
	}
	return nil
}

// Count returns how many records have value in dim.
func (t *Table[T]) Count(dim, value string) int {
	if len(t.ords) == 0 {
		return 0
	}
	if l := t.list(0, t.dimIndex(dim), value); l != nil {
		return l.Len()
	}
	return 0
}

// With calls f with the records that have value in dim until f returns false.
func (t *Table[T]) With(dim, value string, f func(*T) bool) {
	if len(t.ords) == 0 {
		return
	}
	if l := t.list(0, t.dimIndex(dim), value); l != nil {
		l.Scan(func(r *row[T]) bool { return f(r.rec) })
	}
}

// First returns a record that has value in dim, or nil.
func (t *Table[T]) First(dim, value string) *T {
	var found *T
	t.With(dim, value, func(x *T) bool {
		found = x
		return false
	})
	return found
}

// HasOrder reports whether the table can order its records by the order.
func (t *Table[T]) HasOrder(order string) bool {
	_, ok := slices.BinarySearch(t.orders, order)
	return ok
}

// Editor makes a new table from an old one. The old table stays as it was.
type Editor[T any] struct {
	t *Table[T]
	// fresh are the posting lists this edit made or copied: it may change them in place.
	fresh map[*btree.BTreeG[*row[T]]]bool
}

// Edit starts an edit of the table.
func (t *Table[T]) Edit() *Editor[T] {
	n := &Table[T]{spec: t.spec, orders: t.orders, dims: t.dims, byKey: t.byKey.Copy(), ords: make([]*ordering[T], len(t.ords))}
	for o, ord := range t.ords {
		n.ords[o] = &ordering[T]{all: ord.all.Copy(), postings: ord.postings.Copy()}
	}
	return &Editor[T]{t: n, fresh: map[*btree.BTreeG[*row[T]]]bool{}}
}

// Get returns the record with the key as the edit has it so far, or nil.
func (e *Editor[T]) Get(key string) *T { return e.t.Get(key) }

// Set puts the record in the table, in place of the record with the same key if there is one. Where the old
// record held the same place (the same sort key in an ordering, the same value in a dimension), the new one
// takes its slot; only what moved is removed and inserted again.
func (e *Editor[T]) Set(x *T) {
	r := e.t.newRow(x)
	old, replaced := e.t.byKey.Set(r)
	for o, ord := range e.t.ords {
		moved := !replaced || old.sort[o] != r.sort[o]
		if moved && replaced {
			ord.all.Delete(old)
		}
		ord.all.Set(r)
		for d, values := range r.dims {
			var before []string
			if replaced {
				before = old.dims[d]
			}
			for _, v := range before {
				if moved || !slices.Contains(values, v) {
					e.remove(o, d, v, old)
				}
			}
			for _, v := range values {
				e.postingList(o, d, v, true).Set(r)
			}
		}
	}
}

// remove takes a row out of the posting list of (d, v) in ordering o.
func (e *Editor[T]) remove(o, d int, v string, old *row[T]) {
	if l := e.postingList(o, d, v, false); l != nil {
		l.Delete(old)
		if l.Len() == 0 {
			e.t.ords[o].postings.Delete(&posting[T]{dim: d, value: v})
		}
	}
}

// Delete removes the record with the key, if there is one.
func (e *Editor[T]) Delete(key string) {
	if old, ok := e.t.byKey.Delete(&row[T]{key: key}); ok {
		e.unindex(old)
	}
}

func (e *Editor[T]) unindex(old *row[T]) {
	for o, ord := range e.t.ords {
		ord.all.Delete(old)
		for d, values := range old.dims {
			for _, v := range values {
				e.remove(o, d, v, old)
			}
		}
	}
}

// postingList returns the posting list of (d, v) in ordering o that this edit may change, copying the old
// table's list on first use; create makes a missing list.
func (e *Editor[T]) postingList(o, d int, v string, create bool) *btree.BTreeG[*row[T]] {
	ord := e.t.ords[o]
	p, ok := ord.postings.Get(&posting[T]{dim: d, value: v})
	switch {
	case ok && e.fresh[p.rows]:
		return p.rows
	case ok:
		rows := p.rows.Copy()
		e.fresh[rows] = true
		ord.postings.Set(&posting[T]{dim: d, value: v, rows: rows})
		return rows
	case !create:
		return nil
	}
	rows := btree.NewBTreeGOptions(e.t.rowLess(o), treeOptions)
	e.fresh[rows] = true
	ord.postings.Set(&posting[T]{dim: d, value: v, rows: rows})
	return rows
}

// Table ends the edit and returns the new table. The editor must not be used afterwards.
func (e *Editor[T]) Table() *Table[T] {
	t := e.t
	e.t, e.fresh = nil, nil
	return t
}
