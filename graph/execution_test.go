package graph_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/iclei/directory/directory"
	"github.com/iclei/directory/graph"
	"github.com/iclei/directory/seed"
)

// The executor graph/codegen generates resolves fields and list elements inline. These tests pin what a
// client sees of that: answers in order, and errors at the path of the list element they come from.

func seededHandler(t *testing.T) http.Handler {
	t.Helper()
	data, _, err := seed.Build()
	if err != nil {
		t.Fatal(err)
	}
	data.Revision = 1
	log := slog.New(slog.DiscardHandler)
	rm := directory.NewReadModel(directory.NewMemoryLog(), directory.NewSnapshot(*data, time.Now()), log)
	h, err := graph.NewHandler(rm, graph.Options{Log: log, Applications: &recordingThrottle{allow: true}})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

type executed struct {
	Data   json.RawMessage
	Errors []struct {
		Message    string
		Path       []any
		Extensions struct{ Code string }
	}
	HasNext *bool
}

func execute(t *testing.T, h http.Handler, query string) (*executed, string) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"query": query})
	r := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(string(body)))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Accept", "application/json")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	var resp executed
	if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil {
		t.Fatalf("%v: %s", err, w.Body)
	}
	return &resp, w.Body.String()
}

func TestListElementsInOrder(t *testing.T) {
	t.Parallel()
	resp, raw := execute(t, seededHandler(t), `{ countries { code name region { code } } }`)
	var data struct {
		Countries []struct {
			Code, Name string
			Region     struct{ Code string }
		}
	}
	if err := json.Unmarshal(resp.Data, &data); err != nil || resp.Errors != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	all := directory.Countries()
	if len(data.Countries) != len(all) {
		t.Fatalf("%d countries, want %d", len(data.Countries), len(all))
	}
	for i, c := range all {
		got := data.Countries[i]
		if got.Code != c.Code || got.Name != c.Name("") || got.Region.Code != c.Region {
			t.Errorf("country %d is %+v, want %s %q in %s", i, got, c.Code, c.Name(""), c.Region)
		}
	}
}

func TestErrorsInListElementsNameTheirIndex(t *testing.T) {
	t.Parallel()
	// Every country's cities are refused (a negative page size), so each element of the list reports an error
	// at its own index, and, the connection and the countries being non-null, the region is null.
	resp, raw := execute(t, seededHandler(t), `{ region(code: "east-asia") { countries { code cities(first: -1) { totalCount } } } }`)
	if string(resp.Data) != `{"region":null}` {
		t.Errorf("data %s, want the region null", resp.Data)
	}
	n := len(directory.CountriesOf(directory.RegionEastAsia))
	if len(resp.Errors) != n {
		t.Fatalf("%d errors, want one per country (%d): %s", len(resp.Errors), n, raw)
	}
	for i, e := range resp.Errors {
		if got, want := fmt.Sprint(e.Path), fmt.Sprint([]any{"region", "countries", float64(i), "cities"}); got != want {
			t.Errorf("error %d at %s, want %s", i, got, want)
		}
		if e.Extensions.Code != string(directory.CodeInvalidInput) {
			t.Errorf("error %d has code %q", i, e.Extensions.Code)
		}
	}
}
