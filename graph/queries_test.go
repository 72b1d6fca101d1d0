package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/iclei/directory/directory"
	"github.com/iclei/directory/internal/apitest"
	"github.com/iclei/directory/seed"
)

// Finding records through the API: each filter, ordering and page argument reaches the domain's query
// (directory/queries_test.go holds the rules), search results, distances, service, countries and global IDs as
// the schema presents them, and every invalid argument as the client sees it.

// The regions' codes in the order of their names.
var regionCodes = []string{"global", "africa", "east-asia", "europe", "mexico-central-america-caribbean", "north-america",
	"oceania", "south-america", "south-asia", "southeast-asia"}

func reversed(keys []string) []string {
	r := slices.Clone(keys)
	slices.Reverse(r)
	return r
}

func TestQueries(t *testing.T) {
	t.Parallel()
	s := writable(t)
	// Memberships for the membership filters, which the seed has none of: Seoul a full member the East Asia
	// Secretariat serves, Beijing an associate member the World Secretariat serves.
	admin := s.mintKey(t, "queries-admin", directory.RoleAdmin)
	mustGQL(t, s, admin, grantMembershipQ, apitest.Input(map[string]any{"city": "seoul", "cityVersion": 1, "category": "FULL", "since": "2015-01-01"}), nil)
	mustGQL(t, s, admin, grantMembershipQ, apitest.Input(map[string]any{"city": "beijing", "cityVersion": 1, "category": "ASSOCIATE", "since": "2016-01-01",
		"secretariat": "world-secretariat"}), nil)

	t.Run("filters", func(t *testing.T) { testFilters(t, s) })
	t.Run("orderings", func(t *testing.T) { testOrderings(t, s) })
	t.Run("pagination", func(t *testing.T) { testPagination(t, s) })
	t.Run("search", func(t *testing.T) { testSearch(t, s) })
	t.Run("nearest offices", func(t *testing.T) { testNearestOffices(t, s) })
	t.Run("service for a country", func(t *testing.T) { testServiceFor(t, s) })
	t.Run("countries and local names", func(t *testing.T) { testCountries(t, s) })
	t.Run("global IDs", func(t *testing.T) { testGlobalIDs(t, s) })
	t.Run("invalid arguments", func(t *testing.T) { testInvalidArguments(t, s) })
}

func testFilters(t *testing.T, s *api) {
	tests := []struct {
		name, query string
		want        []string
	}{
		// Offices.
		{"offices by region", `{ offices(filter: { region: "east-asia" }) { nodes { key } } }`,
			[]string{"east-asia-secretariat", "japan-office", "korea-office"}},
		{"offices of a region run by national organisations", `{ offices(filter: { region: "north-america" }) { nodes { key } } }`,
			[]string{"canada-office", "usa-office"}},
		{"offices by country", `{ offices(filter: { country: "KR" }) { nodes { key } } }`,
			[]string{"east-asia-secretariat", "korea-office"}},
		{"offices by alpha-3 country code in lower case", `{ offices(filter: { country: "deu" }) { nodes { key } } }`,
			[]string{"european-secretariat", "world-secretariat"}},
		{"offices by kind", `{ offices(filter: { kind: COUNTRY_OFFICE }) { nodes { key } } }`,
			[]string{"canada-office", "japan-office", "korea-office", "usa-office"}},
		{"the world secretariat by kind", `{ offices(filter: { kind: WORLD_SECRETARIAT }) { nodes { key } } }`,
			[]string{"world-secretariat"}},
		{"city offices", `{ offices(filter: { kind: CITY_OFFICE }) { nodes { key } } }`, []string{"brussels-office"}},
		{"project offices", `{ offices(filter: { kind: PROJECT_OFFICE }) { nodes { key } } }`, []string{"indonesia-project-office"}},
		{"offices a secretariat runs", `{ offices(filter: { secretariat: "southeast-asia-secretariat" }) { nodes { key } } }`,
			[]string{"indonesia-project-office", "southeast-asia-secretariat"}},
		{"offices by locality without accents", `{ offices(filter: { city: "sao paulo" }) { nodes { key } } }`,
			[]string{"south-american-secretariat"}},
		{"offices by locality in capitals", `{ offices(filter: { city: "BRUXELLES" }) { nodes { key } } }`,
			[]string{"brussels-office"}},
		{"offices by a locality with none", `{ offices(filter: { city: "Paris" }) { nodes { key } } }`, []string{}},
		{"offices by region and kind", `{ offices(filter: { region: "europe", kind: CITY_OFFICE }) { nodes { key } } }`,
			[]string{"brussels-office"}},
		{"offices by region and country", `{ offices(filter: { region: "europe", country: "DE" }) { nodes { key } } }`,
			[]string{"european-secretariat"}},
		{"offices of a region by kind", `{ region(code: "east-asia") { offices(kind: COUNTRY_OFFICE) { nodes { key } } } }`,
			[]string{"japan-office", "korea-office"}},
		// Cities.
		{"cities by region", `{ cities(filter: { region: "east-asia" }) { nodes { key } } }`, apitest.CitiesByName},
		{"cities of a region with none", `{ cities(filter: { region: "europe" }) { nodes { key } } }`, []string{}},
		{"cities by country", `{ cities(filter: { country: "KR" }) { nodes { key } } }`, []string{"seoul"}},
		{"cities by kind", `{ cities(filter: { kind: DISTRICT }) { nodes { key } } }`,
			[]string{"guilin-lingui-new-district", "shenzhen-guangming-new-district", "tianjin-eco-city"}},
		{"cities that took part in a program", `{ cities(filter: { program: "` + programKey + `" }, first: 100) { nodes { key } } }`,
			apitest.ParticipantsByName},
		{"districts of a city", `{ cities(filter: { parent: "tianjin" }) { nodes { key } } }`, []string{"tianjin-eco-city"}},
		{"districts of a city, from the city", `{ city(key: "shenzhen") { districts { nodes { key } } } }`,
			[]string{"shenzhen-guangming-new-district"}},
		{"member cities a secretariat serves", `{ cities(filter: { secretariat: "east-asia-secretariat" }) { nodes { key } } }`,
			[]string{"seoul"}},
		{"member cities a secretariat serves, from the secretariat", `{ secretariat(key: "world-secretariat") { members { nodes { key } } } }`,
			[]string{"beijing"}},
		{"member cities of a secretariat without members", `{ cities(filter: { secretariat: "european-secretariat" }) { nodes { key } } }`,
			[]string{}},
		{"cities by membership category", `{ cities(filter: { membershipCategory: FULL }) { nodes { key } } }`, []string{"seoul"}},
		{"cities by another membership category", `{ cities(filter: { membershipCategory: ASSOCIATE }) { nodes { key } } }`, []string{"beijing"}},
		{"cities by membership status", `{ cities(filter: { membershipStatus: ACTIVE }) { nodes { key } } }`, []string{"beijing", "seoul"}},
		{"cities by a membership status none has", `{ cities(filter: { membershipStatus: SUSPENDED }) { nodes { key } } }`, []string{}},
		// Programs.
		{"programs by region", `{ programs(filter: { region: "east-asia" }) { nodes { key } } }`, []string{programKey}},
		{"programs of a region with none", `{ programs(filter: { region: "europe" }) { nodes { key } } }`, []string{}},
		{"programs by kind", `{ programs(filter: { kind: CAPACITY_BUILDING }) { nodes { key } } }`, []string{programKey}},
		{"programs of a kind with none", `{ programs(filter: { kind: CONFERENCE }) { nodes { key } } }`, []string{}},
		{"programs by year", `{ programs(filter: { year: 2016 }) { nodes { key } } }`, []string{programKey}},
		{"programs of a year with none", `{ programs(filter: { year: 2017 }) { nodes { key } } }`, []string{}},
		{"programs by topic in another case", `{ programs(filter: { topic: "Waste Management" }) { nodes { key } } }`, []string{programKey}},
		{"programs by part of a topic", `{ programs(filter: { topic: "waste" }) { nodes { key } } }`, []string{}},
		{"programs a city took part in", `{ programs(filter: { city: "suining" }) { nodes { key } } }`, []string{programKey}},
		{"programs a city hosted", `{ programs(filter: { city: "seoul" }) { nodes { key } } }`, []string{programKey}},
		{"programs of a district's parent city", `{ programs(filter: { city: "guilin" }) { nodes { key } } }`, []string{}},
		{"programs a secretariat organized", `{ programs(filter: { organizer: "east-asia-secretariat" }) { nodes { key } } }`, []string{programKey}},
		{"programs an organization organized", `{ programs(filter: { organizer: "shrdc" }) { nodes { key } } }`, []string{programKey}},
		{"programs a city's government organized", `{ programs(filter: { organizer: "seoul" }) { nodes { key } } }`, []string{programKey}},
		{"programs a secretariat did not organize", `{ programs(filter: { organizer: "european-secretariat" }) { nodes { key } } }`, []string{}},
		{"programs that name a person", `{ programs(filter: { person: "shu-zhu" }) { nodes { key } } }`, []string{programKey}},
		// Secretariats.
		{"secretariats by region", `{ secretariats(filter: { region: "oceania" }) { nodes { key } } }`, []string{"oceania-secretariat"}},
		{"secretariats of the global level", `{ secretariats(filter: { region: "global" }) { nodes { key } } }`, []string{"world-secretariat"}},
		{"secretariats of a region that has none", `{ secretariats(filter: { region: "north-america" }) { nodes { key } } }`, []string{}},
		{"the world secretariat among secretariats by kind", `{ secretariats(filter: { kind: WORLD }) { nodes { key } } }`, []string{"world-secretariat"}},
		{"regional secretariats", `{ secretariats(filter: { kind: REGIONAL }) { nodes { key } } }`, apitest.SecretariatsByName[:8]},
		// Organizations.
		{"organizations by country", `{ organizations(filter: { country: "KR" }) { nodes { key } } }`, []string{"shrdc"}},
		{"organizations of a country with none", `{ organizations(filter: { country: "DE" }) { nodes { key } } }`, []string{}},
		{"organizations by city", `{ organizations(filter: { city: "seoul" }) { nodes { key } } }`, []string{"shrdc"}},
		{"organizations of a city with none", `{ organizations(filter: { city: "beijing" }) { nodes { key } } }`, []string{}},
		// People.
		{"people with a role at an organization", `{ people(filter: { institution: "shrdc" }) { nodes { key } } }`,
			[]string{"gwonsig-won", "joon-ho-ahn"}},
		{"people with a role at a secretariat", `{ people(filter: { institution: "east-asia-secretariat" }) { nodes { key } } }`,
			[]string{"shu-zhu"}},
		{"people with a role at a city, of whom there are none", `{ people(filter: { institution: "seoul" }) { nodes { key } } }`, []string{}},
		{"people a program names", `{ people(filter: { program: "` + programKey + `" }) { nodes { key } } }`, apitest.PeopleByName},
		{"people of an organization, from the organization", `{ organization(key: "shrdc") { people { nodes { key } } } }`,
			[]string{"gwonsig-won", "joon-ho-ahn"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := keysOf(t, s, tt.query); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("keys = %q\nwant %q", got, tt.want)
			}
		})
	}
}

