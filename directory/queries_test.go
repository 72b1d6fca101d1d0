package directory_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/iclei/directory/directory"
	"github.com/iclei/directory/internal/apitest"
)

func reversed(keys []string) []string {
	r := slices.Clone(keys)
	slices.Reverse(r)
	return r
}

func ptr[T any](v T) *T { return &v }

// memberSnapshot is the seeded directory with memberships of every category and status: the seed has none.
//
//	seoul     FULL      ACTIVE     east-asia-secretariat
//	beijing   ASSOCIATE ACTIVE     world-secretariat
//	shanghai  FULL      SUSPENDED  east-asia-secretariat
//	guilin    FULL      ENDED      east-asia-secretariat
//	chengdu   ASSOCIATE ENDED, then FULL ACTIVE (its current membership)
func memberSnapshot(t *testing.T) *directory.Snapshot {
	t.Helper()
	_, s := seededLog(t)
	ctx := context.Background()
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	full, associate := directory.MembershipFull, directory.MembershipAssociate
	must(s.w.GrantMembership(ctx, admin, directory.GrantMembershipInput{City: "seoul", CityVersion: 1, Category: full, Since: day(t, "2015-01-01")}))
	must(s.w.GrantMembership(ctx, admin, directory.GrantMembershipInput{City: "beijing", CityVersion: 1, Category: associate, Since: day(t, "2016-01-01"),
		Secretariat: "world-secretariat"}))
	must(s.w.GrantMembership(ctx, admin, directory.GrantMembershipInput{City: "shanghai", CityVersion: 1, Category: full, Since: day(t, "2012-01-01")}))
	must(s.w.ChangeMembership(ctx, admin, directory.ChangeMembershipInput{City: "shanghai", CityVersion: 2, Membership: "m1", Status: directory.MembershipSuspended}))
	must(s.w.GrantMembership(ctx, admin, directory.GrantMembershipInput{City: "guilin", CityVersion: 1, Category: full, Since: day(t, "2010-01-01")}))
	must(s.w.EndMembership(ctx, admin, directory.EndMembershipInput{City: "guilin", CityVersion: 2, Membership: "m1", Until: day(t, "2014-12-31")}))
	must(s.w.GrantMembership(ctx, admin, directory.GrantMembershipInput{City: "chengdu", CityVersion: 1, Category: associate, Since: day(t, "2010-01-01")}))
	must(s.w.EndMembership(ctx, admin, directory.EndMembershipInput{City: "chengdu", CityVersion: 2, Membership: "m1", Until: day(t, "2015-12-31")}))
	must(s.w.GrantMembership(ctx, admin, directory.GrantMembershipInput{City: "chengdu", CityVersion: 3, Category: full, Since: day(t, "2016-01-01")}))
	return s.rm.Snapshot()
}

// keysOfPage returns the keys on a page, or the error.
func keysOfPage[T any](p *directory.Page[*T], err error) ([]string, error) {
	if err != nil {
		return nil, err
	}
	return keysOf(p.Nodes()), nil
}

var all = directory.PageArgs{First: ptr(100)}

