package directory

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"

	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
)

// Country is an ISO 3166-1 country or territory and the ICLEI region that serves it.
type Country struct {
	Code    string // ISO 3166-1 alpha-2, upper case, e.g. "KR"
	Alpha3  string // e.g. "KOR"
	Numeric string // ISO 3166-1 numeric, three digits, e.g. "410"
	Region  string // ICLEI region code (one of regionCodes)
}

// countryRegions is the curated assignment of every officially assigned ISO 3166-1 alpha-2 code (249 of them;
// the exceptionally or transitionally reserved codes and user-assigned codes such as XK are not part of it)
// to the ICLEI region whose secretariat serves it. Only the codes and their regions are written by hand: the
// names, alpha-3 and numeric codes all come from golang.org/x/text.
//
// Rules used:
//   - A territory belongs to the region it lies in, not to the region of the state it depends on: French
//     Guiana (GF) is South America, Réunion (RE) and Mayotte (YT) Africa, New Caledonia (NC) Oceania,
//     Greenland (GL) North America, the Caribbean dependencies of France, the Netherlands, the United
//     Kingdom and the United States Mexico, Central America and Caribbean.
//   - Africa is the whole continent with North Africa (EG, LY, TN, DZ, MA, EH, SD) and the African islands
//     of the Atlantic and Indian oceans (CV, ST, SH, SC, MU, KM, MG, RE, YT).
//   - East Asia is China with HK and MO, Taiwan, Japan, both Koreas and Mongolia; Southeast Asia the ten
//     ASEAN members and Timor-Leste; South Asia the eight SAARC members with Iran.
//   - Oceania is Australia, New Zealand, every Pacific island state and territory, and the Australian
//     external territories (NF, CX, CC, HM); the U.S. Minor Outlying Islands (UM) are Pacific islands too.
//   - North America is the United States and Canada with Bermuda, Saint Pierre and Miquelon and Greenland.
//   - Mexico, Central America and Caribbean is Mexico, the seven Central American states and every
//     Caribbean state and territory; South America the twelve South American states with French Guiana,
//     the Falkland Islands and South Georgia.
//   - Europe is all of Europe with its microstates and Crown dependencies, Russia, Ukraine, Belarus,
//     Moldova, Türkiye, Cyprus, the South Caucasus (GE, AM, AZ) and Israel.
//   - Global means served directly by the World Secretariat, where no regional secretariat works: the
//     remaining West Asian and Central Asian states, and the uninhabited Antarctic and Indian Ocean
//     territories (AQ, BV, TF, IO) that have no local government of their own.
var countryRegions = []struct {
	region string
	codes  []string
}{
	{RegionAfrica, []string{
		"AO", "BF", "BI", "BJ", "BW", "CD", "CF", "CG", "CI", "CM", "CV", "DJ", "DZ", "EG", "EH", "ER",
		"ET", "GA", "GH", "GM", "GN", "GQ", "GW", "KE", "KM", "LR", "LS", "LY", "MA", "MG", "ML", "MR",
		"MU", "MW", "MZ", "NA", "NE", "NG", "RE", "RW", "SC", "SD", "SH", "SL", "SN", "SO", "SS", "ST",
		"SZ", "TD", "TG", "TN", "TZ", "UG", "YT", "ZA", "ZM", "ZW",
	}},
	{RegionEastAsia, []string{
		"CN", "HK", "JP", "KP", "KR", "MN", "MO", "TW",
	}},
	{RegionSoutheastAsia, []string{
		"BN", "ID", "KH", "LA", "MM", "MY", "PH", "SG", "TH", "TL", "VN",
	}},
	{RegionSouthAsia, []string{
		"AF", "BD", "BT", "IN", "IR", "LK", "MV", "NP", "PK",
	}},
	{RegionOceania, []string{
		"AS", "AU", "CC", "CK", "CX", "FJ", "FM", "GU", "HM", "KI", "MH", "MP", "NC", "NF", "NR", "NU",
		"NZ", "PF", "PG", "PN", "PW", "SB", "TK", "TO", "TV", "UM", "VU", "WF", "WS",
	}},
	{RegionNorthAmerica, []string{
		"BM", "CA", "GL", "PM", "US",
	}},
	{RegionMexicoCentralAmericaCaribbean, []string{
		// Mexico and Central America.
		"BZ", "CR", "GT", "HN", "MX", "NI", "PA", "SV",
		// The Caribbean.
		"AG", "AI", "AW", "BB", "BL", "BQ", "BS", "CU", "CW", "DM", "DO", "GD", "GP", "HT", "JM", "KN",
		"KY", "LC", "MF", "MQ", "MS", "PR", "SX", "TC", "TT", "VC", "VG", "VI",
	}},
	{RegionSouthAmerica, []string{
		"AR", "BO", "BR", "CL", "CO", "EC", "FK", "GF", "GS", "GY", "PE", "PY", "SR", "UY", "VE",
	}},
	{RegionEurope, []string{
		"AD", "AL", "AM", "AT", "AX", "AZ", "BA", "BE", "BG", "BY", "CH", "CY", "CZ", "DE", "DK", "EE",
		"ES", "FI", "FO", "FR", "GB", "GE", "GG", "GI", "GR", "HR", "HU", "IE", "IL", "IM", "IS", "IT",
		"JE", "LI", "LT", "LU", "LV", "MC", "MD", "ME", "MK", "MT", "NL", "NO", "PL", "PT", "RO", "RS",
		"RU", "SE", "SI", "SJ", "SK", "SM", "TR", "UA", "VA",
	}},
	{RegionGlobal, []string{
		// West Asia.
		"AE", "BH", "IQ", "JO", "KW", "LB", "OM", "PS", "QA", "SA", "SY", "YE",
		// Central Asia.
		"KG", "KZ", "TJ", "TM", "UZ",
		// Uninhabited territories.
		"AQ", "BV", "IO", "TF",
	}},
}

