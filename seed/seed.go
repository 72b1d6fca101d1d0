// Package seed holds the directory's seed data: ICLEI's address listing and news item exactly as published
// (source/), the facts curators added beyond them (curated.json), the parser that reads the listing, and the
// loading of it all into a store.
package seed

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/iclei/directory/directory"
)

// SourceFile is the name of the source document in source/, as provenance records name it.
const SourceFile = "iclei-news-and-office-listing.txt"

//go:embed source/iclei-news-and-office-listing.txt curated.json
var files embed.FS

// Source returns the source document as shipped.
func Source() []byte {
	b, err := files.ReadFile("source/" + SourceFile)
	if err != nil {
		panic(err) // embedded at build time
	}
	return b
}

type (
	span  [2]int
	place struct {
		Latitude  float64             `json:"latitude"`
		Longitude float64             `json:"longitude"`
		Precision directory.Precision `json:"precision"`
	}
	meta struct {
		Sources []span   `json:"sources"`
		Curated []string `json:"curated"`
		Note    string   `json:"note"`
	}
	institution struct {
		Kind directory.InstitutionKind `json:"kind"`
		Key  string                    `json:"key"`
	}
	curatedFile struct {
		Source           string `json:"source"`
		ListingFirstLine int    `json:"listingFirstLine"`
		Note             string `json:"note"`
		Regions          []struct {
			Code string `json:"code"`
			Name string `json:"name"`
			Note string `json:"note"`
		} `json:"regions"`
		Offices       []curatedOffice  `json:"offices"`
		Cities        []curatedCity    `json:"cities"`
		Organizations []curatedOrg     `json:"organizations"`
		People        []curatedPerson  `json:"people"`
		Programs      []curatedProgram `json:"programs"`
	}
	curatedOffice struct {
		ListingName string               `json:"listingName"`
		Key         string               `json:"key"`
		Name        string               `json:"name"`
		Kind        directory.OfficeKind `json:"kind"`
		Region      string               `json:"region"`
		Secretariat string               `json:"secretariat"`
		Address     struct {
			Locality   string `json:"locality"`
			Province   string `json:"province"`
			PostalCode string `json:"postalCode"`
			Country    string `json:"country"`
		} `json:"address"`
		Location place  `json:"location"`
		Note     string `json:"note"`
	}
	curatedCity struct {
		Key        string                `json:"key"`
		Name       string                `json:"name"`
		LocalNames []directory.LocalName `json:"localNames"`
		Government string                `json:"government"`
		Kind       directory.CityKind    `json:"kind"`
		Country    string                `json:"country"`
		Parent     string                `json:"parent"`
		Location   place                 `json:"location"`
		meta
	}
	curatedOrg struct {
		Key       string `json:"key"`
		Name      string `json:"name"`
		ShortName string `json:"shortName"`
		Country   string `json:"country"`
		City      string `json:"city"`
		meta
	}
	curatedPerson struct {
		Key          string `json:"key"`
		Name         string `json:"name"`
		Affiliations []struct {
			Title       string      `json:"title"`
			Institution institution `json:"institution"`
		} `json:"affiliations"`
		meta
	}
	curatedProgram struct {
		Key           string                `json:"key"`
		Title         string                `json:"title"`
		Kind          directory.ProgramKind `json:"kind"`
		Summary       string                `json:"summary"`
		HostCity      string                `json:"hostCity"`
		Region        string                `json:"region"`
		StartDate     string                `json:"startDate"`
		EndDate       string                `json:"endDate"`
		Duration      string                `json:"duration"`
		Organizers    []institution         `json:"organizers"`
		Participants  []string              `json:"participants"`
		DelegateCount int                   `json:"delegateCount"`
		Topics        []string              `json:"topics"`
		Activities    []struct {
			Kind        directory.ActivityKind `json:"kind"`
			Title       string                 `json:"title"`
			Description string                 `json:"description"`
			Date        string                 `json:"date"`
			Organizers  []institution          `json:"organizers"`
		} `json:"activities"`
		SiteVisits []directory.SiteVisit `json:"siteVisits"`
		People     []struct {
			Person  string `json:"person"`
			Context string `json:"context"`
		} `json:"people"`
		Highlights []string          `json:"highlights"`
		Photos     []directory.Photo `json:"photos"`
		meta
	}
)