// keysOf runs a query with one connection, at the top level or one level down, and returns its nodes' keys.
func keysOf(t *testing.T, s *api, query string) []string {
	t.Helper()
	var raw map[string]map[string]json.RawMessage
	s.query(t, query, nil, &raw)
	for _, field := range raw {
		if nodes, ok := field["nodes"]; ok {
			return keysIn(t, nodes)
		}
		for _, inner := range field {
			var c struct{ Nodes json.RawMessage }
			if err := json.Unmarshal(inner, &c); err == nil && c.Nodes != nil {
				return keysIn(t, c.Nodes)
			}
		}
	}
	t.Fatalf("no connection in the response to %s", query)
	return nil
}

func keysIn(t *testing.T, nodes json.RawMessage) []string {
	t.Helper()
	var ns []struct{ Key string }
	if err := json.Unmarshal(nodes, &ns); err != nil {
		t.Fatal(err)
	}
	keys := []string{}
	for _, n := range ns {
		keys = append(keys, n.Key)
	}
	return keys
}

func testOrderings(t *testing.T, s *api) {
	tests := []struct {
		connection, field string
		asc               []string
	}{
		{"offices", "NAME", apitest.OfficesByName},
		// The keys follow the names, so KEY and NAME order the offices alike.
		{"offices", "KEY", apitest.OfficesByName},
		{"offices", "COUNTRY", apitest.OfficesByCountry},
		{"offices", "REGION", apitest.OfficesByRegion},
		{"cities", "NAME", apitest.CitiesByName},
		{"cities", "KEY", apitest.CitiesByName},
		{"cities", "COUNTRY", []string{"beijing", "chengdu", "guangzhou", "guilin", "guilin-lingui-new-district", "guiyang",
			"shanghai", "shenzhen", "shenzhen-guangming-new-district", "suining", "tianjin", "tianjin-eco-city", "zhuzhou", "seoul"}},
		// Every city is in East Asia and none has a population: both orderings fall back to the name.
		{"cities", "REGION", apitest.CitiesByName},
		{"cities", "POPULATION", apitest.CitiesByName},
		{"programs", "DATE", []string{programKey}},
		{"programs", "TITLE", []string{programKey}},
		{"programs", "KEY", []string{programKey}},
		{"secretariats", "NAME", apitest.SecretariatsByName},
		{"secretariats", "KEY", apitest.SecretariatsByName},
		{"secretariats", "REGION", []string{"africa-secretariat", "east-asia-secretariat", "european-secretariat", "world-secretariat",
			"mexico-central-america-caribbean-secretariat", "oceania-secretariat", "south-american-secretariat",
			"south-asia-secretariat", "southeast-asia-secretariat"}},
		{"organizations", "NAME", []string{"shrdc"}},
		{"organizations", "KEY", []string{"shrdc"}},
		{"people", "NAME", apitest.PeopleByName},
		{"people", "KEY", apitest.PeopleByName},
	}
	for _, tt := range tests {
		for _, dir := range []string{"ASC", "DESC"} {
			t.Run(tt.connection+" by "+tt.field+" "+dir, func(t *testing.T) {
				want := tt.asc
				if dir == "DESC" {
					want = reversed(tt.asc)
				}
				q := fmt.Sprintf(`{ %s(orderBy: { field: %s, direction: %s }, first: 100) { nodes { key } } }`, tt.connection, tt.field, dir)
				if got := keysOf(t, s, q); !reflect.DeepEqual(got, want) {
					t.Errorf("keys = %q\nwant %q", got, want)
				}
			})
		}
	}

	t.Run("the default orders", func(t *testing.T) {
		for connection, want := range map[string][]string{
			"offices": apitest.OfficesByName, "cities": apitest.CitiesByName, "secretariats": apitest.SecretariatsByName, "people": apitest.PeopleByName,
			"programs": {programKey}, "organizations": {"shrdc"},
		} {
			q := fmt.Sprintf(`{ %s(first: 100) { nodes { key } } }`, connection)
			if got := keysOf(t, s, q); !reflect.DeepEqual(got, want) {
				t.Errorf("%s = %q\nwant %q", connection, got, want)
			}
		}
	})
}

// connectionPage is one page of a connection of records with keys.
type connectionPage struct {
	Keys       []string
	PageInfo   pageInfo
	TotalCount int
	Cursors    []string
}