func TestFilters(t *testing.T) {
	t.Parallel()
	snap := memberSnapshot(t)
	offices := func(f directory.OfficeFilter) ([]string, error) {
		return keysOfPage(snap.Offices(f, directory.Order{}, all))
	}
	cities := func(f directory.CityFilter) ([]string, error) {
		return keysOfPage(snap.Cities(f, directory.Order{}, all))
	}
	programs := func(f directory.ProgramFilter) ([]string, error) {
		return keysOfPage(snap.Programs(f, directory.Order{}, all))
	}
	secretariats := func(f directory.SecretariatFilter) ([]string, error) {
		return keysOfPage(snap.Secretariats(f, directory.Order{}, all))
	}
	organizations := func(f directory.OrganizationFilter) ([]string, error) {
		return keysOfPage(snap.Organizations(f, directory.Order{}, all))
	}
	people := func(f directory.PersonFilter) ([]string, error) {
		return keysOfPage(snap.People(f, directory.Order{}, all))
	}
	const program = program2016

	tests := []struct {
		name  string
		query func() ([]string, error)
		want  []string
	}{
		// Offices.
		{"offices by region", func() ([]string, error) { return offices(directory.OfficeFilter{Region: "east-asia"}) },
			[]string{"east-asia-secretariat", "japan-office", "korea-office"}},
		{"offices of a region run by national organisations", func() ([]string, error) { return offices(directory.OfficeFilter{Region: "north-america"}) },
			[]string{"canada-office", "usa-office"}},
		{"offices by country", func() ([]string, error) { return offices(directory.OfficeFilter{Country: "KR"}) },
			[]string{"east-asia-secretariat", "korea-office"}},
		{"offices by alpha-3 country code in lower case", func() ([]string, error) { return offices(directory.OfficeFilter{Country: "deu"}) },
			[]string{"european-secretariat", "world-secretariat"}},
		{"offices by kind", func() ([]string, error) { return offices(directory.OfficeFilter{Kind: directory.OfficeCountry}) },
			[]string{"canada-office", "japan-office", "korea-office", "usa-office"}},
		{"the world secretariat by kind", func() ([]string, error) {
			return offices(directory.OfficeFilter{Kind: directory.OfficeWorldSecretariat})
		},
			[]string{"world-secretariat"}},
		{"city offices", func() ([]string, error) { return offices(directory.OfficeFilter{Kind: directory.OfficeCity}) }, []string{"brussels-office"}},
		{"project offices", func() ([]string, error) { return offices(directory.OfficeFilter{Kind: directory.OfficeProject}) },
			[]string{"indonesia-project-office"}},
		{"offices a secretariat runs", func() ([]string, error) {
			return offices(directory.OfficeFilter{Secretariat: "southeast-asia-secretariat"})
		},
			[]string{"indonesia-project-office", "southeast-asia-secretariat"}},
		{"offices by locality without accents", func() ([]string, error) { return offices(directory.OfficeFilter{City: "sao paulo"}) },
			[]string{"south-american-secretariat"}},
		{"offices by locality in capitals", func() ([]string, error) { return offices(directory.OfficeFilter{City: "BRUXELLES"}) },
			[]string{"brussels-office"}},
		{"offices by a locality with none", func() ([]string, error) { return offices(directory.OfficeFilter{City: "Paris"}) }, []string{}},
		{"offices by region and kind", func() ([]string, error) {
			return offices(directory.OfficeFilter{Region: "europe", Kind: directory.OfficeCity})
		}, []string{"brussels-office"}},
		{"offices by region and country", func() ([]string, error) { return offices(directory.OfficeFilter{Region: "europe", Country: "DE"}) },
			[]string{"european-secretariat"}},
		{"offices of a region by kind", func() ([]string, error) {
			return offices(directory.OfficeFilter{Region: "east-asia", Kind: directory.OfficeCountry})
		}, []string{"japan-office", "korea-office"}},
		// Cities.
		{"cities by region", func() ([]string, error) { return cities(directory.CityFilter{Region: "east-asia"}) }, apitest.CitiesByName},
		{"cities of a region with none", func() ([]string, error) { return cities(directory.CityFilter{Region: "europe"}) }, []string{}},
		{"cities by country", func() ([]string, error) { return cities(directory.CityFilter{Country: "KR"}) }, []string{"seoul"}},
		{"cities by kind", func() ([]string, error) { return cities(directory.CityFilter{Kind: directory.CityDistrict}) },
			[]string{"guilin-lingui-new-district", "shenzhen-guangming-new-district", "tianjin-eco-city"}},
		{"cities that took part in a program", func() ([]string, error) { return cities(directory.CityFilter{Program: program}) }, apitest.ParticipantsByName},
		{"districts of a city", func() ([]string, error) { return cities(directory.CityFilter{Parent: "tianjin"}) }, []string{"tianjin-eco-city"}},
		{"districts of another city", func() ([]string, error) { return cities(directory.CityFilter{Parent: "shenzhen"}) },
			[]string{"shenzhen-guangming-new-district"}},
		{"cities by the category of their current membership", func() ([]string, error) {
			return cities(directory.CityFilter{MembershipCategory: directory.MembershipFull})
		}, []string{"chengdu", "guilin", "seoul", "shanghai"}},
		{"cities whose current membership is associate, not one that ended", func() ([]string, error) {
			return cities(directory.CityFilter{MembershipCategory: directory.MembershipAssociate})
		}, []string{"beijing"}},
		{"cities by membership status", func() ([]string, error) {
			return cities(directory.CityFilter{MembershipStatus: directory.MembershipActive})
		},
			[]string{"beijing", "chengdu", "seoul"}},
		{"suspended members", func() ([]string, error) {
			return cities(directory.CityFilter{MembershipStatus: directory.MembershipSuspended})
		},
			[]string{"shanghai"}},
		{"former members", func() ([]string, error) {
			return cities(directory.CityFilter{MembershipStatus: directory.MembershipEnded})
		},
			[]string{"guilin"}},
		{"active full members", func() ([]string, error) {
			return cities(directory.CityFilter{MembershipCategory: directory.MembershipFull, MembershipStatus: directory.MembershipActive})
		}, []string{"chengdu", "seoul"}},
		{"member cities a secretariat serves", func() ([]string, error) { return cities(directory.CityFilter{Secretariat: "east-asia-secretariat"}) },
			[]string{"chengdu", "guilin", "seoul", "shanghai"}},
		{"member cities the world secretariat serves", func() ([]string, error) { return cities(directory.CityFilter{Secretariat: "world-secretariat"}) },
			[]string{"beijing"}},
		{"member cities a secretariat without members serves", func() ([]string, error) {
			return cities(directory.CityFilter{Secretariat: "european-secretariat"})
		}, []string{}},
		// Programs.
		{"programs by region", func() ([]string, error) { return programs(directory.ProgramFilter{Region: "east-asia"}) }, []string{program}},
		{"programs of a region with none", func() ([]string, error) { return programs(directory.ProgramFilter{Region: "europe"}) }, []string{}},
		{"programs by kind", func() ([]string, error) {
			return programs(directory.ProgramFilter{Kind: directory.ProgramCapacityBuilding})
		}, []string{program}},
		{"programs of a kind with none", func() ([]string, error) { return programs(directory.ProgramFilter{Kind: directory.ProgramConference}) }, []string{}},
		{"programs by year", func() ([]string, error) { return programs(directory.ProgramFilter{Year: 2016}) }, []string{program}},
		{"programs of a year with none", func() ([]string, error) { return programs(directory.ProgramFilter{Year: 2017}) }, []string{}},
		{"programs by topic in another case", func() ([]string, error) { return programs(directory.ProgramFilter{Topic: "Waste Management"}) }, []string{program}},
		{"programs by part of a topic", func() ([]string, error) { return programs(directory.ProgramFilter{Topic: "waste"}) }, []string{}},
		{"programs a city took part in", func() ([]string, error) { return programs(directory.ProgramFilter{City: "suining"}) }, []string{program}},
		{"programs a city hosted", func() ([]string, error) { return programs(directory.ProgramFilter{City: "seoul"}) }, []string{program}},
		{"programs of a district's parent city", func() ([]string, error) { return programs(directory.ProgramFilter{City: "guilin"}) }, []string{}},
		{"programs a secretariat organized", func() ([]string, error) { return programs(directory.ProgramFilter{Organizer: "east-asia-secretariat"}) }, []string{program}},
		{"programs an organization organized", func() ([]string, error) { return programs(directory.ProgramFilter{Organizer: "shrdc"}) }, []string{program}},
		{"programs a city's government organized", func() ([]string, error) { return programs(directory.ProgramFilter{Organizer: "seoul"}) }, []string{program}},
		{"programs a secretariat did not organize", func() ([]string, error) {
			return programs(directory.ProgramFilter{Organizer: "european-secretariat"})
		}, []string{}},
		{"programs that name a person", func() ([]string, error) { return programs(directory.ProgramFilter{Person: "shu-zhu"}) }, []string{program}},
		// Secretariats.
		{"secretariats by region", func() ([]string, error) { return secretariats(directory.SecretariatFilter{Region: "oceania"}) }, []string{"oceania-secretariat"}},
		{"secretariats of the global level", func() ([]string, error) { return secretariats(directory.SecretariatFilter{Region: "global"}) },
			[]string{"world-secretariat"}},
		{"secretariats of a region that has none", func() ([]string, error) { return secretariats(directory.SecretariatFilter{Region: "north-america"}) },
			[]string{}},
		{"the world secretariat among secretariats by kind", func() ([]string, error) {
			return secretariats(directory.SecretariatFilter{Kind: directory.SecretariatWorld})
		}, []string{"world-secretariat"}},
		{"regional secretariats", func() ([]string, error) {
			return secretariats(directory.SecretariatFilter{Kind: directory.SecretariatRegional})
		},
			apitest.SecretariatsByName[:8]},
		// Organizations.
		{"organizations by country", func() ([]string, error) { return organizations(directory.OrganizationFilter{Country: "KR"}) }, []string{"shrdc"}},
		{"organizations of a country with none", func() ([]string, error) { return organizations(directory.OrganizationFilter{Country: "DE"}) }, []string{}},
		{"organizations by city", func() ([]string, error) { return organizations(directory.OrganizationFilter{City: "seoul"}) }, []string{"shrdc"}},
		{"organizations of a city with none", func() ([]string, error) { return organizations(directory.OrganizationFilter{City: "beijing"}) }, []string{}},
		// People.
		{"people with a role at an organization", func() ([]string, error) { return people(directory.PersonFilter{Institution: "shrdc"}) },
			[]string{"gwonsig-won", "joon-ho-ahn"}},
		{"people with a role at a secretariat", func() ([]string, error) { return people(directory.PersonFilter{Institution: "east-asia-secretariat"}) },
			[]string{"shu-zhu"}},
		{"people with a role at a city, of whom there are none", func() ([]string, error) { return people(directory.PersonFilter{Institution: "seoul"}) },
			[]string{}},
		{"people a program names", func() ([]string, error) { return people(directory.PersonFilter{Program: program}) }, apitest.PeopleByName},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.query()
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("keys = %q\nwant %q", got, tt.want)
			}
		})
	}
}

