package graph_test

import (
	"bytes"
	"fmt"
	"reflect"
	"testing"

	"github.com/iclei/directory/seed"
)

// The directory as the listing and the news item give it, read through the API: every field of the schema
// that shows them.

// apiAddress, apiPhone and apiOffice are the office fields the tests read, as the API returns them.
type apiAddress struct {
	Lines      []string
	Street     []string
	Locality   string
	Province   string
	PostalCode string
	Country    struct{ Code string }
}

type apiPhone struct{ E164, International, Written string }

type apiOffice struct {
	Key, Name, Kind string
	Region          struct{ Code string }
	Secretariat     *struct{ Key string }
	Address         *apiAddress
	PostalAddress   *apiAddress
	Phone, Fax      *apiPhone
	Email, Website  string
	Labels          []string
}

const officeFields = `key name kind region { code } secretariat { key }
	address { lines street locality province postalCode country { code } }
	postalAddress { lines street locality province postalCode country { code } }
	phone { e164 international written } fax { e164 international written } email website labels`

// listedOffice is an office as the test expects it, in the terms of the listing.
type listedOffice struct {
	region, key, name, kind, secretariat string
	address, postal                      *apiAddress
	phone, fax                           *apiPhone
	website                              string
	labels                               []string
}

func address(country, locality, province, postalCode string, street []string, lines ...string) *apiAddress {
	a := &apiAddress{Lines: lines, Street: street, Locality: locality, Province: province, PostalCode: postalCode}
	a.Country.Code = country
	return a
}

