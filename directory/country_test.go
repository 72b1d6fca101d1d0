package directory_test

import (
	"slices"
	"strings"
	"testing"

	"golang.org/x/text/language"
	"golang.org/x/text/language/display"

	"github.com/iclei/directory/directory"
)

// notISO3166 are the two-letter codes x/text counts as countries that are not officially assigned ISO 3166-1
// codes: exceptionally reserved (AC, CP, DG, EA, IC, TA, UK, EZ, UN), transitionally reserved or withdrawn
// (AN, BU, CS, CT, DD, DY, FQ, FX, HV, JT, MI, NH, NQ, NT, PC, PU, PZ, RH, SU, TP, VD, WK, YD, YU, ZR),
// CLDR's CQ (Sark), and the user-assigned XK (Kosovo).
var notISO3166 = []string{
	"AC", "AN", "BU", "CP", "CQ", "CS", "CT", "DD", "DG", "DY", "EA", "EZ", "FQ", "FX", "HV", "IC", "JT", "MI",
	"NH", "NQ", "NT", "PC", "PU", "PZ", "RH", "SU", "TA", "TP", "UK", "UN", "VD", "WK", "XK", "YD", "YU", "ZR",
}

func TestCountries(t *testing.T) {
	all := directory.Countries()

	t.Run("has the 249 officially assigned ISO 3166-1 codes", func(t *testing.T) {
		if len(all) != 249 {
			t.Fatalf("len(Countries()) = %d, want 249", len(all))
		}
	})

	t.Run("is sorted by code without duplicates", func(t *testing.T) {
		for i := 1; i < len(all); i++ {
			if all[i-1].Code >= all[i].Code {
				t.Errorf("Countries()[%d:%d] = %s, %s: not strictly ascending", i-1, i+1, all[i-1].Code, all[i].Code)
			}
		}
	})

	t.Run("every code is a country for x/text", func(t *testing.T) {
		for _, c := range all {
			r, err := language.ParseRegion(c.Code)
			if err != nil {
				t.Errorf("ParseRegion(%q): %v", c.Code, err)
				continue
			}
			if r.String() != c.Code {
				t.Errorf("ParseRegion(%q) = %s, want the code itself", c.Code, r)
			}
			if !r.IsCountry() {
				t.Errorf("%s: IsCountry() = false", c.Code)
			}
		}
	})

	t.Run("every x/text country is in the table unless it is outside ISO 3166-1", func(t *testing.T) {
		for a := 'A'; a <= 'Z'; a++ {
			for b := 'A'; b <= 'Z'; b++ {
				code := string([]rune{a, b})
				r, err := language.ParseRegion(code)
				if err != nil || !r.IsCountry() {
					continue
				}
				_, inTable := directory.LookupCountry(code)
				excluded := slices.Contains(notISO3166, code)
				if inTable == excluded {
					t.Errorf("%s: in table = %v, listed as outside ISO 3166-1 = %v", code, inTable, excluded)
				}
			}
		}
	})

	t.Run("every region is an ICLEI region code", func(t *testing.T) {
		for _, c := range all {
			if !slices.Contains(directory.RegionCodes(), c.Region) {
				t.Errorf("%s: region %q is not in RegionCodes", c.Code, c.Region)
			}
		}
	})

	t.Run("every ICLEI region serves some country", func(t *testing.T) {
		for _, region := range directory.RegionCodes() {
			if !slices.ContainsFunc(all, func(c directory.Country) bool { return c.Region == region }) {
				t.Errorf("no country in region %q", region)
			}
		}
	})

	t.Run("alpha-3 and numeric codes come from x/text", func(t *testing.T) {
		for _, c := range all {
			r := language.MustParseRegion(c.Code)
			if c.Alpha3 == "" || c.Alpha3 == "ZZZ" || c.Alpha3 != r.ISO3() {
				t.Errorf("%s: Alpha3 = %q, want x/text's %q", c.Code, c.Alpha3, r.ISO3())
			}
			if len(c.Numeric) != 3 || c.Numeric == "000" || strings3Digits(c.Numeric) != r.M49() {
				t.Errorf("%s: Numeric = %q, want x/text's %03d", c.Code, c.Numeric, r.M49())
			}
		}
	})

	t.Run("alpha-3 codes are unique", func(t *testing.T) {
		seen := map[string]string{}
		for _, c := range all {
			if prev, dup := seen[c.Alpha3]; dup {
				t.Errorf("Alpha3 %s is both %s and %s", c.Alpha3, prev, c.Code)
			}
			seen[c.Alpha3] = c.Code
		}
	})

	t.Run("returns a fresh copy", func(t *testing.T) {
		mine := directory.Countries()
		mine[0].Region = "changed"
		if got := directory.Countries()[0].Region; got == "changed" {
			t.Errorf("changing the result of Countries changed the table")
		}
	})
}

