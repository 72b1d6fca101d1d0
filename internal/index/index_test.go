package index_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/iclei/directory/internal/index"
)

type rec struct {
	Key  string
	A    float64
	B    string
	Cat  string
	Tags []string
}

var spec = &index.Spec[rec]{
	Key: func(r *rec) string { return r.Key },
	Orders: map[string]func(*rec) index.SortKey{
		"A":   func(r *rec) index.SortKey { return index.SortKey{Num: r.A} },
		"B":   func(r *rec) index.SortKey { return index.SortKey{Text: r.B} },
		"KEY": func(*rec) index.SortKey { return index.SortKey{} },
	},
	Dims: map[string]func(*rec) []string{
		"cat": func(r *rec) []string { return []string{r.Cat} },
		"tag": func(r *rec) []string { return r.Tags },
	},
}

func randomRec(rng *rand.Rand, key string) *rec {
	r := &rec{Key: key, A: float64(rng.IntN(5)), B: string(rune('a' + rng.IntN(4))), Cat: "c" + strconv.Itoa(rng.IntN(3))}
	for range rng.IntN(4) {
		r.Tags = append(r.Tags, "t"+strconv.Itoa(rng.IntN(4)))
	}
	return r
}

// model is the naive answer: every record checked, sorted, windowed.
type model map[string]*rec

func (m model) find(q index.Query[rec], order string, desc bool, w index.Window) (keys []string, hasNext, hasPrev bool, total int) {
	sk := func(r *rec) index.SortKey {
		k := spec.Orders[order](r)
		k.Key = r.Key
		return k
	}
	var all []*rec
	for _, r := range m {
		if q.Keys != nil && !slices.Contains(q.Keys, r.Key) {
			continue
		}
		ok := true
		for _, t := range q.Terms {
			if !slices.Contains(spec.Dims[t.Dim](r), t.Value) {
				ok = false
			}
		}
		if ok && (q.Match == nil || q.Match(r)) {
			all = append(all, r)
		}
	}
	cmp := func(a, b *rec) int {
		ka, kb := sk(a), sk(b)
		c := ka.Compare(&kb)
		if desc {
			return -c
		}
		return c
	}
	slices.SortFunc(all, cmp)
	before := func(k index.SortKey, c *index.SortKey) int { // k relative to c in connection order
		x := k.Compare(c)
		if desc {
			return -x
		}
		return x
	}
	var in []*rec
	beyondStart, beyondEnd := false, false
	for _, r := range all {
		k := sk(r)
		out := false
		if w.After != nil && before(k, w.After) <= 0 {
			beyondStart, out = true, true
		}
		if w.Before != nil && before(k, w.Before) >= 0 {
			beyondEnd, out = true, true
		}
		if !out {
			in = append(in, r)
		}
	}
	more := len(in) > w.Size
	if w.FromEnd {
		in = in[max(0, len(in)-w.Size):]
		hasPrev, hasNext = more, beyondEnd
	} else {
		in = in[:min(len(in), w.Size)]
		hasNext, hasPrev = more, beyondStart
	}
	for _, r := range in {
		keys = append(keys, r.Key)
	}
	return keys, hasNext, hasPrev, len(all)
}

type generation struct {
	table *index.Table[rec]
	model model
}

