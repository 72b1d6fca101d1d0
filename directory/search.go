package directory

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tidwall/btree"

	"github.com/iclei/directory/internal/index"
)

// MatchKind says how a search result matched its query. The kinds rank in this order.
type MatchKind string

const (
	MatchExact    MatchKind = "EXACT"
	MatchPrefix   MatchKind = "PREFIX"
	MatchContains MatchKind = "CONTAINS"
)

// searchTypes lists the kinds of record search looks through.
var searchTypes = []string{KindRegion, KindSecretariat, KindOffice, KindCity, KindProgram, KindOrganization, KindPerson}

// SearchTypes returns the kinds of record search looks through: a new slice, which the caller may change.
func SearchTypes() []string { return slices.Clone(searchTypes) }

// MaxSearchQueryLength bounds a search query, in characters.
const MaxSearchQueryLength = 200

// SearchResult is a record that matched a search, with the field it matched in.
type SearchResult struct {
	// Node is a *Region, *Secretariat, *Office, *City, *Program, *Organization or *Person.
	Node  any
	Kind  string
	Field string
	// Text is the matched field's value.
	Text  string
	Match MatchKind
}

type searchEntry struct {
	kind, key, name string // name is folded
	node            any
	fields          []searchField
}

// searchField is a searchable text of a record. Fields with a higher weight rank first among equal matches.
type searchField struct {
	name, text, folded string
	weight             int
}

func searchLess(a, b *searchEntry) bool {
	if a.kind != b.kind {
		return a.kind < b.kind
	}
	return a.key < b.key
}

func newSearchIndex(s *Snapshot) *btree.BTreeG[*searchEntry] {
	idx := btree.NewBTreeGOptions(searchLess, btree.Options{NoLocks: true})
	for i := range s.regions {
		idx.Set(newSearchEntry(KindRegion, s.regions[i].Code, &s.regions[i]))
	}
	addAll(idx, KindSecretariat, s.secretariats)
	addAll(idx, KindOffice, s.offices)
	addAll(idx, KindCity, s.cities)
	addAll(idx, KindProgram, s.programs)
	addAll(idx, KindOrganization, s.organizations)
	addAll(idx, KindPerson, s.people)
	return idx
}

func addAll[T any](idx *btree.BTreeG[*searchEntry], kind string, t *index.Table[T]) {
	t.Scan(func(x *T) bool {
		_, key := recordIdentity(x)
		idx.Set(newSearchEntry(kind, key, x))
		return true
	})
}

// newSearchEntry returns the search entry of a public record.
func newSearchEntry(kind, key string, node any) *searchEntry {
	e := &searchEntry{kind: kind, key: key, node: node}
	add := func(name, text string, weight int) {
		if text != "" {
			e.fields = append(e.fields, searchField{name: name, text: text, folded: Fold(text), weight: weight})
		}
	}
	switch x := node.(type) {
	case *Region:
		e.name = x.Name
		add("name", x.Name, 3)
		add("code", x.Code, 2)
	case *Secretariat:
		e.name = x.Name
		add("name", x.Name, 3)
	case *Office:
		e.name = x.Name
		add("name", x.Name, 3)
		for _, l := range x.Labels {
			add("labels", l, 2)
		}
		for _, a := range []*Address{x.Address, x.PostalAddress} {
			if a != nil {
				add("address.locality", a.Locality, 1)
				add("address.province", a.Province, 1)
				add("address", strings.Join(a.Lines, ", "), 0)
			}
		}
	case *City:
		e.name = x.Name
		add("name", x.Name, 3)
		for _, n := range x.LocalNames {
			add("localNames", n.Name, 2)
		}
	case *Program:
		e.name = x.Title
		add("title", x.Title, 3)
		for _, t := range x.Topics {
			add("topics", t, 1)
		}
		for _, v := range x.SiteVisits {
			add("siteVisits", v.Name, 1)
		}
		for _, a := range x.Activities {
			add("activities", a.Title, 1)
		}
		for _, h := range x.Highlights {
			add("highlights", h, 0)
		}
		for _, p := range x.Photos {
			add("photos", p.Caption, 0)
		}
		add("summary", x.Summary, 0)
	case *Organization:
		e.name = x.Name
		add("name", x.Name, 3)
		add("shortName", x.ShortName, 2)
	case *Person:
		e.name = x.Name
		add("name", x.Name, 3)
	}
	// The name is a field of its own, already folded, for every kind.
	name := e.name
	e.name = ""
	for _, f := range e.fields {
		if f.text == name {
			e.name = f.folded
			break
		}
	}
	if e.name == "" {
		e.name = Fold(name)
	}
	return e
}

