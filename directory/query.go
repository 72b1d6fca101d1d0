package directory

import (
	"slices"
	"strconv"
	"strings"
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
func (s *Snapshot) Secretariat(key string) *Secretariat { return s.secretariats.get(key) }

// Office returns the office with the key, or nil.
func (s *Snapshot) Office(key string) *Office { return s.offices.get(key) }

// City returns the city with the key, or nil.
func (s *Snapshot) City(key string) *City { return s.cities.get(key) }

// Program returns the program with the key, or nil.
func (s *Snapshot) Program(key string) *Program { return s.programs.get(key) }

// Organization returns the organization with the key, or nil.
func (s *Snapshot) Organization(key string) *Organization { return s.organizations.get(key) }

// Person returns the person with the key, or nil.
func (s *Snapshot) Person(key string) *Person { return s.people.get(key) }

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
	var world *Secretariat
	for i := range s.secretariats.items {
		x := &s.secretariats.items[i]
		if x.Region == region && (x.Kind == SecretariatRegional || region == RegionGlobal) {
			return x
		}
		if x.Kind == SecretariatWorld {
			world = x
		}
	}
	if region == RegionGlobal {
		return world
	}
	return nil
}

// Secretariats returns a page of secretariats.
func (s *Snapshot) Secretariats(f SecretariatFilter, o Order, p PageArgs) (*Page[*Secretariat], error) {
	var terms []term
	if err := s.addRegion(&terms, "filter.region", f.Region); err != nil {
		return nil, err
	}
	if err := addEnum(&terms, "filter.kind", dimKind, f.Kind, []SecretariatKind{SecretariatWorld, SecretariatRegional}); err != nil {
		return nil, err
	}
	return s.secretariats.find(tableQuery[Secretariat]{terms: terms}, orDefault(o, OrderByName, Asc), p)
}

// Offices returns a page of offices.
func (s *Snapshot) Offices(f OfficeFilter, o Order, p PageArgs) (*Page[*Office], error) {
	var terms []term
	if err := s.addRegion(&terms, "filter.region", f.Region); err != nil {
		return nil, err
	}
	if err := addCountry(&terms, "filter.country", f.Country); err != nil {
		return nil, err
	}
	if err := addEnum(&terms, "filter.kind", dimKind, f.Kind, OfficeKinds); err != nil {
		return nil, err
	}
	if err := addKey(&terms, "filter.secretariat", dimSecretariat, KindSecretariat, f.Secretariat, s.Secretariat(f.Secretariat) != nil); err != nil {
		return nil, err
	}
	if f.City != "" {
		terms = append(terms, term{dimLocality, Fold(f.City)})
	}
	return s.offices.find(tableQuery[Office]{terms: terms}, orDefault(o, OrderByName, Asc), p)
}

// Cities returns a page of cities.
func (s *Snapshot) Cities(f CityFilter, o Order, p PageArgs) (*Page[*City], error) {
	var terms []term
	if err := s.addRegion(&terms, "filter.region", f.Region); err != nil {
		return nil, err
	}
	if err := addCountry(&terms, "filter.country", f.Country); err != nil {
		return nil, err
	}
	if err := addEnum(&terms, "filter.kind", dimKind, f.Kind, CityKinds); err != nil {
		return nil, err
	}
	if err := addEnum(&terms, "filter.membershipCategory", dimCategory, f.MembershipCategory, MembershipCategories); err != nil {
		return nil, err
	}
	if err := addEnum(&terms, "filter.membershipStatus", dimStatus, f.MembershipStatus, MembershipStatuses); err != nil {
		return nil, err
	}
	if err := addKey(&terms, "filter.secretariat", dimSecretariat, KindSecretariat, f.Secretariat, s.Secretariat(f.Secretariat) != nil); err != nil {
		return nil, err
	}
	if err := addKey(&terms, "filter.program", dimProgram, KindProgram, f.Program, s.Program(f.Program) != nil); err != nil {
		return nil, err
	}
	if err := addKey(&terms, "filter.parent", dimParent, KindCity, f.Parent, s.City(f.Parent) != nil); err != nil {
		return nil, err
	}
	return s.cities.find(tableQuery[City]{terms: terms}, orDefault(o, OrderByName, Asc), p)
}

