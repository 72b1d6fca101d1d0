package graph

import (
	"strings"
	"time"

	"github.com/iclei/directory/directory"
	"github.com/iclei/directory/graph/model"
)

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func optionalInt(n int) *int {
	if n == 0 {
		return nil
	}
	return &n
}

func pageArgs(first *int, after *string, last *int, before *string) directory.PageArgs {
	return directory.PageArgs{First: first, After: after, Last: last, Before: before}
}

func orderOf(o *directory.Order) directory.Order {
	if o == nil {
		return directory.Order{}
	}
	return *o
}

func valueOf[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// institutions resolves institution references, leaving out any that no longer resolve.
func institutions(s *directory.Snapshot, refs []directory.InstitutionRef) []model.Institution {
	out := make([]model.Institution, 0, len(refs))
	for _, ref := range refs {
		if x := s.Institution(ref); x != nil {
			out = append(out, x)
		}
	}
	return out
}

func country(code string) *directory.Country {
	if c, ok := directory.LookupCountry(code); ok {
		return &c
	}
	return nil
}

// searchType converts between the schema's SEARCH_TYPE names and the domain's record kinds.
func searchType(kind string) string { return strings.ToUpper(kind) }

func searchKinds(types []string) []string {
	kinds := make([]string, 0, len(types))
	for _, t := range types {
		for _, k := range directory.SearchTypes() {
			if strings.ToUpper(k) == t {
				kinds = append(kinds, k)
			}
		}
	}
	return kinds
}

func nodes(records []any, err error) ([]model.Node, error) {
	if err != nil {
		return nil, err
	}
	out := make([]model.Node, len(records))
	for i, r := range records {
		out[i] = r
	}
	return out, nil
}

func optionalTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// regions returns the regions with the codes.
func regions(s *directory.Snapshot, codes []string) []*directory.Region {
	out := make([]*directory.Region, 0, len(codes))
	for _, c := range codes {
		if r := s.Region(c); r != nil {
			out = append(out, r)
		}
	}
	return out
}

// deletion reports a deleted record, or the error that prevented its deletion.
func deletion(kind, key string, err error) (*model.Deletion, error) {
	if err != nil {
		return nil, err
	}
	return &model.Deletion{ID: directory.GlobalID(kind, key), Key: key}, nil
}

// reviewOf reads a review from reviewMembershipApplication's input, or, for clients written before the review
// moved into it, from the deprecated decision, note and cityKey arguments. Both at once is ambiguous.
func reviewOf(reference string, version int, in *directory.ReviewInput, decision *directory.Decision, note, cityKey *string) (directory.ReviewInput, error) {
	r := directory.ReviewInput{Reference: reference, Version: version}
	switch {
	case in != nil && (decision != nil || note != nil || cityKey != nil):
		return r, directory.Invalid("input", "give the review in input alone; decision, note and cityKey are its deprecated former arguments")
	case in != nil:
		r.Decision, r.Note, r.CityKey = in.Decision, in.Note, in.CityKey
	default:
		r.Decision, r.Note, r.CityKey = valueOf(decision), valueOf(note), valueOf(cityKey)
	}
	return r, nil
}