// Build reads the listing and the curated facts and returns the directory they make, and the parsed listing.
func Build() (*directory.Data, *Listing, error) {
	raw, err := files.ReadFile("curated.json")
	if err != nil {
		return nil, nil, err
	}
	var c curatedFile
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return nil, nil, fmt.Errorf("read curated.json: %w", err)
	}
	if c.Source != SourceFile {
		return nil, nil, fmt.Errorf("curated.json describes %q, not %q", c.Source, SourceFile)
	}
	headings := map[string]string{}
	for _, r := range c.Regions {
		headings[directory.Fold(r.Name)] = r.Code
	}
	listing, err := ParseListing(bytes.NewReader(Source()), c.ListingFirstLine, func(s string) bool {
		_, ok := headings[directory.Fold(s)]
		return ok
	})
	if err != nil {
		return nil, nil, err
	}
	b := &builder{headings: headings, data: &directory.Data{}}
	for _, r := range c.Regions {
		b.region(r.Code, r.Name, r.Note, listing)
	}
	if err := b.offices(c.Offices, listing); err != nil {
		return nil, nil, err
	}
	for _, x := range c.Cities {
		if err := b.city(x); err != nil {
			return nil, nil, err
		}
	}
	for _, x := range c.Organizations {
		b.data.Organizations = append(b.data.Organizations, directory.Organization{
			Key: x.Key, Name: x.Name, ShortName: x.ShortName, Country: x.Country, City: x.City, Version: 1,
			Provenance: x.meta.provenance(),
		})
	}
	for _, x := range c.People {
		p := directory.Person{Key: x.Key, Name: x.Name, Version: 1, Provenance: x.meta.provenance()}
		for _, a := range x.Affiliations {
			p.Affiliations = append(p.Affiliations, directory.Affiliation{Title: a.Title, Institution: a.Institution.ref()})
		}
		b.data.People = append(b.data.People, p)
	}
	for _, x := range c.Programs {
		if err := b.program(x); err != nil {
			return nil, nil, err
		}
	}
	if err := directory.CheckData(b.data); err != nil {
		return nil, nil, fmt.Errorf("seed data: %w", err)
	}
	return b.data, listing, nil
}

type builder struct {
	headings map[string]string // folded heading -> region code
	data     *directory.Data
}

func (m meta) provenance(defaultCurated ...string) directory.Provenance {
	p := directory.Provenance{Origin: directory.OriginSeed, Note: m.Note, Curated: m.Curated}
	if p.Curated == nil {
		p.Curated = defaultCurated
	}
	for _, s := range m.Sources {
		p.Sources = append(p.Sources, directory.SourceRef{File: SourceFile, StartLine: s[0], EndLine: s[1]})
	}
	return p
}

func (i institution) ref() directory.InstitutionRef {
	return directory.InstitutionRef{Kind: i.Kind, Key: i.Key}
}

func (p place) location() *directory.Location {
	return &directory.Location{Latitude: p.Latitude, Longitude: p.Longitude, Precision: p.Precision, Curated: true}
}

func (b *builder) region(code, name, note string, l *Listing) {
	r := directory.Region{Code: code, Name: name, Provenance: directory.Provenance{
		Origin: directory.OriginSeed, Note: note, Curated: []string{"code", "name"},
	}}
	seen := map[int]bool{}
	for _, o := range l.Offices {
		if o.Heading != nil && b.headings[directory.Fold(o.Heading.Text)] == code && !seen[o.Heading.N] {
			seen[o.Heading.N] = true
			r.Provenance.Sources = append(r.Provenance.Sources, directory.SourceRef{File: SourceFile, StartLine: o.Heading.N, EndLine: o.Heading.N})
		}
	}
	b.data.Regions = append(b.data.Regions, r)
}

