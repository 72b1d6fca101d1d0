package directory

import (
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/iclei/directory/internal/index"
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

// Edge is a record on a page and its cursor. The cursor is written only when asked for: most clients read a
// connection's nodes and never its edges' cursors.
type Edge[T any] struct {
	Node  T
	key   index.SortKey
	order string
	// cursor, where set, is the cursor itself (the change feed's cursors are revisions).
	cursor string
}

// Cursor returns the opaque cursor that names the edge's position in its connection.
func (e Edge[T]) Cursor() string {
	if e.cursor != "" {
		return e.cursor
	}
	return encodeCursor(e.order, &e.key)
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

// window validates the arguments of a connection whose cursors belong to the order.
func (a PageArgs) window(order string) (index.Window, error) {
	w := index.Window{Size: DefaultPageSize}
	if a.First != nil && a.Last != nil {
		return w, Invalid("first", "pass either first or last, not both")
	}
	if a.First != nil {
		if *a.First < 1 || *a.First > MaxPageSize {
			return w, Invalid("first", "first must be between 1 and %d, got %d", MaxPageSize, *a.First)
		}
		w.Size = *a.First
	}
	if a.Last != nil {
		if *a.Last < 1 || *a.Last > MaxPageSize {
			return w, Invalid("last", "last must be between 1 and %d, got %d", MaxPageSize, *a.Last)
		}
		w.Size, w.FromEnd = *a.Last, true
	}
	var err error
	if a.After != nil {
		if w.After, err = decodeCursor("after", *a.After, order); err != nil {
			return w, err
		}
	}
	if a.Before != nil {
		if w.Before, err = decodeCursor("before", *a.Before, order); err != nil {
			return w, err
		}
	}
	return w, nil
}

// pageFrom turns an index page into a connection page with cursors of the order.
func pageFrom[T any](p *index.Page[T], cursorOrder string) *Page[T] {
	page := &Page[T]{Edges: make([]Edge[T], len(p.Items)), total: p.Total}
	for i, x := range p.Items {
		page.Edges[i] = Edge[T]{Node: x, key: p.Keys[i], order: cursorOrder}
	}
	page.PageInfo.HasNextPage, page.PageInfo.HasPreviousPage = p.HasNext, p.HasPrev
	if len(page.Edges) > 0 {
		start, end := page.Edges[0].Cursor(), page.Edges[len(page.Edges)-1].Cursor()
		page.PageInfo.StartCursor, page.PageInfo.EndCursor = &start, &end
	}
	return page
}

const cursorSep = "\x00"

// encodeCursor writes a position as an opaque cursor. The cursor names the ordering it belongs to, so that it
// stays valid across snapshot reloads and is refused by a connection ordered differently.
func encodeCursor(order string, k *index.SortKey) string {
	raw := order + cursorSep + strconv.FormatFloat(k.Num, 'g', -1, 64) + cursorSep + k.Text + cursorSep + k.Key
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

func decodeCursor(field, cursor, order string) (*index.SortKey, error) {
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
	return &index.SortKey{Num: num, Text: parts[2][:sep], Key: parts[2][sep+len(cursorSep):]}, nil
}

// find returns a page of a table's records: its query and the order give the page, whose cursors name the
// table's list and the order.
func find[T any](t *index.Table[T], list string, q index.Query[T], order Order, args PageArgs) (*Page[*T], error) {
	if !t.HasOrder(order.Field) {
		return nil, Invalid("orderBy.field", "%s cannot be ordered by %s", list, order.Field)
	}
	cursorOrder := list + "." + order.Field
	w, err := args.window(cursorOrder)
	if err != nil {
		return nil, err
	}
	p, _ := t.Find(q, order.Field, order.Direction == Desc, w)
	return pageFrom(p, cursorOrder), nil
}