func TestTableMatchesNaiveModelAcrossEdits(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	m := model{}
	var initial []*rec
	for i := range 40 {
		r := randomRec(rng, fmt.Sprintf("k%02d", i))
		initial = append(initial, r)
		m[r.Key] = r
	}
	gens := []generation{{index.Build(spec, initial), clone(m)}}
	for range 30 {
		e := gens[len(gens)-1].table.Edit()
		for range 1 + rng.IntN(6) {
			key := fmt.Sprintf("k%02d", rng.IntN(50))
			if rng.IntN(3) == 0 {
				e.Delete(key)
				delete(m, key)
			} else {
				r := randomRec(rng, key)
				e.Set(r)
				m[key] = r
			}
		}
		gens = append(gens, generation{e.Table(), clone(m)})
	}
	// Every generation, old ones included, answers as its model does.
	for g, gen := range gens {
		if gen.table.Len() != len(gen.model) {
			t.Fatalf("generation %d: Len %d, want %d", g, gen.table.Len(), len(gen.model))
		}
		for range 200 {
			q, order, desc, w := randomQuery(rng)
			got, ok := gen.table.Find(q, order, desc, w)
			if !ok {
				t.Fatalf("order %s unknown", order)
			}
			wantKeys, wantNext, wantPrev, wantTotal := gen.model.find(q, order, desc, w)
			var gotKeys []string
			for _, r := range got.Items {
				gotKeys = append(gotKeys, r.Key)
				if gen.model[r.Key] != r {
					t.Fatalf("generation %d: Find returned a record %s the table no longer holds", g, r.Key)
				}
			}
			if !slices.Equal(gotKeys, wantKeys) || got.HasNext != wantNext || got.HasPrev != wantPrev || got.Total() != wantTotal {
				t.Fatalf("generation %d, query %+v order %s desc %v window %+v:\n got %v next %v prev %v total %d\nwant %v next %v prev %v total %d",
					g, q, order, desc, w, gotKeys, got.HasNext, got.HasPrev, got.Total(), wantKeys, wantNext, wantPrev, wantTotal)
			}
		}
		for key, r := range gen.model {
			if gen.table.Get(key) != r {
				t.Fatalf("generation %d: Get(%s) is not the record set", g, key)
			}
		}
		for _, tag := range []string{"t0", "t1", "t2", "t3"} {
			want := 0
			for _, r := range gen.model {
				if slices.Contains(r.Tags, tag) {
					want++
				}
			}
			if got := gen.table.Count("tag", tag); got != want {
				t.Fatalf("generation %d: Count(tag, %s) = %d, want %d", g, tag, got, want)
			}
		}
	}
}

func clone(m model) model {
	c := make(model, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

func randomQuery(rng *rand.Rand) (index.Query[rec], string, bool, index.Window) {
	var q index.Query[rec]
	if rng.IntN(2) == 0 {
		q.Terms = append(q.Terms, index.Term{Dim: "cat", Value: "c" + strconv.Itoa(rng.IntN(4))})
	}
	if rng.IntN(2) == 0 {
		q.Terms = append(q.Terms, index.Term{Dim: "tag", Value: "t" + strconv.Itoa(rng.IntN(4))})
	}
	if rng.IntN(5) == 0 {
		q.Match = func(r *rec) bool { return r.A >= 2 }
	}
	if rng.IntN(5) == 0 {
		q.Keys = []string{}
		for range rng.IntN(10) {
			q.Keys = append(q.Keys, fmt.Sprintf("k%02d", rng.IntN(50)))
		}
	}
	order := []string{"A", "B", "KEY"}[rng.IntN(3)]
	w := index.Window{Size: 1 + rng.IntN(6), FromEnd: rng.IntN(2) == 0}
	cursor := func() *index.SortKey {
		k := index.SortKey{Key: fmt.Sprintf("k%02d", rng.IntN(50))}
		switch order {
		case "A":
			k.Num = float64(rng.IntN(5))
		case "B":
			k.Text = string(rune('a' + rng.IntN(4)))
		}
		return &k
	}
	if rng.IntN(2) == 0 {
		w.After = cursor()
	}
	if rng.IntN(3) == 0 {
		w.Before = cursor()
	}
	return q, order, rng.IntN(2) == 0, w
}

func TestPageSlice(t *testing.T) {
	t.Parallel()
	items := []string{"a", "b", "c", "d"}
	keys := []index.SortKey{{Key: "a"}, {Key: "b"}, {Key: "c"}, {Key: "d"}}
	p := index.PageSlice(items, keys, index.Window{Size: 2, After: &keys[0]})
	if !slices.Equal(p.Items, []string{"b", "c"}) || !p.HasNext || !p.HasPrev || p.Total() != 4 {
		t.Fatalf("page after a: %+v", p)
	}
	p = index.PageSlice(items, keys, index.Window{Size: 2, FromEnd: true, Before: &keys[3]})
	if !slices.Equal(p.Items, []string{"b", "c"}) || !p.HasNext || !p.HasPrev {
		t.Fatalf("page before d: %+v", p)
	}
}