// countryAliases are curated other names of countries that CountryByName accepts besides the English name
// that x/text gives: official and UN names, former and local short names, and common abbreviations. They
// are matched after the same normalisation as the names (see nameKey), so spelling variants that differ
// only in case, accents, punctuation, "&" for "and" or "St." for "Saint" need no entry of their own.
var countryAliases = map[string][]string{
	"AE": {"UAE"},
	"BA": {"Bosnia"},
	"BN": {"Brunei Darussalam"},
	"BO": {"Plurinational State of Bolivia"},
	"BQ": {"Bonaire, Sint Eustatius and Saba", "Bonaire"},
	"CD": {"Democratic Republic of the Congo", "DR Congo", "DRC", "Congo, Democratic Republic of the"},
	"CG": {"Republic of the Congo", "Congo Republic"},
	"CI": {"Côte d'Ivoire", "Ivory Coast"},
	"CV": {"Cabo Verde"},
	"CZ": {"Czech Republic"},
	"FK": {"Falkland Islands (Malvinas)", "Malvinas"},
	"FM": {"Federated States of Micronesia", "Micronesia, Federated States of"},
	"GB": {
		"UK", "U.K.", "Great Britain", "Britain",
		"United Kingdom of Great Britain and Northern Ireland",
		"England", "Scotland", "Wales", "Northern Ireland",
	},
	"HK": {"Hong Kong", "Hong Kong SAR"},
	"IR": {"Islamic Republic of Iran", "Iran, Islamic Republic of"},
	"KP": {"Democratic People's Republic of Korea", "Korea, Democratic People's Republic of", "DPRK"},
	"KR": {"Republic of Korea", "Korea", "Korea, Republic of"},
	"LA": {"Lao People's Democratic Republic", "Lao PDR"},
	"MD": {"Republic of Moldova", "Moldova, Republic of"},
	"MK": {"North Macedonia"},
	"MM": {"Burma"},
	"MO": {"Macao", "Macau", "Macao SAR China"},
	"PN": {"Pitcairn"},
	"PS": {"Palestine", "State of Palestine"},
	"RU": {"Russian Federation"},
	"SH": {"Saint Helena, Ascension and Tristan da Cunha"},
	"SY": {"Syrian Arab Republic"},
	"SZ": {"Eswatini"},
	"TL": {"East Timor"},
	"TR": {"Türkiye"},
	"TZ": {"United Republic of Tanzania", "Tanzania, United Republic of"},
	"UM": {"United States Minor Outlying Islands"},
	"US": {"USA", "U.S.", "U.S.A.", "United States of America"},
	"VA": {"Holy See", "Vatican"},
	"VC": {"Saint Vincent and the Grenadines"},
	"VE": {"Bolivarian Republic of Venezuela"},
	"VG": {"Virgin Islands, British"},
	"VI": {"United States Virgin Islands", "Virgin Islands, U.S."},
	"VN": {"Viet Nam"},
}

// countryIndex holds the table, sorted by code, and its lookup map by alpha-2 and alpha-3 code.
type countryIndex struct {
	list   []Country
	byCode map[string]Country
}

