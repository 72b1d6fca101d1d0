package export_test

import (
	"bytes"
	"cmp"
	"encoding/csv"
	"encoding/json"
	"mime"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/iclei/directory/directory"
	"github.com/iclei/directory/export"
	"github.com/iclei/directory/seed"
)

// fixedSnapshot serves one snapshot, or none.
type fixedSnapshot struct{ snap *directory.Snapshot }

func (f fixedSnapshot) Snapshot() *directory.Snapshot { return f.snap }

// seededSnapshot is the seed data with what the seed lacks: Beijing with an ended and a current membership.
func seededSnapshot(t *testing.T) *directory.Snapshot {
	t.Helper()
	data, _, err := seed.Build()
	if err != nil {
		t.Fatal(err)
	}
	data.Revision = 7
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	i := slices.IndexFunc(data.Cities, func(c directory.City) bool { return c.Key == "beijing" })
	data.Cities[i].Memberships = []directory.Membership{
		{ID: "m1", City: "beijing", Category: directory.MembershipAssociate, Status: directory.MembershipEnded,
			Since: day(2010, 3, 1), Until: day(2014, 12, 31), Secretariat: "east-asia-secretariat"},
		{ID: "m2", City: "beijing", Category: directory.MembershipFull, Status: directory.MembershipActive,
			Since: day(2015, 1, 1), Secretariat: "east-asia-secretariat"},
	}
	return directory.NewSnapshot(*data, time.Now())
}

const baseURL = "https://directory.example.org"

// exportServer serves the export routes over snaps, as the server mounts them.
func exportServer(snaps export.Snapshots) http.Handler {
	mux := http.NewServeMux()
	for _, r := range export.Routes(snaps, export.Options{BaseURL: baseURL, CacheControl: "public, max-age=60", Build: "test"}) {
		mux.Handle(r.Pattern, r.Handler)
	}
	return mux
}

func get(t *testing.T, h http.Handler, target string, header map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, target, nil)
	for k, v := range header {
		r.Header.Set(k, v)
	}
	r.Host = cmp.Or(header["Host"], r.Host)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func mediaType(t *testing.T, w *httptest.ResponseRecorder) (string, string) {
	t.Helper()
	mt, params, err := mime.ParseMediaType(w.Header().Get("Content-Type"))
	if err != nil {
		t.Fatalf("Content-Type %q: %v", w.Header().Get("Content-Type"), err)
	}
	return mt, params["charset"]
}