// listing is every office of the listing (source lines 33-90), by region, each region's offices by name.
var listing = []listedOffice{
	{region: "global", key: "world-secretariat", name: "World Secretariat", kind: "WORLD_SECRETARIAT", secretariat: "world-secretariat",
		address: address("DE", "Bonn", "", "53113", []string{"Kaiser-Friedrich-Str. 7"}, "Kaiser-Friedrich-Str. 7", "53113 Bonn"),
		phone:   &apiPhone{E164: "+4922897629900", International: "+49 228 97629900", Written: "+49-228/97 62 99-00"},
		fax:     &apiPhone{E164: "+4922897629901", International: "+49 228 97629901", Written: "+49-228/97 62 99-01"},
		website: "https://www.iclei.org"},
	{region: "africa", key: "africa-secretariat", name: "Africa Secretariat", kind: "REGIONAL_SECRETARIAT", secretariat: "africa-secretariat",
		address: address("ZA", "Cape Town", "", "", []string{"3 Knowledge Park", "Century City"},
			"3 Knowledge Park", "Century City", "Cape Town", "South Africa"),
		postal: address("ZA", "", "", "", []string{"PO Box 5319"}, "PO Box 5319", "South Africa"),
		labels: []string{"Africa secretariat"}},
	{region: "east-asia", key: "east-asia-secretariat", name: "East Asia Secretariat", kind: "REGIONAL_SECRETARIAT", secretariat: "east-asia-secretariat",
		address: address("KR", "Seoul", "", "110-110", []string{"14/F, Seoul Global Center Building, 38 Jongno, Jongno-gu"},
			"14/F, Seoul Global Center Building, 38 Jongno, Jongno-gu, Seoul, South Korea (110-110)"),
		labels: []string{"ICLEI East Asia Secretariat"}},
	{region: "east-asia", key: "japan-office", name: "Japan Office", kind: "COUNTRY_OFFICE", secretariat: "east-asia-secretariat",
		address: address("JP", "Tokyo", "", "105-0003", []string{"1-14-2 Nishi-Shimbashi"}, "1-14-2 Nishi-Shimbashi,", "Tokyo, Japan 105-0003")},
	{region: "east-asia", key: "korea-office", name: "Korea Office", kind: "COUNTRY_OFFICE", secretariat: "east-asia-secretariat",
		address: address("KR", "Suwon-si", "Gyeonggi-do", "16429", []string{"3F, Suwon Research Institute", "126, Suin-ro, Gwonseon-gu"},
			"(16429) 3F, Suwon Research Institute,", "126, Suin-ro, Gwonseon-gu, Suwon-si,", "Gyeonggi-do, Republic of Korea")},
	{region: "europe", key: "brussels-office", name: "Brussels Office", kind: "CITY_OFFICE", secretariat: "european-secretariat",
		address: address("BE", "Bruxelles", "", "1040", []string{"Av. de Tervuren 35"}, "Av. de Tervuren 35", "1040 Bruxelles")},
	{region: "europe", key: "european-secretariat", name: "European Secretariat", kind: "REGIONAL_SECRETARIAT", secretariat: "european-secretariat",
		address: address("DE", "Freiburg", "", "79098", []string{"Leopoldring 3"}, "Leopoldring 3", "79098 Freiburg, Germany")},
	{region: "mexico-central-america-caribbean", key: "mexico-central-america-caribbean-secretariat",
		name: "Mexico, Central American and Caribbean Secretariat", kind: "REGIONAL_SECRETARIAT", secretariat: "mexico-central-america-caribbean-secretariat",
		address: address("MX", "Ciudad de Mexico", "", "06600", []string{"Paseo de la Reforma 136 Piso 14 Of. B, Col. Juarez, Del. Cuauhtemoc"},
			"Paseo de la Reforma 136 Piso 14 Of. B, Col. Juarez, C.P. 06600, Del. Cuauhtemoc, Ciudad de Mexico")},
	{region: "north-america", key: "canada-office", name: "Canada Office", kind: "COUNTRY_OFFICE",
		address: address("CA", "Toronto", "Ontario", "M5V 3A8", []string{"401 Richmond St. W", "Studio 204"},
			"401 Richmond St. W", "Studio 204", "Toronto, Ontario", "M5V 3A8, Canada")},
	{region: "north-america", key: "usa-office", name: "USA Office", kind: "COUNTRY_OFFICE",
		address: address("US", "Denver", "Colorado", "80202", []string{"536 Wynkoop St.", "Suite 901"},
			"536 Wynkoop St.", "Suite 901", "Denver, Colorado", "USA 80202")},
	{region: "oceania", key: "oceania-secretariat", name: "Oceania Secretariat", kind: "REGIONAL_SECRETARIAT", secretariat: "oceania-secretariat",
		address: address("AU", "Melbourne", "Victoria", "3000", []string{"Level 1, 200 Little Collins Street"},
			"Level 1, 200 Little Collins Street Melbourne, Victoria 3000, Australia")},
	{region: "south-america", key: "south-american-secretariat", name: "South American Secretariat", kind: "REGIONAL_SECRETARIAT", secretariat: "south-american-secretariat",
		address: address("BR", "São Paulo", "SP", "05451-040", []string{"Rua Ibiraçu, 226, Vila Madalena"},
			"Rua Ibiraçu, 226, Vila Madalena", "São Paulo / SP - Brazil", "CEP 05451-040")},
	{region: "south-asia", key: "south-asia-secretariat", name: "South Asia Secretariat", kind: "REGIONAL_SECRETARIAT", secretariat: "south-asia-secretariat",
		address: address("IN", "New Delhi", "", "110020", []string{"Ground Floor, NSIC-STP Complex NSIC Bhawan, Okhla Industrial Estate"},
			"Ground Floor, NSIC-STP Complex NSIC Bhawan, Okhla Industrial Estate New Delhi – 110020, India")},
	{region: "southeast-asia", key: "indonesia-project-office", name: "Indonesia Project Office", kind: "PROJECT_OFFICE", secretariat: "southeast-asia-secretariat",
		address: address("ID", "DKI Jakarta", "", "12960", []string{"Rasuna Office Park III WO. 06-09 Komplek Rasuna Epicentrum Jl. Taman Rasuna Selatan, Kuningan"},
			"Rasuna Office Park III WO. 06-09 Komplek Rasuna Epicentrum Jl. Taman Rasuna Selatan, Kuningan DKI Jakarta, 12960, Indonesia")},
	{region: "southeast-asia", key: "southeast-asia-secretariat", name: "Southeast Asia Secretariat", kind: "REGIONAL_SECRETARIAT", secretariat: "southeast-asia-secretariat",
		address: address("PH", "Quezon City", "Manila", "1101", []string{"c/o The Manila Observatory Ateneo de Manila University Campus Loyola Heights"},
			"c/o The Manila Observatory Ateneo de Manila University Campus Loyola Heights, Quezon City 1101 Manila, Philippines")},
}

