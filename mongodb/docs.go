package mongodb

import (
	"time"

	"github.com/iclei/directory/directory"
)

// The documents the directory stores. Each record's _id is its stable key, so that every lookup and every
// versioned write is an _id equality, which FerretDB serves from its primary key. Field names are spelled out
// here, apart from the domain types, so that renaming a Go field never renames a stored field.

// Stamp is what every record document carries besides its content: its version, and which entry of the change
// log wrote it.
type Stamp struct {
	Version   int       `bson:"version"`
	UpdatedAt time.Time `bson:"updatedAt"`
	UpdatedBy string    `bson:"updatedBy"`
	// Rev is the revision of the change log entry that wrote the document.
	Rev int64 `bson:"rev"`
	// Revisions are the revisions of the change log that changed the record, up to Rev: the audit trail's
	// index, which a server starting from these collections takes over.
	Revisions []int64 `bson:"revisions,omitempty"`
	// LegacySeedHash is where documents written before the change log kept their seed hash.
	LegacySeedHash string `bson:"seedHash,omitempty"`
}

// stamped is a document with a Stamp.
type stamped interface{ stampRef() *Stamp }

func (s *Stamp) stampRef() *Stamp { return s }

type provenanceDoc struct {
	Origin   string      `bson:"origin"`
	Sources  []sourceDoc `bson:"sources,omitempty"`
	Curated  []string    `bson:"curated,omitempty"`
	Note     string      `bson:"note,omitempty"`
	SeedHash string      `bson:"seedHash,omitempty"`
}

type sourceDoc struct {
	File      string `bson:"file"`
	StartLine int    `bson:"startLine"`
	EndLine   int    `bson:"endLine"`
}

func provenanceFrom(p directory.Provenance) provenanceDoc {
	d := provenanceDoc{Origin: string(p.Origin), Curated: p.Curated, Note: p.Note, SeedHash: p.SeedHash}
	for _, s := range p.Sources {
		d.Sources = append(d.Sources, sourceDoc(s))
	}
	return d
}

func (d provenanceDoc) toDomain() directory.Provenance {
	p := directory.Provenance{Origin: directory.Origin(d.Origin), Curated: d.Curated, Note: d.Note, SeedHash: d.SeedHash}
	for _, s := range d.Sources {
		p.Sources = append(p.Sources, directory.SourceRef(s))
	}
	return p
}

// withLegacy returns the provenance, with the seed hash that documents written before the change log kept in
// their stamp: such a record counts as seeded, and seeding again brings it up to date once.
func (d provenanceDoc) withLegacy(st Stamp) directory.Provenance {
	p := d.toDomain()
	if p.SeedHash == "" && st.LegacySeedHash != "" {
		p.SeedHash = "legacy:" + st.LegacySeedHash
	}
	return p
}

type regionDoc struct {
	Code        string        `bson:"_id"`
	Name        string        `bson:"name"`
	Description string        `bson:"description,omitempty"`
	Provenance  provenanceDoc `bson:"provenance"`
	Stamp       `bson:",inline"`
}

func regionFrom(r *directory.Region) *regionDoc {
	return &regionDoc{Code: r.Code, Name: r.Name, Description: r.Description, Provenance: provenanceFrom(r.Provenance)}
}

func (d *regionDoc) toDomain() directory.Region {
	return directory.Region{Code: d.Code, Name: d.Name, Description: d.Description, Provenance: d.Provenance.withLegacy(d.Stamp)}
}

type secretariatDoc struct {
	Key        string        `bson:"_id"`
	Name       string        `bson:"name"`
	Kind       string        `bson:"kind"`
	Region     string        `bson:"region"`
	HeadOffice string        `bson:"headOffice"`
	Provenance provenanceDoc `bson:"provenance"`
	Stamp      `bson:",inline"`
}