var countries = sync.OnceValue(func() countryIndex {
	var idx countryIndex
	for _, group := range countryRegions {
		for _, code := range group.codes {
			r, err := language.ParseRegion(code)
			if err != nil {
				panic(fmt.Sprintf("directory: bad ISO 3166-1 code %q in the country table: %v", code, err))
			}
			idx.list = append(idx.list, Country{
				Code:    code,
				Alpha3:  r.ISO3(),
				Numeric: fmt.Sprintf("%03d", r.M49()),
				Region:  group.region,
			})
		}
	}
	slices.SortFunc(idx.list, func(a, b Country) int { return strings.Compare(a.Code, b.Code) })
	idx.byCode = make(map[string]Country, 2*len(idx.list))
	for _, c := range idx.list {
		if _, dup := idx.byCode[c.Code]; dup {
			panic(fmt.Sprintf("directory: country %s appears twice in the country table", c.Code))
		}
		idx.byCode[c.Code] = c
		idx.byCode[c.Alpha3] = c
	}
	return idx
})

// Countries returns every country and territory of ISO 3166-1, sorted by code. The slice is a fresh copy the
// caller may change.
func Countries() []Country {
	return slices.Clone(countries().list)
}

// LookupCountry returns the country with the ISO 3166-1 alpha-2 or alpha-3 code, given in any case;
// surrounding white space is ignored. It does not allocate.
func LookupCountry(code string) (Country, bool) {
	code = strings.TrimSpace(code)
	if len(code) != 2 && len(code) != 3 {
		return Country{}, false
	}
	var buf [3]byte
	for i := 0; i < len(code); i++ {
		c := code[i]
		switch {
		case 'a' <= c && c <= 'z':
			c -= 'a' - 'A'
		case 'A' <= c && c <= 'Z':
		default:
			return Country{}, false
		}
		buf[i] = c
	}
	c, ok := countries().byCode[string(buf[:len(code)])]
	return c, ok
}

// Name returns the name of the country in the BCP 47 language lang, such as "ko", "zh-Hans", "pt-BR" or
// "es", as golang.org/x/text/language/display gives it. It is the English name when lang is empty, is not a
// valid tag, or is a language display has no name of the country in. It is never empty for a country of
// Countries; for a Country whose Code is not a region x/text knows, it is the code itself.
//
// The names of every country are built once per language, the first time it is asked for, so that a list of
// countries costs a map lookup per country rather than parsing the language and the code for each.
func (c Country) Name(lang string) string {
	if name, ok := namesIn(lang)[c.Code]; ok {
		return name
	}
	return regionName(c.Code, lang)
}

// regionName is Name for any region code, without the tables.
func regionName(code, lang string) string {
	r, err := language.ParseRegion(code)
	if err != nil {
		return code
	}
	if lang = strings.TrimSpace(lang); lang != "" {
		if tag, err := language.Parse(lang); err == nil {
			if namer := display.Regions(tag); namer != nil {
				if name := namer.Name(r); name != "" {
					return name
				}
			}
		}
	}
	if name := display.English.Regions().Name(r); name != "" {
		return name
	}
	return code
}

// countryNameTable maps the alpha-2 code of every country of the table to its name in one language.
type countryNameTable map[string]string

// Bounds on the languages remembered as the client spelled them. Every spelling maps to one of the few hundred
// tables display has, so a client that sends a new spelling with every request fills this and no more; the
// spellings past it are parsed each time.
const (
	maxLanguageSpellings   = 1024
	maxLanguageSpellingLen = 64
)

var (
	englishCountryNames = sync.OnceValue(func() countryNameTable { return newCountryNameTable(display.English.Regions()) })
	// countryNamesByNamer holds a table per display dictionary (display.Namer, a comparable index): bounded by
	// the languages x/text has names in.
	countryNamesByNamer sync.Map
	// countryNamesBySpelling holds the table for each language as given, up to maxLanguageSpellings of them.
	countryNamesBySpelling sync.Map
	languageSpellings      atomic.Int64
)

func newCountryNameTable(namer display.Namer) countryNameTable {
	english := display.English.Regions()
	list := countries().list
	names := make(countryNameTable, len(list))
	for _, c := range list {
		r := language.MustParseRegion(c.Code)
		name := namer.Name(r)
		if name == "" {
			name = english.Name(r)
		}
		names[c.Code] = cmp.Or(name, c.Code)
	}
	return names
}

// namesIn returns the table of country names in the language lang, as Name describes it.
func namesIn(lang string) countryNameTable {
	if lang == "" {
		return englishCountryNames()
	}
	if names, ok := countryNamesBySpelling.Load(lang); ok {
		return names.(countryNameTable)
	}
	names := englishCountryNames()
	if tag, err := language.Parse(strings.TrimSpace(lang)); err == nil {
		if namer := display.Regions(tag); namer != nil {
			if t, ok := countryNamesByNamer.Load(namer); ok {
				names = t.(countryNameTable)
			} else {
				t, _ := countryNamesByNamer.LoadOrStore(namer, newCountryNameTable(namer))
				names = t.(countryNameTable)
			}
		}
	}
	if len(lang) <= maxLanguageSpellingLen && languageSpellings.Add(1) <= maxLanguageSpellings {
		countryNamesBySpelling.Store(lang, names)
	}
	return names
}