// strings3Digits parses a string of three ASCII digits, or returns -1.
func strings3Digits(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return -1
		}
		n = 10*n + int(s[i]-'0')
	}
	return n
}

func TestCountryRegion(t *testing.T) {
	tests := []struct {
		name, code, want string
	}{
		{"Viet Nam is Southeast Asia", "VN", directory.RegionSoutheastAsia},
		{"Germany is Europe", "DE", directory.RegionEurope},
		{"South Korea is East Asia", "KR", directory.RegionEastAsia},
		{"the United States are North America", "US", directory.RegionNorthAmerica},
		{"Mexico is Mexico, Central America and Caribbean", "MX", directory.RegionMexicoCentralAmericaCaribbean},
		{"Brazil is South America", "BR", directory.RegionSouthAmerica},
		{"India is South Asia", "IN", directory.RegionSouthAsia},
		{"Australia is Oceania", "AU", directory.RegionOceania},
		{"South Africa is Africa", "ZA", directory.RegionAfrica},
		{"Saudi Arabia is served by the World Secretariat", "SA", directory.RegionGlobal},
		{"North Africa is Africa", "EG", directory.RegionAfrica},
		{"Western Sahara is Africa", "EH", directory.RegionAfrica},
		{"Iran is South Asia", "IR", directory.RegionSouthAsia},
		{"Hong Kong is East Asia", "HK", directory.RegionEastAsia},
		{"Timor-Leste is Southeast Asia", "TL", directory.RegionSoutheastAsia},
		{"Türkiye is Europe", "TR", directory.RegionEurope},
		{"the South Caucasus is Europe", "GE", directory.RegionEurope},
		{"Israel is Europe", "IL", directory.RegionEurope},
		{"a Crown dependency is Europe", "JE", directory.RegionEurope},
		{"Central Asia is served by the World Secretariat", "KZ", directory.RegionGlobal},
		{"Palestine is served by the World Secretariat", "PS", directory.RegionGlobal},
		{"Antarctica is served by the World Secretariat", "AQ", directory.RegionGlobal},
		{"the British Indian Ocean Territory is served by the World Secretariat", "IO", directory.RegionGlobal},
		{"Central America is Mexico, Central America and Caribbean", "PA", directory.RegionMexicoCentralAmericaCaribbean},
		{"a Caribbean territory is Mexico, Central America and Caribbean", "PR", directory.RegionMexicoCentralAmericaCaribbean},
		{"Greenland is North America", "GL", directory.RegionNorthAmerica},
		{"Bermuda is North America", "BM", directory.RegionNorthAmerica},
		{"French Guiana is South America, not Europe", "GF", directory.RegionSouthAmerica},
		{"Réunion is Africa, not Europe", "RE", directory.RegionAfrica},
		{"New Caledonia is Oceania, not Europe", "NC", directory.RegionOceania},
		{"the U.S. Minor Outlying Islands are Oceania", "UM", directory.RegionOceania},
		{"the Falkland Islands are South America", "FK", directory.RegionSouthAmerica},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, ok := directory.LookupCountry(tt.code)
			if !ok {
				t.Fatalf("LookupCountry(%q) not found", tt.code)
			}
			if c.Region != tt.want {
				t.Errorf("%s: Region = %q, want %q", tt.code, c.Region, tt.want)
			}
		})
	}
}

