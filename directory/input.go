package directory

import (
	"errors"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gosimple/slug"
	"golang.org/x/text/language"
)

// Inputs of the write path. A create derives the record's key from its name when the input gives none; an
// update replaces the whole record and names the version it read.
type (
	AddressInput struct {
		Street     []string
		Locality   string
		Province   string
		PostalCode string
		// Country is an ISO 3166-1 code.
		Country string
	}
	LocationInput struct {
		Latitude  float64
		Longitude float64
		Precision Precision
	}
	OfficeInput struct {
		Key           string
		Name          string
		Kind          OfficeKind
		Region        string
		Secretariat   string
		Address       AddressInput
		PostalAddress *AddressInput
		Phone         string
		Fax           string
		Email         string
		Website       string
		Location      *LocationInput
		Labels        []string
	}
	CityInput struct {
		Key        string
		Name       string
		LocalNames []LocalName
		Government string
		Kind       CityKind
		Country    string
		Parent     string
		Population int
		Location   *LocationInput
	}
	ProgramInput struct {
		Key           string
		Title         string
		Kind          ProgramKind
		Summary       string
		HostCity      string
		Region        string
		StartDate     time.Time
		EndDate       time.Time
		Duration      string
		Organizers    []InstitutionRef
		Participants  []string
		DelegateCount int
		Topics        []string
		Activities    []ActivityInput
		SiteVisits    []SiteVisit
		People        []ProgramPerson
		Highlights    []string
		Photos        []Photo
	}
	ActivityInput struct {
		Kind        ActivityKind
		Title       string
		Description string
		Date        time.Time
		Organizers  []InstitutionRef
	}
	OrganizationInput struct {
		Key       string
		Name      string
		ShortName string
		Kind      string
		Country   string
		City      string
		Website   string
	}
	PersonInput struct {
		Key          string
		Name         string
		Affiliations []Affiliation
	}
	GrantMembershipInput struct {
		City     string
		Category MembershipCategory
		Since    time.Time
		// Secretariat defaults to the one serving the city's region.
		Secretariat string
		Note        string
		// RepresentativeTitle is the title of the official who represents the member in ICLEI, such as Mayor.
		RepresentativeTitle string
		// CityVersion is the version of the city the grant is based on.
		CityVersion int
	}
	ChangeMembershipInput struct {
		City        string
		Membership  string
		Category    MembershipCategory
		Status      MembershipStatus
		Secretariat string
		Note        string
		// RepresentativeTitle replaces the representative's title; empty keeps it.
		RepresentativeTitle string
		CityVersion         int
	}
	EndMembershipInput struct {
		City        string
		Membership  string
		Until       time.Time
		Note        string
		CityVersion int
	}
)

// Limits on text inputs, in characters.
const (
	maxName  = 200
	maxLine  = 300
	maxText  = 5000
	maxList  = 200
	maxKey   = 80
	minYear  = 1990
	maxPopul = 100_000_000
)

var keyPattern = regexp.MustCompile(`^[a-z0-9]+(?:-[a-z0-9]+)*$`)

// validator checks an input field by field and keeps the first failure, named by its path in the input.
type validator struct {
	prefix string
	err    *Error
}

func (v *validator) fail(field, format string, args ...any) {
	if v.err == nil {
		v.err = Invalid(v.prefix+field, format, args...)
	}
}

func (v *validator) failChoices(field, msg string, choices []string) {
	if v.err == nil {
		v.err = &Error{Code: CodeInvalidInput, Field: v.prefix + field, Message: msg, Choices: choices}
	}
}

// keep records err, if it is the first failure, naming its field by its path in the input.
func (v *validator) keep(err error) {
	var e *Error
	if v.err != nil || !errors.As(err, &e) {
		return
	}
	named := *e
	if named.Field != "" {
		named.Field = v.prefix + named.Field
	}
	v.err = &named
}

func (v *validator) result() error {
	if v.err == nil {
		return nil
	}
	return v.err
}

// text trims s and checks its length and characters.
func (v *validator) text(field, s string, required bool, max int) string {
	s = strings.TrimSpace(s)
	switch {
	case !utf8.ValidString(s):
		v.fail(field, "%s must be valid UTF-8 text", field)
	case s == "" && required:
		v.fail(field, "%s is required", field)
	case utf8.RuneCountInString(s) > max:
		v.fail(field, "%s must be at most %d characters long", field, max)
	case strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) && (max <= maxLine || r != '\n') }):
		v.fail(field, "%s must not contain control characters", field)
	}
	return s
}