// offices joins the listed offices with their curated facts. Every listed office must have curated facts and
// every curated office must be listed.
func (b *builder) offices(curated []curatedOffice, l *Listing) error {
	byName := map[string]*ListedOffice{}
	for i := range l.Offices {
		o := &l.Offices[i]
		name := ""
		if o.Name != nil {
			name = directory.Fold(o.Name.Text)
		}
		byName[name] = o
	}
	used := map[string]bool{}
	for _, c := range curated {
		name := directory.Fold(c.ListingName)
		lo := byName[name]
		if lo == nil {
			return fmt.Errorf("curated office %s: the listing has no office named %q", c.Key, c.ListingName)
		}
		used[name] = true
		o, err := b.office(c, lo)
		if err != nil {
			return fmt.Errorf("office %s: %w", c.Key, err)
		}
		b.data.Offices = append(b.data.Offices, *o)
		if o.Kind == directory.OfficeWorldSecretariat || o.Kind == directory.OfficeRegionalSecretariat {
			kind := directory.SecretariatRegional
			if o.Kind == directory.OfficeWorldSecretariat {
				kind = directory.SecretariatWorld
			}
			b.data.Secretariats = append(b.data.Secretariats, directory.Secretariat{
				Key: o.Key, Name: o.Name, Kind: kind, Region: o.Region, HeadOffice: o.Key, Provenance: o.Provenance,
			})
		}
	}
	for name, o := range byName {
		if !used[name] {
			return fmt.Errorf("listed office at line %d has no curated facts in curated.json", o.FirstLine)
		}
	}
	return nil
}

func (b *builder) office(c curatedOffice, lo *ListedOffice) (*directory.Office, error) {
	prov := directory.Provenance{Origin: directory.OriginSeed, Note: c.Note,
		Sources: []directory.SourceRef{{File: SourceFile, StartLine: lo.FirstLine, EndLine: lo.LastLine}}}
	curate := func(field string) { prov.Curated = append(prov.Curated, field) }
	o := &directory.Office{Key: c.Key, Kind: lo.Kind, Secretariat: c.Secretariat, Version: 1, Location: c.Location.location()}
	curate("location")
	if lo.Name != nil {
		o.Name = lo.Name.Text
	}
	if c.Name != "" && c.Name != o.Name {
		o.Name = c.Name
		curate("name")
		if lo.Name != nil {
			o.Labels = append(o.Labels, lo.Name.Text)
		}
	}
	for _, l := range lo.Labels {
		o.Labels = append(o.Labels, l.Text)
	}
	if c.Kind != "" && c.Kind != o.Kind {
		o.Kind = c.Kind
		curate("kind")
	}
	headingRegion := ""
	if lo.Heading != nil {
		headingRegion = b.headings[directory.Fold(lo.Heading.Text)]
	}
	o.Region = headingRegion
	if c.Region != "" && c.Region != headingRegion {
		o.Region = c.Region
		curate("region")
	}
	if o.Secretariat != "" {
		curate("secretariat")
	}
	country := lo.Country
	if country == "" {
		if country = c.Address.Country; country == "" {
			return nil, fmt.Errorf("the listing names no country and curated.json gives none")
		}
		curate("address.country")
	} else if c.Address.Country != "" && c.Address.Country != country {
		return nil, fmt.Errorf("curated country %s differs from the listing's %s", c.Address.Country, country)
	}
	var err error
	if o.Address, err = structure(lo.Address, country, c.Address.Locality, c.Address.Province, c.Address.PostalCode); err != nil {
		return nil, fmt.Errorf("address: %w", err)
	}
	if len(lo.PostalAddress) > 0 {
		pc := lo.PostalCountry
		if pc == "" {
			pc = country
			curate("postalAddress.country")
		}
		if o.PostalAddress, err = structure(lo.PostalAddress, pc, "", "", ""); err != nil {
			return nil, fmt.Errorf("postal address: %w", err)
		}
	}
	if lo.Phone != nil {
		if o.Phone, err = directory.ParsePhone("phone", lo.Phone.Text, country); err != nil {
			return nil, err
		}
	}
	if lo.Fax != nil {
		if o.Fax, err = directory.ParsePhone("fax", lo.Fax.Text, country); err != nil {
			return nil, err
		}
	}
	if lo.Website != nil {
		if o.Website, err = directory.ParseWebsite("website", lo.Website.Text); err != nil {
			return nil, err
		}
	}
	if lo.Email != nil {
		if o.Email, err = directory.ParseEmail("email", lo.Email.Text); err != nil {
			return nil, err
		}
	}
	o.Provenance = prov
	return o, nil
}