// page runs a query whose only top-level field is a connection, asking for its edges, page info and total count.
func page(t *testing.T, s *api, query string, vars map[string]any) connectionPage {
	t.Helper()
	var got map[string]struct {
		Edges []struct {
			Cursor string
			Node   struct{ Key string }
		}
		PageInfo   pageInfo
		TotalCount int
	}
	s.query(t, query, vars, &got)
	for _, c := range got {
		p := connectionPage{PageInfo: c.PageInfo, TotalCount: c.TotalCount, Keys: []string{}}
		for _, e := range c.Edges {
			p.Keys = append(p.Keys, e.Node.Key)
			p.Cursors = append(p.Cursors, e.Cursor)
		}
		return p
	}
	t.Fatal("no connection in the response")
	return connectionPage{}
}

const edgesAndPageInfo = `edges { cursor node { key } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } totalCount`

// walk pages through a connection with first/after, or with last/before when backward is set, and returns the
// keys in the connection's order and the pages' page infos in the order they were fetched.
func walk(t *testing.T, s *api, connection, args string, size int, backward bool, total int) ([]string, []pageInfo) {
	t.Helper()
	var (
		keys  []string
		infos []pageInfo
		at    *string
	)
	q := fmt.Sprintf(`query($n: Int, $at: String) { %s(%s first: $n, after: $at) { %s } }`, connection, args, edgesAndPageInfo)
	if backward {
		q = fmt.Sprintf(`query($n: Int, $at: String) { %s(%s last: $n, before: $at) { %s } }`, connection, args, edgesAndPageInfo)
	}
	for range 100 {
		p := page(t, s, q, map[string]any{"n": size, "at": at})
		if p.TotalCount != total {
			t.Errorf("page %d: totalCount = %d, want %d", len(infos), p.TotalCount, total)
		}
		infos = append(infos, p.PageInfo)
		if backward {
			keys = append(slices.Clone(p.Keys), keys...)
			if !p.PageInfo.HasPreviousPage {
				return keys, infos
			}
			at = p.PageInfo.StartCursor
		} else {
			keys = append(keys, p.Keys...)
			if !p.PageInfo.HasNextPage {
				return keys, infos
			}
			at = p.PageInfo.EndCursor
		}
	}
	t.Fatalf("%s did not end after 100 pages", connection)
	return nil, nil
}

func testPagination(t *testing.T, s *api) {
	// The country and region orderings sort by two fields, which their cursors carry.
	orders := []struct {
		field string
		asc   []string
	}{
		{"NAME", apitest.OfficesByName},
		{"REGION", apitest.OfficesByRegion},
		{"COUNTRY", apitest.OfficesByCountry},
	}
	for _, o := range orders {
		for _, dir := range []string{"ASC", "DESC"} {
			want := o.asc
			if dir == "DESC" {
				want = reversed(o.asc)
			}
			args := fmt.Sprintf("orderBy: { field: %s, direction: %s },", o.field, dir)
			t.Run("offices by "+o.field+" "+dir+" forward with first and after", func(t *testing.T) {
				keys, infos := walk(t, s, "offices", args, 4, false, 15)
				if !reflect.DeepEqual(keys, want) {
					t.Errorf("keys = %q\nwant %q", keys, want)
				}
				// 15 offices in pages of 4, 4, 4 and 3.
				wantInfos := []struct{ next, prev bool }{{true, false}, {true, true}, {true, true}, {false, true}}
				checkPageInfos(t, infos, wantInfos)
			})
			t.Run("offices by "+o.field+" "+dir+" backward with last and before", func(t *testing.T) {
				keys, infos := walk(t, s, "offices", args, 4, true, 15)
				if !reflect.DeepEqual(keys, want) {
					t.Errorf("keys = %q\nwant %q", keys, want)
				}
				wantInfos := []struct{ next, prev bool }{{false, true}, {true, true}, {true, true}, {true, false}}
				checkPageInfos(t, infos, wantInfos)
			})
		}
	}

	t.Run("cities forward and backward in pages of 5", func(t *testing.T) {
		forward, _ := walk(t, s, "cities", "", 5, false, 14)
		backward, _ := walk(t, s, "cities", "", 5, true, 14)
		if !reflect.DeepEqual(forward, apitest.CitiesByName) || !reflect.DeepEqual(backward, apitest.CitiesByName) {
			t.Errorf("forward %q\nbackward %q\nwant %q", forward, backward, apitest.CitiesByName)
		}
	})

	t.Run("a page holding the whole connection", func(t *testing.T) {
		p := page(t, s, `{ offices(first: 100) { `+edgesAndPageInfo+` } }`, nil)
		if !reflect.DeepEqual(p.Keys, apitest.OfficesByName) || p.PageInfo.HasNextPage || p.PageInfo.HasPreviousPage {
			t.Errorf("keys %q, %+v; want every office and no page either side", p.Keys, p.PageInfo)
		}
		if *p.PageInfo.StartCursor != p.Cursors[0] || *p.PageInfo.EndCursor != p.Cursors[14] {
			t.Error("startCursor and endCursor are not the first and last edges' cursors")
		}
	})

	t.Run("twenty records by default", func(t *testing.T) {
		p := page(t, s, `{ offices { `+edgesAndPageInfo+` } }`, nil)
		if len(p.Keys) != 15 || p.PageInfo.HasNextPage {
			t.Errorf("%d offices, hasNextPage %v; want all 15 within the default page of 20", len(p.Keys), p.PageInfo.HasNextPage)
		}
	})

	t.Run("between two cursors", func(t *testing.T) {
		all := page(t, s, `{ offices(first: 100) { `+edgesAndPageInfo+` } }`, nil)
		vars := map[string]any{"after": all.Cursors[4], "before": all.Cursors[10]}
		first := page(t, s, `query($after: String, $before: String) { offices(first: 100, after: $after, before: $before) { `+edgesAndPageInfo+` } }`, vars)
		if want := apitest.OfficesByName[5:10]; !reflect.DeepEqual(first.Keys, want) {
			t.Errorf("first 100 between the 5th and 11th = %q, want %q", first.Keys, want)
		}
		last := page(t, s, `query($after: String, $before: String) { offices(last: 2, after: $after, before: $before) { `+edgesAndPageInfo+` } }`, vars)
		if want := apitest.OfficesByName[8:10]; !reflect.DeepEqual(last.Keys, want) || !last.PageInfo.HasPreviousPage || !last.PageInfo.HasNextPage {
			t.Errorf("last 2 between the 5th and 11th = %q, %+v; want %q with pages either side", last.Keys, last.PageInfo, want)
		}
	})

	t.Run("past the end", func(t *testing.T) {
		all := page(t, s, `{ offices(first: 100) { `+edgesAndPageInfo+` } }`, nil)
		p := page(t, s, `query($after: String) { offices(first: 5, after: $after) { `+edgesAndPageInfo+` } }`,
			map[string]any{"after": all.Cursors[14]})
		if len(p.Keys) != 0 || p.PageInfo.HasNextPage || !p.PageInfo.HasPreviousPage || p.PageInfo.StartCursor != nil || p.TotalCount != 15 {
			t.Errorf("after the last office: %q, %+v, totalCount %d; want an empty page after 15 offices", p.Keys, p.PageInfo, p.TotalCount)
		}
	})

	t.Run("a filtered connection counts only what the filter selects", func(t *testing.T) {
		keys, infos := walk(t, s, "offices", `filter: { region: "east-asia" },`, 2, false, 3)
		if want := []string{"east-asia-secretariat", "japan-office", "korea-office"}; !reflect.DeepEqual(keys, want) {
			t.Errorf("keys = %q, want %q", keys, want)
		}
		checkPageInfos(t, infos, []struct{ next, prev bool }{{true, false}, {false, true}})
	})

	t.Run("a cursor stays valid in the other direction of its ordering", func(t *testing.T) {
		all := page(t, s, `{ offices(first: 100) { `+edgesAndPageInfo+` } }`, nil)
		p := page(t, s, `query($after: String) { offices(orderBy: { field: NAME, direction: DESC }, first: 3, after: $after) { `+edgesAndPageInfo+` } }`,
			map[string]any{"after": all.Cursors[5]})
		if want := reversed(apitest.OfficesByName[2:5]); !reflect.DeepEqual(p.Keys, want) {
			t.Errorf("keys = %q, want %q", p.Keys, want)
		}
	})
}