func TestLookupCountry(t *testing.T) {
	korea := directory.Country{Code: "KR", Alpha3: "KOR", Numeric: "410", Region: directory.RegionEastAsia}
	tests := []struct {
		name, code string
		want       directory.Country
		ok         bool
	}{
		{"finds an alpha-2 code", "KR", korea, true},
		{"finds a lower-case alpha-2 code", "kr", korea, true},
		{"finds an alpha-3 code", "KOR", korea, true},
		{"finds a lower-case alpha-3 code", "kor", korea, true},
		{"finds a mixed-case code", "kOr", korea, true},
		{"ignores surrounding space", " \tkr\n", korea, true},
		{"pads numeric codes to three digits", "AF",
			directory.Country{Code: "AF", Alpha3: "AFG", Numeric: "004", Region: directory.RegionSouthAsia}, true},
		{"rejects an unassigned code", "XX", directory.Country{}, false},
		{"rejects a user-assigned code", "XK", directory.Country{}, false},
		{"rejects a reserved code", "UK", directory.Country{}, false},
		{"rejects x/text's unknown alpha-3", "ZZZ", directory.Country{}, false},
		{"rejects a numeric code", "410", directory.Country{}, false},
		{"rejects the empty string", "", directory.Country{}, false},
		{"rejects one letter", "K", directory.Country{}, false},
		{"rejects four letters", "KORE", directory.Country{}, false},
		{"rejects non-letters", "K1", directory.Country{}, false},
		{"rejects non-ASCII letters", "ÄX", directory.Country{}, false},
		{"rejects inner space", "K R", directory.Country{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := directory.LookupCountry(tt.code)
			if got != tt.want || ok != tt.ok {
				t.Errorf("LookupCountry(%q) = %+v, %v; want %+v, %v", tt.code, got, ok, tt.want, tt.ok)
			}
		})
	}

	t.Run("finds every country by both codes", func(t *testing.T) {
		for _, c := range directory.Countries() {
			for _, code := range []string{c.Code, c.Alpha3} {
				if got, ok := directory.LookupCountry(code); !ok || got != c {
					t.Errorf("LookupCountry(%q) = %+v, %v; want %+v", code, got, ok, c)
				}
			}
		}
	})

	t.Run("does not allocate", func(t *testing.T) {
		directory.LookupCountry("KR") // build the table outside the measurement
		for _, code := range []string{"KR", "kr", " kor ", "XX", "nope"} {
			if n := testing.AllocsPerRun(100, func() { directory.LookupCountry(code) }); n != 0 {
				t.Errorf("LookupCountry(%q) allocates %v times per call", code, n)
			}
		}
	})
}

func TestCountryName(t *testing.T) {
	tests := []struct {
		name, code, lang, want string
	}{
		{"is English without a language", "KR", "", "South Korea"},
		{"is English in English", "KR", "en", "South Korea"},
		{"is German in German", "DE", "de", "Deutschland"},
		{"is Korean in Korean", "KR", "ko", "대한민국"},
		{"is Simplified Chinese in zh-Hans", "KR", "zh-Hans", "韩国"},
		{"is Traditional Chinese in zh-Hant", "KR", "zh-Hant", "南韓"},
		{"is Brazilian Portuguese in pt-BR", "BR", "pt-BR", "Brasil"},
		{"is Spanish in Spanish", "MX", "es", "México"},
		{"ignores surrounding space in the language", "DE", " de ", "Deutschland"},
		{"accepts an underscore in the language", "BR", "pt_BR", "Brasil"},
		{"is English for an unknown language", "DE", "xx", "Germany"},
		{"is English for an ill-formed language", "DE", "not a tag!", "Germany"},
		{"is English when the language has no name for the country", "KR", "haw", "South Korea"},
		{"is x/text's English name of a territory", "CI", "", "Côte d’Ivoire"},
		{"is the code for a code x/text does not know", "??", "", "??"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, ok := directory.LookupCountry(tt.code)
			if !ok {
				c = directory.Country{Code: tt.code}
			}
			if got := c.Name(tt.lang); got != tt.want {
				t.Errorf("Country %s Name(%q) = %q, want %q", tt.code, tt.lang, got, tt.want)
			}
		})
	}

	t.Run("is x/text's name in every language, asked once or again", func(t *testing.T) {
		langs := []string{"", "en", "de", "fr", "pt-BR", "pt_BR", " ko ", "zh-Hant", "ar", "haw", "xx", "!!"}
		for range 2 {
			for _, lang := range langs {
				var namer display.Namer
				if tag, err := language.Parse(strings.TrimSpace(lang)); err == nil {
					namer = display.Regions(tag)
				}
				for _, c := range directory.Countries() {
					r := language.MustParseRegion(c.Code)
					want := display.English.Regions().Name(r)
					if namer != nil && namer.Name(r) != "" {
						want = namer.Name(r)
					}
					if got := c.Name(lang); got != want {
						t.Fatalf("Country %s Name(%q) = %q, want %q", c.Code, lang, got, want)
					}
				}
			}
		}
	})

	t.Run("is never empty", func(t *testing.T) {
		langs := []string{"", "en", "de", "fr", "es", "pt-BR", "ko", "ja", "zh-Hans", "zh-Hant", "ar", "ru", "hi",
			"sw", "id", "vi", "th", "haw", "xx", "!!"}
		for _, c := range directory.Countries() {
			for _, lang := range langs {
				if c.Name(lang) == "" {
					t.Errorf("Country %s Name(%q) is empty", c.Code, lang)
				}
			}
		}
	})
}

