package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/iclei/directory/directory"
	"github.com/iclei/directory/export"
	"github.com/iclei/directory/seed"
)

// graphOffice is an office as the GraphQL API gives it.
type graphOffice struct {
	Key, Name, Kind string
	Region          struct{ Code string }
	Phone           *struct{ E164, International string }
	Fax             *struct{ E164 string }
	Website         *string
	Address         *struct {
		Street     []string
		Locality   *string
		PostalCode *string
		Country    struct{ Code, Name string }
	}
	Location *struct {
		Latitude, Longitude float64
		Precision           string
		Curated             bool
	}
}

const officesQuery = `query ($filter: OfficeFilter) { offices(filter: $filter, first: 100) { totalCount nodes {
	key name kind region { code } phone { e164 international } fax { e164 } website
	address { street locality postalCode country { code name } }
	location { latitude longitude precision curated } } } }`

func (s *testServer) offices(t *testing.T, filter map[string]any) []graphOffice {
	t.Helper()
	var got struct {
		Offices struct {
			TotalCount int
			Nodes      []graphOffice
		}
	}
	s.query(t, officesQuery, map[string]any{"filter": filter}, &got)
	if got.Offices.TotalCount != len(got.Offices.Nodes) {
		t.Fatalf("more offices than one page: %d", got.Offices.TotalCount)
	}
	return got.Offices.Nodes
}