func checkPageInfos(t *testing.T, got []pageInfo, want []struct{ next, prev bool }) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d pages, want %d", len(got), len(want))
	}
	for i, w := range want {
		if got[i].HasNextPage != w.next || got[i].HasPreviousPage != w.prev {
			t.Errorf("page %d: hasNextPage %v, hasPreviousPage %v; want %v, %v", i, got[i].HasNextPage, got[i].HasPreviousPage, w.next, w.prev)
		}
	}
}

// TestCursorsSurviveSnapshotReload pages through cities while a write adds cities on both sides of the cursor.
func TestCursorsSurviveSnapshotReload(t *testing.T) {
	t.Parallel()
	s := writable(t)
	ctx := context.Background()
	data, _, err := seed.Build()
	if err != nil {
		t.Fatal(err)
	}
	// Test cities in France, where the seed has none, named so that their names sort by number.
	city := func(n int) directory.City {
		return directory.City{Key: fmt.Sprintf("testville-%03d", n), Name: fmt.Sprintf("Testville %03d", n), Kind: directory.CityMunicipality,
			Country: "FR", Region: "europe", Version: 1, Provenance: directory.Provenance{Origin: directory.OriginSeed, Curated: []string{"name"}}}
	}
	names := func(from, to, step int) []string {
		var keys []string
		for n := from; n <= to; n += step {
			keys = append(keys, fmt.Sprintf("testville-%03d", n))
		}
		return keys
	}
	write := func(t *testing.T, cities []directory.City) {
		t.Helper()
		data.Cities = append(data.Cities, cities...)
		r, err := s.w.Seed(ctx, directory.SeedActor, data, 100)
		if err != nil {
			t.Fatal(err)
		}
		if r.Inserted != len(cities) {
			t.Fatalf("seed inserted %d records, want %d cities", r.Inserted, len(cities))
		}
		// The writer's own read model serves its write at once.
		var got struct{ Directory struct{ Revision string } }
		s.query(t, `{ directory { revision } }`, nil, &got)
		if got.Directory.Revision != strconv.FormatInt(r.Revision, 10) {
			t.Fatalf("serving revision %s, want %d", got.Directory.Revision, r.Revision)
		}
	}
	// The even numbers 0-118 first.
	var even []directory.City
	for n := 0; n < 120; n += 2 {
		even = append(even, city(n))
	}
	write(t, even)

	const q = `query($first: Int, $after: String, $last: Int, $before: String) {
		cities(filter: { country: "FR" }, first: $first, after: $after, last: $last, before: $before) { ` + edgesAndPageInfo + ` } }`
	page1 := page(t, s, q, map[string]any{"first": 10})
	page2 := page(t, s, q, map[string]any{"first": 10, "after": page1.PageInfo.EndCursor})
	if want := names(0, 38, 2); !reflect.DeepEqual(append(page1.Keys, page2.Keys...), want) || page2.TotalCount != 60 {
		t.Fatalf("first two pages = %q of %d, want %q of 60", append(page1.Keys, page2.Keys...), page2.TotalCount, want)
	}

	// Then the odd numbers 1-119: ten of them sort before the cursor, fifty after it.
	var odd []directory.City
	for n := 1; n < 120; n += 2 {
		odd = append(odd, city(n))
	}
	write(t, odd)

	t.Run("paging on from an old cursor skips and repeats nothing", func(t *testing.T) {
		var keys []string
		after := page2.PageInfo.EndCursor
		for range 20 {
			p := page(t, s, q, map[string]any{"first": 25, "after": after})
			if p.TotalCount != 120 {
				t.Errorf("totalCount = %d, want 120", p.TotalCount)
			}
			keys = append(keys, p.Keys...)
			if !p.PageInfo.HasNextPage {
				break
			}
			after = p.PageInfo.EndCursor
		}
		if want := names(39, 119, 1); !reflect.DeepEqual(keys, want) {
			t.Errorf("after testville-038: %q\nwant %q", keys, want)
		}
	})

	t.Run("paging back from an old cursor finds the records written before it", func(t *testing.T) {
		p := page(t, s, q, map[string]any{"last": 10, "before": page2.PageInfo.StartCursor})
		if want := names(10, 19, 1); !reflect.DeepEqual(p.Keys, want) || !p.PageInfo.HasPreviousPage {
			t.Errorf("before testville-020: %q, %+v; want %q and earlier pages", p.Keys, p.PageInfo, want)
		}
	})

	t.Run("the first page now holds the new records", func(t *testing.T) {
		p := page(t, s, q, map[string]any{"first": 10})
		if want := names(0, 9, 1); !reflect.DeepEqual(p.Keys, want) {
			t.Errorf("first page %q, want %q", p.Keys, want)
		}
	})
}

func testSearch(t *testing.T, s *api) {
	type result struct {
		Type, MatchedField, MatchedText, Match string
		Node                                   struct{ Key, Code string }
	}
	search := func(t *testing.T, query string, types []string) (int, []string, []result) {
		t.Helper()
		var got struct {
			Search struct {
				TotalCount int
				Nodes      []result
			}
		}
		vars := map[string]any{"q": query}
		if types != nil {
			vars["types"] = types
		}
		s.query(t, `query($q: String!, $types: [SearchType!]) { search(query: $q, types: $types, first: 100) { totalCount nodes {
			type matchedField matchedText match
			node { ... on Region { code } ... on Secretariat { key } ... on Office { key } ... on City { key }
				... on Program { key } ... on Organization { key } ... on Person { key } } } } }`, vars, &got)
		var short []string
		for _, r := range got.Search.Nodes {
			short = append(short, r.Type+" "+r.Node.Key+r.Node.Code+" "+r.Match)
		}
		return got.Search.TotalCount, short, got.Search.Nodes
	}

	for _, q := range []string{"sao paulo", "SÃO PAULO", "Sao Paulo", "são paulo", "  São   Paulo "} {
		t.Run(fmt.Sprintf("%q finds the office in São Paulo", q), func(t *testing.T) {
			total, short, results := search(t, q, nil)
			if want := []string{"OFFICE south-american-secretariat EXACT"}; total != 1 || !reflect.DeepEqual(short, want) {
				t.Fatalf("%d results %q, want %q", total, short, want)
			}
			if r := results[0]; r.MatchedField != "address.locality" || r.MatchedText != "São Paulo" {
				t.Errorf("matched %s %q, want address.locality \"São Paulo\"", r.MatchedField, r.MatchedText)
			}
		})
	}

	tests := []struct {
		name, query string
		types       []string
		want        []string
	}{
		{"the start of a word inside the program's text finds the program", "cheonggye", nil,
			[]string{"PROGRAM " + programKey + " PREFIX"}},
		{"exact matches rank before prefix matches before matches inside a word", "east asia", nil, []string{
			"REGION east-asia EXACT",
			"OFFICE east-asia-secretariat PREFIX", "SECRETARIAT east-asia-secretariat PREFIX", "PROGRAM " + programKey + " PREFIX",
			"REGION southeast-asia CONTAINS", "OFFICE southeast-asia-secretariat CONTAINS", "SECRETARIAT southeast-asia-secretariat CONTAINS",
		}},
		{"a name ranks before a locality among exact matches", "seoul", nil, []string{
			"CITY seoul EXACT", "OFFICE east-asia-secretariat EXACT", "ORGANIZATION shrdc PREFIX", "PROGRAM " + programKey + " PREFIX",
		}},
		{"a local name", "北京市", nil, []string{"CITY beijing EXACT"}},
		{"the start of a local name", "北京", nil, []string{"CITY beijing PREFIX"}},
		{"a city and its district", "guilin", nil, []string{"CITY guilin EXACT", "CITY guilin-lingui-new-district PREFIX"}},
		// The program's photo caption names the person, its summary the organization "(SHRDC)".
		{"a person", "shu zhu", nil, []string{"PERSON shu-zhu EXACT", "PROGRAM " + programKey + " PREFIX"}},
		{"an organization by its short name", "shrdc", nil, []string{"ORGANIZATION shrdc EXACT", "PROGRAM " + programKey + " PREFIX"}},
		{"only cities", "seoul", []string{"CITY"}, []string{"CITY seoul EXACT"}},
		{"only offices and organizations", "seoul", []string{"OFFICE", "ORGANIZATION"},
			[]string{"OFFICE east-asia-secretariat EXACT", "ORGANIZATION shrdc PREFIX"}},
		{"only regions", "asia", []string{"REGION"}, []string{"REGION east-asia PREFIX", "REGION south-asia PREFIX", "REGION southeast-asia PREFIX"}},
		{"nothing", "atlantis", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			total, short, _ := search(t, tt.query, tt.types)
			if total != len(tt.want) || !reflect.DeepEqual(short, tt.want) {
				t.Errorf("%d results %q\nwant %q", total, short, tt.want)
			}
		})
	}

	t.Run("pages through the results both ways", func(t *testing.T) {
		// "secretariat" starts a word of the name of every secretariat and of its head office, and of the
		// program's summary ("…the ICLEI East Asia Secretariat…"): 19 results, each secretariat's office first.
		var want []string
		for _, k := range apitest.SecretariatsByName {
			want = append(want, "Office:"+k, "Secretariat:"+k)
		}
		want = append(want, "Program:"+programKey)
		const fields = `totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
			edges { node { node { __typename ... on Secretariat { key } ... on Office { key } ... on Program { key } } } }`
		for _, backward := range []bool{false, true} {
			name, q := "forward", `query($at: String) { search(query: "secretariat", first: 5, after: $at) { `+fields+` } }`
			if backward {
				name, q = "backward", `query($at: String) { search(query: "secretariat", last: 5, before: $at) { `+fields+` } }`
			}
			t.Run(name, func(t *testing.T) {
				var got []string
				var at *string
				pages := 0
				for more := true; more && pages < 10; pages++ {
					var r struct {
						Search struct {
							TotalCount int
							PageInfo   pageInfo
							Edges      []struct {
								Node struct {
									Node struct {
										Typename string `json:"__typename"`
										Key      string
									}
								}
							}
						}
					}
					s.query(t, q, map[string]any{"at": at}, &r)
					if r.Search.TotalCount != 19 {
						t.Errorf("totalCount = %d, want 19", r.Search.TotalCount)
					}
					var keys []string
					for _, e := range r.Search.Edges {
						keys = append(keys, e.Node.Node.Typename+":"+e.Node.Node.Key)
					}
					if backward {
						got, at, more = append(keys, got...), r.Search.PageInfo.StartCursor, r.Search.PageInfo.HasPreviousPage
					} else {
						got, at, more = append(got, keys...), r.Search.PageInfo.EndCursor, r.Search.PageInfo.HasNextPage
					}
				}
				if pages != 4 || !reflect.DeepEqual(got, want) {
					t.Errorf("%d pages of %q\nwant 4 pages of %q", pages, got, want)
				}
			})
		}
	})
}