func TestCountryByName(t *testing.T) {
	tests := []struct {
		name, in, want string // want "" for no match
	}{
		{"finds the English name", "Brazil", "BR"},
		{"finds another English name", "Philippines", "PH"},
		{"ignores case", "south africa", "ZA"},
		{"ignores surrounding space", "  Germany \t", "DE"},
		{"ignores trailing punctuation", "Germany.", "DE"},
		{"ignores a trailing comma", "Japan,", "JP"},
		{"ignores a leading the", "the Netherlands", "NL"},
		{"ignores a leading The", "The Gambia", "GM"},
		{"ignores accents", "Cote d'Ivoire", "CI"},
		{"matches the curly apostrophe of x/text", "Côte d’Ivoire", "CI"},
		{"reads and for &", "Bosnia and Herzegovina", "BA"},
		{"reads & as x/text writes it", "Trinidad & Tobago", "TT"},
		{"reads Saint for St.", "Saint Lucia", "LC"},
		{"reads St. as x/text writes it", "St. Kitts & Nevis", "KN"},
		{"reads St without its full stop", "St Vincent and the Grenadines", "VC"},
		{"reads Saint for St. in an alias", "Saint Kitts and Nevis", "KN"},
		{"reads a hyphen as a space", "Guinea Bissau", "GW"},
		{"keeps x/text's parenthesis optional", "Myanmar", "MM"},
		{"matches x/text's parenthesis", "Myanmar (Burma)", "MM"},
		{"finds the alias USA", "USA", "US"},
		{"finds the alias U.S.A.", "U.S.A.", "US"},
		{"finds the alias United States of America", "United States of America", "US"},
		{"finds the alias Republic of Korea", "Republic of Korea", "KR"},
		{"finds the alias Korea", "Korea", "KR"},
		{"finds an ISO-style inverted alias", "Korea, Republic of", "KR"},
		{"finds North Korea", "North Korea", "KP"},
		{"finds the alias UK", "UK", "GB"},
		{"finds the alias Great Britain", "Great Britain", "GB"},
		{"finds the English name Russia", "Russia", "RU"},
		{"finds the alias Russian Federation", "Russian Federation", "RU"},
		{"finds the alias Viet Nam", "Viet Nam", "VN"},
		{"finds the English name Vietnam", "Vietnam", "VN"},
		{"finds the alias Czech Republic", "Czech Republic", "CZ"},
		{"finds the English name Czechia", "Czechia", "CZ"},
		{"finds the alias Türkiye", "Türkiye", "TR"},
		{"finds Türkiye without its accent", "TURKIYE", "TR"},
		{"finds the alias Ivory Coast", "Ivory Coast", "CI"},
		{"finds the alias North Macedonia", "North Macedonia", "MK"},
		{"finds the alias Eswatini", "Eswatini", "SZ"},
		{"finds the alias Cabo Verde", "Cabo Verde", "CV"},
		{"finds the alias Democratic Republic of the Congo", "Democratic Republic of the Congo", "CD"},
		{"finds x/text's Congo - Kinshasa", "Congo - Kinshasa", "CD"},
		{"finds Congo-Brazzaville", "Congo-Brazzaville", "CG"},
		{"finds the alias Hong Kong", "Hong Kong", "HK"},
		{"finds the alias Palestine", "Palestine", "PS"},
		{"finds the alias Holy See", "Holy See", "VA"},
		{"finds a name with an accent", "Sao Tome and Principe", "ST"},
		{"finds a territory", "Åland Islands", "AX"},
		{"finds a territory without its accent", "Aland Islands", "AX"},
		{"finds Curaçao without its cedilla", "Curacao", "CW"},
		{"tells Niger from Nigeria", "Niger", "NE"},
		{"tells Dominica from the Dominican Republic", "Dominica", "DM"},
		{"matches no ambiguous Congo", "Congo", ""},
		{"matches no unknown name", "Atlantis", ""},
		{"matches no code", "KR", ""},
		{"matches no empty name", "", ""},
		{"matches no punctuation alone", " ., ", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := directory.CountryByName(tt.in)
			if tt.want == "" {
				if ok {
					t.Errorf("CountryByName(%q) = %s, want no match", tt.in, got.Code)
				}
				return
			}
			if !ok || got.Code != tt.want {
				t.Errorf("CountryByName(%q) = %q, %v; want %q", tt.in, got.Code, ok, tt.want)
			}
			if want, _ := directory.LookupCountry(tt.want); got != want {
				t.Errorf("CountryByName(%q) = %+v, want %+v", tt.in, got, want)
			}
		})
	}

	t.Run("finds every country by its English name", func(t *testing.T) {
		for _, c := range directory.Countries() {
			name := c.Name("")
			if got, ok := directory.CountryByName(name); !ok || got != c {
				t.Errorf("CountryByName(%q) = %q, %v; want %s", name, got.Code, ok, c.Code)
			}
		}
	})
}