func TestExports(t *testing.T) {
	s := startServer(t, nil)
	seedMemberships(t, s)
	all := s.offices(t, nil)
	byKey := map[string]graphOffice{}
	for _, o := range all {
		byKey[o.Key] = o
	}

	t.Run("offices as a GeoJSON FeatureCollection", func(t *testing.T) {
		r := s.send(t, "GET", "/export/offices.geojson", nil, "")
		if mt, _ := r.mediaType(t); r.Status != http.StatusOK || mt != "application/geo+json" {
			t.Fatalf("status %d, Content-Type %q", r.Status, r.Header.Get("Content-Type"))
		}
		var fc struct {
			Type     string
			Features []struct {
				Type     string
				ID       string
				Geometry *struct {
					Type        string
					Coordinates []float64
				}
				Properties map[string]any
			}
		}
		if err := json.Unmarshal(r.Body, &fc); err != nil {
			t.Fatal(err)
		}
		if fc.Type != "FeatureCollection" || len(fc.Features) != len(all) {
			t.Fatalf("type %q with %d features, want %d", fc.Type, len(fc.Features), len(all))
		}
		for _, f := range fc.Features {
			o, ok := byKey[f.ID]
			if !ok || f.Type != "Feature" || f.Properties["key"] != o.Key || f.Properties["name"] != o.Name ||
				f.Properties["kind"] != o.Kind || f.Properties["region"] != o.Region.Code {
				t.Errorf("feature %s does not match the office: %+v", f.ID, f.Properties)
				continue
			}
			for _, p := range []string{"address", "phone", "website", "locationPrecision", "curated"} {
				if _, ok := f.Properties[p]; !ok {
					t.Errorf("feature %s lacks the property %s", f.ID, p)
				}
			}
			switch {
			case o.Location == nil && f.Geometry != nil:
				t.Errorf("feature %s: an office without a location has geometry %+v", f.ID, f.Geometry)
			case o.Location != nil && (f.Geometry == nil || f.Geometry.Type != "Point" ||
				!slices.Equal(f.Geometry.Coordinates, []float64{o.Location.Longitude, o.Location.Latitude})):
				t.Errorf("feature %s: geometry %+v, want a Point at [%v, %v]", f.ID, f.Geometry, o.Location.Longitude, o.Location.Latitude)
			case o.Location != nil && (f.Properties["locationPrecision"] != o.Location.Precision || f.Properties["curated"] != o.Location.Curated):
				t.Errorf("feature %s: precision %v, curated %v", f.ID, f.Properties["locationPrecision"], f.Properties["curated"])
			}
			if o.Phone != nil && f.Properties["phone"] != o.Phone.International {
				t.Errorf("feature %s: phone %v, want %s", f.ID, f.Properties["phone"], o.Phone.International)
			}
		}
	})

	t.Run("offices as CSV", func(t *testing.T) {
		r := s.send(t, "GET", "/export/offices.csv", nil, "")
		rows := csvRows(t, r)
		if !slices.Equal(rows[0], export.OfficeColumns) {
			t.Fatalf("header %v", rows[0])
		}
		if len(rows)-1 != len(all) {
			t.Fatalf("%d rows, want one per office (%d)", len(rows)-1, len(all))
		}
		col := columns(rows[0])
		for _, row := range rows[1:] {
			o, ok := byKey[row[col["key"]]]
			if !ok || row[col["name"]] != o.Name || row[col["kind"]] != o.Kind || row[col["region"]] != o.Region.Code {
				t.Errorf("row %v does not match the office", row)
				continue
			}
			if o.Address != nil && (row[col["country"]] != o.Address.Country.Code || row[col["street"]] != strings.Join(o.Address.Street, ", ")) {
				t.Errorf("%s: country %q, street %q", o.Key, row[col["country"]], row[col["street"]])
			}
			if o.Phone != nil && row[col["phone"]] != o.Phone.International {
				t.Errorf("%s: phone %q, want %q", o.Key, row[col["phone"]], o.Phone.International)
			}
		}
	})

	t.Run("cities as CSV, memberships summarised", func(t *testing.T) {
		var got struct {
			City struct {
				Memberships []struct{ Category, Status, Since string }
				Membership  struct {
					Category, Status, Since string
					Secretariat             *struct{ Key string }
				}
			}
			Cities struct{ TotalCount int }
		}
		s.query(t, `{ city(key: "beijing") { memberships { category status since } membership { category status since secretariat { key } } }
			cities(first: 1) { totalCount } }`, nil, &got)
		rows := csvRows(t, s.send(t, "GET", "/export/cities.csv", nil, ""))
		if !slices.Equal(rows[0], export.CityColumns) || len(rows)-1 != got.Cities.TotalCount {
			t.Fatalf("header %v and %d rows, want %d", rows[0], len(rows)-1, got.Cities.TotalCount)
		}
		col := columns(rows[0])
		i := slices.IndexFunc(rows, func(row []string) bool { return row[col["key"]] == "beijing" })
		if i < 0 {
			t.Fatal("no row for beijing")
		}
		row, m := rows[i], got.City.Membership
		want := map[string]string{
			"membership_category": "FULL", "membership_status": "ACTIVE", "membership_since": "2015-01-01",
			"membership_until": "", "membership_secretariat": "east-asia-secretariat", "membership_count": "2",
			"memberships": "ASSOCIATE ENDED 2010-03-01–2014-12-31; FULL ACTIVE 2015-01-01–",
		}
		for name, v := range want {
			if row[col[name]] != v {
				t.Errorf("%s = %q, want %q", name, row[col[name]], v)
			}
		}
		if row[col["membership_category"]] != m.Category || row[col["membership_since"]] != m.Since ||
			row[col["membership_count"]] != strconv.Itoa(len(got.City.Memberships)) || m.Secretariat == nil ||
			row[col["membership_secretariat"]] != m.Secretariat.Key {
			t.Errorf("beijing's membership columns %v disagree with the API's %+v", row, m)
		}
		if !strings.Contains(row[col["local_names"]], "北京市") {
			t.Errorf("local_names %q", row[col["local_names"]])
		}
	})

	t.Run("an office as a vCard 4.0", func(t *testing.T) {
		o := byKey["world-secretariat"]
		r := s.send(t, "GET", "/export/offices/world-secretariat.vcf", nil, "")
		if mt, cs := r.mediaType(t); r.Status != http.StatusOK || mt != "text/vcard" || cs != "utf-8" {
			t.Fatalf("status %d, Content-Type %q", r.Status, r.Header.Get("Content-Type"))
		}
		body := string(r.Body)
		if !strings.HasSuffix(body, "\r\n") || strings.Contains(strings.ReplaceAll(body, "\r\n", ""), "\n") {
			t.Error("lines do not all end in CRLF")
		}
		for _, line := range strings.Split(strings.TrimSuffix(body, "\r\n"), "\r\n") {
			if len(line) > 75 {
				t.Errorf("line of %d octets: %q", len(line), line)
			}
		}
		props := unfold(body)
		want := []string{
			"BEGIN:VCARD", "VERSION:4.0", "FN:" + o.Name, "ORG:" + export.Organization + ";" + o.Name,
			"ADR;TYPE=work;PREF=1:;;" + strings.Join(o.Address.Street, ",") + ";" + *o.Address.Locality + ";;" + *o.Address.PostalCode + ";" + o.Address.Country.Name,
			"TEL;VALUE=uri;TYPE=work,voice:tel:" + o.Phone.E164,
			"TEL;VALUE=uri;TYPE=work,fax:tel:" + o.Fax.E164,
			"URL:" + *o.Website,
			"GEO:geo:" + strconv.FormatFloat(o.Location.Latitude, 'f', -1, 64) + "," + strconv.FormatFloat(o.Location.Longitude, 'f', -1, 64),
			"SOURCE:" + s.URL + "/export/offices/world-secretariat.vcf",
			"END:VCARD",
		}
		for _, w := range want {
			if !slices.Contains(props, w) {
				t.Errorf("no line %q in\n%s", w, body)
			}
		}
		if props[0] != "BEGIN:VCARD" || props[1] != "VERSION:4.0" || props[len(props)-1] != "END:VCARD" {
			t.Errorf("card not framed by BEGIN, VERSION and END: %q", props)
		}
	})

	t.Run("an unknown office has no vCard", func(t *testing.T) {
		r := s.send(t, "GET", "/export/offices/atlantis-office.vcf", nil, "")
		if mt, _ := r.mediaType(t); r.Status != http.StatusNotFound || mt != "text/plain" || !strings.Contains(string(r.Body), "atlantis-office") {
			t.Errorf("status %d, %q: %s", r.Status, r.Header.Get("Content-Type"), r.Body)
		}
	})

	t.Run("filters select the records the GraphQL filters select", func(t *testing.T) {
		cases := []struct {
			query  string
			filter map[string]any
		}{
			{"?region=east-asia", map[string]any{"region": "east-asia"}},
			{"?country=kor", map[string]any{"country": "KR"}},
			{"?region=east-asia&country=JP", map[string]any{"region": "east-asia", "country": "JP"}},
		}
		for _, tc := range cases {
			want := []string{}
			for _, o := range s.offices(t, tc.filter) {
				want = append(want, o.Key)
			}
			rows := csvRows(t, s.send(t, "GET", "/export/offices.csv"+tc.query, nil, ""))
			got := []string{}
			for _, row := range rows[1:] {
				got = append(got, row[0])
			}
			if len(want) == 0 || !slices.Equal(got, want) {
				t.Errorf("%s: offices %v, want %v", tc.query, got, want)
			}
		}
	})

	t.Run("an invalid filter is refused naming the valid values", func(t *testing.T) {
		cases := map[string]string{
			"/export/offices.csv?region=atlantis":     "east-asia",
			"/export/cities.csv?country=XX":           "KR",
			"/export/offices.geojson?regoin=europe":   "region and country",
			"/export/offices.csv?region=a&region=b":   "at most once",
			"/export/offices/korea-office.vcf?x=1":    "no parameters",
			"/export/offices.geojson?region=atlantis": "southeast-asia",
		}
		for target, mention := range cases {
			r := s.send(t, "GET", target, nil, "")
			if mt, _ := r.mediaType(t); r.Status != http.StatusBadRequest || mt != "text/plain" || !strings.Contains(string(r.Body), mention) {
				t.Errorf("%s: status %d, %q: %s", target, r.Status, r.Header.Get("Content-Type"), r.Body)
			}
		}
	})

	t.Run("exports are named and cacheable", func(t *testing.T) {
		cases := map[string]string{
			"/export/offices.geojson":                         "iclei-offices.geojson",
			"/export/offices.csv?region=east-asia":            "iclei-offices-east-asia.csv",
			"/export/cities.csv?country=cn":                   "iclei-cities-cn.csv",
			"/export/offices/world-secretariat.vcf":           "world-secretariat.vcf",
			"/export/offices.csv?region=east-asia&country=KR": "iclei-offices-east-asia-kr.csv",
		}
		for target, filename := range cases {
			r := s.send(t, "GET", target, nil, "")
			_, params, err := mime.ParseMediaType(r.Header.Get("Content-Disposition"))
			if err != nil || params["filename"] != filename {
				t.Errorf("%s: Content-Disposition %q, want filename %s", target, r.Header.Get("Content-Disposition"), filename)
			}
			etag := r.Header.Get("ETag")
			if etag == "" || r.Header.Get("Cache-Control") == "" {
				t.Errorf("%s: ETag %q, Cache-Control %q", target, etag, r.Header.Get("Cache-Control"))
				continue
			}
			again := s.send(t, "GET", target, map[string]string{"If-None-Match": etag}, "")
			if again.Status != http.StatusNotModified || len(again.Body) != 0 {
				t.Errorf("%s with If-None-Match: status %d, body %q", target, again.Status, again.Body)
			}
		}
		a := s.send(t, "GET", "/export/offices.csv", nil, "").Header.Get("ETag")
		b := s.send(t, "GET", "/export/offices.csv?region=europe", nil, "").Header.Get("ETag")
		if a == b {
			t.Error("a filtered export shares the ETag of the whole list")
		}
	})
}