func testNearestOffices(t *testing.T, s *api) {
	tests := []struct {
		place               string
		latitude, longitude float64
		want                []string
		// The nearest office lies between these distances, in kilometres.
		nearestFrom, nearestTo float64
	}{
		{"Bonn", 50.7374, 7.0982, []string{"world-secretariat", "brussels-office", "european-secretariat"}, 0, 1},
		{"Suwon", 37.2636, 127.0286, []string{"korea-office", "east-asia-secretariat", "japan-office"}, 0, 1},
		// Sydney to Melbourne is about 713 km as the crow flies.
		{"Sydney", -33.8688, 151.2093, []string{"oceania-secretariat", "indonesia-project-office", "southeast-asia-secretariat"}, 700, 730},
		// Berlin is nearer Bonn (about 480 km) than Freiburg (about 640 km).
		{"Berlin", 52.52, 13.405, []string{"world-secretariat", "european-secretariat", "brussels-office"}, 460, 500},
	}
	for _, tt := range tests {
		t.Run("from "+tt.place, func(t *testing.T) {
			var got struct {
				NearestOffices []struct {
					Office     struct{ Key string }
					DistanceKm float64
				}
			}
			s.query(t, `query($lat: Float!, $lon: Float!) { nearestOffices(latitude: $lat, longitude: $lon, first: 3) {
				office { key } distanceKm } }`, map[string]any{"lat": tt.latitude, "lon": tt.longitude}, &got)
			var keys []string
			for _, d := range got.NearestOffices {
				keys = append(keys, d.Office.Key)
			}
			if !reflect.DeepEqual(keys, tt.want) {
				t.Fatalf("nearest offices = %q, want %q", keys, tt.want)
			}
			if d := got.NearestOffices[0].DistanceKm; d < tt.nearestFrom || d > tt.nearestTo {
				t.Errorf("%s is %.1f km away, want %.0f-%.0f km", keys[0], d, tt.nearestFrom, tt.nearestTo)
			}
		})
	}

	t.Run("every office, nearest first", func(t *testing.T) {
		var got struct {
			NearestOffices []struct{ DistanceKm float64 }
		}
		s.query(t, `{ nearestOffices(latitude: 0, longitude: 0, first: 100) { distanceKm } }`, nil, &got)
		if len(got.NearestOffices) != 15 {
			t.Fatalf("%d offices, want all 15", len(got.NearestOffices))
		}
		for i := 1; i < len(got.NearestOffices); i++ {
			if got.NearestOffices[i].DistanceKm < got.NearestOffices[i-1].DistanceKm {
				t.Errorf("office %d at %.1f km after one at %.1f km", i, got.NearestOffices[i].DistanceKm, got.NearestOffices[i-1].DistanceKm)
			}
		}
	})

	t.Run("five by default", func(t *testing.T) {
		var got struct {
			NearestOffices []struct{ DistanceKm float64 }
		}
		s.query(t, `{ nearestOffices(latitude: 0, longitude: 0) { distanceKm } }`, nil, &got)
		if len(got.NearestOffices) != 5 {
			t.Errorf("%d offices, want 5", len(got.NearestOffices))
		}
	})

	t.Run("the office nearest a city", func(t *testing.T) {
		var got map[string]struct {
			NearestOffice struct {
				Office     struct{ Key string }
				DistanceKm float64
			}
		}
		s.query(t, `{
			seoul: city(key: "seoul") { nearestOffice { office { key } distanceKm } }
			beijing: city(key: "beijing") { nearestOffice { office { key } distanceKm } }
			guangzhou: city(key: "guangzhou") { nearestOffice { office { key } distanceKm } }
		}`, nil, &got)
		// Guangzhou is nearer Manila (about 1,250 km) than Seoul (about 2,070 km).
		want := map[string]struct {
			office   string
			from, to float64
		}{"seoul": {"east-asia-secretariat", 0, 1}, "beijing": {"east-asia-secretariat", 900, 1000}, "guangzhou": {"southeast-asia-secretariat", 1150, 1350}}
		for city, w := range want {
			n := got[city].NearestOffice
			if n.Office.Key != w.office || n.DistanceKm < w.from || n.DistanceKm > w.to || math.IsNaN(n.DistanceKm) {
				t.Errorf("%s: nearest office %s at %.1f km, want %s at %.0f-%.0f km", city, n.Office.Key, n.DistanceKm, w.office, w.from, w.to)
			}
		}
	})
}

