package graph_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/iclei/directory/directory"
	"github.com/iclei/directory/graph"
	"github.com/iclei/directory/internal/benchdata"
)

// The benchmarks serve the same queries over directories of growing size: through the GraphQL handler with its
// response cache off, so that every request runs; through the GraphQL handler answering from a warm response
// cache, as it answers a query asked again before the directory changes; and through a plain net/http handler
// that calls the same snapshot methods and writes the same JSON. The first shows that a page costs about the
// same at any size; the comparison with the last what GraphQL itself costs.
// cpu-ns/op is the process's CPU time per request, on every thread (GraphQL resolves fields on goroutines
// of their own); on a busy machine it is steadier than ns/op.

var benchSizes = []int{1_000, 10_000, 100_000}

const (
	benchRegion  = directory.RegionEastAsia
	benchCountry = "CN"
	// citiesPageSize is small enough that page 50 of China's cities exists in the smallest directory: China
	// holds about 300 of its 1 000 cities.
	citiesPageSize = 5
	officesFirst   = 20
)

// The queries, named as the sub-benchmarks are.
const (
	queryOffices   = "offices-of-region"
	queryCitiesP1  = "cities-of-country-page-1"
	queryCitiesP50 = "cities-of-country-page-50"
	// Two filters: the walk follows China's posting list and checks the region of each city it meets, and the
	// count is taken from both values' bit sets rather than by a check of every Chinese city.
	queryRegionCountry = "cities-of-region-and-country"
	// Every country with its name and its region's name: a list of 249 objects, each with two resolver
	// fields. It does not depend on the number of cities, so it runs at the smallest size only.
	queryCountries = "countries-with-region"
)

const (
	officesGraphQL      = `query($r:String!){ region(code:$r){ offices(first:20){ totalCount nodes { key name kind address { street locality postalCode country { code } } location { latitude longitude } } } } }`
	citiesGraphQL       = `query($c:String!,$first:Int!,$after:String){ cities(filter:{country:$c}, first:$first, after:$after){ totalCount pageInfo{hasNextPage endCursor} edges{ cursor node { key name country { code } region { code } population } } } }`
	countriesGraphQL    = `{ countries { code name region { name } } }`
	regionCitiesGraphQL = `query($r:String!,$c:String!,$first:Int!){ region(code:$r){ cities(country:$c, first:$first){ totalCount pageInfo{hasNextPage endCursor} edges{ cursor node { key name country { code } region { code } population } } } } }`
)

var benchQueries = []string{queryOffices, queryCitiesP1, queryCitiesP50, queryRegionCountry, queryCountries}

// countryCount is how many countries the countries query lists.
const countryCount = 249

// The handlers the benchmarks measure.
const (
	viaGraphQL = iota
	viaGraphQLCached
	viaPlainJSON
)

func BenchmarkGraphQL(b *testing.B) { benchmarkQueries(b, viaGraphQL) }

func BenchmarkGraphQLCached(b *testing.B) { benchmarkQueries(b, viaGraphQLCached) }

func BenchmarkPlainJSON(b *testing.B) { benchmarkQueries(b, viaPlainJSON) }

func benchmarkQueries(b *testing.B, via int) {
	// Built on first use, so that running one size does not generate the others.
	fixtures := map[int]*fixture{}
	for _, q := range benchQueries {
		for _, n := range benchSizes {
			if q == queryCountries && n != benchSizes[0] {
				continue
			}
			b.Run(fmt.Sprintf("%s/cities=%d", q, n), func(b *testing.B) {
				f := fixtures[n]
				if f == nil {
					f = newFixture(b, n)
					fixtures[n] = f
				}
				h, req := f.graphQL, f.requests[q].graphQL
				switch via {
				case viaGraphQLCached:
					h = f.cached
				case viaPlainJSON:
					h, req = f.plain, f.requests[q].plain
				}
				misses := f.misses.Load()
				b.ReportAllocs()
				cpu := benchdata.CPUTime()
				for b.Loop() {
					rec := httptest.NewRecorder()
					h.ServeHTTP(rec, req())
					if rec.Code != http.StatusOK {
						b.Fatalf("status %d: %s", rec.Code, rec.Body)
					}
				}
				if cpu := benchdata.CPUTime() - cpu; cpu > 0 {
					b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
				}
				if n := f.misses.Load() - misses; n > 0 {
					b.Fatalf("the response cache missed %d times", n)
				}
			})
		}
	}
}