// structure takes an address apart. The locality, province and postal code are named by the curators and must
// stand in the address as written (the last occurrence is taken: "Seoul" in "…Seoul Global Center…, Seoul");
// what remains of each line, less the country's name, is the street.
func structure(lines []Line, country, locality, province, postal string) (*directory.Address, error) {
	a := &directory.Address{Locality: locality, Province: province, PostalCode: postal, Country: country}
	rest := make([]string, len(lines))
	for i, l := range lines {
		a.Lines = append(a.Lines, l.Text)
		rest[i] = l.Text
	}
	for _, part := range []struct{ name, value string }{{"postal code", postal}, {"province", province}, {"locality", locality}} {
		if part.value == "" {
			continue
		}
		found := false
		for i := len(rest) - 1; i >= 0 && !found; i-- {
			if j := strings.LastIndex(rest[i], part.value); j >= 0 {
				before, after := rest[i][:j], rest[i][j+len(part.value):]
				if part.value == postal {
					before, after = trimPostalMarks(before, after)
				}
				rest[i] = before + "," + after
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("curated %s %q does not stand in the address %q", part.name, part.value, strings.Join(a.Lines, " / "))
		}
	}
	for _, r := range rest {
		var kept []string
		for _, piece := range splitParts(r) {
			if piece == "" {
				continue
			}
			if c, ok := directory.CountryByName(piece); ok && c.Code == country {
				continue
			}
			kept = append(kept, piece)
		}
		if len(kept) > 0 {
			a.Street = append(a.Street, strings.Join(kept, ", "))
		}
	}
	return a, nil
}

// trimPostalMarks removes what marks a postal code around it: a "CEP" or "C.P." before it, or parentheses
// around it, as in "CEP 05451-040", "C.P. 06600" and "(16429)".
func trimPostalMarks(before, after string) (string, string) {
	for _, mark := range []string{"CEP ", "C.P. ", "PIN "} {
		if strings.HasSuffix(before, mark) {
			return strings.TrimSuffix(before, mark), after
		}
	}
	if strings.HasSuffix(before, "(") && strings.HasPrefix(after, ")") {
		return strings.TrimSuffix(before, "("), strings.TrimPrefix(after, ")")
	}
	return before, after
}

// splitParts splits an address line at commas and at spaced slashes and dashes, trimming each part.
func splitParts(s string) []string {
	s = strings.NewReplacer(" / ", ",", " - ", ",", " – ", ",").Replace(s)
	parts := strings.Split(s, ",")
	for i, p := range parts {
		parts[i] = strings.Trim(p, " –-")
	}
	return parts
}

func (b *builder) city(x curatedCity) error {
	c, ok := directory.LookupCountry(x.Country)
	if !ok {
		return fmt.Errorf("city %s: unknown country %q", x.Key, x.Country)
	}
	b.data.Cities = append(b.data.Cities, directory.City{
		Key: x.Key, Name: x.Name, LocalNames: x.LocalNames, Government: x.Government, Kind: x.Kind, Country: c.Code,
		Region: c.Region, Parent: x.Parent, Location: x.Location.location(), Version: 1,
		Provenance: x.meta.provenance("localNames", "kind", "country", "region", "location"),
	})
	p := &b.data.Cities[len(b.data.Cities)-1].Provenance
	if !slices.Contains(p.Curated, "region") {
		p.Curated = append(p.Curated, "region")
	}
	return nil
}

func date(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	return time.Parse(time.DateOnly, s)
}

func (b *builder) program(x curatedProgram) error {
	p := directory.Program{
		Key: x.Key, Title: x.Title, Kind: x.Kind, Summary: x.Summary, HostCity: x.HostCity, Region: x.Region,
		Duration: x.Duration, Participants: x.Participants, DelegateCount: x.DelegateCount, Topics: x.Topics,
		SiteVisits: x.SiteVisits, Highlights: x.Highlights, Photos: x.Photos, Version: 1,
		Provenance: x.meta.provenance(),
	}
	var err error
	if p.StartDate, err = date(x.StartDate); err != nil {
		return fmt.Errorf("program %s: %w", x.Key, err)
	}
	if p.EndDate, err = date(x.EndDate); err != nil {
		return fmt.Errorf("program %s: %w", x.Key, err)
	}
	for _, o := range x.Organizers {
		p.Organizers = append(p.Organizers, o.ref())
	}
	for _, a := range x.Activities {
		act := directory.Activity{Kind: a.Kind, Title: a.Title, Description: a.Description}
		if act.Date, err = date(a.Date); err != nil {
			return fmt.Errorf("program %s: %w", x.Key, err)
		}
		for _, o := range a.Organizers {
			act.Organizers = append(act.Organizers, o.ref())
		}
		p.Activities = append(p.Activities, act)
	}
	for _, pp := range x.People {
		p.People = append(p.People, directory.ProgramPerson{Person: pp.Person, Context: pp.Context})
	}
	b.data.Programs = append(b.data.Programs, p)
	return nil
}
