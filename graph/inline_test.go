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