// fixture is a generated directory loaded into a read model, the handlers over it, and the requests of each
// benchmarked query.
type fixture struct {
	graphQL, cached, plain http.Handler
	requests               map[string]benchRequests
	// misses counts the requests the cached handler did not answer from its cache.
	misses *atomic.Int64
}

type benchRequests struct{ graphQL, plain func() *http.Request }

// noApplications refuses every membership application; the benchmarks submit none.
type noApplications struct{}

func (noApplications) AllowApplication(*http.Request) bool { return false }

// missCounter counts the requests of the cached handler that ran.
type missCounter struct{ misses *atomic.Int64 }

func (c missCounter) ObserveOperation(_, outcome string, _ time.Duration) {
	if outcome != "cached" {
		c.misses.Add(1)
	}
}

func newFixture(b *testing.B, cities int) *fixture {
	b.Helper()
	data, err := benchdata.Directory(cities)
	if err != nil {
		b.Fatal(err)
	}
	data.Revision = 1
	log := slog.New(slog.DiscardHandler)
	rm := directory.NewReadModel(directory.NewMemoryLog(), directory.NewSnapshot(*data, time.Now()), log)

	// The cursor that ends page 49, taken straight from the snapshot.
	size := citiesPageSize
	var after *string
	for range 49 {
		p, err := rm.Snapshot().Cities(directory.CityFilter{Country: benchCountry}, directory.Order{}, directory.PageArgs{First: &size, After: after})
		if err != nil {
			b.Fatal(err)
		}
		if !p.PageInfo.HasNextPage {
			b.Fatalf("%d cities: %s has fewer than 50 pages of %d cities", cities, benchCountry, size)
		}
		after = p.PageInfo.EndCursor
	}

	misses := &atomic.Int64{}
	uncached, err := graph.NewHandler(rm, graph.Options{QueryCacheSize: 1000, ResponseCacheBytes: 0, Log: log,
		Applications: noApplications{}})
	if err != nil {
		b.Fatal(err)
	}
	cached, err := graph.NewHandler(rm, graph.Options{QueryCacheSize: 1000, ResponseCacheBytes: 32 << 20, Log: log,
		Observer: missCounter{misses}, Applications: noApplications{}})
	if err != nil {
		b.Fatal(err)
	}
	f := &fixture{
		graphQL: uncached,
		cached:  cached,
		plain:   plainHandler(rm),
		misses:  misses,
		requests: map[string]benchRequests{
			queryOffices: {
				graphQL: graphQLRequest(b, officesGraphQL, map[string]any{"r": benchRegion}),
				plain:   plainRequest("/regions/"+benchRegion+"/offices", url.Values{"first": {strconv.Itoa(officesFirst)}}),
			},
			queryCitiesP1: {
				graphQL: graphQLRequest(b, citiesGraphQL, map[string]any{"c": benchCountry, "first": size}),
				plain:   plainRequest("/cities", url.Values{"country": {benchCountry}, "first": {strconv.Itoa(size)}}),
			},
			queryCitiesP50: {
				graphQL: graphQLRequest(b, citiesGraphQL, map[string]any{"c": benchCountry, "first": size, "after": *after}),
				plain:   plainRequest("/cities", url.Values{"country": {benchCountry}, "first": {strconv.Itoa(size)}, "after": {*after}}),
			},
			queryCountries: {
				graphQL: graphQLRequest(b, countriesGraphQL, nil),
				plain:   plainRequest("/countries", nil),
			},
			queryRegionCountry: {
				graphQL: graphQLRequest(b, regionCitiesGraphQL, map[string]any{"r": benchRegion, "c": benchCountry, "first": size}),
				plain:   plainRequest("/regions/"+benchRegion+"/cities", url.Values{"country": {benchCountry}, "first": {strconv.Itoa(size)}}),
			},
		},
	}
	for _, q := range benchQueries {
		checkSameResults(b, f, q)
	}
	// Generation leaves much garbage behind; collect it before the clock starts.
	runtime.GC()
	return f
}