// Programs returns a page of programs, newest first unless ordered otherwise.
func (s *Snapshot) Programs(f ProgramFilter, o Order, p PageArgs) (*Page[*Program], error) {
	var terms []term
	if err := s.addRegion(&terms, "filter.region", f.Region); err != nil {
		return nil, err
	}
	if err := addEnum(&terms, "filter.kind", dimKind, f.Kind, ProgramKinds); err != nil {
		return nil, err
	}
	if f.Year != 0 {
		if f.Year < 1990 || f.Year > 2200 {
			return nil, Invalid("filter.year", "year must be between 1990 (ICLEI's founding) and 2200, got %d", f.Year)
		}
		terms = append(terms, term{dimYear, strconv.Itoa(f.Year)})
	}
	if f.Topic != "" {
		terms = append(terms, term{dimTopic, Fold(f.Topic)})
	}
	if err := addKey(&terms, "filter.city", dimCity, KindCity, f.City, s.City(f.City) != nil); err != nil {
		return nil, err
	}
	if f.Organizer != "" {
		if s.Secretariat(f.Organizer) == nil && s.Organization(f.Organizer) == nil && s.City(f.Organizer) == nil {
			return nil, Invalid("filter.organizer", "no secretariat, organization or city has the key %q", f.Organizer)
		}
		terms = append(terms, term{dimOrganizer, f.Organizer})
	}
	if err := addKey(&terms, "filter.person", dimPerson, KindPerson, f.Person, s.Person(f.Person) != nil); err != nil {
		return nil, err
	}
	return s.programs.find(tableQuery[Program]{terms: terms}, orDefault(o, OrderByDate, Desc), p)
}

// Organizations returns a page of partner organizations.
func (s *Snapshot) Organizations(f OrganizationFilter, o Order, p PageArgs) (*Page[*Organization], error) {
	var terms []term
	if err := addCountry(&terms, "filter.country", f.Country); err != nil {
		return nil, err
	}
	if err := addKey(&terms, "filter.city", dimCity, KindCity, f.City, s.City(f.City) != nil); err != nil {
		return nil, err
	}
	return s.organizations.find(tableQuery[Organization]{terms: terms}, orDefault(o, OrderByName, Asc), p)
}

// People returns a page of people.
func (s *Snapshot) People(f PersonFilter, o Order, p PageArgs) (*Page[*Person], error) {
	var terms []term
	if f.Institution != "" {
		if s.Secretariat(f.Institution) == nil && s.Organization(f.Institution) == nil && s.City(f.Institution) == nil {
			return nil, Invalid("filter.institution", "no secretariat, organization or city has the key %q", f.Institution)
		}
		terms = append(terms, term{dimInstitution, f.Institution})
	}
	if err := addKey(&terms, "filter.program", dimProgram, KindProgram, f.Program, s.Program(f.Program) != nil); err != nil {
		return nil, err
	}
	return s.people.find(tableQuery[Person]{terms: terms}, orDefault(o, OrderByName, Asc), p)
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

func (s *Snapshot) addRegion(terms *[]term, field, code string) error {
	if code == "" {
		return nil
	}
	if err := s.CheckRegion(field, code); err != nil {
		return err
	}
	*terms = append(*terms, term{dimRegion, code})
	return nil
}

func addCountry(terms *[]term, field, code string) error {
	if code == "" {
		return nil
	}
	c, err := CheckCountry(field, code)
	if err != nil {
		return err
	}
	*terms = append(*terms, term{dimCountry, c})
	return nil
}

func addEnum[E ~string](terms *[]term, field, dim string, v E, valid []E) error {
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
	*terms = append(*terms, term{dim, string(v)})
	return nil
}

func addKey(terms *[]term, field, dim, kind, key string, exists bool) error {
	if key == "" {
		return nil
	}
	if !exists {
		return Invalid(field, "no %s with key %q", kind, key)
	}
	*terms = append(*terms, term{dim, key})
	return nil
}