// CountryByName returns the country with the English name name, as x/text gives it (see Name), or with one
// of a small curated list of other names ("USA", "United Kingdom of Great Britain and Northern Ireland",
// "Republic of Korea", "Viet Nam", "Türkiye", "Côte d'Ivoire"...). Matching folds case and accents (see
// Fold) and ignores surrounding white space, punctuation and a leading "the"; "&" matches "and" and "St."
// matches "Saint", so "Bosnia and Herzegovina" and "Saint Lucia" find the countries x/text names
// "Bosnia & Herzegovina" and "St. Lucia", and a name x/text gives with a parenthesis, as "Myanmar (Burma)",
// also matches without it ("Myanmar").
func CountryByName(name string) (Country, bool) {
	key := nameKey(name)
	if key == "" {
		return Country{}, false
	}
	code, ok := countryNames()[key]
	if !ok {
		return Country{}, false
	}
	return countries().byCode[code], true
}

// countryNames maps the normalised names and aliases of every country to its alpha-2 code.
var countryNames = sync.OnceValue(func() map[string]string {
	idx := countries()
	names := make(map[string]string, 3*len(idx.list))
	add := func(code, name string) {
		keys := []string{nameKey(name)}
		if open := strings.IndexByte(name, '('); open >= 0 {
			if end := strings.IndexByte(name[open:], ')'); end >= 0 {
				keys = append(keys, nameKey(name[:open]+" "+name[open+end+1:]))
			}
		}
		for _, key := range keys {
			if key == "" {
				continue
			}
			if prev, dup := names[key]; dup && prev != code {
				panic(fmt.Sprintf("directory: country name %q is both %s and %s", key, prev, code))
			}
			names[key] = code
		}
	}
	english := display.English.Regions()
	for _, c := range idx.list {
		add(c.Code, english.Name(language.MustParseRegion(c.Code)))
	}
	for code, aliases := range countryAliases {
		if _, ok := idx.byCode[code]; !ok || len(code) != 2 {
			panic(fmt.Sprintf("directory: country alias for unknown code %q", code))
		}
		for _, alias := range aliases {
			add(code, alias)
		}
	}
	return names
})

// nameKey normalises a country name for CountryByName: folded (see Fold), "&" read as "and", full stops and
// apostrophes dropped ("U.S.A." is "usa", "Côte d’Ivoire" is "cote divoire"), every other punctuation mark
// or symbol read as a word break, a leading "the" dropped and the word "st" spelled "saint".
func nameKey(name string) string {
	folded := Fold(name)
	var b strings.Builder
	b.Grow(len(folded) + 8)
	pending := false // a word break is waiting to be written as one space
	space := func() {
		if pending && b.Len() > 0 {
			b.WriteByte(' ')
		}
		pending = false
	}
	for _, r := range folded {
		switch {
		case r == '.' || r == '\'' || r == '\u02BC':
			// Dropped within a word: abbreviations and elisions.
		case r == '&':
			pending = true
			space()
			b.WriteString("and")
			pending = true
		case unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsMark(r):
			space()
			b.WriteRune(r)
		default:
			pending = true
		}
	}
	return saintKey(strings.TrimPrefix(b.String(), "the "))
}

// saintKey returns key with the abbreviation "st" spelled out as "saint", or key itself if it has none.
func saintKey(key string) string {
	if key != "st" && !strings.HasPrefix(key, "st ") && !strings.Contains(key, " st ") && !strings.HasSuffix(key, " st") {
		return key
	}
	words := strings.Fields(key)
	changed := false
	for i, w := range words {
		if w == "st" {
			words[i] = "saint"
			changed = true
		}
	}
	if !changed {
		return key
	}
	return strings.Join(words, " ")
}

// CountriesOf returns the countries the region with the code serves, sorted by code; every country when
// region is empty. The slice is the caller's; the countries it points to are shared and must not be changed.
func CountriesOf(region string) []*Country {
	all := countryPointers()
	if region == "" {
		return slices.Clone(all)
	}
	var out []*Country
	for _, c := range all {
		if c.Region == region {
			out = append(out, c)
		}
	}
	return out
}

// countryPointers points at a copy of the table made once, so that listing the countries allocates one slice,
// not a Country for each.
var countryPointers = sync.OnceValue(func() []*Country {
	list := slices.Clone(countries().list)
	ptrs := make([]*Country, len(list))
	for i := range list {
		ptrs[i] = &list[i]
	}
	return ptrs
})
