package directory

import (
	"slices"
	"strconv"
	"strings"

	"github.com/iclei/directory/internal/index"
)

// Filters of the connections. An empty field does not filter.
type (
	SecretariatFilter struct {
		Region string
		Kind   SecretariatKind
	}
	OfficeFilter struct {
		Region      string
		Country     string
		Kind        OfficeKind
		Secretariat string
		// City matches the locality of the office's address, case- and accent-insensitively.
		City string
	}
	CityFilter struct {
		Region             string
		Country            string
		Kind               CityKind
		MembershipCategory MembershipCategory
		MembershipStatus   MembershipStatus
		// Secretariat matches the secretariat serving the city's current membership.
		Secretariat string
		Program     string
		Parent      string
	}
	ProgramFilter struct {
		Region string
		Kind   ProgramKind
		Year   int
		// Topic matches one of the program's topics, case- and accent-insensitively.
		Topic     string
		City      string
		Organizer string
		Person    string
	}
	OrganizationFilter struct {
		Country string
		City    string
	}
	PersonFilter struct {
		Institution string
		Program     string
	}
)

// Regions returns every region, the global level first.
func (s *Snapshot) Regions() []*Region {
	rs := make([]*Region, len(s.regions))
	for i := range s.regions {
		rs[i] = &s.regions[i]
	}
	return rs
}

// Region returns the region with the code, or nil.
func (s *Snapshot) Region(code string) *Region { return s.regionByCode[code] }

// Secretariat returns the secretariat with the key, or nil.
func (s *Snapshot) Secretariat(key string) *Secretariat { return s.secretariats.Get(key) }

// Office returns the office with the key, or nil.
func (s *Snapshot) Office(key string) *Office { return s.offices.Get(key) }

// City returns the city with the key, or nil.
func (s *Snapshot) City(key string) *City { return s.cities.Get(key) }

// Program returns the program with the key, or nil.
func (s *Snapshot) Program(key string) *Program { return s.programs.Get(key) }

// Organization returns the organization with the key, or nil.
func (s *Snapshot) Organization(key string) *Organization { return s.organizations.Get(key) }

// Person returns the person with the key, or nil.
func (s *Snapshot) Person(key string) *Person { return s.people.Get(key) }

// Institution returns the record an institution reference points at: a *Secretariat, *Organization or *City,
// or nil.
func (s *Snapshot) Institution(ref InstitutionRef) any {
	switch ref.Kind {
	case InstitutionSecretariat:
		if x := s.Secretariat(ref.Key); x != nil {
			return x
		}
	case InstitutionOrganization:
		if x := s.Organization(ref.Key); x != nil {
			return x
		}
	case InstitutionCity:
		if x := s.City(ref.Key); x != nil {
			return x
		}
	}
	return nil
}

// RegionSecretariat returns the secretariat that serves a region: its regional secretariat, or the World
// Secretariat for the global level. It is nil for a region with neither.
func (s *Snapshot) RegionSecretariat(region string) *Secretariat {
	var world, found *Secretariat
	s.secretariats.Scan(func(x *Secretariat) bool {
		if x.Region == region && (x.Kind == SecretariatRegional || region == RegionGlobal) {
			found = x
			return false
		}
		if x.Kind == SecretariatWorld {
			world = x
		}
		return true
	})
	if found == nil && region == RegionGlobal {
		return world
	}
	return found
}

// Secretariats returns a page of secretariats.
func (s *Snapshot) Secretariats(f SecretariatFilter, o Order, p PageArgs) (*Page[*Secretariat], error) {
	var terms []index.Term
	if err := s.addRegion(&terms, "filter.region", f.Region); err != nil {
		return nil, err
	}
	if err := addEnum(&terms, "filter.kind", dimKind, f.Kind, []SecretariatKind{SecretariatWorld, SecretariatRegional}); err != nil {
		return nil, err
	}
	return find(s.secretariats, "Secretariat", index.Query[Secretariat]{Terms: terms}, orDefault(o, OrderByName, Asc), p)
}

