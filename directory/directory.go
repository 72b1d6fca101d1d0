// Package directory is the domain of the ICLEI directory: the regions of ICLEI – Local Governments for
// Sustainability, its secretariats and offices, member cities and their memberships, the programs they run
// together, and the partner organizations and people involved.
//
// Public reads are answered from a Snapshot, an immutable in-memory read model with lookup indexes, which the
// ReadModel keeps up with the change log. Writes are validated and authorized by the Writer and appended to the
// change log as one Entry each, through the Log interface; its adapter lives in package mongodb, and MemoryLog
// keeps one in memory for tests. docs/architecture.md draws the whole path.
package directory

import "time"

// Kinds of record. They name the record types in global IDs, errors, the audit trail and search results.
const (
	KindRegion       = "Region"
	KindSecretariat  = "Secretariat"
	KindOffice       = "Office"
	KindCity         = "City"
	KindMembership   = "Membership"
	KindProgram      = "Program"
	KindOrganization = "Organization"
	KindPerson       = "Person"
	KindCountry      = "Country"
	KindApplication  = "MembershipApplication"
)

// Region is one of ICLEI's nine regions, or the global level of the World Secretariat.
type Region struct {
	Code        string
	Name        string
	Description string
	Provenance  Provenance
}

// SecretariatKind tells the World Secretariat from the regional secretariats.
type SecretariatKind string

const (
	SecretariatWorld    SecretariatKind = "WORLD"
	SecretariatRegional SecretariatKind = "REGIONAL"
)

// Secretariat is the World Secretariat or a regional secretariat. Its head office is the office that bears its
// name in the listing; it may run further offices.
type Secretariat struct {
	Key        string
	Name       string
	Kind       SecretariatKind
	Region     string
	HeadOffice string
	Provenance Provenance
}

// OfficeKind says what an office is within ICLEI.
type OfficeKind string

const (
	OfficeWorldSecretariat    OfficeKind = "WORLD_SECRETARIAT"
	OfficeRegionalSecretariat OfficeKind = "REGIONAL_SECRETARIAT"
	OfficeCountry             OfficeKind = "COUNTRY_OFFICE"
	OfficeProject             OfficeKind = "PROJECT_OFFICE"
	OfficeCity                OfficeKind = "CITY_OFFICE"
)

// officeKinds lists every office kind.
var officeKinds = []OfficeKind{OfficeWorldSecretariat, OfficeRegionalSecretariat, OfficeCountry, OfficeProject, OfficeCity}

// Office is a place where ICLEI staff can be reached.
type Office struct {
	Key  string
	Name string
	Kind OfficeKind
	// Region is the region the office serves.
	Region string
	// Secretariat is the key of the secretariat that runs the office; empty where none does (the North American
	// offices are run by their national organisations).
	Secretariat   string
	Address       *Address
	PostalAddress *Address
	Phone         *Phone
	Fax           *Phone
	Email         string
	Website       string
	Location      *Location
	// Labels are further names the source uses for the office.
	Labels     []string
	Version    int
	Provenance Provenance
}

// Address is a postal or physical address. Lines keep the address as written in the source; the other fields are
// the same address taken apart.
type Address struct {
	Lines      []string
	Street     []string
	Locality   string
	Province   string
	PostalCode string
	// Country is an ISO 3166-1 alpha-2 code.
	Country string
}

// Phone is a telephone or fax number.
type Phone struct {
	// E164 is the number in E.164 form, such as +4922897629900.
	E164 string
	// Written is the number as the source or the client wrote it.
	Written string
}

// Location is a point on the WGS 84 ellipsoid.
type Location struct {
	Latitude  float64
	Longitude float64
	Precision Precision
	// Curated is true when the coordinates were added by the directory's curators rather than read from a source.
	Curated bool
}

// Precision says how exactly a location pins a place.
type Precision string

const (
	PrecisionBuilding Precision = "BUILDING"
	PrecisionStreet   Precision = "STREET"
	PrecisionDistrict Precision = "DISTRICT"
	PrecisionCity     Precision = "CITY"
)

// precisions lists every precision.
var precisions = []Precision{PrecisionBuilding, PrecisionStreet, PrecisionDistrict, PrecisionCity}

// CityKind says what kind of local or regional government a city is.
type CityKind string

const (
	CityMunicipality       CityKind = "MUNICIPALITY"
	CityDistrict           CityKind = "DISTRICT"
	CityRegionalGovernment CityKind = "REGIONAL_GOVERNMENT"
)

// cityKinds lists every city kind.
var cityKinds = []CityKind{CityMunicipality, CityDistrict, CityRegionalGovernment}

// City is a local or regional government.
type City struct {
	Key        string
	Name       string
	LocalNames []LocalName
	// Government is the name the city's government goes by, such as "Seoul Metropolitan Government".
	Government string
	Kind       CityKind
	Country    string
	Region     string
	// Parent is the key of the city a district belongs to.
	Parent      string
	Population  int
	Location    *Location
	Memberships []Membership
	Version     int
	Provenance  Provenance
}

// LocalName is a city's name in a local language.
type LocalName struct {
	// Lang is a BCP 47 language tag, such as zh-Hans or ko.
	Lang string
	Name string
}

// MembershipCategory is the category of an ICLEI membership.
type MembershipCategory string

const (
	MembershipFull      MembershipCategory = "FULL"
	MembershipAssociate MembershipCategory = "ASSOCIATE"
)

// membershipCategories lists every membership category.
var membershipCategories = []MembershipCategory{MembershipFull, MembershipAssociate}

// MembershipStatus is the state of an ICLEI membership.
type MembershipStatus string

const (
	MembershipActive    MembershipStatus = "ACTIVE"
	MembershipSuspended MembershipStatus = "SUSPENDED"
	MembershipEnded     MembershipStatus = "ENDED"
)