func secretariatFrom(x *directory.Secretariat) *secretariatDoc {
	return &secretariatDoc{Key: x.Key, Name: x.Name, Kind: string(x.Kind), Region: x.Region, HeadOffice: x.HeadOffice,
		Provenance: provenanceFrom(x.Provenance)}
}

func (d *secretariatDoc) toDomain() directory.Secretariat {
	return directory.Secretariat{Key: d.Key, Name: d.Name, Kind: directory.SecretariatKind(d.Kind), Region: d.Region,
		HeadOffice: d.HeadOffice, Provenance: d.Provenance.withLegacy(d.Stamp)}
}

type addressDoc struct {
	Lines      []string `bson:"lines,omitempty"`
	Street     []string `bson:"street,omitempty"`
	Locality   string   `bson:"locality,omitempty"`
	Province   string   `bson:"province,omitempty"`
	PostalCode string   `bson:"postalCode,omitempty"`
	Country    string   `bson:"country"`
}

func addressFrom(a *directory.Address) *addressDoc {
	if a == nil {
		return nil
	}
	return &addressDoc{Lines: a.Lines, Street: a.Street, Locality: a.Locality, Province: a.Province, PostalCode: a.PostalCode, Country: a.Country}
}

func (d *addressDoc) toDomain() *directory.Address {
	if d == nil {
		return nil
	}
	return &directory.Address{Lines: d.Lines, Street: d.Street, Locality: d.Locality, Province: d.Province, PostalCode: d.PostalCode, Country: d.Country}
}

type phoneDoc struct {
	E164    string `bson:"e164"`
	Written string `bson:"written,omitempty"`
}

func phoneFrom(p *directory.Phone) *phoneDoc {
	if p == nil {
		return nil
	}
	return &phoneDoc{E164: p.E164, Written: p.Written}
}

func (d *phoneDoc) toDomain() *directory.Phone {
	if d == nil {
		return nil
	}
	return &directory.Phone{E164: d.E164, Written: d.Written}
}

type locationDoc struct {
	Latitude  float64 `bson:"latitude"`
	Longitude float64 `bson:"longitude"`
	Precision string  `bson:"precision"`
	Curated   bool    `bson:"curated"`
}

func locationFrom(l *directory.Location) *locationDoc {
	if l == nil {
		return nil
	}
	return &locationDoc{Latitude: l.Latitude, Longitude: l.Longitude, Precision: string(l.Precision), Curated: l.Curated}
}

func (d *locationDoc) toDomain() *directory.Location {
	if d == nil {
		return nil
	}
	return &directory.Location{Latitude: d.Latitude, Longitude: d.Longitude, Precision: directory.Precision(d.Precision), Curated: d.Curated}
}

type officeDoc struct {
	Key           string        `bson:"_id"`
	Name          string        `bson:"name"`
	Kind          string        `bson:"kind"`
	Region        string        `bson:"region"`
	Secretariat   string        `bson:"secretariat,omitempty"`
	Address       *addressDoc   `bson:"address,omitempty"`
	PostalAddress *addressDoc   `bson:"postalAddress,omitempty"`
	Phone         *phoneDoc     `bson:"phone,omitempty"`
	Fax           *phoneDoc     `bson:"fax,omitempty"`
	Email         string        `bson:"email,omitempty"`
	Website       string        `bson:"website,omitempty"`
	Location      *locationDoc  `bson:"location,omitempty"`
	Labels        []string      `bson:"labels,omitempty"`
	Provenance    provenanceDoc `bson:"provenance"`
	Stamp         `bson:",inline"`
}

func officeFrom(x *directory.Office) *officeDoc {
	return &officeDoc{Key: x.Key, Name: x.Name, Kind: string(x.Kind), Region: x.Region, Secretariat: x.Secretariat,
		Address: addressFrom(x.Address), PostalAddress: addressFrom(x.PostalAddress), Phone: phoneFrom(x.Phone),
		Fax: phoneFrom(x.Fax), Email: x.Email, Website: x.Website, Location: locationFrom(x.Location), Labels: x.Labels,
		Provenance: provenanceFrom(x.Provenance), Stamp: Stamp{Version: x.Version}}
}