func (l listedOffice) api() apiOffice {
	o := apiOffice{Key: l.key, Name: l.name, Kind: l.kind, Address: l.address, PostalAddress: l.postal, Phone: l.phone,
		Fax: l.fax, Website: l.website, Labels: l.labels}
	o.Region.Code = l.region
	if l.secretariat != "" {
		o.Secretariat = &struct{ Key string }{l.secretariat}
	}
	if o.Labels == nil {
		o.Labels = []string{}
	}
	return o
}

func TestEveryOfficeOfTheListingByRegion(t *testing.T) {
	t.Parallel()
	s := writable(t)
	var got struct {
		Regions []struct {
			Code    string
			Offices struct {
				TotalCount int
				Nodes      []apiOffice
			}
		}
	}
	s.query(t, `{ regions { code offices(first: 100) { totalCount nodes { `+officeFields+` } } } }`, nil, &got)

	want := map[string][]apiOffice{}
	for _, l := range listing {
		want[l.region] = append(want[l.region], l.api())
	}
	wantRegions := []string{"global", "africa", "east-asia", "europe", "mexico-central-america-caribbean", "north-america",
		"oceania", "south-america", "south-asia", "southeast-asia"}
	var regions []string
	for _, r := range got.Regions {
		regions = append(regions, r.Code)
	}
	if !reflect.DeepEqual(regions, wantRegions) {
		t.Fatalf("regions = %q, want %q", regions, wantRegions)
	}
	total := 0
	for _, r := range got.Regions {
		t.Run(r.Code, func(t *testing.T) {
			if r.Offices.TotalCount != len(want[r.Code]) {
				t.Errorf("totalCount = %d, want %d", r.Offices.TotalCount, len(want[r.Code]))
			}
			var keys, wantKeys []string
			for _, o := range r.Offices.Nodes {
				keys = append(keys, o.Key)
			}
			for _, o := range want[r.Code] {
				wantKeys = append(wantKeys, o.Key)
			}
			if !reflect.DeepEqual(keys, wantKeys) {
				t.Fatalf("offices = %q, want %q", keys, wantKeys)
			}
			for i, o := range r.Offices.Nodes {
				if !reflect.DeepEqual(o, want[r.Code][i]) {
					t.Errorf("office %s =\n%s\nwant\n%s", o.Key, dump(o), dump(want[r.Code][i]))
				}
			}
		})
		total += len(r.Offices.Nodes)
	}
	if total != 15 {
		t.Errorf("the regions hold %d offices, want the listing's 15", total)
	}
}

// dump shows a value with its field names, following pointers one level down.
func dump(v any) string {
	rv := reflect.ValueOf(v)
	var b bytes.Buffer
	for i := 0; i < rv.NumField(); i++ {
		f := rv.Field(i)
		if f.Kind() == reflect.Pointer && !f.IsNil() {
			f = f.Elem()
		}
		fmt.Fprintf(&b, "  %s: %+v\n", rv.Type().Field(i).Name, f.Interface())
	}
	return b.String()
}