func csvRows(t *testing.T, w *httptest.ResponseRecorder) ([][]string, map[string]int) {
	t.Helper()
	if mt, cs := mediaType(t, w); w.Code != http.StatusOK || mt != "text/csv" || cs != "utf-8" {
		t.Fatalf("status %d, Content-Type %q: %s", w.Code, w.Header().Get("Content-Type"), w.Body)
	}
	rows, err := csv.NewReader(bytes.NewReader(w.Body.Bytes())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 {
		t.Fatal("no header row")
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	return rows, col
}

func TestRoutes(t *testing.T) {
	t.Parallel()
	snap := seededSnapshot(t)
	h := exportServer(fixedSnapshot{snap})
	all, err := snap.ListOffices(directory.OfficeFilter{})
	if err != nil {
		t.Fatal(err)
	}
	byKey := map[string]*directory.Office{}
	for _, o := range all {
		byKey[o.Key] = o
	}

	t.Run("offices as a GeoJSON FeatureCollection", func(t *testing.T) {
		w := get(t, h, "/export/offices.geojson", nil)
		if mt, _ := mediaType(t, w); w.Code != http.StatusOK || mt != "application/geo+json" {
			t.Fatalf("status %d, Content-Type %q", w.Code, w.Header().Get("Content-Type"))
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
		if err := json.Unmarshal(w.Body.Bytes(), &fc); err != nil {
			t.Fatal(err)
		}
		if fc.Type != "FeatureCollection" || len(fc.Features) != len(all) {
			t.Fatalf("type %q with %d features, want %d", fc.Type, len(fc.Features), len(all))
		}
		for _, f := range fc.Features {
			o, ok := byKey[f.ID]
			if !ok || f.Type != "Feature" || f.Properties["key"] != o.Key || f.Properties["name"] != o.Name ||
				f.Properties["kind"] != string(o.Kind) || f.Properties["region"] != o.Region {
				t.Errorf("feature %s does not match the office: %+v", f.ID, f.Properties)
				continue
			}
			for _, p := range []string{"address", "phone", "website", "locationPrecision", "curated"} {
				if _, ok := f.Properties[p]; !ok {
					t.Errorf("feature %s lacks the property %s", f.ID, p)
				}
			}
			switch l := o.Location; {
			case l == nil && f.Geometry != nil:
				t.Errorf("feature %s: an office without a location has geometry %+v", f.ID, f.Geometry)
			case l != nil && (f.Geometry == nil || f.Geometry.Type != "Point" ||
				!slices.Equal(f.Geometry.Coordinates, []float64{l.Longitude, l.Latitude})):
				t.Errorf("feature %s: geometry %+v, want a Point at [%v, %v]", f.ID, f.Geometry, l.Longitude, l.Latitude)
			case l != nil && (f.Properties["locationPrecision"] != string(l.Precision) || f.Properties["curated"] != l.Curated):
				t.Errorf("feature %s: precision %v, curated %v", f.ID, f.Properties["locationPrecision"], f.Properties["curated"])
			}
			if o.Phone != nil && f.Properties["phone"] != o.Phone.International() {
				t.Errorf("feature %s: phone %v, want %s", f.ID, f.Properties["phone"], o.Phone.International())
			}
		}
	})

	t.Run("offices as CSV", func(t *testing.T) {
		rows, col := csvRows(t, get(t, h, "/export/offices.csv", nil))
		if !slices.Equal(rows[0], export.OfficeColumns) {
			t.Fatalf("header %v", rows[0])
		}
		if len(rows)-1 != len(all) {
			t.Fatalf("%d rows, want one per office (%d)", len(rows)-1, len(all))
		}
		for _, row := range rows[1:] {
			o, ok := byKey[row[col["key"]]]
			if !ok || row[col["name"]] != o.Name || row[col["kind"]] != string(o.Kind) || row[col["region"]] != o.Region {
				t.Errorf("row %v does not match the office", row)
				continue
			}
			if o.Address != nil && (row[col["country"]] != o.Address.Country || row[col["street"]] != strings.Join(o.Address.Street, ", ")) {
				t.Errorf("%s: country %q, street %q", o.Key, row[col["country"]], row[col["street"]])
			}
			if o.Phone != nil && row[col["phone"]] != o.Phone.International() {
				t.Errorf("%s: phone %q, want %q", o.Key, row[col["phone"]], o.Phone.International())
			}
		}
	})

	t.Run("cities as CSV, memberships summarised", func(t *testing.T) {
		rows, col := csvRows(t, get(t, h, "/export/cities.csv", nil))
		if !slices.Equal(rows[0], export.CityColumns) || len(rows)-1 != snap.Counts().Cities {
			t.Fatalf("header %v and %d rows, want %d", rows[0], len(rows)-1, snap.Counts().Cities)
		}
		i := slices.IndexFunc(rows, func(row []string) bool { return row[col["key"]] == "beijing" })
		if i < 0 {
			t.Fatal("no row for beijing")
		}
		want := map[string]string{
			"membership_category": "FULL", "membership_status": "ACTIVE", "membership_since": "2015-01-01",
			"membership_until": "", "membership_secretariat": "east-asia-secretariat", "membership_count": "2",
			"memberships": "ASSOCIATE ENDED 2010-03-01–2014-12-31; FULL ACTIVE 2015-01-01–",
		}
		for name, v := range want {
			if rows[i][col[name]] != v {
				t.Errorf("%s = %q, want %q", name, rows[i][col[name]], v)
			}
		}
		if !strings.Contains(rows[i][col["local_names"]], "北京市") {
			t.Errorf("local_names %q", rows[i][col["local_names"]])
		}
	})

	t.Run("an office as a vCard 4.0 whose SOURCE is the configured URL, whatever the Host header", func(t *testing.T) {
		o := byKey["world-secretariat"]
		w := get(t, h, "/export/offices/world-secretariat.vcf", map[string]string{"Host": "evil.example"})
		if mt, cs := mediaType(t, w); w.Code != http.StatusOK || mt != "text/vcard" || cs != "utf-8" {
			t.Fatalf("status %d, Content-Type %q", w.Code, w.Header().Get("Content-Type"))
		}
		body := w.Body.String()
		props := unfold(body)
		want := []string{
			"BEGIN:VCARD", "VERSION:4.0", "FN:" + o.Name, "ORG:" + export.Organization + ";" + o.Name,
			"TEL;VALUE=uri;TYPE=work,voice:tel:" + o.Phone.E164,
			"TEL;VALUE=uri;TYPE=work,fax:tel:" + o.Fax.E164,
			"URL:" + o.Website,
			"GEO:geo:" + strconv.FormatFloat(o.Location.Latitude, 'f', -1, 64) + "," + strconv.FormatFloat(o.Location.Longitude, 'f', -1, 64),
			"SOURCE:" + baseURL + "/export/offices/world-secretariat.vcf",
			"END:VCARD",
		}
		for _, w := range want {
			if !slices.Contains(props, w) {
				t.Errorf("no line %q in\n%s", w, body)
			}
		}
		if strings.Contains(body, "evil.example") {
			t.Errorf("the card follows the request's Host header:\n%s", body)
		}
	})

	t.Run("an unknown office has no vCard", func(t *testing.T) {
		w := get(t, h, "/export/offices/atlantis-office.vcf", nil)
		if code, msg := errorOf(t, w); w.Code != http.StatusNotFound || code != "NOT_FOUND" || !strings.Contains(msg, "atlantis-office") {
			t.Errorf("status %d, %q: %s", w.Code, w.Header().Get("Content-Type"), w.Body)
		}
	})

	t.Run("filters select the records the directory's filters select", func(t *testing.T) {
		cases := []struct {
			query  string
			filter directory.OfficeFilter
		}{
			{"?region=east-asia", directory.OfficeFilter{Region: "east-asia"}},
			{"?country=kor", directory.OfficeFilter{Country: "KR"}},
			{"?region=east-asia&country=JP", directory.OfficeFilter{Region: "east-asia", Country: "JP"}},
		}
		for _, tc := range cases {
			offices, err := snap.ListOffices(tc.filter)
			if err != nil {
				t.Fatal(err)
			}
			want := []string{}
			for _, o := range offices {
				want = append(want, o.Key)
			}
			rows, _ := csvRows(t, get(t, h, "/export/offices.csv"+tc.query, nil))
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
			w := get(t, h, target, nil)
			if code, msg := errorOf(t, w); w.Code != http.StatusBadRequest || code != "BAD_USER_INPUT" || !strings.Contains(msg, mention) {
				t.Errorf("%s: status %d, %q: %s", target, w.Code, w.Header().Get("Content-Type"), w.Body)
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
			w := get(t, h, target, nil)
			_, params, err := mime.ParseMediaType(w.Header().Get("Content-Disposition"))
			if err != nil || params["filename"] != filename {
				t.Errorf("%s: Content-Disposition %q, want filename %s", target, w.Header().Get("Content-Disposition"), filename)
			}
			etag := w.Header().Get("ETag")
			if etag == "" || w.Header().Get("Cache-Control") != "public, max-age=60" {
				t.Errorf("%s: ETag %q, Cache-Control %q", target, etag, w.Header().Get("Cache-Control"))
				continue
			}
			again := get(t, h, target, map[string]string{"If-None-Match": etag})
			if again.Code != http.StatusNotModified || again.Body.Len() != 0 {
				t.Errorf("%s with If-None-Match: status %d, body %q", target, again.Code, again.Body)
			}
		}
		a := get(t, h, "/export/offices.csv", nil).Header().Get("ETag")
		b := get(t, h, "/export/offices.csv?region=europe", nil).Header().Get("ETag")
		if a == b {
			t.Error("a filtered export shares the ETag of the whole list")
		}
	})
}

func TestRoutesWhileTheDirectoryLoads(t *testing.T) {
	t.Parallel()
	h := exportServer(fixedSnapshot{})
	for _, target := range []string{"/export/offices.geojson", "/export/cities.csv", "/export/offices/korea-office.vcf"} {
		w := get(t, h, target, nil)
		if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
			t.Errorf("%s: status %d, Retry-After %q", target, w.Code, w.Header().Get("Retry-After"))
		}
	}
}

// unfold returns the content lines of a vCard, continuation lines joined (RFC 6350, section 3.2).
func unfold(card string) []string {
	return strings.Split(strings.TrimSuffix(strings.ReplaceAll(card, "\r\n ", ""), "\r\n"), "\r\n")
}

// errorOf reads an error answer in the server's error shape: JSON, one error, its code and message.
func errorOf(t *testing.T, w *httptest.ResponseRecorder) (code, message string) {
	t.Helper()
	if mt, _ := mediaType(t, w); mt != "application/json" {
		t.Errorf("an error answer of media type %q", mt)
	}
	var body struct {
		Errors []struct {
			Message    string
			Extensions struct{ Code string }
		}
	}
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || len(body.Errors) != 1 {
		t.Fatalf("not one error in the server's shape: %s", w.Body)
	}
	return body.Errors[0].Extensions.Code, body.Errors[0].Message
}