// match returns how a folded query matches a folded text, or "" if it does not.
func match(text, q string) MatchKind {
	i := strings.Index(text, q)
	switch {
	case i < 0:
		return ""
	case len(text) == len(q):
		return MatchExact
	case i == 0:
		return MatchPrefix
	}
	// A match at the start of a later word counts as a prefix match ("paulo" in "sao paulo").
	for ; i >= 0; i = indexFrom(text, q, i+1) {
		if !isWordByte(text[i-1]) {
			return MatchPrefix
		}
	}
	return MatchContains
}

func indexFrom(s, sub string, from int) int {
	if from >= len(s) {
		return -1
	}
	j := strings.Index(s[from:], sub)
	if j < 0 {
		return -1
	}
	return from + j
}

func isWordByte(b byte) bool {
	return b >= 0x80 || b == '\'' || b >= '0' && b <= '9' || b >= 'a' && b <= 'z'
}

func matchRank(m MatchKind) int {
	switch m {
	case MatchExact:
		return 3
	case MatchPrefix:
		return 2
	}
	return 1
}

// Search finds records whose names, local names, localities, addresses or program texts contain the query,
// case- and accent-insensitively. Results rank exact matches of a whole field before prefix matches before
// matches inside a word, then by the weight of the field, then by name. types, if not empty, limits the kinds
// of record searched.
func (s *Snapshot) Search(query string, types []string, p PageArgs) (*Page[*SearchResult], error) {
	q := Fold(query)
	if !strings.ContainsFunc(q, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) }) {
		return nil, Invalid("query", "query must contain at least one letter or digit")
	}
	if utf8.RuneCountInString(query) > MaxSearchQueryLength {
		return nil, Invalid("query", "query must be at most %d characters long", MaxSearchQueryLength)
	}
	for _, t := range types {
		if !slices.Contains(searchTypes, t) {
			return nil, &Error{Code: CodeInvalidInput, Field: "types", Choices: SearchTypes(),
				Message: "unknown type " + t + "; valid types are " + strings.Join(searchTypes, ", ")}
		}
	}
	w, err := p.window("Search")
	if err != nil {
		return nil, err
	}
	var results []*SearchResult
	var keys []index.SortKey
	s.search.Scan(func(e *searchEntry) bool {
		if len(types) > 0 && !slices.Contains(types, e.kind) {
			return true
		}
		best, bestScore := -1, 0
		var bestMatch MatchKind
		for j := range e.fields {
			m := match(e.fields[j].folded, q)
			if m == "" {
				continue
			}
			if score := matchRank(m)*10 + e.fields[j].weight; score > bestScore {
				best, bestScore, bestMatch = j, score, m
			}
		}
		if best < 0 {
			return true
		}
		f := &e.fields[best]
		results = append(results, &SearchResult{Node: e.node, Kind: e.kind, Field: f.name, Text: f.text, Match: bestMatch})
		keys = append(keys, index.SortKey{Num: float64(-bestScore), Text: e.name, Key: e.kind + ":" + e.key})
		return true
	})
	order := make([]int, len(results))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return keys[a].Compare(&keys[b]) })
	sorted, sortedKeys := make([]*SearchResult, len(order)), make([]index.SortKey, len(order))
	for n, i := range order {
		sorted[n], sortedKeys[n] = results[i], keys[i]
	}
	return pageFrom(index.PageSlice(sorted, sortedKeys, w), "Search"), nil
}
