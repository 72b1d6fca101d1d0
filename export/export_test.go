package export_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/iclei/directory/directory"
	"github.com/iclei/directory/export"
)

// office is an office with what the seed data lacks: text that needs escaping, long multi-byte lines, no
// location.
func office() *directory.Office {
	return &directory.Office{
		Key:  "test-office",
		Name: "Bureau de São Paulo; Sede, \"Centro\" \\ Região Metropolitana — 圣保罗办事处 — 상파울루 사무소 — Escritório",
		Kind: directory.OfficeCity, Region: directory.RegionSouthAmerica,
		Address: &directory.Address{
			Lines:  []string{"Rua Exemplo, 123", "Conjunto 4; Bloco B", "01000-000 São Paulo"},
			Street: []string{"Rua Exemplo, 123", "Conjunto 4; Bloco B"}, Locality: "São Paulo", Province: "SP",
			PostalCode: "01000-000", Country: "BR",
		},
		Phone: &directory.Phone{E164: "+551130000000", Written: "+55 11 3000-0000"},
		Email: "sp@example.org",
	}
}

func TestOfficeVCard(t *testing.T) {
	var buf bytes.Buffer
	if err := export.OfficeVCard(&buf, office(), "https://directory.example.org/export/offices/test-office.vcf"); err != nil {
		t.Fatal(err)
	}
	card := buf.String()
	lines := strings.Split(strings.TrimSuffix(card, "\r\n"), "\r\n")

	t.Run("lines end in CRLF and fold at 75 octets without splitting characters", func(t *testing.T) {
		if strings.Contains(strings.ReplaceAll(card, "\r\n", ""), "\n") {
			t.Error("a line does not end in CRLF")
		}
		folded := false
		for _, l := range lines {
			if len(l) > 75 {
				t.Errorf("line of %d octets: %q", len(l), l)
			}
			if !utf8.ValidString(l) {
				t.Errorf("a fold split a character: %q", l)
			}
			folded = folded || strings.HasPrefix(l, " ")
		}
		if !folded {
			t.Error("the long name was not folded")
		}
	})

	unfolded := strings.Split(strings.TrimSuffix(strings.ReplaceAll(card, "\r\n ", ""), "\r\n"), "\r\n")
	t.Run("text values are escaped", func(t *testing.T) {
		want := []string{
			`FN:Bureau de São Paulo\; Sede\, "Centro" \\ Região Metropolitana — 圣保罗办事处 — 상파울루 사무소 — Escritório`,
			`ADR;TYPE=work;PREF=1:;;Rua Exemplo\, 123,Conjunto 4\; Bloco B;São Paulo;SP;01000-000;Brazil`,
			"TEL;VALUE=uri;TYPE=work,voice:tel:+551130000000",
			"EMAIL;TYPE=work:sp@example.org",
		}
		for _, w := range want {
			if !slices.Contains(unfolded, w) {
				t.Errorf("no line %q in\n%s", w, card)
			}
		}
	})

	t.Run("an office without location, fax or website has no GEO, fax TEL or URL", func(t *testing.T) {
		for _, l := range unfolded {
			if strings.HasPrefix(l, "GEO") || strings.HasPrefix(l, "URL") || strings.Contains(l, "fax") {
				t.Errorf("unexpected line %q", l)
			}
		}
	})
}

func TestOfficesGeoJSONKeepsOfficesWithoutLocation(t *testing.T) {
	var buf bytes.Buffer
	if err := export.OfficesGeoJSON(&buf, []*directory.Office{office()}); err != nil {
		t.Fatal(err)
	}
	var fc struct {
		Features []map[string]json.RawMessage
	}
	if err := json.Unmarshal(buf.Bytes(), &fc); err != nil {
		t.Fatal(err)
	}
	if len(fc.Features) != 1 || string(fc.Features[0]["geometry"]) != "null" {
		t.Errorf("want one feature with geometry null, got %s", buf.Bytes())
	}
}

func TestCSVCellsAreNotFormulas(t *testing.T) {
	o := office()
	o.Name = "=HYPERLINK(\"http://evil.example\")"
	o.Email = "@SUM(1+1)"
	var buf bytes.Buffer
	if err := export.OfficesCSV(&buf, []*directory.Office{o}); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	row := rows[1]
	for name, want := range map[string]string{
		"name":    `'=HYPERLINK("http://evil.example")`,
		"email":   "'@SUM(1+1)",
		"phone":   "+55 11 3000-0000", // a phone number is left as it is
		"address": "Rua Exemplo, 123, Conjunto 4; Bloco B, 01000-000 São Paulo",
	} {
		if row[col[name]] != want {
			t.Errorf("%s = %q, want %q", name, row[col[name]], want)
		}
	}
}

func TestOneLineAddressHasNoDoubledCommas(t *testing.T) {
	t.Parallel()
	o := office()
	o.Address.Lines = []string{"(16429) 3F, Suwon Research Institute,", "126, Suin-ro, Gwonseon-gu, Suwon-si,", " ", "Gyeonggi-do, Republic of Korea"}
	want := "(16429) 3F, Suwon Research Institute, 126, Suin-ro, Gwonseon-gu, Suwon-si, Gyeonggi-do, Republic of Korea"
	var buf bytes.Buffer
	if err := export.OfficesCSV(&buf, []*directory.Office{o}); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got := rows[1][slices.Index(rows[0], "address")]; got != want {
		t.Errorf("CSV address %q, want %q", got, want)
	}
	buf.Reset()
	if err := export.OfficesGeoJSON(&buf, []*directory.Office{o}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"address":"`+want+`"`) {
		t.Errorf("GeoJSON address is not %q: %s", want, buf.String())
	}
}
