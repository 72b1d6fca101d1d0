// Package benchdata generates large directories for benchmarks: the seed's regions, secretariats, offices,
// cities and programs, plus generated cities and offices. The same seed always gives the same directory.
//
// It is a package of its own, not a test helper, because the benchmarks of two packages (directory's snapshot
// build and graph's queries) must measure the same directory for their figures to be read together.
package benchdata

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/iclei/directory/directory"
	"github.com/iclei/directory/seed"
)

// countryWeights skews the generated cities towards a few large countries: China holds about 28 % of them,
// India 15 %, the United States 9 %. The rest spread thinly over every region.
var countryWeights = []struct {
	code   string
	weight float64
}{
	{"CN", 30}, {"IN", 16}, {"US", 10}, {"BR", 5}, {"DE", 4}, {"JP", 4}, {"ID", 3}, {"MX", 3}, {"KR", 2},
	{"FR", 2}, {"ZA", 2}, {"NG", 2}, {"AU", 1.5}, {"CA", 1.5}, {"IT", 1.5}, {"ES", 1.5}, {"GB", 1.5},
	{"PH", 1}, {"VN", 1}, {"TH", 1}, {"PK", 1}, {"BD", 1}, {"AR", 1}, {"CO", 1}, {"KE", 1},
	{"SE", 0.5}, {"NL", 0.5}, {"PL", 0.5}, {"PT", 0.5}, {"CL", 0.5}, {"PE", 0.5}, {"EG", 0.5}, {"GH", 0.5},
	{"NZ", 0.5}, {"FJ", 0.2}, {"MN", 0.3}, {"NP", 0.3}, {"LK", 0.3}, {"MY", 0.5}, {"CR", 0.2}, {"GT", 0.2},
	{"JM", 0.1}, {"TW", 0.5}, {"IR", 0.5}, {"TZ", 0.3}, {"ET", 0.3}, {"MA", 0.3},
}

var syllables = strings.Fields("an ba chen da el fa gu hai ji ka lan mo na or pu qi ra san ta ul vi wu xi ya zhou " +
	"bel cor dun ess fol gar hol ing jor kes lum mar nor os pra riv sol tor urb ven wes yor zé ão ñu")

// Directory returns the seed directory with generated cities (cities of them in all) and 100 + cities/50
// generated offices, every reference in it valid.
func Directory(cities int) (*directory.Data, error) {
	d, _, err := seed.Build()
	if err != nil {
		return nil, fmt.Errorf("build seed: %w", err)
	}
	rng := rand.New(rand.NewPCG(uint64(cities), 2016))

	secretariatOf := map[string]string{} // region -> the secretariat serving its members
	for _, s := range d.Secretariats {
		if s.Kind == directory.SecretariatRegional || s.Region == directory.RegionGlobal {
			secretariatOf[s.Region] = s.Key
		}
	}

	total := 0.0
	for _, c := range countryWeights {
		total += c.weight
	}
	country := func() directory.Country {
		x := rng.Float64() * total
		for _, c := range countryWeights {
			if x -= c.weight; x < 0 {
				return mustCountry(c.code)
			}
		}
		return mustCountry(countryWeights[0].code)
	}
	name := func() string {
		n := 2 + rng.IntN(2)
		var b strings.Builder
		for i := range n {
			s := syllables[rng.IntN(len(syllables))]
			if i == 0 {
				s = strings.ToUpper(s[:1]) + s[1:]
			}
			b.WriteString(s)
		}
		return b.String()
	}
	location := func() *directory.Location {
		return &directory.Location{Latitude: rng.Float64()*140 - 60, Longitude: rng.Float64()*360 - 180, Precision: directory.PrecisionCity}
	}
	since := func() time.Time {
		return time.Date(1991+rng.IntN(34), time.Month(1+rng.IntN(12)), 1+rng.IntN(28), 0, 0, 0, 0, time.UTC)
	}

	municipalities := map[string][]string{} // country -> keys of generated municipalities, parents of districts
	for i := len(d.Cities); i < cities; i++ {
		c := country()
		n := name()
		x := directory.City{
			Key: strings.ToLower(n) + "-" + strconv.FormatInt(int64(i), 36), Name: n, Kind: directory.CityMunicipality,
			Country: c.Code, Region: c.Region, Location: location(), Version: 1,
			Provenance: directory.Provenance{Origin: directory.OriginWrite},
		}
		if rng.IntN(20) != 0 { // one in twenty has no known population
			x.Population = int(math.Pow(10, 3+4*rng.Float64()))
		}
		switch r := rng.IntN(100); {
		case r < 10 && len(municipalities[c.Code]) > 0:
			x.Kind = directory.CityDistrict
			ps := municipalities[c.Code]
			x.Parent = ps[rng.IntN(len(ps))]
		case r < 13:
			x.Kind = directory.CityRegionalGovernment
		default:
			municipalities[c.Code] = append(municipalities[c.Code], x.Key)
		}
		if rng.IntN(4) == 0 { // a member, some of them members before
			m := directory.Membership{
				ID: "m1", City: x.Key, Category: directory.MembershipFull, Status: directory.MembershipActive,
				Since: since(), Secretariat: secretariatOf[c.Region],
			}
			if rng.IntN(3) == 0 {
				m.Category = directory.MembershipAssociate
			}
			if rng.IntN(10) == 0 {
				m.Status = directory.MembershipSuspended
			}
			if rng.IntN(5) == 0 {
				past := m
				past.Status, past.Until = directory.MembershipEnded, m.Since
				past.Since = m.Since.AddDate(-1-rng.IntN(10), 0, 0)
				m.ID = "m2"
				x.Memberships = append(x.Memberships, past)
			}
			x.Memberships = append(x.Memberships, m)
		}
		d.Cities = append(d.Cities, x)
	}

	kinds := []directory.OfficeKind{directory.OfficeCity, directory.OfficeProject, directory.OfficeCountry}
	for i := range 100 + cities/50 {
		c := country()
		locality := name()
		o := directory.Office{
			Key: "office-" + strconv.Itoa(i), Name: locality + " Office", Kind: kinds[rng.IntN(len(kinds))],
			Region: c.Region, Secretariat: secretariatOf[c.Region], Location: location(), Version: 1,
			Address: &directory.Address{
				Street:   []string{strconv.Itoa(1+rng.IntN(300)) + " " + name() + " Street"},
				Locality: locality, Country: c.Code,
			},
			Provenance: directory.Provenance{Origin: directory.OriginWrite},
		}
		if rng.IntN(5) != 0 { // some addresses have no postal code
			o.Address.PostalCode = strconv.Itoa(10000 + rng.IntN(90000))
		}
		o.Address.Lines = append(slices.Clone(o.Address.Street), strings.TrimSpace(o.Address.PostalCode+" "+locality))
		d.Offices = append(d.Offices, o)
	}
	if err := directory.CheckData(d); err != nil {
		return nil, fmt.Errorf("generated data: %w", err)
	}
	return d, nil
}

func mustCountry(code string) directory.Country {
	c, ok := directory.LookupCountry(code)
	if !ok {
		panic("benchdata: unknown country " + code) // a typo in countryWeights
	}
	return c
}