func (d *officeDoc) toDomain() directory.Office {
	return directory.Office{Key: d.Key, Name: d.Name, Kind: directory.OfficeKind(d.Kind), Region: d.Region,
		Secretariat: d.Secretariat, Address: d.Address.toDomain(), PostalAddress: d.PostalAddress.toDomain(),
		Phone: d.Phone.toDomain(), Fax: d.Fax.toDomain(), Email: d.Email, Website: d.Website,
		Location: d.Location.toDomain(), Labels: d.Labels, Version: d.Version, Provenance: d.Provenance.withLegacy(d.Stamp)}
}

type localNameDoc struct {
	Lang string `bson:"lang"`
	Name string `bson:"name"`
}

type membershipDoc struct {
	ID          string    `bson:"id"`
	Category    string    `bson:"category"`
	Status      string    `bson:"status"`
	Since       time.Time `bson:"since"`
	Until       time.Time `bson:"until,omitempty"`
	Secretariat string    `bson:"secretariat,omitempty"`
	Application string    `bson:"application,omitempty"`
	Note        string    `bson:"note,omitempty"`
	// RepresentativeTitle is the title of the member's representative in ICLEI, such as Mayor.
	RepresentativeTitle string `bson:"representativeTitle,omitempty"`
}

type cityDoc struct {
	Key         string          `bson:"_id"`
	Name        string          `bson:"name"`
	LocalNames  []localNameDoc  `bson:"localNames,omitempty"`
	Government  string          `bson:"government,omitempty"`
	Kind        string          `bson:"kind"`
	Country     string          `bson:"country"`
	Region      string          `bson:"region"`
	Parent      string          `bson:"parent,omitempty"`
	Population  int             `bson:"population,omitempty"`
	Location    *locationDoc    `bson:"location,omitempty"`
	Memberships []membershipDoc `bson:"memberships,omitempty"`
	Provenance  provenanceDoc   `bson:"provenance"`
	Stamp       `bson:",inline"`
}

func cityFrom(x *directory.City) *cityDoc {
	d := &cityDoc{Key: x.Key, Name: x.Name, Government: x.Government, Kind: string(x.Kind), Country: x.Country,
		Region: x.Region, Parent: x.Parent, Population: x.Population, Location: locationFrom(x.Location),
		Provenance: provenanceFrom(x.Provenance), Stamp: Stamp{Version: x.Version}}
	for _, n := range x.LocalNames {
		d.LocalNames = append(d.LocalNames, localNameDoc(n))
	}
	for _, m := range x.Memberships {
		d.Memberships = append(d.Memberships, membershipDoc{ID: m.ID, Category: string(m.Category), Status: string(m.Status),
			Since: m.Since, Until: m.Until, Secretariat: m.Secretariat, Application: m.Application, Note: m.Note,
			RepresentativeTitle: m.RepresentativeTitle})
	}
	return d
}

func (d *cityDoc) toDomain() directory.City {
	c := directory.City{Key: d.Key, Name: d.Name, Government: d.Government, Kind: directory.CityKind(d.Kind),
		Country: d.Country, Region: d.Region, Parent: d.Parent, Population: d.Population, Location: d.Location.toDomain(),
		Version: d.Version, Provenance: d.Provenance.withLegacy(d.Stamp)}
	for _, n := range d.LocalNames {
		c.LocalNames = append(c.LocalNames, directory.LocalName(n))
	}
	for _, m := range d.Memberships {
		c.Memberships = append(c.Memberships, directory.Membership{ID: m.ID, City: d.Key,
			Category: directory.MembershipCategory(m.Category), Status: directory.MembershipStatus(m.Status),
			Since: m.Since.UTC(), Until: utc(m.Until), Secretariat: m.Secretariat, Application: m.Application, Note: m.Note,
			RepresentativeTitle: m.RepresentativeTitle})
	}
	return c
}