// connection pages through one connection of the snapshot.
type connection func(o directory.Order, p directory.PageArgs) (keys []string, info directory.PageInfo, cursors []string, total int, err error)

func pageOf[T any](p *directory.Page[*T], err error) ([]string, directory.PageInfo, []string, int, error) {
	if err != nil {
		return nil, directory.PageInfo{}, nil, 0, err
	}
	var cursors []string
	for _, e := range p.Edges {
		cursors = append(cursors, e.Cursor())
	}
	return keysOf(p.Nodes()), p.PageInfo, cursors, p.TotalCount(), nil
}

func connections(snap *directory.Snapshot) map[string]connection {
	return map[string]connection{
		"offices": func(o directory.Order, p directory.PageArgs) ([]string, directory.PageInfo, []string, int, error) {
			return pageOf(snap.Offices(directory.OfficeFilter{}, o, p))
		},
		"cities": func(o directory.Order, p directory.PageArgs) ([]string, directory.PageInfo, []string, int, error) {
			return pageOf(snap.Cities(directory.CityFilter{}, o, p))
		},
		"programs": func(o directory.Order, p directory.PageArgs) ([]string, directory.PageInfo, []string, int, error) {
			return pageOf(snap.Programs(directory.ProgramFilter{}, o, p))
		},
		"secretariats": func(o directory.Order, p directory.PageArgs) ([]string, directory.PageInfo, []string, int, error) {
			return pageOf(snap.Secretariats(directory.SecretariatFilter{}, o, p))
		},
		"organizations": func(o directory.Order, p directory.PageArgs) ([]string, directory.PageInfo, []string, int, error) {
			return pageOf(snap.Organizations(directory.OrganizationFilter{}, o, p))
		},
		"people": func(o directory.Order, p directory.PageArgs) ([]string, directory.PageInfo, []string, int, error) {
			return pageOf(snap.People(directory.PersonFilter{}, o, p))
		},
		"offices in east-asia": func(o directory.Order, p directory.PageArgs) ([]string, directory.PageInfo, []string, int, error) {
			return pageOf(snap.Offices(directory.OfficeFilter{Region: "east-asia"}, o, p))
		},
	}
}

func TestOrderings(t *testing.T) {
	t.Parallel()
	_, s := seededLog(t)
	conns := connections(s.rm.Snapshot())
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
		{"programs", "DATE", []string{program2016}},
		{"programs", "TITLE", []string{program2016}},
		{"programs", "KEY", []string{program2016}},
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
		for _, dir := range []directory.Direction{directory.Asc, directory.Desc} {
			t.Run(fmt.Sprintf("%s by %s %s", tt.connection, tt.field, dir), func(t *testing.T) {
				want := tt.asc
				if dir == directory.Desc {
					want = reversed(tt.asc)
				}
				keys, _, _, _, err := conns[tt.connection](directory.Order{Field: tt.field, Direction: dir}, all)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(keys, want) {
					t.Errorf("keys = %q\nwant %q", keys, want)
				}
			})
		}
	}
	t.Run("the default orders", func(t *testing.T) {
		for name, want := range map[string][]string{
			"offices": apitest.OfficesByName, "cities": apitest.CitiesByName, "secretariats": apitest.SecretariatsByName, "people": apitest.PeopleByName,
			"programs": {program2016}, "organizations": {"shrdc"},
		} {
			keys, _, _, _, err := conns[name](directory.Order{}, all)
			if err != nil || !reflect.DeepEqual(keys, want) {
				t.Errorf("%s = %q (%v)\nwant %q", name, keys, err, want)
			}
		}
	})
	t.Run("an ordering of another type is refused", func(t *testing.T) {
		for name, field := range map[string]string{"offices": "POPULATION", "cities": "TITLE", "people": "DATE"} {
			_, _, _, _, err := conns[name](directory.Order{Field: field}, all)
			if code(err) != directory.CodeInvalidInput {
				t.Errorf("%s by %s: %v, want BAD_USER_INPUT", name, field, err)
			}
		}
	})
}

// walk pages through a connection with first/after, or with last/before when backward is set, and returns the
// keys in the connection's order and the pages' infos in the order they were fetched.
func walk(t *testing.T, c connection, o directory.Order, size int, backward bool, total int) ([]string, []directory.PageInfo) {
	t.Helper()
	var (
		keys  []string
		infos []directory.PageInfo
		at    *string
	)
	for range 100 {
		args := directory.PageArgs{First: &size, After: at}
		if backward {
			args = directory.PageArgs{Last: &size, Before: at}
		}
		page, info, _, n, err := c(o, args)
		if err != nil {
			t.Fatal(err)
		}
		if n != total {
			t.Errorf("page %d: totalCount = %d, want %d", len(infos), n, total)
		}
		infos = append(infos, info)
		if backward {
			keys = append(slices.Clone(page), keys...)
			if !info.HasPreviousPage {
				return keys, infos
			}
			at = info.StartCursor
		} else {
			keys = append(keys, page...)
			if !info.HasNextPage {
				return keys, infos
			}
			at = info.EndCursor
		}
	}
	t.Fatal("the connection did not end after 100 pages")
	return nil, nil
}