// checkSameResults fails unless the plain handler answers the query with exactly the GraphQL response's data,
// and the cached handler with exactly the GraphQL response, so that the benchmarks compare the same work. It
// also warms the GraphQL query cache and the cached handler's response cache.
func checkSameResults(b *testing.B, f *fixture, query string) {
	b.Helper()
	serve := func(h http.Handler, req *http.Request) []byte {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("%s: status %d: %s", query, rec.Code, rec.Body)
		}
		return rec.Body.Bytes()
	}
	var gql struct {
		Data   any
		Errors []any
	}
	executed := serve(f.graphQL, f.requests[query].graphQL())
	if err := json.Unmarshal(executed, &gql); err != nil {
		b.Fatal(err)
	}
	if cached := serve(f.cached, f.requests[query].graphQL()); !bytes.Equal(cached, executed) {
		b.Fatalf("%s: the cached handler answers\n%s\nwhere GraphQL answers\n%s", query, cached, executed)
	}
	if gql.Errors != nil {
		b.Fatalf("%s: GraphQL errors: %v", query, gql.Errors)
	}
	var plain any
	if err := json.Unmarshal(serve(f.plain, f.requests[query].plain()), &plain); err != nil {
		b.Fatal(err)
	}
	if !reflect.DeepEqual(gql.Data, plain) {
		g, _ := json.Marshal(gql.Data)
		p, _ := json.Marshal(plain)
		b.Fatalf("%s: the plain handler answers\n%s\nwhere GraphQL answers\n%s", query, p, g)
	}
	// A short page would make the benchmark measure less than it claims.
	want, field := citiesPageSize, `"key":`
	switch query {
	case queryOffices:
		want = officesFirst
	case queryCountries:
		want, field = countryCount, `"code":`
	}
	if got := bytes.Count(mustMarshal(b, gql.Data), []byte(field)); got != want {
		b.Fatalf("%s: %d records on the page, want %d", query, got, want)
	}
}

func mustMarshal(b *testing.B, v any) []byte {
	b.Helper()
	j, err := json.Marshal(v)
	if err != nil {
		b.Fatal(err)
	}
	return j
}

func graphQLRequest(b *testing.B, query string, variables map[string]any) func() *http.Request {
	b.Helper()
	body := mustMarshal(b, map[string]any{"query": query, "variables": variables})
	return func() *http.Request {
		req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		return req
	}
}

func plainRequest(path string, query url.Values) func() *http.Request {
	target := path
	if len(query) > 0 {
		target += "?" + query.Encode()
	}
	return func() *http.Request { return httptest.NewRequest(http.MethodGet, target, nil) }
}

// plainHandler serves the benchmarked queries as plain JSON endpoints: the same snapshot calls as the
// resolvers make, the same JSON shape as GraphQL's data, written by encoding/json.
func plainHandler(rm *directory.ReadModel) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /regions/{code}/offices", func(w http.ResponseWriter, r *http.Request) {
		s := rm.Snapshot()
		first, err := intParam(r.URL.Query(), "first")
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var resp plainOfficesOfRegion
		if region := s.Region(r.PathValue("code")); region != nil {
			p, err := s.Offices(directory.OfficeFilter{Region: region.Code}, directory.Order{}, directory.PageArgs{First: first})
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			conn := plainOfficeConnection{TotalCount: p.TotalCount(), Nodes: make([]plainOffice, len(p.Edges))}
			for i, e := range p.Edges {
				conn.Nodes[i] = newPlainOffice(e.Node)
			}
			resp.Region = &plainRegionOffices{Offices: conn}
		}
		writeJSON(w, resp)
	})
	mux.HandleFunc("GET /countries", func(w http.ResponseWriter, r *http.Request) {
		s := rm.Snapshot()
		countries := directory.CountriesOf("")
		resp := plainCountries{Countries: make([]plainCountry, len(countries))}
		for i, c := range countries {
			resp.Countries[i] = plainCountry{Code: c.Code, Name: c.Name(""), Region: plainRegionName{s.Region(c.Region).Name}}
		}
		writeJSON(w, resp)
	})
	mux.HandleFunc("GET /cities", func(w http.ResponseWriter, r *http.Request) {
		conn, err := plainCitiesOf(rm.Snapshot(), r.URL.Query(), "")
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		writeJSON(w, plainCities{Cities: *conn})
	})
	mux.HandleFunc("GET /regions/{code}/cities", func(w http.ResponseWriter, r *http.Request) {
		s := rm.Snapshot()
		var resp plainCitiesOfRegion
		if region := s.Region(r.PathValue("code")); region != nil {
			conn, err := plainCitiesOf(s, r.URL.Query(), region.Code)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			resp.Region = &plainRegionCities{Cities: *conn}
		}
		writeJSON(w, resp)
	})
	return mux
}

