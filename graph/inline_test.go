package graph

import (
	"bytes"
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/99designs/gqlgen/graphql"
)

// TestInlineFloatWritesWhatGqlgenWrites compares the executor's direct float marshaller with gqlgen's on
// finite values of every magnitude; NaN and infinities never reach it.
func TestInlineFloatWritesWhatGqlgenWrites(t *testing.T) {
	t.Parallel()
	values := []float64{0, math.Copysign(0, -1), 1, -1, 0.1, 1e21, 1e20, 123456789, 1e-7, 1.5e-7, 51.5074, -0.1278,
		37.566535, 126.9779692, math.MaxFloat64, math.SmallestNonzeroFloat64, 1e6, 1e-5, 100000, 2.5e+06}
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		values = append(values, math.Float64frombits(r.Uint64()), (r.Float64()-0.5)*360, r.NormFloat64()*1e9)
	}
	for _, v := range values {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		var want, got bytes.Buffer
		if err := graphql.MarshalFloatContext(v).MarshalGQLContext(context.Background(), &want); err != nil {
			t.Fatal(err)
		}
		inlineFloat(v).MarshalGQL(&got)
		if got.String() != want.String() {
			t.Fatalf("%v: inlineFloat writes %s, gqlgen %s", v, got.String(), want.String())
		}
	}
}

// TestInlineStringWritesWhatGqlgenWrites compares the executor's direct string marshaller with gqlgen's on
// strings with every kind of character, valid UTF-8 or not, and checks that it allocates nothing.
func TestInlineStringWritesWhatGqlgenWrites(t *testing.T) {
	// Not parallel: AllocsPerRun counts the whole process.
	values := []string{"", "Seoul", `quote " backslash \ slash /`, "tab\tnewline\nreturn\rnul\x00bell\x07\x1f",
		"Côte d’Ivoire", "東京", "emoji 🌍", "\u2028\u2029", "<script>&amp;", "invalid \xff\xfe utf-8", "\x7f"}
	r := rand.New(rand.NewPCG(3, 4))
	for range 5000 {
		b := make([]byte, r.IntN(24))
		for i := range b {
			b[i] = byte(r.UintN(256))
		}
		values = append(values, string(b))
	}
	for _, v := range values {
		var want, got bytes.Buffer
		graphql.MarshalString(v).MarshalGQL(&want)
		inlineString[string]{&v}.MarshalGQL(&got)
		if got.String() != want.String() {
			t.Fatalf("%q: inlineString writes %s, gqlgen %s", v, got.String(), want.String())
		}
	}
	s := "Seoul"
	var buf bytes.Buffer
	buf.Grow(64)
	if n := testing.AllocsPerRun(100, func() {
		var m graphql.Marshaler = inlineString[string]{&s}
		buf.Reset()
		m.MarshalGQL(&buf)
	}); n != 0 {
		t.Errorf("%v allocations to write a string field", n)
	}
}