type nextPrev struct{ next, prev bool }

func checkPageInfos(t *testing.T, got []directory.PageInfo, want []nextPrev) {
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

func TestPagination(t *testing.T) {
	t.Parallel()
	_, s := seededLog(t)
	conns := connections(s.rm.Snapshot())
	offices := conns["offices"]
	// The country and region orderings sort by two fields, which their cursors carry.
	for _, o := range []struct {
		field string
		asc   []string
	}{{"NAME", apitest.OfficesByName}, {"REGION", apitest.OfficesByRegion}, {"COUNTRY", apitest.OfficesByCountry}} {
		for _, dir := range []directory.Direction{directory.Asc, directory.Desc} {
			want := o.asc
			if dir == directory.Desc {
				want = reversed(o.asc)
			}
			order := directory.Order{Field: o.field, Direction: dir}
			t.Run(fmt.Sprintf("offices by %s %s forward with first and after", o.field, dir), func(t *testing.T) {
				keys, infos := walk(t, offices, order, 4, false, 15)
				if !reflect.DeepEqual(keys, want) {
					t.Errorf("keys = %q\nwant %q", keys, want)
				}
				// 15 offices in pages of 4, 4, 4 and 3.
				checkPageInfos(t, infos, []nextPrev{{true, false}, {true, true}, {true, true}, {false, true}})
			})
			t.Run(fmt.Sprintf("offices by %s %s backward with last and before", o.field, dir), func(t *testing.T) {
				keys, infos := walk(t, offices, order, 4, true, 15)
				if !reflect.DeepEqual(keys, want) {
					t.Errorf("keys = %q\nwant %q", keys, want)
				}
				checkPageInfos(t, infos, []nextPrev{{false, true}, {true, true}, {true, true}, {true, false}})
			})
		}
	}

	t.Run("cities forward and backward in pages of 5", func(t *testing.T) {
		forward, _ := walk(t, conns["cities"], directory.Order{}, 5, false, 14)
		backward, _ := walk(t, conns["cities"], directory.Order{}, 5, true, 14)
		if !reflect.DeepEqual(forward, apitest.CitiesByName) || !reflect.DeepEqual(backward, apitest.CitiesByName) {
			t.Errorf("forward %q\nbackward %q\nwant %q", forward, backward, apitest.CitiesByName)
		}
	})

	everything := func(t *testing.T) ([]string, directory.PageInfo, []string) {
		t.Helper()
		keys, info, cursors, _, err := offices(directory.Order{}, all)
		if err != nil {
			t.Fatal(err)
		}
		return keys, info, cursors
	}

	t.Run("a page holding the whole connection", func(t *testing.T) {
		keys, info, cursors := everything(t)
		if !reflect.DeepEqual(keys, apitest.OfficesByName) || info.HasNextPage || info.HasPreviousPage {
			t.Errorf("keys %q, %+v; want every office and no page either side", keys, info)
		}
		if *info.StartCursor != cursors[0] || *info.EndCursor != cursors[14] {
			t.Error("startCursor and endCursor are not the first and last edges' cursors")
		}
	})

	t.Run("twenty records by default", func(t *testing.T) {
		keys, info, _, _, err := offices(directory.Order{}, directory.PageArgs{})
		if err != nil || len(keys) != 15 || info.HasNextPage {
			t.Errorf("%d offices, hasNextPage %v (%v); want all 15 within the default page of 20", len(keys), info.HasNextPage, err)
		}
		keys, info, _, _, err = conns["cities"](directory.Order{}, directory.PageArgs{Last: ptr(directory.DefaultPageSize)})
		if err != nil || len(keys) != 14 || info.HasPreviousPage {
			t.Errorf("the last 20 cities: %d, hasPreviousPage %v (%v)", len(keys), info.HasPreviousPage, err)
		}
	})

	t.Run("between two cursors", func(t *testing.T) {
		_, _, cursors := everything(t)
		keys, _, _, _, err := offices(directory.Order{}, directory.PageArgs{First: ptr(100), After: &cursors[4], Before: &cursors[10]})
		if want := apitest.OfficesByName[5:10]; err != nil || !reflect.DeepEqual(keys, want) {
			t.Errorf("first 100 between the 5th and 11th = %q (%v), want %q", keys, err, want)
		}
		keys, info, _, _, err := offices(directory.Order{}, directory.PageArgs{Last: ptr(2), After: &cursors[4], Before: &cursors[10]})
		if want := apitest.OfficesByName[8:10]; err != nil || !reflect.DeepEqual(keys, want) || !info.HasPreviousPage || !info.HasNextPage {
			t.Errorf("last 2 between the 5th and 11th = %q, %+v; want %q with pages either side", keys, info, want)
		}
	})

	t.Run("past the end", func(t *testing.T) {
		_, _, cursors := everything(t)
		keys, info, _, total, err := offices(directory.Order{}, directory.PageArgs{First: ptr(5), After: &cursors[14]})
		if err != nil || len(keys) != 0 || info.HasNextPage || !info.HasPreviousPage || info.StartCursor != nil || total != 15 {
			t.Errorf("after the last office: %q, %+v, totalCount %d (%v); want an empty page after 15 offices", keys, info, total, err)
		}
	})

	t.Run("a filtered connection counts only what the filter selects", func(t *testing.T) {
		keys, infos := walk(t, conns["offices in east-asia"], directory.Order{}, 2, false, 3)
		if want := []string{"east-asia-secretariat", "japan-office", "korea-office"}; !reflect.DeepEqual(keys, want) {
			t.Errorf("keys = %q, want %q", keys, want)
		}
		checkPageInfos(t, infos, []nextPrev{{true, false}, {false, true}})
	})

	t.Run("a cursor stays valid in the other direction of its ordering", func(t *testing.T) {
		_, _, cursors := everything(t)
		keys, _, _, _, err := offices(directory.Order{Field: "NAME", Direction: directory.Desc}, directory.PageArgs{First: ptr(3), After: &cursors[5]})
		if want := reversed(apitest.OfficesByName[2:5]); err != nil || !reflect.DeepEqual(keys, want) {
			t.Errorf("keys = %q (%v), want %q", keys, err, want)
		}
	})
}

// TestCursorsSurviveNewSnapshots pages through cities while writes add cities on both sides of the cursor.
func TestCursorsSurviveNewSnapshots(t *testing.T) {
	t.Parallel()
	log, s := seededLog(t)
	ctx := context.Background()
	seed := func(from, step int) {
		t.Helper()
		data := directory.Data{}
		for n := from; n < 120; n += step {
			data.Cities = append(data.Cities, directory.City{Key: fmt.Sprintf("testville-%03d", n), Name: fmt.Sprintf("Testville %03d", n),
				Kind: directory.CityMunicipality, Country: "FR", Region: "europe", Version: 1,
				Provenance: directory.Provenance{Origin: directory.OriginSeed, Curated: []string{"name"}}})
		}
		if _, err := s.w.Seed(ctx, "test", &data, 25); err != nil {
			t.Fatal(err)
		}
	}
	names := func(from, to int) []string {
		var keys []string
		for n := from; n <= to; n++ {
			keys = append(keys, fmt.Sprintf("testville-%03d", n))
		}
		return keys
	}
	french := func(p directory.PageArgs) ([]string, directory.PageInfo, int) {
		t.Helper()
		keys, info, _, total, err := pageOf(s.rm.Snapshot().Cities(directory.CityFilter{Country: "FR"}, directory.Order{}, p))
		if err != nil {
			t.Fatal(err)
		}
		return keys, info, total
	}
	// The even numbers 0-118 first.
	seed(0, 2)
	page1, info1, _ := french(directory.PageArgs{First: ptr(10)})
	page2, info2, total := french(directory.PageArgs{First: ptr(10), After: info1.EndCursor})
	var evens []string
	for n := 0; n <= 38; n += 2 {
		evens = append(evens, fmt.Sprintf("testville-%03d", n))
	}
	if got := append(page1, page2...); !reflect.DeepEqual(got, evens) || total != 60 {
		t.Fatalf("first two pages = %q of %d, want %q of 60", got, total, evens)
	}
	// Then the odd numbers 1-119: ten of them sort before the cursor, fifty after it.
	n := log.Len()
	seed(1, 2)
	if log.Len() == n {
		t.Fatal("the odd cities were not written")
	}

	t.Run("paging on from an old cursor skips and repeats nothing", func(t *testing.T) {
		var keys []string
		after := info2.EndCursor
		for range 20 {
			page, info, total := french(directory.PageArgs{First: ptr(25), After: after})
			if total != 120 {
				t.Errorf("totalCount = %d, want 120", total)
			}
			keys = append(keys, page...)
			if !info.HasNextPage {
				break
			}
			after = info.EndCursor
		}
		if want := names(39, 119); !reflect.DeepEqual(keys, want) {
			t.Errorf("after testville-038: %q\nwant %q", keys, want)
		}
	})
	t.Run("paging back from an old cursor finds the records written before it", func(t *testing.T) {
		page, info, _ := french(directory.PageArgs{Last: ptr(10), Before: info2.StartCursor})
		if want := names(10, 19); !reflect.DeepEqual(page, want) || !info.HasPreviousPage {
			t.Errorf("before testville-020: %q, %+v; want %q and earlier pages", page, info, want)
		}
	})
	t.Run("the first page now holds the new records", func(t *testing.T) {
		page, _, _ := french(directory.PageArgs{First: ptr(10)})
		if want := names(0, 9); !reflect.DeepEqual(page, want) {
			t.Errorf("first page %q, want %q", page, want)
		}
	})
}

func TestSearch(t *testing.T) {
	t.Parallel()
	_, s := seededLog(t)
	snap := s.rm.Snapshot()
	search := func(t *testing.T, q string, types []string) (int, []string, []*directory.SearchResult) {
		t.Helper()
		p, err := snap.Search(q, types, all)
		if err != nil {
			t.Fatal(err)
		}
		var short []string
		for _, r := range p.Nodes() {
			key := ""
			switch n := r.Node.(type) {
			case *directory.Region:
				key = n.Code
			default:
				key = reflect.ValueOf(n).Elem().FieldByName("Key").String()
			}
			short = append(short, strings.ToUpper(r.Kind)+" "+key+" "+string(r.Match))
		}
		return p.TotalCount(), short, p.Nodes()
	}

	for _, q := range []string{"sao paulo", "SÃO PAULO", "Sao Paulo", "são paulo", "  São   Paulo "} {
		t.Run(fmt.Sprintf("%q finds the office in São Paulo", q), func(t *testing.T) {
			total, short, results := search(t, q, nil)
			if want := []string{"OFFICE south-american-secretariat EXACT"}; total != 1 || !reflect.DeepEqual(short, want) {
				t.Fatalf("%d results %q, want %q", total, short, want)
			}
			if r := results[0]; r.Field != "address.locality" || r.Text != "São Paulo" {
				t.Errorf("matched %s %q, want address.locality \"São Paulo\"", r.Field, r.Text)
			}
		})
	}

	const program = program2016
	tests := []struct {
		name, query string
		types       []string
		want        []string
	}{
		{"the start of a word inside the program's text finds the program", "cheonggye", nil,
			[]string{"PROGRAM " + program + " PREFIX"}},
		{"exact matches rank before prefix matches before matches inside a word", "east asia", nil, []string{
			"REGION east-asia EXACT",
			"OFFICE east-asia-secretariat PREFIX", "SECRETARIAT east-asia-secretariat PREFIX", "PROGRAM " + program + " PREFIX",
			"REGION southeast-asia CONTAINS", "OFFICE southeast-asia-secretariat CONTAINS", "SECRETARIAT southeast-asia-secretariat CONTAINS",
		}},
		{"a name ranks before a locality among exact matches", "seoul", nil, []string{
			"CITY seoul EXACT", "OFFICE east-asia-secretariat EXACT", "ORGANIZATION shrdc PREFIX", "PROGRAM " + program + " PREFIX",
		}},
		{"a local name", "北京市", nil, []string{"CITY beijing EXACT"}},
		{"the start of a local name", "北京", nil, []string{"CITY beijing PREFIX"}},
		{"a city and its district", "guilin", nil, []string{"CITY guilin EXACT", "CITY guilin-lingui-new-district PREFIX"}},
		// The program's photo caption names the person, its summary the organization "(SHRDC)".
		{"a person", "shu zhu", nil, []string{"PERSON shu-zhu EXACT", "PROGRAM " + program + " PREFIX"}},
		{"an organization by its short name", "shrdc", nil, []string{"ORGANIZATION shrdc EXACT", "PROGRAM " + program + " PREFIX"}},
		{"only cities", "seoul", []string{directory.KindCity}, []string{"CITY seoul EXACT"}},
		{"only offices and organizations", "seoul", []string{directory.KindOffice, directory.KindOrganization},
			[]string{"OFFICE east-asia-secretariat EXACT", "ORGANIZATION shrdc PREFIX"}},
		{"only regions", "asia", []string{directory.KindRegion}, []string{"REGION east-asia PREFIX", "REGION south-asia PREFIX", "REGION southeast-asia PREFIX"}},
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
		want = append(want, "Program:"+program)
		results := func(o directory.Order, p directory.PageArgs) ([]string, directory.PageInfo, []string, int, error) {
			page, err := snap.Search("secretariat", nil, p)
			if err != nil {
				return nil, directory.PageInfo{}, nil, 0, err
			}
			var keys []string
			for _, r := range page.Nodes() {
				keys = append(keys, r.Kind+":"+reflect.ValueOf(r.Node).Elem().FieldByName("Key").String())
			}
			return keys, page.PageInfo, nil, page.TotalCount(), nil
		}
		for _, backward := range []bool{false, true} {
			got, infos := walk(t, results, directory.Order{}, 5, backward, 19)
			if len(infos) != 4 || !reflect.DeepEqual(got, want) {
				t.Errorf("backward %v: %d pages of %q\nwant 4 pages of %q", backward, len(infos), got, want)
			}
		}
	})

	t.Run("a query of 200 characters is accepted, accents and all", func(t *testing.T) {
		if total, _, _ := search(t, strings.Repeat("é", 200), nil); total != 0 {
			t.Errorf("totalCount = %d, want 0", total)
		}
	})
}

