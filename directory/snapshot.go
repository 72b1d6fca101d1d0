package directory

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// Data is the whole directory as stored: what a Snapshot is built from.
type Data struct {
	// Revision is the store's revision the data was read at.
	Revision      int64
	Regions       []Region
	Secretariats  []Secretariat
	Offices       []Office
	Cities        []City
	Programs      []Program
	Organizations []Organization
	People        []Person
}

// Snapshot is an immutable, indexed view of the directory at one revision. All public reads are answered from
// a snapshot; it is safe for concurrent use.
type Snapshot struct {
	Revision int64
	LoadedAt time.Time

	regions       []Region // global first, then by name
	regionByCode  map[string]*Region
	secretariats  *table[Secretariat]
	offices       *table[Office]
	cities        *table[City]
	programs      *table[Program]
	organizations *table[Organization]
	people        *table[Person]
	search        *searchIndex
}

// Counts are how many records of each kind a snapshot holds.
type Counts struct {
	Regions, Secretariats, Offices, Cities, Memberships, Programs, Organizations, People int
}

// Order fields. Each connection accepts the ones its type's orderings list.
const (
	OrderByKey        = "KEY"
	OrderByName       = "NAME"
	OrderByTitle      = "TITLE"
	OrderByCountry    = "COUNTRY"
	OrderByRegion     = "REGION"
	OrderByPopulation = "POPULATION"
	OrderByDate       = "DATE"
)

// Filter dimensions of the tables.
const (
	dimRegion      = "region"
	dimCountry     = "country"
	dimKind        = "kind"
	dimLocality    = "locality"
	dimSecretariat = "secretariat"
	dimCategory    = "category"
	dimStatus      = "status"
	dimProgram     = "program"
	dimParent      = "parent"
	dimYear        = "year"
	dimTopic       = "topic"
	dimCity        = "city"
	dimOrganizer   = "organizer"
	dimPerson      = "person"
	dimInstitution = "institution"
)

func textKey(s string) sortKey { return sortKey{text: Fold(s)} }