func TestThe2016Program(t *testing.T) {
	t.Parallel()
	s := writable(t)
	var got struct {
		Program struct {
			Key, Title, Kind string
			HostCity         struct{ Key, Name string }
			Region           struct{ Code string }
			StartDate        *string
			EndDate          string
			Year             int
			Duration         string
			DelegateCount    int
			Topics           []string
			Organizers       []struct {
				Typename   string `json:"__typename"`
				Key, Name  string
				ShortName  string
				Government string
			}
			SiteVisits []struct {
				Name string
				City struct{ Key string }
			}
			People []struct {
				Context string
				Person  struct {
					Key, Name    string
					Affiliations []struct {
						Title       string
						Institution struct {
							Typename string `json:"__typename"`
							Key      string
						}
					}
				}
			}
			Activities []struct {
				Kind, Title string
				Date        *string
			}
			Provenance struct {
				Origin  string
				Sources []struct {
					File               string
					StartLine, EndLine int
				}
			}
		}
	}
	s.query(t, `query($key: String!) { program(key: $key) {
		key title kind hostCity { key name } region { code } startDate endDate year duration delegateCount topics
		organizers {
			__typename
			... on Secretariat { key name }
			... on Organization { key name shortName }
			... on City { key name government }
		}
		siteVisits { name city { key } }
		people { context person { key name affiliations { title institution {
			__typename ... on Secretariat { key } ... on Organization { key } ... on City { key } } } } }
		activities { kind title date }
		provenance { origin sources { file startLine endLine } }
	} }`, map[string]any{"key": programKey}, &got)
	p := got.Program

	t.Run("is the capacity program held in Seoul that ended on 29 April 2016", func(t *testing.T) {
		if p.Title != "2016 Low-carbon and Sustainable Development Capacity Program for Chinese Local Governments" {
			t.Errorf("title = %q", p.Title)
		}
		if p.Kind != "CAPACITY_BUILDING" || p.HostCity.Key != "seoul" || p.Region.Code != "east-asia" {
			t.Errorf("kind %s hosted by %s in %s, want CAPACITY_BUILDING hosted by seoul in east-asia", p.Kind, p.HostCity.Key, p.Region.Code)
		}
		if p.StartDate != nil || p.EndDate != "2016-04-29" || p.Year != 2016 || p.Duration != "week-long" {
			t.Errorf("dates %v to %s, year %d, duration %q; want none to 2016-04-29, 2016, week-long", p.StartDate, p.EndDate, p.Year, p.Duration)
		}
	})

	t.Run("gathered seventeen delegates", func(t *testing.T) {
		if p.DelegateCount != 17 {
			t.Errorf("delegateCount = %d, want 17", p.DelegateCount)
		}
	})

	t.Run("was organized by the East Asia Secretariat, SHRDC and the Seoul Metropolitan Government", func(t *testing.T) {
		var got []string
		for _, o := range p.Organizers {
			got = append(got, o.Typename+" "+o.Key+" "+o.Name+" "+o.ShortName+o.Government)
		}
		want := []string{
			"Secretariat east-asia-secretariat East Asia Secretariat ",
			"Organization shrdc Seoul Human Resources Development Center SHRDC",
			"City seoul Seoul Seoul Metropolitan Government",
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("organizers = %q\nwant %q", got, want)
		}
	})

	t.Run("visited five sites in Seoul", func(t *testing.T) {
		var got []string
		for _, v := range p.SiteVisits {
			got = append(got, v.Name+" ("+v.City.Key+")")
		}
		want := []string{"Hydrogen station at the Energy Dream Center (seoul)", "Mapo resource recycling facility (seoul)",
			"World Cup Haneul Park (seoul)", "Seoul City Hall (seoul)", "TOPIS (seoul)"}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("siteVisits = %q\nwant %q", got, want)
		}
	})

	t.Run("names three people with their titles and organizations", func(t *testing.T) {
		var got []string
		for _, pp := range p.People {
			a := pp.Person.Affiliations
			if len(a) != 1 {
				t.Fatalf("%s has %d affiliations, want 1", pp.Person.Key, len(a))
			}
			got = append(got, fmt.Sprintf("%s (%s): %s, %s %s, %s", pp.Person.Name, pp.Person.Key, a[0].Title,
				a[0].Institution.Typename, a[0].Institution.Key, pp.Context))
		}
		want := []string{
			"Joon Ho Ahn (joon-ho-ahn): President, Organization shrdc, at the opening ceremony",
			"Gwonsig Won (gwonsig-won): Director, Organization shrdc, at the opening ceremony",
			"Shu Zhu (shu-zhu): Regional Director, Secretariat east-asia-secretariat, at the opening ceremony",
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("people = %q\nwant %q", got, want)
		}
	})

	t.Run("covers the topics the news item lists", func(t *testing.T) {
		want := []string{"low-carbon development", "sustainable development", "urban planning and regeneration",
			"transport and ecomobility", "environmental protection", "ecological restoration", "waste management"}
		if !reflect.DeepEqual(p.Topics, want) {
			t.Errorf("topics = %q\nwant %q", p.Topics, want)
		}
	})

	t.Run("held a seminar on 26 April and closed on 29 April", func(t *testing.T) {
		var got []string
		for _, a := range p.Activities {
			date := ""
			if a.Date != nil {
				date = " " + *a.Date
			}
			got = append(got, a.Kind+" "+a.Title+date)
		}
		want := []string{"CEREMONY Opening ceremony", "LECTURE Lectures", "DISCUSSION Discussions", "FIELD_VISIT Field visits",
			"SEMINAR Seminar 2016-04-26", "CEREMONY Closing ceremony 2016-04-29"}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("activities = %q\nwant %q", got, want)
		}
	})

	t.Run("comes from the news item, lines 1-30 of the source", func(t *testing.T) {
		pr := p.Provenance
		if pr.Origin != "SEED" || len(pr.Sources) != 1 || pr.Sources[0].File != seed.SourceFile ||
			pr.Sources[0].StartLine != 1 || pr.Sources[0].EndLine != 30 {
			t.Errorf("provenance = %+v, want SEED from %s lines 1-30", pr, seed.SourceFile)
		}
	})

	t.Run("ten participating cities, page by page", func(t *testing.T) {
		want := []string{"Beijing", "Chengdu", "Guangzhou", "Guilin Lin’gui New District", "Guiyang", "Shanghai",
			"Shenzhen Guangming New District", "Suining", "Tianjin Eco-city", "Zhuzhou"}
		var names []string
		var after *string
		pages := 0
		for {
			var page struct {
				Program struct {
					Participants struct {
						TotalCount int
						PageInfo   pageInfo
						Nodes      []struct{ Name string }
					}
				}
			}
			s.query(t, `query($key: String!, $after: String) { program(key: $key) { participants(first: 4, after: $after) {
				totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } nodes { name } } } }`,
				map[string]any{"key": programKey, "after": after}, &page)
			ps := page.Program.Participants
			if ps.TotalCount != 10 {
				t.Errorf("page %d: totalCount = %d, want 10", pages, ps.TotalCount)
			}
			for _, n := range ps.Nodes {
				names = append(names, n.Name)
			}
			pages++
			if !ps.PageInfo.HasNextPage || pages > 10 {
				break
			}
			after = ps.PageInfo.EndCursor
		}
		if pages != 3 || !reflect.DeepEqual(names, want) {
			t.Errorf("%d pages of participants %q\nwant 3 pages of %q", pages, names, want)
		}
	})

	t.Run("is linked from its cities, organizers and people", func(t *testing.T) {
		var got map[string]struct {
			Programs struct{ Nodes []struct{ Key string } }
		}
		s.query(t, `{
			participant: city(key: "zhuzhou") { programs { nodes { key } } }
			host: city(key: "seoul") { programs { nodes { key } } }
			organizer: organization(key: "shrdc") { programs { nodes { key } } }
			person: person(key: "gwonsig-won") { programs { nodes { key } } }
			parentOfParticipant: city(key: "guilin") { programs { nodes { key } } }
		}`, nil, &got)
		for alias, want := range map[string]int{"participant": 1, "host": 1, "organizer": 1, "person": 1, "parentOfParticipant": 0} {
			nodes := got[alias].Programs.Nodes
			if len(nodes) != want || want == 1 && nodes[0].Key != programKey {
				t.Errorf("%s: programs %+v, want %d (%s)", alias, nodes, want, programKey)
			}
		}
	})
}