func testServiceFor(t *testing.T, s *api) {
	tests := []struct {
		country, region, secretariat, contact string
		offices                               []string
	}{
		{"SA", "global", "world-secretariat", "world-secretariat", []string{"world-secretariat"}},
		{"ZA", "africa", "africa-secretariat", "africa-secretariat", []string{"africa-secretariat"}},
		{"KR", "east-asia", "east-asia-secretariat", "east-asia-secretariat", []string{"east-asia-secretariat", "korea-office", "japan-office"}},
		// The office in the country comes before the secretariat's head office.
		{"JP", "east-asia", "east-asia-secretariat", "japan-office", []string{"japan-office", "east-asia-secretariat", "korea-office"}},
		{"CN", "east-asia", "east-asia-secretariat", "east-asia-secretariat", []string{"east-asia-secretariat", "japan-office", "korea-office"}},
		{"FR", "europe", "european-secretariat", "european-secretariat", []string{"european-secretariat", "brussels-office"}},
		{"BE", "europe", "european-secretariat", "brussels-office", []string{"brussels-office", "european-secretariat"}},
		{"GT", "mexico-central-america-caribbean", "mexico-central-america-caribbean-secretariat", "mexico-central-america-caribbean-secretariat",
			[]string{"mexico-central-america-caribbean-secretariat"}},
		// North America has no secretariat: its offices are run by national organisations.
		{"US", "north-america", "", "usa-office", []string{"usa-office", "canada-office"}},
		{"CA", "north-america", "", "canada-office", []string{"canada-office", "usa-office"}},
		{"NZ", "oceania", "oceania-secretariat", "oceania-secretariat", []string{"oceania-secretariat"}},
		{"AR", "south-america", "south-american-secretariat", "south-american-secretariat", []string{"south-american-secretariat"}},
		{"BD", "south-asia", "south-asia-secretariat", "south-asia-secretariat", []string{"south-asia-secretariat"}},
		{"ID", "southeast-asia", "southeast-asia-secretariat", "indonesia-project-office", []string{"indonesia-project-office", "southeast-asia-secretariat"}},
		{"VN", "southeast-asia", "southeast-asia-secretariat", "southeast-asia-secretariat", []string{"southeast-asia-secretariat", "indonesia-project-office"}},
	}
	regions := map[string]bool{}
	for _, tt := range tests {
		regions[tt.region] = true
		t.Run(tt.country, func(t *testing.T) {
			var got struct {
				ServiceFor struct {
					Country     struct{ Code string }
					Region      struct{ Code string }
					Secretariat *struct{ Key string }
					Contact     struct{ Key string }
					Offices     []struct{ Key string }
				}
			}
			s.query(t, `query($c: String!) { serviceFor(country: $c) { country { code } region { code } secretariat { key }
				contact { key } offices { key } } }`, map[string]any{"c": tt.country}, &got)
			svc := got.ServiceFor
			secretariat := ""
			if svc.Secretariat != nil {
				secretariat = svc.Secretariat.Key
			}
			var offices []string
			for _, o := range svc.Offices {
				offices = append(offices, o.Key)
			}
			if svc.Country.Code != tt.country || svc.Region.Code != tt.region || secretariat != tt.secretariat ||
				svc.Contact.Key != tt.contact || !reflect.DeepEqual(offices, tt.offices) {
				t.Errorf("service = %s in %s, secretariat %q, contact %s, offices %q\nwant %s in %s, secretariat %q, contact %s, offices %q",
					svc.Country.Code, svc.Region.Code, secretariat, svc.Contact.Key, offices,
					tt.country, tt.region, tt.secretariat, tt.contact, tt.offices)
			}
		})
	}
	if len(regions) != 10 {
		t.Errorf("the table covers %d regions, want all 10", len(regions))
	}

	t.Run("by alpha-3 code, and from a country and a city", func(t *testing.T) {
		type service struct {
			Region  struct{ Code string }
			Contact struct{ Key string }
		}
		var raw struct {
			Alpha3  service
			Country struct{ Service service }
			City    struct{ Service service }
		}
		s.query(t, `{
			alpha3: serviceFor(country: "bra") { region { code } contact { key } }
			country: country(code: "BR") { service { region { code } contact { key } } }
			city: city(key: "tianjin-eco-city") { service { region { code } contact { key } } }
		}`, nil, &raw)
		if raw.Alpha3.Region.Code != "south-america" || raw.Alpha3.Contact.Key != "south-american-secretariat" {
			t.Errorf("serviceFor(bra) = %+v", raw.Alpha3)
		}
		if raw.Country.Service.Region.Code != "south-america" || raw.Country.Service.Contact.Key != "south-american-secretariat" {
			t.Errorf("country(BR).service = %+v", raw.Country.Service)
		}
		if raw.City.Service.Region.Code != "east-asia" || raw.City.Service.Contact.Key != "east-asia-secretariat" {
			t.Errorf("city(tianjin-eco-city).service = %+v", raw.City.Service)
		}
	})
}

func testCountries(t *testing.T, s *api) {
	type country struct {
		ID, Code, Alpha3, Numeric, Name, Ko, De, Zh string
		Region                                      struct{ Code string }
	}
	const fields = `id code alpha3 numeric name ko: name(lang: "ko") de: name(lang: "de") zh: name(lang: "zh-Hans") region { code }`
	korea := country{ID: "Q291bnRyeTpLUg", Code: "KR", Alpha3: "KOR", Numeric: "410", Name: "South Korea", Ko: "대한민국", De: "Südkorea", Zh: "韩国"}
	korea.Region.Code = "east-asia"
	germany := country{ID: "Q291bnRyeTpERQ", Code: "DE", Alpha3: "DEU", Numeric: "276", Name: "Germany", Ko: "독일", De: "Deutschland", Zh: "德国"}
	germany.Region.Code = "europe"
	for _, tt := range []struct {
		code string
		want *country
	}{
		{"KR", &korea}, {"KOR", &korea}, {"kor", &korea}, {"DE", &germany}, {"DEU", &germany}, {"XX", nil}, {"XXX", nil},
	} {
		t.Run("country "+tt.code, func(t *testing.T) {
			var got struct{ Country *country }
			s.query(t, `query($c: String!) { country(code: $c) { `+fields+` } }`, map[string]any{"c": tt.code}, &got)
			if !reflect.DeepEqual(got.Country, tt.want) {
				t.Errorf("country = %+v\nwant %+v", got.Country, tt.want)
			}
		})
	}

	t.Run("the countries a region serves", func(t *testing.T) {
		var got struct {
			Countries []struct{ Code string }
			Region    struct{ Countries []struct{ Code string } }
		}
		s.query(t, `{ countries(region: "north-america") { code } region(code: "north-america") { countries { code } } }`, nil, &got)
		want := []struct{ Code string }{{"BM"}, {"CA"}, {"GL"}, {"PM"}, {"US"}}
		if !reflect.DeepEqual(got.Countries, want) || !reflect.DeepEqual(got.Region.Countries, want) {
			t.Errorf("countries = %v, region countries = %v, want %v", got.Countries, got.Region.Countries, want)
		}
	})

	t.Run("every country", func(t *testing.T) {
		var got struct {
			Countries []struct{ Code string }
			Directory struct{ Counts struct{ Countries int } }
		}
		s.query(t, `{ countries { code } directory { counts { countries } } }`, nil, &got)
		if len(got.Countries) != 249 || got.Directory.Counts.Countries != 249 {
			t.Errorf("%d countries, counts say %d; want the 249 of ISO 3166-1", len(got.Countries), got.Directory.Counts.Countries)
		}
	})

	t.Run("a city's name in its local language", func(t *testing.T) {
		var got map[string]struct {
			Name      string
			LocalName *string
		}
		s.query(t, `{
			beijing: city(key: "beijing") { name localName(lang: "zh-Hans") }
			eco: city(key: "tianjin-eco-city") { name localName(lang: "zh-Hans") }
			seoul: city(key: "seoul") { name localName(lang: "ko") }
			seoulInChinese: city(key: "seoul") { name localName(lang: "zh-Hans") }
		}`, nil, &got)
		want := map[string]string{"beijing": "北京市", "eco": "中新天津生态城", "seoul": "서울특별시", "seoulInChinese": ""}
		for alias, w := range want {
			ln := ""
			if got[alias].LocalName != nil {
				ln = *got[alias].LocalName
			}
			if ln != w {
				t.Errorf("%s (%s): localName = %q, want %q", alias, got[alias].Name, ln, w)
			}
		}
	})
}