func TestNearestOffices(t *testing.T) {
	t.Parallel()
	_, s := seededLog(t)
	snap := s.rm.Snapshot()
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
			ds, err := snap.NearestOffices(tt.latitude, tt.longitude, 3)
			if err != nil {
				t.Fatal(err)
			}
			var keys []string
			for _, d := range ds {
				keys = append(keys, d.Office.Key)
			}
			if !reflect.DeepEqual(keys, tt.want) {
				t.Fatalf("nearest offices = %q, want %q", keys, tt.want)
			}
			if d := ds[0].DistanceKm; d < tt.nearestFrom || d > tt.nearestTo {
				t.Errorf("%s is %.1f km away, want %.0f-%.0f km", keys[0], d, tt.nearestFrom, tt.nearestTo)
			}
		})
	}
	t.Run("every office, nearest first", func(t *testing.T) {
		ds, err := snap.NearestOffices(0, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) != 15 {
			t.Fatalf("%d offices, want all 15", len(ds))
		}
		for i := 1; i < len(ds); i++ {
			if ds[i].DistanceKm < ds[i-1].DistanceKm {
				t.Errorf("office %d at %.1f km after one at %.1f km", i, ds[i].DistanceKm, ds[i-1].DistanceKm)
			}
		}
	})
	t.Run("the office nearest a city", func(t *testing.T) {
		// Guangzhou is nearer Manila (about 1,250 km) than Seoul (about 2,070 km).
		for city, w := range map[string]struct {
			office   string
			from, to float64
		}{"seoul": {"east-asia-secretariat", 0, 1}, "beijing": {"east-asia-secretariat", 900, 1000}, "guangzhou": {"southeast-asia-secretariat", 1150, 1350}} {
			n := snap.NearestOffice(snap.City(city))
			if n == nil || n.Office.Key != w.office || n.DistanceKm < w.from || n.DistanceKm > w.to || math.IsNaN(n.DistanceKm) {
				t.Errorf("%s: nearest office %+v, want %s at %.0f-%.0f km", city, n, w.office, w.from, w.to)
			}
		}
	})
	t.Run("a city without a location has none", func(t *testing.T) {
		if n := snap.NearestOffice(&directory.City{Key: "nowhere"}); n != nil {
			t.Errorf("nearest office of a city without a location = %+v", n)
		}
	})
}