// Offices returns a page of offices.
func (s *Snapshot) Offices(f OfficeFilter, o Order, p PageArgs) (*Page[*Office], error) {
	var terms []index.Term
	if err := s.addRegion(&terms, "filter.region", f.Region); err != nil {
		return nil, err
	}
	if err := addCountry(&terms, "filter.country", f.Country); err != nil {
		return nil, err
	}
	if err := addEnum(&terms, "filter.kind", dimKind, f.Kind, officeKinds); err != nil {
		return nil, err
	}
	if err := addKey(&terms, "filter.secretariat", dimSecretariat, KindSecretariat, f.Secretariat, s.Secretariat(f.Secretariat) != nil); err != nil {
		return nil, err
	}
	if f.City != "" {
		terms = append(terms, index.Term{Dim: dimLocality, Value: Fold(f.City)})
	}
	return find(s.offices, "Office", index.Query[Office]{Terms: terms}, orDefault(o, OrderByName, Asc), p)
}

// Cities returns a page of cities.
func (s *Snapshot) Cities(f CityFilter, o Order, p PageArgs) (*Page[*City], error) {
	var terms []index.Term
	if err := s.addRegion(&terms, "filter.region", f.Region); err != nil {
		return nil, err
	}
	if err := addCountry(&terms, "filter.country", f.Country); err != nil {
		return nil, err
	}
	if err := addEnum(&terms, "filter.kind", dimKind, f.Kind, cityKinds); err != nil {
		return nil, err
	}
	if err := addEnum(&terms, "filter.membershipCategory", dimCategory, f.MembershipCategory, membershipCategories); err != nil {
		return nil, err
	}
	if err := addEnum(&terms, "filter.membershipStatus", dimStatus, f.MembershipStatus, membershipStatuses); err != nil {
		return nil, err
	}
	if err := addKey(&terms, "filter.secretariat", dimSecretariat, KindSecretariat, f.Secretariat, s.Secretariat(f.Secretariat) != nil); err != nil {
		return nil, err
	}
	if err := addKey(&terms, "filter.parent", dimParent, KindCity, f.Parent, s.City(f.Parent) != nil); err != nil {
		return nil, err
	}
	q := index.Query[City]{Terms: terms}
	if f.Program != "" {
		p := s.Program(f.Program)
		if p == nil {
			return nil, Invalid("filter.program", "no %s with key %s", KindProgram, quote(f.Program))
		}
		q.Keys = slices.Clip(p.Participants)
		if q.Keys == nil {
			q.Keys = []string{}
		}
	}
	return find(s.cities, "City", q, orDefault(o, OrderByName, Asc), p)
}

// Programs returns a page of programs, newest first unless ordered otherwise.
func (s *Snapshot) Programs(f ProgramFilter, o Order, p PageArgs) (*Page[*Program], error) {
	var terms []index.Term
	if err := s.addRegion(&terms, "filter.region", f.Region); err != nil {
		return nil, err
	}
	if err := addEnum(&terms, "filter.kind", dimKind, f.Kind, programKinds); err != nil {
		return nil, err
	}
	if f.Year != 0 {
		if f.Year < 1990 || f.Year > 2200 {
			return nil, Invalid("filter.year", "year must be between 1990 (ICLEI's founding) and 2200, got %d", f.Year)
		}
		terms = append(terms, index.Term{Dim: dimYear, Value: strconv.Itoa(f.Year)})
	}
	if f.Topic != "" {
		terms = append(terms, index.Term{Dim: dimTopic, Value: Fold(f.Topic)})
	}
	if err := addKey(&terms, "filter.city", dimCity, KindCity, f.City, s.City(f.City) != nil); err != nil {
		return nil, err
	}
	if f.Organizer != "" {
		if s.Secretariat(f.Organizer) == nil && s.Organization(f.Organizer) == nil && s.City(f.Organizer) == nil {
			return nil, Invalid("filter.organizer", "no secretariat, organization or city has the key %s", quote(f.Organizer))
		}
		terms = append(terms, index.Term{Dim: dimOrganizer, Value: f.Organizer})
	}
	if err := addKey(&terms, "filter.person", dimPerson, KindPerson, f.Person, s.Person(f.Person) != nil); err != nil {
		return nil, err
	}
	return find(s.programs, "Program", index.Query[Program]{Terms: terms}, orDefault(o, OrderByDate, Desc), p)
}

