package directory

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MatchKind says how a search result matched its query. The kinds rank in this order.
type MatchKind string

const (
	MatchExact    MatchKind = "EXACT"
	MatchPrefix   MatchKind = "PREFIX"
	MatchContains MatchKind = "CONTAINS"
)

// SearchTypes lists the kinds of record search looks through.
var SearchTypes = []string{KindRegion, KindSecretariat, KindOffice, KindCity, KindProgram, KindOrganization, KindPerson}

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

type searchIndex struct{ entries []searchEntry }

func newSearchIndex(s *Snapshot) *searchIndex {
	idx := &searchIndex{}
	add := func(kind, key, name string, node any, fields ...searchField) {
		var kept []searchField
		for _, f := range fields {
			if f.text != "" {
				f.folded = Fold(f.text)
				kept = append(kept, f)
			}
		}
		idx.entries = append(idx.entries, searchEntry{kind: kind, key: key, name: Fold(name), node: node, fields: kept})
	}
	field := func(name, text string, weight int) searchField {
		return searchField{name: name, text: text, weight: weight}
	}
	for i := range s.regions {
		r := &s.regions[i]
		add(KindRegion, r.Code, r.Name, r, field("name", r.Name, 3), field("code", r.Code, 2))
	}
	for i := range s.secretariats.items {
		x := &s.secretariats.items[i]
		add(KindSecretariat, x.Key, x.Name, x, field("name", x.Name, 3))
	}
	for i := range s.offices.items {
		x := &s.offices.items[i]
		fields := []searchField{field("name", x.Name, 3)}
		for _, l := range x.Labels {
			fields = append(fields, field("labels", l, 2))
		}
		for _, a := range []*Address{x.Address, x.PostalAddress} {
			if a != nil {
				fields = append(fields, field("address.locality", a.Locality, 1), field("address.province", a.Province, 1),
					field("address", strings.Join(a.Lines, ", "), 0))
			}
		}
		add(KindOffice, x.Key, x.Name, x, fields...)
	}
	for i := range s.cities.items {
		x := &s.cities.items[i]
		fields := []searchField{field("name", x.Name, 3)}
		for _, n := range x.LocalNames {
			fields = append(fields, field("localNames", n.Name, 2))
		}
		add(KindCity, x.Key, x.Name, x, fields...)
	}
	for i := range s.programs.items {
		x := &s.programs.items[i]
		fields := []searchField{field("title", x.Title, 3)}
		for _, t := range x.Topics {
			fields = append(fields, field("topics", t, 1))
		}
		for _, v := range x.SiteVisits {
			fields = append(fields, field("siteVisits", v.Name, 1))
		}
		for _, a := range x.Activities {
			fields = append(fields, field("activities", a.Title, 1))
		}
		for _, h := range x.Highlights {
			fields = append(fields, field("highlights", h, 0))
		}
		for _, p := range x.Photos {
			fields = append(fields, field("photos", p.Caption, 0))
		}
		fields = append(fields, field("summary", x.Summary, 0))
		add(KindProgram, x.Key, x.Title, x, fields...)
	}
	for i := range s.organizations.items {
		x := &s.organizations.items[i]
		add(KindOrganization, x.Key, x.Name, x, field("name", x.Name, 3), field("shortName", x.ShortName, 2))
	}
	for i := range s.people.items {
		x := &s.people.items[i]
		add(KindPerson, x.Key, x.Name, x, field("name", x.Name, 3))
	}
	return idx
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
		if !slices.Contains(SearchTypes, t) {
			return nil, &Error{Code: CodeInvalidInput, Field: "types", Choices: SearchTypes,
				Message: "unknown type " + t + "; valid types are " + strings.Join(SearchTypes, ", ")}
		}
	}
	w, err := p.window("Search")
	if err != nil {
		return nil, err
	}
	var results []SearchResult
	var keys []sortKey
	for i := range s.search.entries {
		e := &s.search.entries[i]
		if len(types) > 0 && !slices.Contains(types, e.kind) {
			continue
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
			continue
		}
		f := &e.fields[best]
		results = append(results, SearchResult{Node: e.node, Kind: e.kind, Field: f.name, Text: f.text, Match: bestMatch})
		keys = append(keys, sortKey{num: float64(-bestScore), text: e.name, key: e.kind + ":" + e.key})
	}
	list := make([]int32, len(results))
	for i := range list {
		list[i] = int32(i)
	}
	slices.SortFunc(list, func(a, b int32) int { return keys[a].compare(&keys[b]) })
	return paginate(list, func(i int32) *sortKey { return &keys[i] }, func(i int32) *SearchResult { return &results[i] },
		nil, w, true, "Search"), nil
}