func TestVCardSourceUsesThePublicURL(t *testing.T) {
	s := startServer(t, map[string]string{"PUBLIC_URL": "https://directory.example.org/"})
	r := s.send(t, "GET", "/export/offices/korea-office.vcf", nil, "")
	if !slices.Contains(unfold(string(r.Body)), "SOURCE:https://directory.example.org/export/offices/korea-office.vcf") {
		t.Errorf("no SOURCE at the public URL in\n%s", r.Body)
	}
}

// unfold returns the content lines of a vCard, continuation lines joined (RFC 6350, section 3.2).
func unfold(card string) []string {
	return strings.Split(strings.TrimSuffix(strings.ReplaceAll(card, "\r\n ", ""), "\r\n"), "\r\n")
}

func csvRows(t *testing.T, r *reply) [][]string {
	t.Helper()
	if mt, cs := r.mediaType(t); r.Status != http.StatusOK || mt != "text/csv" || cs != "utf-8" {
		t.Fatalf("status %d, Content-Type %q: %s", r.Status, r.Header.Get("Content-Type"), r.Body)
	}
	rows, err := csv.NewReader(bytes.NewReader(r.Body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 {
		t.Fatal("no header row")
	}
	return rows
}

func columns(header []string) map[string]int {
	col := map[string]int{}
	for i, h := range header {
		col[h] = i
	}
	return col
}

// seedMemberships gives Beijing two memberships, an ended one and a current one (the seed has none), through
// the store behind the server's back, and waits until the server serves them.
func seedMemberships(t *testing.T, s *testServer) {
	t.Helper()
	data, _, err := seed.Build()
	if err != nil {
		t.Fatal(err)
	}
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	i := slices.IndexFunc(data.Cities, func(c directory.City) bool { return c.Key == "beijing" })
	data.Cities[i].Memberships = []directory.Membership{
		{ID: "m1", City: "beijing", Category: directory.MembershipAssociate, Status: directory.MembershipEnded,
			Since: day(2010, 3, 1), Until: day(2014, 12, 31), Secretariat: "east-asia-secretariat"},
		{ID: "m2", City: "beijing", Category: directory.MembershipFull, Status: directory.MembershipActive,
			Since: day(2015, 1, 1), Secretariat: "east-asia-secretariat"},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := openStore(t, s.MongoURI, s.Database).Seed(ctx, data); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, func() error {
		var got struct {
			City struct{ Memberships []struct{ ID string } }
		}
		s.query(t, `{ city(key: "beijing") { memberships { id } } }`, nil, &got)
		if len(got.City.Memberships) != 2 {
			return fmt.Errorf("beijing has %d memberships", len(got.City.Memberships))
		}
		return nil
	})
}