func testGlobalIDs(t *testing.T, s *api) {
	// One record of every type, looked up by its readable key.
	var got map[string]struct {
		ID   string
		Key  string
		Code string
	}
	s.query(t, `{
		Region: region(code: "east-asia") { id code }
		Secretariat: secretariat(key: "east-asia-secretariat") { id key }
		Office: office(key: "korea-office") { id key }
		City: city(key: "seoul") { id key }
		Program: program(key: "`+programKey+`") { id key }
		Organization: organization(key: "shrdc") { id key }
		Person: person(key: "shu-zhu") { id key }
		Country: country(code: "KR") { id code }
	}`, nil, &got)
	want := map[string]string{"Region": "east-asia", "Secretariat": "east-asia-secretariat", "Office": "korea-office",
		"City": "seoul", "Program": programKey, "Organization": "shrdc", "Person": "shu-zhu", "Country": "KR"}
	types := []string{"Region", "Secretariat", "Office", "City", "Program", "Organization", "Person", "Country"}

	t.Run("every record has a readable key beside its global ID", func(t *testing.T) {
		for _, typ := range types {
			r := got[typ]
			if key := r.Key + r.Code; key != want[typ] || r.ID == "" || r.ID == key || strings.Contains(r.ID, key) {
				t.Errorf("%s: id %q, key %q; want key %q and an opaque ID", typ, r.ID, key, want[typ])
			}
		}
	})

	t.Run("global IDs are stable", func(t *testing.T) {
		for typ, id := range map[string]string{"Office": "T2ZmaWNlOmtvcmVhLW9mZmljZQ", "Region": "UmVnaW9uOmVhc3QtYXNpYQ", "City": "Q2l0eTpzZW91bA", "Country": "Q291bnRyeTpLUg"} {
			if got[typ].ID != id {
				t.Errorf("%s ID = %q, want %q as in earlier releases", typ, got[typ].ID, id)
			}
		}
	})

	const nodeFields = `__typename
		... on Region { code } ... on Country { code }
		... on Secretariat { key } ... on Office { key } ... on City { key } ... on Program { key }
		... on Organization { key } ... on Person { key }`
	type node struct {
		Typename  string `json:"__typename"`
		Key, Code string
	}

	for _, typ := range types {
		t.Run("node finds the "+typ, func(t *testing.T) {
			var n struct{ Node *node }
			s.query(t, `query($id: ID!) { node(id: $id) { `+nodeFields+` } }`, map[string]any{"id": got[typ].ID}, &n)
			if n.Node == nil || n.Node.Typename != typ || n.Node.Key+n.Node.Code != want[typ] {
				t.Errorf("node(%s) = %+v, want the %s %s", got[typ].ID, n.Node, typ, want[typ])
			}
		})
	}

	t.Run("nodes finds every type in order, null where there is no record", func(t *testing.T) {
		var ids []string
		for _, typ := range types {
			ids = append(ids, got[typ].ID)
		}
		// IDs of an office and a country that do not exist.
		ids = append(ids, "T2ZmaWNlOm5vLXN1Y2gtb2ZmaWNl", "Q291bnRyeTpYWA")
		var n struct{ Nodes []*node }
		s.query(t, `query($ids: [ID!]!) { nodes(ids: $ids) { `+nodeFields+` } }`, map[string]any{"ids": ids}, &n)
		if len(n.Nodes) != len(ids) {
			t.Fatalf("%d nodes for %d IDs", len(n.Nodes), len(ids))
		}
		for i, typ := range types {
			if x := n.Nodes[i]; x == nil || x.Typename != typ || x.Key+x.Code != want[typ] {
				t.Errorf("nodes[%d] = %+v, want the %s %s", i, x, typ, want[typ])
			}
		}
		if n.Nodes[8] != nil || n.Nodes[9] != nil {
			t.Errorf("nodes for IDs of records that do not exist = %+v, %+v; want null", n.Nodes[8], n.Nodes[9])
		}
	})

	t.Run("an ID of a record that does not exist is null", func(t *testing.T) {
		r := s.do(t, request{Query: `{ node(id: "T2ZmaWNlOm5vLXN1Y2gtb2ZmaWNl") { id } }`})
		if len(r.Errors) > 0 || string(r.Data) != `{"node":null}` {
			t.Errorf("data %s, errors %+v; want a null node", r.Data, r.Errors)
		}
	})

	t.Run("the IDs the API gives in lists are the IDs node takes", func(t *testing.T) {
		var list struct {
			Offices struct{ Nodes []struct{ ID, Key string } }
		}
		s.query(t, `{ offices(first: 100) { nodes { id key } } }`, nil, &list)
		for _, o := range list.Offices.Nodes {
			var n struct{ Node *node }
			s.query(t, `query($id: ID!) { node(id: $id) { `+nodeFields+` } }`, map[string]any{"id": o.ID}, &n)
			if n.Node == nil || n.Node.Key != o.Key {
				t.Errorf("node(%s) = %+v, want office %s", o.ID, n.Node, o.Key)
			}
		}
	})
}