func TestServiceFor(t *testing.T) {
	t.Parallel()
	_, s := seededLog(t)
	snap := s.rm.Snapshot()
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
		// An alpha-3 code in lower case names the same country.
		{"bra", "south-america", "south-american-secretariat", "south-american-secretariat", []string{"south-american-secretariat"}},
	}
	regions := map[string]bool{}
	for _, tt := range tests {
		regions[tt.region] = true
		t.Run(tt.country, func(t *testing.T) {
			svc, err := snap.ServiceFor(tt.country)
			if err != nil {
				t.Fatal(err)
			}
			secretariat := ""
			if svc.Secretariat != nil {
				secretariat = svc.Secretariat.Key
			}
			var offices []string
			for _, o := range svc.Offices {
				offices = append(offices, o.Key)
			}
			if !strings.EqualFold(svc.Country.Code, tt.country) && !strings.EqualFold(svc.Country.Alpha3, tt.country) || svc.Region.Code != tt.region ||
				secretariat != tt.secretariat || svc.Contact.Key != tt.contact || !reflect.DeepEqual(offices, tt.offices) {
				t.Errorf("service = %s in %s, secretariat %q, contact %s, offices %q\nwant %s in %s, secretariat %q, contact %s, offices %q",
					svc.Country.Code, svc.Region.Code, secretariat, svc.Contact.Key, offices,
					tt.country, tt.region, tt.secretariat, tt.contact, tt.offices)
			}
		})
	}
	if len(regions) != 10 {
		t.Errorf("the table covers %d regions, want all 10", len(regions))
	}
}

