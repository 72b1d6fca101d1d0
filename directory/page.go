package directory

import (
	"encoding/base64"
	"strconv"
	"strings"
)

// Page sizes accepted by connections.
const (
	DefaultPageSize = 20
	MaxPageSize     = 100
)

// PageArgs are the Relay pagination arguments of a connection.
type PageArgs struct {
	First  *int
	After  *string
	Last   *int
	Before *string
}

// Direction is a sort direction.
type Direction string

const (
	Asc  Direction = "ASC"
	Desc Direction = "DESC"
)

// Order is the ordering of a connection: a field of the record type and a direction.
type Order struct {
	Field     string
	Direction Direction
}

// Page is one page of a connection.
type Page[T any] struct {
	Edges    []Edge[T]
	PageInfo PageInfo
	total    func() int
}

// Edge is a record on a page and its cursor.
type Edge[T any] struct {
	Cursor string
	Node   T
}

// PageInfo tells a client where a page stands in its connection.
type PageInfo struct {
	HasNextPage     bool
	HasPreviousPage bool
	StartCursor     *string
	EndCursor       *string
}

// Nodes returns the records on the page.
func (p *Page[T]) Nodes() []T {
	nodes := make([]T, len(p.Edges))
	for i, e := range p.Edges {
		nodes[i] = e.Node
	}
	return nodes
}

// TotalCount returns how many records the whole connection holds. It is counted only when asked for.
func (p *Page[T]) TotalCount() int {
	if p.total == nil {
		return len(p.Edges)
	}
	return p.total()
}

// pageWindow is a validated PageArgs: how many records, from which end, between which cursors.
type pageWindow struct {
	size          int
	fromEnd       bool // last/before: the page is taken from the end of the window
	after, before *sortKey
}

func (a PageArgs) window(order string) (pageWindow, error) {
	w := pageWindow{size: DefaultPageSize}
	if a.First != nil && a.Last != nil {
		return w, Invalid("first", "pass either first or last, not both")
	}
	if a.First != nil {
		if *a.First < 1 || *a.First > MaxPageSize {
			return w, Invalid("first", "first must be between 1 and %d, got %d", MaxPageSize, *a.First)
		}
		w.size = *a.First
	}
	if a.Last != nil {
		if *a.Last < 1 || *a.Last > MaxPageSize {
			return w, Invalid("last", "last must be between 1 and %d, got %d", MaxPageSize, *a.Last)
		}
		w.size, w.fromEnd = *a.Last, true
	}
	var err error
	if a.After != nil {
		if w.after, err = decodeCursor("after", *a.After, order); err != nil {
			return w, err
		}
	}
	if a.Before != nil {
		if w.before, err = decodeCursor("before", *a.Before, order); err != nil {
			return w, err
		}
	}
	return w, nil
}

// sortKey places a record in an ordering: by num, then text, then the record's unique key, so that every
// ordering is total and a cursor names a position even after its record is gone.
type sortKey struct {
	num  float64
	text string
	key  string
}

func (a *sortKey) compare(b *sortKey) int {
	switch {
	case a.num < b.num:
		return -1
	case a.num > b.num:
		return 1
	}
	if c := strings.Compare(a.text, b.text); c != 0 {
		return c
	}
	return strings.Compare(a.key, b.key)
}

const cursorSep = "\x00"

// encodeCursor writes a position as an opaque cursor. The cursor names the ordering it belongs to, so that it
// stays valid across snapshot reloads and is refused by a connection ordered differently.
func encodeCursor(order string, k *sortKey) string {
	raw := order + cursorSep + strconv.FormatFloat(k.num, 'g', -1, 64) + cursorSep + k.text + cursorSep + k.key
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

func decodeCursor(field, cursor, order string) (*sortKey, error) {
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return nil, Invalid(field, "%s is not a cursor this directory issued", field)
	}
	// The text may hold the separator itself (the country and region orderings join two fields with it); the
	// order and the key never do, so the key is what follows the last separator.
	parts := strings.SplitN(string(raw), cursorSep, 3)
	if len(parts) != 3 {
		return nil, Invalid(field, "%s is not a cursor this directory issued", field)
	}
	sep := strings.LastIndex(parts[2], cursorSep)
	if sep < 0 {
		return nil, Invalid(field, "%s is not a cursor this directory issued", field)
	}
	if parts[0] != order {
		return nil, Invalid(field, "%s was issued for another ordering or list; request the first page again", field)
	}
	num, err := strconv.ParseFloat(parts[1], 64)
	if err != nil {
		return nil, Invalid(field, "%s is not a cursor this directory issued", field)
	}
	return &sortKey{num: num, text: parts[2][:sep], key: parts[2][sep+len(cursorSep):]}, nil
}

// pageOf returns a page of items, which are in the connection's order: key must ascend along items and be
// unique. It pages lists held outside the snapshot, such as membership applications.
func pageOf[T any](name string, items []T, key func(T) sortKey, args PageArgs) (*Page[T], error) {
	w, err := args.window(name)
	if err != nil {
		return nil, err
	}
	keys := make([]sortKey, len(items))
	list := make([]int32, len(items))
	for i, x := range items {
		keys[i], list[i] = key(x), int32(i)
	}
	return paginate(list, func(i int32) *sortKey { return &keys[i] }, func(i int32) T { return items[i] }, nil, w, true, name), nil
}