func testInvalidArguments(t *testing.T, s *api) {
	var cursors struct {
		Cities  struct{ PageInfo pageInfo }
		Offices struct{ PageInfo pageInfo }
	}
	s.query(t, `{ cities(first: 1) { pageInfo { endCursor } } offices(first: 1) { pageInfo { endCursor } } }`, nil, &cursors)
	cityCursor, officeCursor := *cursors.Cities.PageInfo.EndCursor, *cursors.Offices.PageInfo.EndCursor
	manyIDs := make([]string, 101)
	for i := range manyIDs {
		manyIDs[i] = "Q291bnRyeTpLUg"
	}

	const badInput, invalidQuery = "BAD_USER_INPUT", "GRAPHQL_VALIDATION_FAILED"
	tests := []struct {
		name  string
		query string
		vars  map[string]any
		code  string
		field string // extensions.field; empty for errors about the query itself
	}{
		{"first 0", `{ offices(first: 0) { totalCount } }`, nil, badInput, "first"},
		{"first 101", `{ offices(first: 101) { totalCount } }`, nil, badInput, "first"},
		{"first -1", `{ cities(first: -1) { totalCount } }`, nil, badInput, "first"},
		{"last 0", `{ offices(last: 0) { totalCount } }`, nil, badInput, "last"},
		{"last 101", `{ programs(last: 101) { totalCount } }`, nil, badInput, "last"},
		{"first and last together", `{ offices(first: 2, last: 2) { totalCount } }`, nil, badInput, "first"},
		{"first 0 on a nested connection", `{ program(key: "` + programKey + `") { participants(first: 0) { totalCount } } }`, nil, badInput, "first"},
		{"a malformed after cursor", `{ offices(after: "not a cursor") { totalCount } }`, nil, badInput, "after"},
		{"a malformed before cursor", `{ offices(before: "bm90IGEgY3Vyc29y") { totalCount } }`, nil, badInput, "before"},
		{"a cursor of another list", `query($c: String) { offices(after: $c) { totalCount } }`, map[string]any{"c": cityCursor}, badInput, "after"},
		{"a cursor of another ordering", `query($c: String) { offices(orderBy: { field: COUNTRY }, before: $c) { totalCount } }`,
			map[string]any{"c": officeCursor}, badInput, "before"},
		{"an unknown region", `{ offices(filter: { region: "mars" }) { totalCount } }`, nil, badInput, "filter.region"},
		{"an unknown country", `{ offices(filter: { country: "XX" }) { totalCount } }`, nil, badInput, "filter.country"},
		{"an unknown office kind", `{ offices(filter: { kind: CASTLE }) { totalCount } }`, nil, invalidQuery, ""},
		{"an unknown office kind in a variable", `query($k: OfficeKind) { offices(filter: { kind: $k }) { totalCount } }`,
			map[string]any{"k": "CASTLE"}, badInput, "$k"},
		{"an unknown secretariat of offices", `{ offices(filter: { secretariat: "mars-secretariat" }) { totalCount } }`, nil, badInput, "filter.secretariat"},
		{"an unknown region of cities", `{ cities(filter: { region: "mars" }) { totalCount } }`, nil, badInput, "filter.region"},
		{"an unknown country of cities", `{ cities(filter: { country: "XXX" }) { totalCount } }`, nil, badInput, "filter.country"},
		{"an unknown program of cities", `{ cities(filter: { program: "no-such-program" }) { totalCount } }`, nil, badInput, "filter.program"},
		{"an unknown parent city", `{ cities(filter: { parent: "atlantis" }) { totalCount } }`, nil, badInput, "filter.parent"},
		{"an unknown secretariat of cities", `{ cities(filter: { secretariat: "mars-secretariat" }) { totalCount } }`, nil, badInput, "filter.secretariat"},
		{"an unknown city kind", `{ cities(filter: { kind: VILLAGE }) { totalCount } }`, nil, invalidQuery, ""},
		{"an unknown region of programs", `{ programs(filter: { region: "mars" }) { totalCount } }`, nil, badInput, "filter.region"},
		{"an unknown city of programs", `{ programs(filter: { city: "atlantis" }) { totalCount } }`, nil, badInput, "filter.city"},
		{"an unknown organizer", `{ programs(filter: { organizer: "acme" }) { totalCount } }`, nil, badInput, "filter.organizer"},
		{"an unknown person of programs", `{ programs(filter: { person: "nobody" }) { totalCount } }`, nil, badInput, "filter.person"},
		{"a year before ICLEI", `{ programs(filter: { year: 1989 }) { totalCount } }`, nil, badInput, "filter.year"},
		{"an unknown region of secretariats", `{ secretariats(filter: { region: "mars" }) { totalCount } }`, nil, badInput, "filter.region"},
		{"an unknown country of organizations", `{ organizations(filter: { country: "XX" }) { totalCount } }`, nil, badInput, "filter.country"},
		{"an unknown city of organizations", `{ organizations(filter: { city: "atlantis" }) { totalCount } }`, nil, badInput, "filter.city"},
		{"an unknown institution of people", `{ people(filter: { institution: "acme" }) { totalCount } }`, nil, badInput, "filter.institution"},
		{"an unknown program of people", `{ people(filter: { program: "no-such-program" }) { totalCount } }`, nil, badInput, "filter.program"},
		{"an empty search", `{ search(query: "") { totalCount } }`, nil, badInput, "query"},
		{"a blank search", `{ search(query: "   ") { totalCount } }`, nil, badInput, "query"},
		{"a search of punctuation only", `{ search(query: "?!") { totalCount } }`, nil, badInput, "query"},
		{"a search over 200 characters", `query($q: String!) { search(query: $q) { totalCount } }`,
			map[string]any{"q": strings.Repeat("x", 201)}, badInput, "query"},
		{"a search of an unknown type", `{ search(query: "seoul", types: [PLANET]) { totalCount } }`, nil, invalidQuery, ""},
		{"a search page of 0", `{ search(query: "seoul", first: 0) { totalCount } }`, nil, badInput, "first"},
		{"a search with a cursor of another list", `query($c: String) { search(query: "seoul", after: $c) { totalCount } }`,
			map[string]any{"c": cityCursor}, badInput, "after"},
		{"latitude 91", `{ nearestOffices(latitude: 91, longitude: 0) { distanceKm } }`, nil, badInput, "latitude"},
		{"latitude -90.5", `{ nearestOffices(latitude: -90.5, longitude: 0) { distanceKm } }`, nil, badInput, "latitude"},
		{"longitude -181", `{ nearestOffices(latitude: 0, longitude: -181) { distanceKm } }`, nil, badInput, "longitude"},
		{"longitude 180.5", `{ nearestOffices(latitude: 0, longitude: 180.5) { distanceKm } }`, nil, badInput, "longitude"},
		{"nearest 0 offices", `{ nearestOffices(latitude: 0, longitude: 0, first: 0) { distanceKm } }`, nil, badInput, "first"},
		{"nearest 101 offices", `{ nearestOffices(latitude: 0, longitude: 0, first: 101) { distanceKm } }`, nil, badInput, "first"},
		{"service for an unknown country", `{ serviceFor(country: "XX") { region { code } } }`, nil, badInput, "country"},
		{"service for a country name", `{ serviceFor(country: "Germany") { region { code } } }`, nil, badInput, "country"},
		{"nodes with 101 IDs", `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": manyIDs}, badInput, "ids"},
		{"node with a malformed ID", `{ node(id: "!!!") { id } }`, nil, badInput, "id"},
		{"node with an ID without a key", `{ node(id: "T2ZmaWNl") { id } }`, nil, badInput, "id"},
		{"node with an ID of an unknown type", `{ node(id: "UGxhbmV0OmVhcnRo") { id } }`, nil, badInput, "id"},
		{"nodes with a malformed ID among good ones", `{ nodes(ids: ["Q291bnRyeTpLUg", "!!!"]) { id } }`, nil, badInput, "id"},
		{"countries of an unknown region", `{ countries(region: "mars") { code } }`, nil, badInput, "region"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := s.do(t, request{Query: tt.query, Variables: tt.vars})
			if len(r.Errors) != 1 {
				t.Fatalf("%d errors %+v, want one %s error; data %s", len(r.Errors), r.Errors, tt.code, r.Data)
			}
			e := r.Errors[0]
			field, _ := e.Extensions["field"].(string)
			if e.Code() != tt.code || field != tt.field {
				t.Errorf("error %s on field %q (%s), want %s on %q", e.Code(), field, e.Message, tt.code, tt.field)
			}
			if strings.Contains(strings.ToLower(e.Message), "internal") {
				t.Errorf("message %q reads as an internal error", e.Message)
			}
		})
	}

	t.Run("an unknown region lists the valid regions", func(t *testing.T) {
		for _, q := range []string{
			`{ offices(filter: { region: "mars" }) { totalCount } }`,
			`{ countries(region: "mars") { code } }`,
		} {
			e := s.queryError(t, request{Query: q}, badInput)
			var choices []string
			for _, c := range e.Extensions["validChoices"].([]any) {
				choices = append(choices, c.(string))
			}
			if !reflect.DeepEqual(choices, regionCodes) {
				t.Errorf("%s: validChoices = %q, want %q", q, choices, regionCodes)
			}
			if !strings.Contains(e.Message, `"mars"`) {
				t.Errorf("%s: message %q does not name the region asked for", q, e.Message)
			}
		}
	})

	t.Run("an unknown country lists the valid codes", func(t *testing.T) {
		e := s.queryError(t, request{Query: `{ serviceFor(country: "XX") { region { code } } }`}, badInput)
		choices, _ := e.Extensions["validChoices"].([]any)
		if len(choices) != 249 || !slices.Contains(choices, any("KR")) {
			t.Errorf("validChoices has %d codes (KR among them: %v), want the 249 alpha-2 codes", len(choices), slices.Contains(choices, any("KR")))
		}
	})

	t.Run("a search of 200 characters is accepted, accents and all", func(t *testing.T) {
		var got struct{ Search struct{ TotalCount int } }
		s.query(t, `query($q: String!) { search(query: $q) { totalCount } }`, map[string]any{"q": strings.Repeat("é", 200)}, &got)
		if got.Search.TotalCount != 0 {
			t.Errorf("totalCount = %d, want 0", got.Search.TotalCount)
		}
	})

	t.Run("an unknown key looked up directly is null, not an error", func(t *testing.T) {
		r := s.do(t, request{Query: `{ office(key: "atlantis") { key } city(key: "atlantis") { key } region(code: "mars") { code } country(code: "XX") { code } }`})
		if len(r.Errors) > 0 || string(r.Data) != `{"office":null,"city":null,"region":null,"country":null}` {
			t.Errorf("data %s, errors %+v; want nulls", r.Data, r.Errors)
		}
	})
}