func TestNodes(t *testing.T) {
	t.Parallel()
	_, s := seededLog(t)
	snap := s.rm.Snapshot()
	t.Run("global IDs are stable", func(t *testing.T) {
		for id, want := range map[string][2]string{
			"T2ZmaWNlOmtvcmVhLW9mZmljZQ": {directory.KindOffice, "korea-office"},
			"UmVnaW9uOmVhc3QtYXNpYQ":     {directory.KindRegion, "east-asia"},
			"Q2l0eTpzZW91bA":             {directory.KindCity, "seoul"},
			"Q291bnRyeTpLUg":             {directory.KindCountry, "KR"},
		} {
			if got := directory.GlobalID(want[0], want[1]); got != id {
				t.Errorf("GlobalID(%s, %s) = %q, want %q as in earlier releases", want[0], want[1], got, id)
			}
			kind, key, err := directory.ParseGlobalID(id)
			if err != nil || kind != want[0] || key != want[1] {
				t.Errorf("ParseGlobalID(%s) = %s, %s, %v", id, kind, key, err)
			}
		}
	})
	t.Run("node finds a record of every kind", func(t *testing.T) {
		for _, c := range []struct {
			kind, key string
			want      any
		}{
			{directory.KindRegion, "east-asia", snap.Region("east-asia")},
			{directory.KindSecretariat, "east-asia-secretariat", snap.Secretariat("east-asia-secretariat")},
			{directory.KindOffice, "korea-office", snap.Office("korea-office")},
			{directory.KindCity, "seoul", snap.City("seoul")},
			{directory.KindProgram, program2016, snap.Program(program2016)},
			{directory.KindOrganization, "shrdc", snap.Organization("shrdc")},
			{directory.KindPerson, "shu-zhu", snap.Person("shu-zhu")},
		} {
			got, err := snap.Node(directory.GlobalID(c.kind, c.key))
			if err != nil || got != c.want || got == nil {
				t.Errorf("node of %s %s = %v, %v", c.kind, c.key, got, err)
			}
		}
		if got, err := snap.Node(directory.GlobalID(directory.KindCountry, "KR")); err != nil || got.(directory.Country).Code != "KR" {
			t.Errorf("node of country KR = %v, %v", got, err)
		}
	})
	t.Run("an ID of a record that does not exist is nil", func(t *testing.T) {
		for _, id := range []string{"T2ZmaWNlOm5vLXN1Y2gtb2ZmaWNl", "Q291bnRyeTpYWA"} {
			if got, err := snap.Node(id); got != nil || err != nil {
				t.Errorf("node(%s) = %v, %v; want nil", id, got, err)
			}
		}
	})
	t.Run("nodes answers in order, nil where there is no record", func(t *testing.T) {
		ids := []string{directory.GlobalID(directory.KindCity, "seoul"), "T2ZmaWNlOm5vLXN1Y2gtb2ZmaWNl", directory.GlobalID(directory.KindOffice, "korea-office")}
		got, err := snap.Nodes(ids)
		if err != nil || len(got) != 3 || got[0] != snap.City("seoul") || got[1] != nil || got[2] != snap.Office("korea-office") {
			t.Errorf("nodes = %v, %v", got, err)
		}
	})
}