// utc returns t in UTC, keeping the zero time zero.
func utc(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}

type institutionDoc struct {
	Kind string `bson:"kind"`
	Key  string `bson:"key"`
}

func institutionsFrom(refs []directory.InstitutionRef) []institutionDoc {
	var ds []institutionDoc
	for _, r := range refs {
		ds = append(ds, institutionDoc{Kind: string(r.Kind), Key: r.Key})
	}
	return ds
}

func institutionsToDomain(ds []institutionDoc) []directory.InstitutionRef {
	var refs []directory.InstitutionRef
	for _, d := range ds {
		refs = append(refs, directory.InstitutionRef{Kind: directory.InstitutionKind(d.Kind), Key: d.Key})
	}
	return refs
}

type activityDoc struct {
	Kind        string           `bson:"kind"`
	Title       string           `bson:"title"`
	Description string           `bson:"description,omitempty"`
	Date        time.Time        `bson:"date,omitempty"`
	Organizers  []institutionDoc `bson:"organizers,omitempty"`
}

type siteVisitDoc struct {
	Name        string `bson:"name"`
	Description string `bson:"description,omitempty"`
	City        string `bson:"city,omitempty"`
}

type programPersonDoc struct {
	Person  string `bson:"person"`
	Context string `bson:"context,omitempty"`
}

type photoDoc struct {
	Caption string `bson:"caption"`
	Credit  string `bson:"credit,omitempty"`
}

type programDoc struct {
	Key           string             `bson:"_id"`
	Title         string             `bson:"title"`
	Kind          string             `bson:"kind"`
	Summary       string             `bson:"summary,omitempty"`
	HostCity      string             `bson:"hostCity,omitempty"`
	Region        string             `bson:"region,omitempty"`
	StartDate     time.Time          `bson:"startDate,omitempty"`
	EndDate       time.Time          `bson:"endDate,omitempty"`
	Duration      string             `bson:"duration,omitempty"`
	Organizers    []institutionDoc   `bson:"organizers,omitempty"`
	Participants  []string           `bson:"participants,omitempty"`
	DelegateCount int                `bson:"delegateCount,omitempty"`
	Topics        []string           `bson:"topics,omitempty"`
	Activities    []activityDoc      `bson:"activities,omitempty"`
	SiteVisits    []siteVisitDoc     `bson:"siteVisits,omitempty"`
	People        []programPersonDoc `bson:"people,omitempty"`
	Highlights    []string           `bson:"highlights,omitempty"`
	Photos        []photoDoc         `bson:"photos,omitempty"`
	Provenance    provenanceDoc      `bson:"provenance"`
	Stamp         `bson:",inline"`
}

func programFrom(x *directory.Program) *programDoc {
	d := &programDoc{Key: x.Key, Title: x.Title, Kind: string(x.Kind), Summary: x.Summary, HostCity: x.HostCity,
		Region: x.Region, StartDate: x.StartDate, EndDate: x.EndDate, Duration: x.Duration,
		Organizers: institutionsFrom(x.Organizers), Participants: x.Participants, DelegateCount: x.DelegateCount,
		Topics: x.Topics, Highlights: x.Highlights, Provenance: provenanceFrom(x.Provenance), Stamp: Stamp{Version: x.Version}}
	for _, a := range x.Activities {
		d.Activities = append(d.Activities, activityDoc{Kind: string(a.Kind), Title: a.Title, Description: a.Description,
			Date: a.Date, Organizers: institutionsFrom(a.Organizers)})
	}
	for _, v := range x.SiteVisits {
		d.SiteVisits = append(d.SiteVisits, siteVisitDoc(v))
	}
	for _, p := range x.People {
		d.People = append(d.People, programPersonDoc(p))
	}
	for _, p := range x.Photos {
		d.Photos = append(d.Photos, photoDoc(p))
	}
	return d
}