// Organizations returns a page of partner organizations.
func (s *Snapshot) Organizations(f OrganizationFilter, o Order, p PageArgs) (*Page[*Organization], error) {
	var terms []index.Term
	if err := addCountry(&terms, "filter.country", f.Country); err != nil {
		return nil, err
	}
	if err := addKey(&terms, "filter.city", dimCity, KindCity, f.City, s.City(f.City) != nil); err != nil {
		return nil, err
	}
	return find(s.organizations, "Organization", index.Query[Organization]{Terms: terms}, orDefault(o, OrderByName, Asc), p)
}

// People returns a page of people.
func (s *Snapshot) People(f PersonFilter, o Order, p PageArgs) (*Page[*Person], error) {
	var terms []index.Term
	if f.Institution != "" {
		if s.Secretariat(f.Institution) == nil && s.Organization(f.Institution) == nil && s.City(f.Institution) == nil {
			return nil, Invalid("filter.institution", "no secretariat, organization or city has the key %s", quote(f.Institution))
		}
		terms = append(terms, index.Term{Dim: dimInstitution, Value: f.Institution})
	}
	q := index.Query[Person]{Terms: terms}
	if f.Program != "" {
		p := s.Program(f.Program)
		if p == nil {
			return nil, Invalid("filter.program", "no %s with key %s", KindProgram, quote(f.Program))
		}
		q.Keys = programPeople(p)
	}
	return find(s.people, "Person", q, orDefault(o, OrderByName, Asc), p)
}

func orDefault(o Order, field string, dir Direction) Order {
	if o.Field == "" {
		o.Field = field
		if o.Direction == "" {
			o.Direction = dir
		}
	}
	if o.Direction == "" {
		o.Direction = Asc
	}
	return o
}

// CheckRegion returns an invalid-input error naming the valid regions unless code is one of them.
func (s *Snapshot) CheckRegion(field, code string) error {
	if s.regionByCode[code] != nil {
		return nil
	}
	codes := make([]string, len(s.regions))
	for i, r := range s.regions {
		codes[i] = r.Code
	}
	return &Error{Code: CodeInvalidInput, Field: field, Choices: codes,
		Message: "unknown region " + strconv.Quote(code) + "; valid regions are " + strings.Join(codes, ", ")}
}

// CheckCountry returns the ISO 3166-1 alpha-2 code for code (alpha-2 or alpha-3, any case), or an invalid-input
// error.
func CheckCountry(field, code string) (string, error) {
	c, ok := LookupCountry(code)
	if !ok {
		codes := make([]string, 0, 249)
		for _, c := range Countries() {
			codes = append(codes, c.Code)
		}
		return "", &Error{Code: CodeInvalidInput, Field: field, Choices: codes,
			Message: "unknown country " + strconv.Quote(code) + "; use an ISO 3166-1 alpha-2 code such as DE, KR or BR (the valid codes are listed in extensions.validChoices and by the countries query)"}
	}
	return c.Code, nil
}

func (s *Snapshot) addRegion(terms *[]index.Term, field, code string) error {
	if code == "" {
		return nil
	}
	if err := s.CheckRegion(field, code); err != nil {
		return err
	}
	*terms = append(*terms, index.Term{Dim: dimRegion, Value: code})
	return nil
}

func addCountry(terms *[]index.Term, field, code string) error {
	if code == "" {
		return nil
	}
	c, err := CheckCountry(field, code)
	if err != nil {
		return err
	}
	*terms = append(*terms, index.Term{Dim: dimCountry, Value: c})
	return nil
}

func addEnum[E ~string](terms *[]index.Term, field, dim string, v E, valid []E) error {
	if v == "" {
		return nil
	}
	if !slices.Contains(valid, v) {
		names := make([]string, len(valid))
		for i, e := range valid {
			names[i] = string(e)
		}
		return &Error{Code: CodeInvalidInput, Field: field, Choices: names,
			Message: "unknown value " + strconv.Quote(string(v)) + "; valid values are " + strings.Join(names, ", ")}
	}
	*terms = append(*terms, index.Term{Dim: dim, Value: string(v)})
	return nil
}

func addKey(terms *[]index.Term, field, dim, kind, key string, exists bool) error {
	if key == "" {
		return nil
	}
	if !exists {
		return Invalid(field, "no %s with key %s", kind, quote(key))
	}
	*terms = append(*terms, index.Term{Dim: dim, Value: key})
	return nil
}