// TestInvalidArguments: every argument the domain refuses is BAD_USER_INPUT about the argument, with a message
// that does not read as an internal error.
func TestInvalidArguments(t *testing.T) {
	t.Parallel()
	_, s := seededLog(t)
	snap := s.rm.Snapshot()
	cityCursor := *must(snap.Cities(directory.CityFilter{}, directory.Order{}, directory.PageArgs{First: ptr(1)})).PageInfo.EndCursor
	officeCursor := *must(snap.Offices(directory.OfficeFilter{}, directory.Order{}, directory.PageArgs{First: ptr(1)})).PageInfo.EndCursor
	manyIDs := make([]string, directory.MaxNodes+1)
	for i := range manyIDs {
		manyIDs[i] = "Q291bnRyeTpLUg"
	}
	offices := func(f directory.OfficeFilter, o directory.Order, p directory.PageArgs) func() error {
		return func() error { _, err := snap.Offices(f, o, p); return err }
	}
	cities := func(f directory.CityFilter) func() error {
		return func() error { _, err := snap.Cities(f, directory.Order{}, directory.PageArgs{}); return err }
	}
	programs := func(f directory.ProgramFilter) func() error {
		return func() error { _, err := snap.Programs(f, directory.Order{}, directory.PageArgs{}); return err }
	}
	search := func(q string, types []string, p directory.PageArgs) func() error {
		return func() error { _, err := snap.Search(q, types, p); return err }
	}
	nearest := func(lat, lon float64, n int) func() error {
		return func() error { _, err := snap.NearestOffices(lat, lon, n); return err }
	}
	node := func(id string) func() error { return func() error { _, err := snap.Node(id); return err } }
	none := directory.OfficeFilter{}
	tests := []struct {
		name  string
		call  func() error
		field string
	}{
		{"first 0", offices(none, directory.Order{}, directory.PageArgs{First: ptr(0)}), "first"},
		{"first 101", offices(none, directory.Order{}, directory.PageArgs{First: ptr(101)}), "first"},
		{"first -1", offices(none, directory.Order{}, directory.PageArgs{First: ptr(-1)}), "first"},
		{"last 0", offices(none, directory.Order{}, directory.PageArgs{Last: ptr(0)}), "last"},
		{"last 101", offices(none, directory.Order{}, directory.PageArgs{Last: ptr(101)}), "last"},
		{"first and last together", offices(none, directory.Order{}, directory.PageArgs{First: ptr(2), Last: ptr(2)}), "first"},
		{"a malformed after cursor", offices(none, directory.Order{}, directory.PageArgs{After: ptr("not a cursor")}), "after"},
		{"a malformed before cursor", offices(none, directory.Order{}, directory.PageArgs{Before: ptr("bm90IGEgY3Vyc29y")}), "before"},
		{"a cursor of another list", offices(none, directory.Order{}, directory.PageArgs{After: &cityCursor}), "after"},
		{"a cursor of another ordering", offices(none, directory.Order{Field: "COUNTRY"}, directory.PageArgs{Before: &officeCursor}), "before"},
		{"an unknown region", offices(directory.OfficeFilter{Region: "mars"}, directory.Order{}, directory.PageArgs{}), "filter.region"},
		{"an unknown country", offices(directory.OfficeFilter{Country: "XX"}, directory.Order{}, directory.PageArgs{}), "filter.country"},
		{"an unknown office kind", offices(directory.OfficeFilter{Kind: "CASTLE"}, directory.Order{}, directory.PageArgs{}), "filter.kind"},
		{"an unknown secretariat of offices", offices(directory.OfficeFilter{Secretariat: "mars-secretariat"}, directory.Order{}, directory.PageArgs{}), "filter.secretariat"},
		{"an unknown region of cities", cities(directory.CityFilter{Region: "mars"}), "filter.region"},
		{"an unknown country of cities", cities(directory.CityFilter{Country: "XXX"}), "filter.country"},
		{"an unknown program of cities", cities(directory.CityFilter{Program: "no-such-program"}), "filter.program"},
		{"an unknown parent city", cities(directory.CityFilter{Parent: "atlantis"}), "filter.parent"},
		{"an unknown secretariat of cities", cities(directory.CityFilter{Secretariat: "mars-secretariat"}), "filter.secretariat"},
		{"an unknown city kind", cities(directory.CityFilter{Kind: "VILLAGE"}), "filter.kind"},
		{"an unknown membership category", cities(directory.CityFilter{MembershipCategory: "GOLD"}), "filter.membershipCategory"},
		{"an unknown membership status", cities(directory.CityFilter{MembershipStatus: "PAUSED"}), "filter.membershipStatus"},
		{"an unknown region of programs", programs(directory.ProgramFilter{Region: "mars"}), "filter.region"},
		{"an unknown city of programs", programs(directory.ProgramFilter{City: "atlantis"}), "filter.city"},
		{"an unknown organizer", programs(directory.ProgramFilter{Organizer: "acme"}), "filter.organizer"},
		{"an unknown person of programs", programs(directory.ProgramFilter{Person: "nobody"}), "filter.person"},
		{"a year before ICLEI", programs(directory.ProgramFilter{Year: 1989}), "filter.year"},
		{"an unknown program kind", programs(directory.ProgramFilter{Kind: "PARTY"}), "filter.kind"},
		{"an unknown region of secretariats", func() error {
			_, err := snap.Secretariats(directory.SecretariatFilter{Region: "mars"}, directory.Order{}, directory.PageArgs{})
			return err
		}, "filter.region"},
		{"an unknown country of organizations", func() error {
			_, err := snap.Organizations(directory.OrganizationFilter{Country: "XX"}, directory.Order{}, directory.PageArgs{})
			return err
		}, "filter.country"},
		{"an unknown city of organizations", func() error {
			_, err := snap.Organizations(directory.OrganizationFilter{City: "atlantis"}, directory.Order{}, directory.PageArgs{})
			return err
		}, "filter.city"},
		{"an unknown institution of people", func() error {
			_, err := snap.People(directory.PersonFilter{Institution: "acme"}, directory.Order{}, directory.PageArgs{})
			return err
		}, "filter.institution"},
		{"an unknown program of people", func() error {
			_, err := snap.People(directory.PersonFilter{Program: "no-such-program"}, directory.Order{}, directory.PageArgs{})
			return err
		}, "filter.program"},
		{"an empty search", search("", nil, directory.PageArgs{}), "query"},
		{"a blank search", search("   ", nil, directory.PageArgs{}), "query"},
		{"a search of punctuation only", search("?!", nil, directory.PageArgs{}), "query"},
		{"a search over 200 characters", search(strings.Repeat("x", 201), nil, directory.PageArgs{}), "query"},
		{"a search of an unknown type", search("seoul", []string{"Planet"}, directory.PageArgs{}), "types"},
		{"a search page of 0", search("seoul", nil, directory.PageArgs{First: ptr(0)}), "first"},
		{"a search with a cursor of another list", search("seoul", nil, directory.PageArgs{After: &cityCursor}), "after"},
		{"latitude 91", nearest(91, 0, 5), "latitude"},
		{"latitude -90.5", nearest(-90.5, 0, 5), "latitude"},
		{"longitude -181", nearest(0, -181, 5), "longitude"},
		{"longitude 180.5", nearest(0, 180.5, 5), "longitude"},
		{"nearest 0 offices", nearest(0, 0, 0), "first"},
		{"nearest 101 offices", nearest(0, 0, 101), "first"},
		{"service for an unknown country", func() error { _, err := snap.ServiceFor("XX"); return err }, "country"},
		{"service for a country name", func() error { _, err := snap.ServiceFor("Germany"); return err }, "country"},
		{"nodes with 101 IDs", func() error { _, err := snap.Nodes(manyIDs); return err }, "ids"},
		{"node with a malformed ID", node("!!!"), "id"},
		{"node with an ID without a key", node("T2ZmaWNl"), "id"},
		{"node with an ID of an unknown type", node("UGxhbmV0OmVhcnRo"), "id"},
		{"nodes with a malformed ID among good ones", func() error { _, err := snap.Nodes([]string{"Q291bnRyeTpLUg", "!!!"}); return err }, "id"},
		{"an unknown region to check", func() error { return snap.CheckRegion("region", "mars") }, "region"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			if code(err) != directory.CodeInvalidInput || fieldOf(err) != tt.field {
				t.Fatalf("error %v (%s about %q), want BAD_USER_INPUT about %q", err, code(err), fieldOf(err), tt.field)
			}
			if strings.Contains(strings.ToLower(err.Error()), "internal") {
				t.Errorf("message %q reads as an internal error", err)
			}
		})
	}

	t.Run("an unknown region lists the valid regions", func(t *testing.T) {
		err := snap.CheckRegion("region", "mars")
		var e *directory.Error
		if !errors.As(err, &e) || !slices.Equal(e.Choices, directory.RegionCodes()) || !strings.Contains(e.Message, `"mars"`) {
			t.Errorf("error %v: choices %q", err, e.Choices)
		}
	})
	t.Run("an unknown country lists the valid codes", func(t *testing.T) {
		_, err := snap.ServiceFor("XX")
		var e *directory.Error
		if !errors.As(err, &e) || len(e.Choices) != 249 || !slices.Contains(e.Choices, "KR") {
			t.Errorf("error %v: %d choices", err, len(e.Choices))
		}
	})
	t.Run("an unknown key looked up directly is nil, not an error", func(t *testing.T) {
		if snap.Office("atlantis") != nil || snap.City("atlantis") != nil || snap.Region("mars") != nil {
			t.Error("an unknown key found a record")
		}
	})
}

// must returns v, failing the test run on err.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestListsAreTheCallersToChange: the lists the package hands out are copies, so a caller that changes one
// changes neither the package's rules nor the choices its errors offer.
func TestListsAreTheCallersToChange(t *testing.T) {
	t.Parallel()
	codes, types := directory.RegionCodes(), directory.SearchTypes()
	codes[0], types[0] = "mars", "Planet"
	if directory.RegionCodes()[0] != "global" || directory.SearchTypes()[0] != directory.KindRegion {
		t.Fatal("changing a returned list changed the package's")
	}
	if err := directory.CheckRole(directory.RoleEditor, []string{"mars"}); code(err) != directory.CodeInvalidInput {
		t.Errorf("an editor of mars: %v, want BAD_USER_INPUT", err)
	}
	_, s := seededLog(t)
	_, err := s.rm.Snapshot().Search("seoul", []string{"Planet"}, directory.PageArgs{})
	var e *directory.Error
	if !errors.As(err, &e) {
		t.Fatalf("a search of planets: %v", err)
	}
	e.Choices[0] = "Planet"
	_, err = s.rm.Snapshot().Search("seoul", []string{"Planet"}, directory.PageArgs{})
	if !errors.As(err, &e) || e.Choices[0] != directory.KindRegion {
		t.Errorf("changing an error's choices changed the next error's: %v", e.Choices)
	}
}