func plainCitiesOf(s *directory.Snapshot, query url.Values, region string) (*plainCityConnection, error) {
	first, err := intParam(query, "first")
	if err != nil {
		return nil, err
	}
	args := directory.PageArgs{First: first}
	if query.Has("after") {
		after := query.Get("after")
		args.After = &after
	}
	p, err := s.Cities(directory.CityFilter{Region: region, Country: query.Get("country")}, directory.Order{}, args)
	if err != nil {
		return nil, err
	}
	conn := &plainCityConnection{TotalCount: p.TotalCount(), Edges: make([]plainCityEdge, len(p.Edges))}
	conn.PageInfo.HasNextPage, conn.PageInfo.EndCursor = p.PageInfo.HasNextPage, p.PageInfo.EndCursor
	for i, e := range p.Edges {
		c := e.Node
		conn.Edges[i] = plainCityEdge{Cursor: e.Cursor(), Node: plainCity{
			Key: c.Key, Name: c.Name, Country: plainCode{c.Country}, Region: plainCode{c.Region}, Population: optionalInt(c.Population),
		}}
	}
	return conn, nil
}

type (
	plainCitiesOfRegion struct {
		Region *plainRegionCities `json:"region"`
	}
	plainRegionCities struct {
		Cities plainCityConnection `json:"cities"`
	}
	plainOfficesOfRegion struct {
		Region *plainRegionOffices `json:"region"`
	}
	plainRegionOffices struct {
		Offices plainOfficeConnection `json:"offices"`
	}
	plainOfficeConnection struct {
		TotalCount int           `json:"totalCount"`
		Nodes      []plainOffice `json:"nodes"`
	}
	plainOffice struct {
		Key      string               `json:"key"`
		Name     string               `json:"name"`
		Kind     directory.OfficeKind `json:"kind"`
		Address  *plainAddress        `json:"address"`
		Location *plainLocation       `json:"location"`
	}
	plainAddress struct {
		Street     []string  `json:"street"`
		Locality   *string   `json:"locality"`
		PostalCode *string   `json:"postalCode"`
		Country    plainCode `json:"country"`
	}
	plainLocation struct {
		Latitude  float64 `json:"latitude"`
		Longitude float64 `json:"longitude"`
	}
	plainCode struct {
		Code string `json:"code"`
	}
	plainCountries struct {
		Countries []plainCountry `json:"countries"`
	}
	plainCountry struct {
		Code   string          `json:"code"`
		Name   string          `json:"name"`
		Region plainRegionName `json:"region"`
	}
	plainRegionName struct {
		Name string `json:"name"`
	}
	plainCities struct {
		Cities plainCityConnection `json:"cities"`
	}
	plainCityConnection struct {
		TotalCount int `json:"totalCount"`
		PageInfo   struct {
			HasNextPage bool    `json:"hasNextPage"`
			EndCursor   *string `json:"endCursor"`
		} `json:"pageInfo"`
		Edges []plainCityEdge `json:"edges"`
	}
	plainCityEdge struct {
		Cursor string    `json:"cursor"`
		Node   plainCity `json:"node"`
	}
	plainCity struct {
		Key        string    `json:"key"`
		Name       string    `json:"name"`
		Country    plainCode `json:"country"`
		Region     plainCode `json:"region"`
		Population *int      `json:"population"`
	}
)

func newPlainOffice(o *directory.Office) plainOffice {
	p := plainOffice{Key: o.Key, Name: o.Name, Kind: o.Kind}
	if a := o.Address; a != nil {
		p.Address = &plainAddress{
			Street: a.Street, Locality: optional(a.Locality), PostalCode: optional(a.PostalCode), Country: plainCode{a.Country},
		}
		if p.Address.Street == nil {
			p.Address.Street = []string{} // GraphQL lists are never null here
		}
	}
	if l := o.Location; l != nil {
		p.Location = &plainLocation{Latitude: l.Latitude, Longitude: l.Longitude}
	}
	return p
}

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

func intParam(query url.Values, name string) (*int, error) {
	if !query.Has(name) {
		return nil, nil
	}
	n, err := strconv.Atoi(query.Get(name))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &n, nil
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(w).Encode(v); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
}