// NewSnapshot indexes data. It takes ownership of data's slices.
func NewSnapshot(data Data, loadedAt time.Time) *Snapshot {
	s := &Snapshot{Revision: data.Revision, LoadedAt: loadedAt}

	s.regions = data.Regions
	slices.SortFunc(s.regions, func(a, b Region) int {
		if (a.Code == RegionGlobal) != (b.Code == RegionGlobal) {
			if a.Code == RegionGlobal {
				return -1
			}
			return 1
		}
		return strings.Compare(Fold(a.Name), Fold(b.Name))
	})
	s.regionByCode = make(map[string]*Region, len(s.regions))
	for i := range s.regions {
		s.regionByCode[s.regions[i].Code] = &s.regions[i]
	}
	regionName := func(code string) string {
		if r := s.regionByCode[code]; r != nil {
			return Fold(r.Name)
		}
		return code
	}

	// Relations that one record type holds and another is filtered by.
	programsOfCity := map[string][]string{}
	programsOfPerson := map[string][]string{}
	for _, p := range data.Programs {
		for _, c := range p.Participants {
			programsOfCity[c] = append(programsOfCity[c], p.Key)
		}
		for _, pp := range p.People {
			programsOfPerson[pp.Person] = append(programsOfPerson[pp.Person], p.Key)
		}
	}

	s.secretariats = newTable("Secretariat", data.Secretariats, &tableSpec[Secretariat]{
		key: func(x *Secretariat) string { return x.Key },
		orders: map[string]func(*Secretariat) sortKey{
			OrderByKey:    func(*Secretariat) sortKey { return sortKey{} },
			OrderByName:   func(x *Secretariat) sortKey { return textKey(x.Name) },
			OrderByRegion: func(x *Secretariat) sortKey { return sortKey{text: regionName(x.Region) + "\x00" + Fold(x.Name)} },
		},
		dims: map[string]func(*Secretariat) []string{
			dimRegion: func(x *Secretariat) []string { return []string{x.Region} },
			dimKind:   func(x *Secretariat) []string { return []string{string(x.Kind)} },
		},
	})
	s.offices = newTable("Office", data.Offices, &tableSpec[Office]{
		key: func(x *Office) string { return x.Key },
		orders: map[string]func(*Office) sortKey{
			OrderByKey:     func(*Office) sortKey { return sortKey{} },
			OrderByName:    func(x *Office) sortKey { return textKey(x.Name) },
			OrderByCountry: func(x *Office) sortKey { return sortKey{text: x.Country() + "\x00" + Fold(x.Name)} },
			OrderByRegion:  func(x *Office) sortKey { return sortKey{text: regionName(x.Region) + "\x00" + Fold(x.Name)} },
		},
		dims: map[string]func(*Office) []string{
			dimRegion:      func(x *Office) []string { return []string{x.Region} },
			dimCountry:     func(x *Office) []string { return []string{x.Country()} },
			dimKind:        func(x *Office) []string { return []string{string(x.Kind)} },
			dimLocality:    func(x *Office) []string { return officeLocalities(x) },
			dimSecretariat: func(x *Office) []string { return []string{x.Secretariat} },
		},
	})
	s.cities = newTable("City", data.Cities, &tableSpec[City]{
		key: func(x *City) string { return x.Key },
		orders: map[string]func(*City) sortKey{
			OrderByKey:        func(*City) sortKey { return sortKey{} },
			OrderByName:       func(x *City) sortKey { return textKey(x.Name) },
			OrderByCountry:    func(x *City) sortKey { return sortKey{text: x.Country + "\x00" + Fold(x.Name)} },
			OrderByRegion:     func(x *City) sortKey { return sortKey{text: regionName(x.Region) + "\x00" + Fold(x.Name)} },
			OrderByPopulation: func(x *City) sortKey { return sortKey{num: float64(x.Population), text: Fold(x.Name)} },
		},
		dims: map[string]func(*City) []string{
			dimRegion:  func(x *City) []string { return []string{x.Region} },
			dimCountry: func(x *City) []string { return []string{x.Country} },
			dimKind:    func(x *City) []string { return []string{string(x.Kind)} },
			dimCategory: func(x *City) []string {
				if m := x.CurrentMembership(); m != nil {
					return []string{string(m.Category)}
				}
				return nil
			},
			dimStatus: func(x *City) []string {
				if m := x.CurrentMembership(); m != nil {
					return []string{string(m.Status)}
				}
				return nil
			},
			dimSecretariat: func(x *City) []string {
				if m := x.CurrentMembership(); m != nil {
					return []string{m.Secretariat}
				}
				return nil
			},
			dimProgram: func(x *City) []string { return programsOfCity[x.Key] },
			dimParent:  func(x *City) []string { return []string{x.Parent} },
		},
	})
	s.programs = newTable("Program", data.Programs, &tableSpec[Program]{
		key: func(x *Program) string { return x.Key },
		orders: map[string]func(*Program) sortKey{
			OrderByKey:   func(*Program) sortKey { return sortKey{} },
			OrderByTitle: func(x *Program) sortKey { return textKey(x.Title) },
			OrderByDate:  func(x *Program) sortKey { return sortKey{num: programDate(x), text: Fold(x.Title)} },
		},
		dims: map[string]func(*Program) []string{
			dimRegion: func(x *Program) []string { return []string{x.Region} },
			dimKind:   func(x *Program) []string { return []string{string(x.Kind)} },
			dimYear:   func(x *Program) []string { return []string{strconv.Itoa(x.Year())} },
			dimTopic: func(x *Program) []string {
				topics := make([]string, len(x.Topics))
				for i, t := range x.Topics {
					topics[i] = Fold(t)
				}
				return topics
			},
			dimCity:   func(x *Program) []string { return append([]string{x.HostCity}, x.Participants...) },
			dimPerson: func(x *Program) []string { return programPeople(x) },
			dimOrganizer: func(x *Program) []string {
				keys := make([]string, len(x.Organizers))
				for i, o := range x.Organizers {
					keys[i] = o.Key
				}
				return keys
			},
		},
	})
	s.organizations = newTable("Organization", data.Organizations, &tableSpec[Organization]{
		key: func(x *Organization) string { return x.Key },
		orders: map[string]func(*Organization) sortKey{
			OrderByKey:  func(*Organization) sortKey { return sortKey{} },
			OrderByName: func(x *Organization) sortKey { return textKey(x.Name) },
		},
		dims: map[string]func(*Organization) []string{
			dimCountry: func(x *Organization) []string { return []string{x.Country} },
			dimCity:    func(x *Organization) []string { return []string{x.City} },
		},
	})
	s.people = newTable("Person", data.People, &tableSpec[Person]{
		key: func(x *Person) string { return x.Key },
		orders: map[string]func(*Person) sortKey{
			OrderByKey:  func(*Person) sortKey { return sortKey{} },
			OrderByName: func(x *Person) sortKey { return textKey(x.Name) },
		},
		dims: map[string]func(*Person) []string{
			dimInstitution: func(x *Person) []string {
				keys := make([]string, len(x.Affiliations))
				for i, a := range x.Affiliations {
					keys[i] = a.Institution.Key
				}
				return keys
			},
			dimProgram: func(x *Person) []string { return programsOfPerson[x.Key] },
		},
	})
	s.search = newSearchIndex(s)
	return s
}

// programDate orders programs by when they ran: by start date, else end date; undated programs come first.
func programDate(p *Program) float64 {
	switch {
	case !p.StartDate.IsZero():
		return float64(p.StartDate.Unix())
	case !p.EndDate.IsZero():
		return float64(p.EndDate.Unix())
	}
	return 0
}

func programPeople(p *Program) []string {
	keys := make([]string, len(p.People))
	for i, pp := range p.People {
		keys[i] = pp.Person
	}
	return keys
}

func officeLocalities(o *Office) []string {
	var ls []string
	for _, a := range []*Address{o.Address, o.PostalAddress} {
		if a != nil && a.Locality != "" && !slices.Contains(ls, Fold(a.Locality)) {
			ls = append(ls, Fold(a.Locality))
		}
	}
	return ls
}

// Country returns the ISO code of the country the office is in.
func (o *Office) Country() string {
	for _, a := range []*Address{o.Address, o.PostalAddress} {
		if a != nil && a.Country != "" {
			return a.Country
		}
	}
	return ""
}

// CurrentMembership returns the city's membership that has not ended, or else its most recent one; nil for a
// city that has never been a member.
func (c *City) CurrentMembership() *Membership {
	var latest *Membership
	for i := range c.Memberships {
		m := &c.Memberships[i]
		if m.Status != MembershipEnded {
			return m
		}
		if latest == nil || m.Since.After(latest.Since) {
			latest = m
		}
	}
	return latest
}

// Counts returns how many records of each kind the snapshot holds.
func (s *Snapshot) Counts() Counts {
	c := Counts{
		Regions: len(s.regions), Secretariats: s.secretariats.len(), Offices: s.offices.len(), Cities: s.cities.len(),
		Programs: s.programs.len(), Organizations: s.organizations.len(), People: s.people.len(),
	}
	for i := range s.cities.items {
		c.Memberships += len(s.cities.items[i].Memberships)
	}
	return c
}