func (d *programDoc) toDomain() directory.Program {
	p := directory.Program{Key: d.Key, Title: d.Title, Kind: directory.ProgramKind(d.Kind), Summary: d.Summary,
		HostCity: d.HostCity, Region: d.Region, StartDate: utc(d.StartDate), EndDate: utc(d.EndDate), Duration: d.Duration,
		Organizers: institutionsToDomain(d.Organizers), Participants: d.Participants, DelegateCount: d.DelegateCount,
		Topics: d.Topics, Highlights: d.Highlights, Version: d.Version, Provenance: d.Provenance.withLegacy(d.Stamp)}
	for _, a := range d.Activities {
		p.Activities = append(p.Activities, directory.Activity{Kind: directory.ActivityKind(a.Kind), Title: a.Title,
			Description: a.Description, Date: utc(a.Date), Organizers: institutionsToDomain(a.Organizers)})
	}
	for _, v := range d.SiteVisits {
		p.SiteVisits = append(p.SiteVisits, directory.SiteVisit(v))
	}
	for _, pp := range d.People {
		p.People = append(p.People, directory.ProgramPerson(pp))
	}
	for _, ph := range d.Photos {
		p.Photos = append(p.Photos, directory.Photo(ph))
	}
	return p
}

type organizationDoc struct {
	Key        string        `bson:"_id"`
	Name       string        `bson:"name"`
	ShortName  string        `bson:"shortName,omitempty"`
	Kind       string        `bson:"kind,omitempty"`
	Country    string        `bson:"country,omitempty"`
	City       string        `bson:"city,omitempty"`
	Website    string        `bson:"website,omitempty"`
	Provenance provenanceDoc `bson:"provenance"`
	Stamp      `bson:",inline"`
}

func organizationFrom(x *directory.Organization) *organizationDoc {
	return &organizationDoc{Key: x.Key, Name: x.Name, ShortName: x.ShortName, Kind: x.Kind, Country: x.Country,
		City: x.City, Website: x.Website, Provenance: provenanceFrom(x.Provenance), Stamp: Stamp{Version: x.Version}}
}

func (d *organizationDoc) toDomain() directory.Organization {
	return directory.Organization{Key: d.Key, Name: d.Name, ShortName: d.ShortName, Kind: d.Kind, Country: d.Country,
		City: d.City, Website: d.Website, Version: d.Version, Provenance: d.Provenance.withLegacy(d.Stamp)}
}

type affiliationDoc struct {
	Title       string         `bson:"title"`
	Institution institutionDoc `bson:"institution"`
}

type personDoc struct {
	Key          string           `bson:"_id"`
	Name         string           `bson:"name"`
	Affiliations []affiliationDoc `bson:"affiliations,omitempty"`
	Provenance   provenanceDoc    `bson:"provenance"`
	Stamp        `bson:",inline"`
}

func personFrom(x *directory.Person) *personDoc {
	d := &personDoc{Key: x.Key, Name: x.Name, Provenance: provenanceFrom(x.Provenance), Stamp: Stamp{Version: x.Version}}
	for _, a := range x.Affiliations {
		d.Affiliations = append(d.Affiliations, affiliationDoc{Title: a.Title,
			Institution: institutionDoc{Kind: string(a.Institution.Kind), Key: a.Institution.Key}})
	}
	return d
}

func (d *personDoc) toDomain() directory.Person {
	p := directory.Person{Key: d.Key, Name: d.Name, Version: d.Version, Provenance: d.Provenance.withLegacy(d.Stamp)}
	for _, a := range d.Affiliations {
		p.Affiliations = append(p.Affiliations, directory.Affiliation{Title: a.Title,
			Institution: directory.InstitutionRef{Kind: directory.InstitutionKind(a.Institution.Kind), Key: a.Institution.Key}})
	}
	return p
}