// membershipStatuses lists every membership status.
var membershipStatuses = []MembershipStatus{MembershipActive, MembershipSuspended, MembershipEnded}

// Membership is a city's ICLEI membership. A city keeps its past memberships; at most one is not ended.
type Membership struct {
	// ID identifies the membership within its city.
	ID string
	// City is the key of the member city.
	City     string
	Category MembershipCategory
	Status   MembershipStatus
	Since    time.Time
	// Until is when an ended membership ended; zero otherwise.
	Until time.Time
	// Secretariat is the key of the secretariat that serves the member.
	Secretariat string
	// Application is the reference of the application the membership was granted on, if any.
	Application string
	Note        string
	// RepresentativeTitle is the title of the official who represents the member in ICLEI, such as Mayor or
	// Governor; empty where it is not known.
	RepresentativeTitle string
}

// ProgramKind says what kind of program a program is.
type ProgramKind string

const (
	ProgramCapacityBuilding ProgramKind = "CAPACITY_BUILDING"
	ProgramConference       ProgramKind = "CONFERENCE"
	ProgramProject          ProgramKind = "PROJECT"
	ProgramCampaign         ProgramKind = "CAMPAIGN"
)

// programKinds lists every program kind.
var programKinds = []ProgramKind{ProgramCapacityBuilding, ProgramConference, ProgramProject, ProgramCampaign}

// Program is a program that ICLEI runs with local governments and partners.
type Program struct {
	Key      string
	Title    string
	Kind     ProgramKind
	Summary  string
	HostCity string
	Region   string
	// StartDate and EndDate are zero where the source does not give them.
	StartDate time.Time
	EndDate   time.Time
	// Duration is the length as the source words it, such as "week-long".
	Duration      string
	Organizers    []InstitutionRef
	Participants  []string // city keys
	DelegateCount int
	Topics        []string
	Activities    []Activity
	SiteVisits    []SiteVisit
	People        []ProgramPerson
	Highlights    []string
	Photos        []Photo
	Version       int
	Provenance    Provenance
}

// Year is the year the program ran in, or 0 when no date is known.
func (p *Program) Year() int {
	switch {
	case !p.StartDate.IsZero():
		return p.StartDate.Year()
	case !p.EndDate.IsZero():
		return p.EndDate.Year()
	}
	return 0
}

// ActivityKind says what kind of activity a program activity is.
type ActivityKind string

const (
	ActivityLecture    ActivityKind = "LECTURE"
	ActivityDiscussion ActivityKind = "DISCUSSION"
	ActivityFieldVisit ActivityKind = "FIELD_VISIT"
	ActivitySeminar    ActivityKind = "SEMINAR"
	ActivityCeremony   ActivityKind = "CEREMONY"
	ActivityWorkshop   ActivityKind = "WORKSHOP"
)

// activityKinds lists every activity kind.
var activityKinds = []ActivityKind{ActivityLecture, ActivityDiscussion, ActivityFieldVisit, ActivitySeminar, ActivityCeremony, ActivityWorkshop}

// Activity is part of a program.
type Activity struct {
	Kind        ActivityKind
	Title       string
	Description string
	// Date is zero where the source does not give it.
	Date       time.Time
	Organizers []InstitutionRef
}

// SiteVisit is a place program participants visited.
type SiteVisit struct {
	Name        string
	Description string
	// City is the key of the city the site is in.
	City string
}

// ProgramPerson is a person named in connection with a program.
type ProgramPerson struct {
	Person string // person key
	// Context says how the source names the person, such as "at the opening ceremony".
	Context string
}

// Photo is a photograph published with a program, known by its caption.
type Photo struct {
	Caption string
	Credit  string
}

// InstitutionKind says which kind of record an InstitutionRef points at.
type InstitutionKind string

const (
	InstitutionSecretariat  InstitutionKind = "SECRETARIAT"
	InstitutionOrganization InstitutionKind = "ORGANIZATION"
	InstitutionCity         InstitutionKind = "CITY"
)

// InstitutionRef points at a secretariat, a partner organization or a city (a local government acting as an
// institution, such as the Seoul Metropolitan Government).
type InstitutionRef struct {
	Kind InstitutionKind
	Key  string
}

// Organization is a partner organization.
type Organization struct {
	Key       string
	Name      string
	ShortName string
	Kind      string
	Country   string
	// City is the key of the city the organization is based in, if it is in the directory.
	City       string
	Website    string
	Version    int
	Provenance Provenance
}

// Person is a person named in the directory.
type Person struct {
	Key          string
	Name         string
	Affiliations []Affiliation
	Version      int
	Provenance   Provenance
}

// Affiliation is a person's role at an institution.
type Affiliation struct {
	Title       string
	Institution InstitutionRef
}

// Origin says how a record came into the directory.
type Origin string

const (
	OriginSeed  Origin = "SEED"
	OriginWrite Origin = "WRITE"
	// OriginImport marks a record last written by a roster import; its sources name the roster's file and line.
	OriginImport Origin = "IMPORT"
)

// Provenance says where a record's facts came from.
type Provenance struct {
	Origin Origin
	// Sources are the passages of source documents the record was read from.
	Sources []SourceRef
	// Curated names the fields whose values the directory's curators added beyond the source text (a
	// coordinate, an ISO code, a name the source does not give).
	Curated []string
	Note    string
	// SeedHash identifies the seed content a seeded record was last written from, so that seeding again can tell
	// an unchanged record from one the seed changed; it is empty once a record is edited through the API.
	SeedHash string
}

// SourceRef points at lines of a source document.
type SourceRef struct {
	File      string
	StartLine int
	EndLine   int
}