// texts checks a list of texts, dropping empty ones.
func (v *validator) texts(field string, ss []string, max int) []string {
	if len(ss) > maxList {
		v.fail(field, "%s may hold at most %d entries", field, maxList)
		return nil
	}
	var out []string
	for _, s := range ss {
		if s = v.text(field, s, false, max); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// key checks a given key, or derives one from name when none is given. With neither, it leaves the error to
// the name's own check, which says what is missing.
func (v *validator) key(given, name string) string {
	if given == "" {
		if strings.TrimSpace(name) == "" {
			return ""
		}
		k := slug.Make(name)
		if len(k) > maxKey {
			k = strings.Trim(k[:maxKey], "-")
		}
		if !keyPattern.MatchString(k) {
			v.fail("key", "give a key: no key can be derived from the name %q", name)
		}
		return k
	}
	if len(given) > maxKey || !keyPattern.MatchString(given) {
		v.fail("key", "key must be lower-case letters and digits in words joined by single hyphens, at most %d characters, such as korea-office", maxKey)
	}
	return given
}

func (v *validator) country(field, code string, required bool) string {
	if code == "" {
		if required {
			v.fail(field, "%s is required: an ISO 3166-1 code such as KR", field)
		}
		return ""
	}
	c, err := CheckCountry(field, code)
	v.keep(err)
	return c
}

func (v *validator) region(s *Snapshot, field, code string) {
	v.keep(s.CheckRegion(field, code))
}

func checkEnum[E ~string](v *validator, field string, e E, valid []E, required bool) {
	if e == "" {
		if required {
			v.fail(field, "%s is required", field)
		}
		return
	}
	if !slices.Contains(valid, e) {
		names := make([]string, len(valid))
		for i, x := range valid {
			names[i] = string(x)
		}
		v.failChoices(field, "unknown "+field+" "+string(e)+"; valid values are "+strings.Join(names, ", "), names)
	}
}

// ref checks that a record of the kind with the key exists.
func (v *validator) ref(field, kind, key string, exists bool) {
	if key != "" && !exists {
		v.fail(field, "no %s with key %s", strings.ToLower(kind), quote(key))
	}
}

func (v *validator) phone(field, s, country string) *Phone {
	if s = strings.TrimSpace(s); s == "" {
		return nil
	}
	p, err := ParsePhone(field, s, country)
	v.keep(err)
	return p
}

func (v *validator) email(field, s string) string {
	if s = strings.TrimSpace(s); s == "" {
		return ""
	}
	e, err := ParseEmail(field, s)
	v.keep(err)
	return e
}

func (v *validator) website(field, s string) string {
	if s = strings.TrimSpace(s); s == "" {
		return ""
	}
	u, err := ParseWebsite(field, s)
	v.keep(err)
	return u
}

func (v *validator) location(field string, in *LocationInput) *Location {
	if in == nil {
		return nil
	}
	v.keep(CheckCoordinates(field+".", in.Latitude, in.Longitude))
	if math.IsInf(in.Latitude, 0) || math.IsInf(in.Longitude, 0) {
		v.fail(field, "coordinates must be finite")
	}
	p := in.Precision
	if p == "" {
		p = PrecisionCity
	}
	checkEnum(v, field+".precision", p, precisions, false)
	return &Location{Latitude: in.Latitude, Longitude: in.Longitude, Precision: p}
}

func (v *validator) date(field string, t time.Time, required bool) time.Time {
	switch {
	case t.IsZero() && required:
		v.fail(field, "%s is required", field)
	case !t.IsZero() && (t.Year() < minYear || t.Year() > 2200):
		v.fail(field, "%s must be between %d and 2200", field, minYear)
	}
	return t
}

func (v *validator) address(field string, in *AddressInput) *Address {
	if in == nil {
		return nil
	}
	a := &Address{
		Street:     v.texts(field+".street", in.Street, maxLine),
		Locality:   v.text(field+".locality", in.Locality, false, maxName),
		Province:   v.text(field+".province", in.Province, false, maxName),
		PostalCode: v.text(field+".postalCode", in.PostalCode, false, 20),
		Country:    v.country(field+".country", in.Country, true),
	}
	if len(a.Street) == 0 && a.Locality == "" {
		v.fail(field, "%s needs a street or a locality", field)
	}
	a.Lines = append(slices.Clone(a.Street), strings.TrimSpace(strings.Join(nonEmpty(a.PostalCode, a.Locality), " ")))
	if a.Province != "" {
		a.Lines = append(a.Lines, a.Province)
	}
	if c, ok := LookupCountry(a.Country); ok {
		a.Lines = append(a.Lines, c.Name(""))
	}
	a.Lines = nonEmpty(a.Lines...)
	return a
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

func (v *validator) institutions(s *Snapshot, field string, refs []InstitutionRef) []InstitutionRef {
	var out []InstitutionRef
	for _, r := range refs {
		checkEnum(v, field+".kind", r.Kind, []InstitutionKind{InstitutionSecretariat, InstitutionOrganization, InstitutionCity}, true)
		if r.Kind != "" && s.Institution(r) == nil {
			v.fail(field, "no %s with key %s", strings.ToLower(string(r.Kind)), quote(r.Key))
		}
		if slices.Contains(out, r) {
			v.fail(field, "%s names %s %q twice", field, strings.ToLower(string(r.Kind)), r.Key)
		}
		out = append(out, r)
	}
	return out
}

// office validates an office input against the snapshot.
func (in *OfficeInput) office(s *Snapshot) (*Office, error) {
	v := &validator{prefix: "input."}
	o := &Office{
		Key:         v.key(in.Key, in.Name),
		Name:        v.text("name", in.Name, true, maxName),
		Kind:        in.Kind,
		Region:      in.Region,
		Secretariat: in.Secretariat,
		Labels:      v.texts("labels", in.Labels, maxName),
	}
	checkEnum(v, "kind", in.Kind, officeKinds, true)
	v.region(s, "region", in.Region)
	v.ref("secretariat", KindSecretariat, in.Secretariat, s.Secretariat(in.Secretariat) != nil)
	o.Address = v.address("address", &in.Address)
	o.PostalAddress = v.address("postalAddress", in.PostalAddress)
	o.Phone = v.phone("phone", in.Phone, in.Address.Country)
	o.Fax = v.phone("fax", in.Fax, in.Address.Country)
	o.Email = v.email("email", in.Email)
	o.Website = v.website("website", in.Website)
	o.Location = v.location("location", in.Location)
	return o, v.result()
}

// city validates a city input against the snapshot. Its region is the one serving its country.
func (in *CityInput) city(s *Snapshot) (*City, error) {
	v := &validator{prefix: "input."}
	c := &City{
		Key:        v.key(in.Key, in.Name),
		Name:       v.text("name", in.Name, true, maxName),
		Government: v.text("government", in.Government, false, maxName),
		Kind:       in.Kind,
		Country:    v.country("country", in.Country, true),
		Parent:     in.Parent,
		Population: in.Population,
		Location:   v.location("location", in.Location),
	}
	if c.Kind == "" {
		c.Kind = CityMunicipality
	}
	checkEnum(v, "kind", c.Kind, cityKinds, false)
	if co, ok := LookupCountry(c.Country); ok {
		c.Region = co.Region
	}
	for _, n := range in.LocalNames {
		lang := v.text("localNames.lang", n.Lang, true, 35)
		if !validLanguageTag(lang) {
			v.fail("localNames.lang", "%q is not a BCP 47 language tag such as zh-Hans or ko", lang)
		}
		c.LocalNames = append(c.LocalNames, LocalName{Lang: lang, Name: v.text("localNames.name", n.Name, true, maxName)})
	}
	if in.Population < 0 || in.Population > maxPopul {
		v.fail("population", "population must be between 0 and %d", maxPopul)
	}
	if in.Parent != "" {
		v.ref("parent", KindCity, in.Parent, s.City(in.Parent) != nil)
		if in.Parent == c.Key {
			v.fail("parent", "a city cannot be its own parent")
		}
	}
	return c, v.result()
}

// program validates a program input against the snapshot. Its region defaults to the host city's.
func (in *ProgramInput) program(s *Snapshot) (*Program, error) {
	v := &validator{prefix: "input."}
	p := &Program{
		Key:           v.key(in.Key, in.Title),
		Title:         v.text("title", in.Title, true, maxLine),
		Kind:          in.Kind,
		Summary:       v.text("summary", in.Summary, false, maxText),
		HostCity:      in.HostCity,
		Region:        in.Region,
		StartDate:     v.date("startDate", in.StartDate, false),
		EndDate:       v.date("endDate", in.EndDate, false),
		Duration:      v.text("duration", in.Duration, false, maxName),
		DelegateCount: in.DelegateCount,
		Topics:        v.texts("topics", in.Topics, maxName),
		Highlights:    v.texts("highlights", in.Highlights, maxText),
	}
	checkEnum(v, "kind", in.Kind, programKinds, true)
	v.ref("hostCity", KindCity, in.HostCity, s.City(in.HostCity) != nil)
	if p.Region == "" {
		if c := s.City(in.HostCity); c != nil {
			p.Region = c.Region
		}
	}
	if p.Region != "" {
		v.region(s, "region", p.Region)
	}
	if !p.StartDate.IsZero() && !p.EndDate.IsZero() && p.EndDate.Before(p.StartDate) {
		v.fail("endDate", "endDate must not be before startDate")
	}
	if in.DelegateCount < 0 || in.DelegateCount > 100_000 {
		v.fail("delegateCount", "delegateCount must be between 0 and 100000")
	}
	p.Organizers = v.institutions(s, "organizers", in.Organizers)
	for _, c := range in.Participants {
		v.ref("participants", KindCity, c, s.City(c) != nil)
		if slices.Contains(p.Participants, c) {
			v.fail("participants", "participants names the city %q twice", c)
		}
		p.Participants = append(p.Participants, c)
	}
	for _, a := range in.Activities {
		checkEnum(v, "activities.kind", a.Kind, activityKinds, true)
		act := Activity{Kind: a.Kind, Title: v.text("activities.title", a.Title, true, maxLine),
			Description: v.text("activities.description", a.Description, false, maxText),
			Date:        v.date("activities.date", a.Date, false), Organizers: v.institutions(s, "activities.organizers", a.Organizers)}
		p.Activities = append(p.Activities, act)
	}
	for _, sv := range in.SiteVisits {
		v.ref("siteVisits.city", KindCity, sv.City, s.City(sv.City) != nil)
		p.SiteVisits = append(p.SiteVisits, SiteVisit{Name: v.text("siteVisits.name", sv.Name, true, maxLine),
			Description: v.text("siteVisits.description", sv.Description, false, maxText), City: sv.City})
	}
	for _, pp := range in.People {
		v.ref("people.person", KindPerson, pp.Person, s.Person(pp.Person) != nil)
		p.People = append(p.People, ProgramPerson{Person: pp.Person, Context: v.text("people.context", pp.Context, false, maxLine)})
	}
	for _, ph := range in.Photos {
		p.Photos = append(p.Photos, Photo{Caption: v.text("photos.caption", ph.Caption, true, maxLine),
			Credit: v.text("photos.credit", ph.Credit, false, maxName)})
	}
	if len(in.Activities) > maxList || len(in.Participants) > maxList*10 || len(in.SiteVisits) > maxList || len(in.People) > maxList || len(in.Photos) > maxList {
		v.fail("input", "a program may list at most %d activities, site visits, people and photos, and %d participants", maxList, maxList*10)
	}
	return p, v.result()
}

// organization validates an organization input against the snapshot.
func (in *OrganizationInput) organization(s *Snapshot) (*Organization, error) {
	v := &validator{prefix: "input."}
	o := &Organization{
		Key:       v.key(in.Key, in.Name),
		Name:      v.text("name", in.Name, true, maxName),
		ShortName: v.text("shortName", in.ShortName, false, 40),
		Kind:      v.text("kind", in.Kind, false, maxName),
		Country:   v.country("country", in.Country, false),
		City:      in.City,
		Website:   v.website("website", in.Website),
	}
	v.ref("city", KindCity, in.City, s.City(in.City) != nil)
	return o, v.result()
}

// person validates a person input against the snapshot.
func (in *PersonInput) person(s *Snapshot) (*Person, error) {
	v := &validator{prefix: "input."}
	p := &Person{Key: v.key(in.Key, in.Name), Name: v.text("name", in.Name, true, maxName)}
	for _, a := range in.Affiliations {
		refs := v.institutions(s, "affiliations.institution", []InstitutionRef{a.Institution})
		if len(refs) == 1 {
			p.Affiliations = append(p.Affiliations, Affiliation{Title: v.text("affiliations.title", a.Title, true, maxName), Institution: refs[0]})
		}
	}
	if len(in.Affiliations) > maxList {
		v.fail("affiliations", "a person may have at most %d affiliations", maxList)
	}
	return p, v.result()
}

func validLanguageTag(s string) bool {
	_, err := language.Parse(s)
	return err == nil
}
