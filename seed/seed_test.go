package seed_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/iclei/directory/directory"
	"github.com/iclei/directory/seed"
)

func TestBuild(t *testing.T) {
	data, _, err := seed.Build()
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	sourceLines := strings.Count(string(seed.Source()), "\n")
	if !bytes.HasSuffix(seed.Source(), []byte("\n")) {
		sourceLines++
	}

	t.Run("holds the directory the source describes", func(t *testing.T) {
		got := map[string]int{
			"regions": len(data.Regions), "secretariats": len(data.Secretariats), "offices": len(data.Offices),
			"cities": len(data.Cities), "programs": len(data.Programs), "organizations": len(data.Organizations),
			"people": len(data.People),
		}
		want := map[string]int{
			"regions": 10, "secretariats": 9, "offices": 15, "cities": 14, "programs": 1, "organizations": 1, "people": 3,
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("counts = %v, want %v", got, want)
		}
	})

	t.Run("every office has its key, name, kind, region, secretariat and country", func(t *testing.T) {
		type office struct {
			key, name   string
			kind        directory.OfficeKind
			region      string
			secretariat string
			country     string
		}
		const (
			world    = directory.OfficeWorldSecretariat
			regional = directory.OfficeRegionalSecretariat
			country  = directory.OfficeCountry
			project  = directory.OfficeProject
			city     = directory.OfficeCity
		)
		// In the order of the listing.
		want := []office{
			{"world-secretariat", "World Secretariat", world, "global", "world-secretariat", "DE"},
			{"european-secretariat", "European Secretariat", regional, "europe", "european-secretariat", "DE"},
			{"brussels-office", "Brussels Office", city, "europe", "european-secretariat", "BE"},
			{"africa-secretariat", "Africa Secretariat", regional, "africa", "africa-secretariat", "ZA"},
			{"canada-office", "Canada Office", country, "north-america", "", "CA"},
			{"usa-office", "USA Office", country, "north-america", "", "US"},
			{"mexico-central-america-caribbean-secretariat", "Mexico, Central American and Caribbean Secretariat", regional,
				"mexico-central-america-caribbean", "mexico-central-america-caribbean-secretariat", "MX"},
			{"south-american-secretariat", "South American Secretariat", regional, "south-america", "south-american-secretariat", "BR"},
			{"south-asia-secretariat", "South Asia Secretariat", regional, "south-asia", "south-asia-secretariat", "IN"},
			{"east-asia-secretariat", "East Asia Secretariat", regional, "east-asia", "east-asia-secretariat", "KR"},
			{"japan-office", "Japan Office", country, "east-asia", "east-asia-secretariat", "JP"},
			{"korea-office", "Korea Office", country, "east-asia", "east-asia-secretariat", "KR"},
			{"southeast-asia-secretariat", "Southeast Asia Secretariat", regional, "southeast-asia", "southeast-asia-secretariat", "PH"},
			{"indonesia-project-office", "Indonesia Project Office", project, "southeast-asia", "southeast-asia-secretariat", "ID"},
			{"oceania-secretariat", "Oceania Secretariat", regional, "oceania", "oceania-secretariat", "AU"},
		}
		var got []office
		for _, o := range data.Offices {
			got = append(got, office{o.Key, o.Name, o.Kind, o.Region, o.Secretariat, o.Country()})
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("offices =\n%v\nwant\n%v", got, want)
		}
	})

	t.Run("every secretariat heads the office of its name", func(t *testing.T) {
		type secretariat struct {
			key                string
			kind               directory.SecretariatKind
			region, headOffice string
		}
		want := []secretariat{
			{"world-secretariat", directory.SecretariatWorld, "global", "world-secretariat"},
			{"european-secretariat", directory.SecretariatRegional, "europe", "european-secretariat"},
			{"africa-secretariat", directory.SecretariatRegional, "africa", "africa-secretariat"},
			{"mexico-central-america-caribbean-secretariat", directory.SecretariatRegional, "mexico-central-america-caribbean", "mexico-central-america-caribbean-secretariat"},
			{"south-american-secretariat", directory.SecretariatRegional, "south-america", "south-american-secretariat"},
			{"south-asia-secretariat", directory.SecretariatRegional, "south-asia", "south-asia-secretariat"},
			{"east-asia-secretariat", directory.SecretariatRegional, "east-asia", "east-asia-secretariat"},
			{"southeast-asia-secretariat", directory.SecretariatRegional, "southeast-asia", "southeast-asia-secretariat"},
			{"oceania-secretariat", directory.SecretariatRegional, "oceania", "oceania-secretariat"},
		}
		var got []secretariat
		for _, x := range data.Secretariats {
			got = append(got, secretariat{x.Key, x.Kind, x.Region, x.HeadOffice})
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("secretariats =\n%v\nwant\n%v", got, want)
		}
	})

	t.Run("has the ten regions", func(t *testing.T) {
		want := []string{"global", "africa", "east-asia", "europe", "mexico-central-america-caribbean", "north-america",
			"oceania", "south-america", "south-asia", "southeast-asia"}
		var got []string
		for _, r := range data.Regions {
			got = append(got, r.Code)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("regions = %q, want %q", got, want)
		}
	})

	t.Run("has the ten participating cities, their parents and the host", func(t *testing.T) {
		type city struct{ key, country, region, parent string }
		want := []city{
			{"beijing", "CN", "east-asia", ""}, {"chengdu", "CN", "east-asia", ""}, {"guangzhou", "CN", "east-asia", ""},
			{"guilin", "CN", "east-asia", ""}, {"guilin-lingui-new-district", "CN", "east-asia", "guilin"},
			{"guiyang", "CN", "east-asia", ""}, {"shanghai", "CN", "east-asia", ""}, {"shenzhen", "CN", "east-asia", ""},
			{"shenzhen-guangming-new-district", "CN", "east-asia", "shenzhen"}, {"suining", "CN", "east-asia", ""},
			{"tianjin", "CN", "east-asia", ""}, {"tianjin-eco-city", "CN", "east-asia", "tianjin"},
			{"zhuzhou", "CN", "east-asia", ""}, {"seoul", "KR", "east-asia", ""},
		}
		var got []city
		for _, c := range data.Cities {
			got = append(got, city{c.Key, c.Country, c.Region, c.Parent})
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("cities =\n%v\nwant\n%v", got, want)
		}
	})

	t.Run("has the program, its organizer and the people it names", func(t *testing.T) {
		p := data.Programs[0]
		if p.Key != "2016-low-carbon-capacity-program-chinese-local-governments" || p.DelegateCount != 17 || len(p.Participants) != 10 {
			t.Errorf("program %s: %d delegates from %d cities, want 17 from 10", p.Key, p.DelegateCount, len(p.Participants))
		}
		if o := data.Organizations[0]; o.Key != "shrdc" || o.ShortName != "SHRDC" || o.City != "seoul" {
			t.Errorf("organization = %s (%s) in %s, want shrdc (SHRDC) in seoul", o.Key, o.ShortName, o.City)
		}
		var people []string
		for _, x := range data.People {
			people = append(people, x.Key+": "+x.Affiliations[0].Title+", "+x.Affiliations[0].Institution.Key)
		}
		want := []string{"joon-ho-ahn: President, shrdc", "gwonsig-won: Director, shrdc", "shu-zhu: Regional Director, east-asia-secretariat"}
		if !reflect.DeepEqual(people, want) {
			t.Errorf("people = %q, want %q", people, want)
		}
	})

	t.Run("every record says where its facts came from", func(t *testing.T) {
		check := func(record string, p directory.Provenance) {
			t.Helper()
			if p.Origin != directory.OriginSeed {
				t.Errorf("%s: origin %q, want %q", record, p.Origin, directory.OriginSeed)
			}
			if len(p.Sources) == 0 && len(p.Curated) == 0 {
				t.Errorf("%s: neither a source passage nor curated fields", record)
			}
			for _, s := range p.Sources {
				if s.File != seed.SourceFile || s.StartLine < 1 || s.StartLine > s.EndLine || s.EndLine > sourceLines {
					t.Errorf("%s: source %s lines %d-%d, outside %s lines 1-%d", record, s.File, s.StartLine, s.EndLine, seed.SourceFile, sourceLines)
				}
			}
		}
		for _, r := range data.Regions {
			check("region "+r.Code, r.Provenance)
		}
		for _, x := range data.Secretariats {
			check("secretariat "+x.Key, x.Provenance)
		}
		for _, x := range data.Offices {
			check("office "+x.Key, x.Provenance)
			if len(x.Provenance.Sources) == 0 {
				t.Errorf("office %s: no source passage; every office is in the listing", x.Key)
			}
		}
		for _, x := range data.Cities {
			check("city "+x.Key, x.Provenance)
		}
		for _, x := range data.Programs {
			check("program "+x.Key, x.Provenance)
		}
		for _, x := range data.Organizations {
			check("organization "+x.Key, x.Provenance)
		}
		for _, x := range data.People {
			check("person "+x.Key, x.Provenance)
		}
	})

	t.Run("every office's source passage holds its address lines", func(t *testing.T) {
		lines := strings.Split(string(seed.Source()), "\n")
		for _, o := range data.Offices {
			src := o.Provenance.Sources[0]
			passage := lines[src.StartLine-1 : src.EndLine]
			for _, a := range []*directory.Address{o.Address, o.PostalAddress} {
				if a == nil {
					continue
				}
				for _, l := range a.Lines {
					if !slices.Contains(passage, l) {
						t.Errorf("office %s: address line %q is not a line of source lines %d-%d", o.Key, l, src.StartLine, src.EndLine)
					}
				}
			}
		}
	})

	t.Run("every office's locality, province and postal code stand verbatim in its address", func(t *testing.T) {
		for _, o := range data.Offices {
			for _, a := range []*directory.Address{o.Address, o.PostalAddress} {
				if a == nil {
					continue
				}
				written := strings.Join(a.Lines, "\n")
				for field, v := range map[string]string{"locality": a.Locality, "province": a.Province, "postal code": a.PostalCode} {
					if v != "" && !strings.Contains(written, v) {
						t.Errorf("office %s: %s %q is not in the address %q", o.Key, field, v, a.Lines)
					}
				}
			}
		}
	})
}

// TestShippedSourceIsAsReceived checks that seed/source holds the source material exactly as the project
// received it: seed/source/SHA256SUMS records its checksum, taken when it was shipped. Changing the source is a
// deliberate act that updates both.
func TestShippedSourceIsAsReceived(t *testing.T) {
	t.Parallel()
	sums, err := os.ReadFile(filepath.Join("source", "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	want := ""
	for _, line := range strings.Split(string(sums), "\n") {
		if sum, name, ok := strings.Cut(line, "  "); ok && name == seed.SourceFile {
			want = sum
		}
	}
	if want == "" {
		t.Fatalf("source/SHA256SUMS has no checksum of %s", seed.SourceFile)
	}
	sum := sha256.Sum256(seed.Source())
	if got := hex.EncodeToString(sum[:]); got != want {
		t.Errorf("seed/source/%s has SHA-256 %s; it was shipped with %s", seed.SourceFile, got, want)
	}
}
