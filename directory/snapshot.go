package directory

import (
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/tidwall/btree"

	"github.com/iclei/directory/internal/index"
)

// Data is the whole directory as stored: what a Snapshot is built from, and what a checkpoint saves.
type Data struct {
	// Revision is the revision of the change log the data is at.
	Revision int64
	// PublicRevision is the revision of the last entry that changed a public record; 0 means Revision.
	PublicRevision int64
	Regions        []Region
	Secretariats   []Secretariat
	Offices        []Office
	Cities         []City
	Programs       []Program
	Organizations  []Organization
	People         []Person
	// Applications and APIKeys are private: staff read applications, and the server checks keys, but neither
	// is part of the public directory.
	Applications []Application
	APIKeys      []APIKey
	Webhooks     []Webhook
	// History lists, per record, the revisions of the change log that changed it: the audit trail's index.
	History []RecordHistory
}

// RecordHistory is the revisions of the change log that changed one record, oldest first.
type RecordHistory struct {
	Kind, Key string
	Revisions []int64
}

// Snapshot is an immutable, indexed view of the directory at one revision of the change log. All public reads
// are answered from a snapshot; it is safe for concurrent use. Applying an entry makes a new snapshot that
// shares everything the entry did not change with the old one, so a write costs about the same at any size.
type Snapshot struct {
	// Revision is the revision of the change log the snapshot holds.
	Revision int64
	// PublicRevision is the revision of the last entry that changed a public record, and LoadedAt when this
	// server applied it: together they name the public content, which entries of private records (applications,
	// API keys) leave alone, so that answers cached for it stay valid.
	PublicRevision int64
	LoadedAt       time.Time

	regions       []Region // global first, then by name
	regionByCode  map[string]*Region
	specs         *specs
	secretariats  *index.Table[Secretariat]
	offices       *index.Table[Office]
	cities        *index.Table[City]
	programs      *index.Table[Program]
	organizations *index.Table[Organization]
	people        *index.Table[Person]
	applications  *index.Table[Application]
	apiKeys       *index.Table[APIKey]
	webhooks      *index.Table[Webhook]
	search        *btree.BTreeG[*searchEntry]
	history       *btree.BTreeG[*RecordHistory]
	memberships   int
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
	// orderBySubmitted orders applications newest first.
	orderBySubmitted = "SUBMITTED"
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
	dimParent      = "parent"
	dimYear        = "year"
	dimTopic       = "topic"
	dimCity        = "city"
	dimOrganizer   = "organizer"
	dimPerson      = "person"
	dimInstitution = "institution"
	dimParticipant = "participant"
	dimHeadOffice  = "headOffice"
	dimHash        = "hash"
	// dimGovernment holds the name of a city's government in its country, "KR:seoul metropolitan government"
	// (country and folded name), so that a roster import finds a row's city by it without scanning the country.
	// Most cities have none; a city's own name is found through OrderByCountry instead, at no cost to the index.
	dimGovernment = "government"
	// dimRefers holds every institution a record refers to, as "KIND:key", so that a delete can tell whether
	// anything still points at the record.
	dimRefers = "refers"
)

// lastFold remembers the last string folded and its folded form: a record's orderings fold its name one after
// another, so the name is folded once instead of four times.
type lastFold struct{ p atomic.Pointer[[2]string] }

func (f *lastFold) fold(s string) string {
	if last := f.p.Load(); last != nil && last[0] == s {
		return last[1]
	}
	folded := Fold(s)
	f.p.Store(&[2]string{s, folded})
	return folded
}

// specs are how the tables of a snapshot index their records. Orderings by region use the regions' names, so
// the specs are made anew when the regions change.
type specs struct {
	secretariats  *index.Spec[Secretariat]
	offices       *index.Spec[Office]
	cities        *index.Spec[City]
	programs      *index.Spec[Program]
	organizations *index.Spec[Organization]
	people        *index.Spec[Person]
	applications  *index.Spec[Application]
	apiKeys       *index.Spec[APIKey]
	webhooks      *index.Spec[Webhook]
}

func refersTo(kind InstitutionKind, key string) string { return string(kind) + ":" + key }

func newSpecs(regionByCode map[string]*Region) *specs {
	names := make(map[string]string, len(regionByCode))
	for code, r := range regionByCode {
		names[code] = Fold(r.Name)
	}
	var last lastFold
	fold := last.fold
	textKey := func(s string) index.SortKey { return index.SortKey{Text: fold(s)} }
	regionName := func(code string) string {
		if n, ok := names[code]; ok {
			return n
		}
		return code
	}
	one := func(v string) []string { return []string{v} }
	membership := func(x *City, of func(*Membership) string) []string {
		if m := x.CurrentMembership(); m != nil {
			return one(of(m))
		}
		return nil
	}
	return &specs{
		secretariats: &index.Spec[Secretariat]{
			Key: func(x *Secretariat) string { return x.Key },
			Orders: map[string]func(*Secretariat) index.SortKey{
				OrderByKey:  func(*Secretariat) index.SortKey { return index.SortKey{} },
				OrderByName: func(x *Secretariat) index.SortKey { return textKey(x.Name) },
				OrderByRegion: func(x *Secretariat) index.SortKey {
					return index.SortKey{Text: regionName(x.Region) + "\x00" + fold(x.Name)}
				},
			},
			Dims: map[string]func(*Secretariat) []string{
				dimRegion:     func(x *Secretariat) []string { return one(x.Region) },
				dimKind:       func(x *Secretariat) []string { return one(string(x.Kind)) },
				dimHeadOffice: func(x *Secretariat) []string { return one(x.HeadOffice) },
			},
		},
		offices: &index.Spec[Office]{
			Key: func(x *Office) string { return x.Key },
			Orders: map[string]func(*Office) index.SortKey{
				OrderByKey:     func(*Office) index.SortKey { return index.SortKey{} },
				OrderByName:    func(x *Office) index.SortKey { return textKey(x.Name) },
				OrderByCountry: func(x *Office) index.SortKey { return index.SortKey{Text: x.Country() + "\x00" + fold(x.Name)} },
				OrderByRegion: func(x *Office) index.SortKey {
					return index.SortKey{Text: regionName(x.Region) + "\x00" + fold(x.Name)}
				},
			},
			Dims: map[string]func(*Office) []string{
				dimRegion:      func(x *Office) []string { return one(x.Region) },
				dimCountry:     func(x *Office) []string { return one(x.Country()) },
				dimKind:        func(x *Office) []string { return one(string(x.Kind)) },
				dimLocality:    officeLocalities,
				dimSecretariat: func(x *Office) []string { return one(x.Secretariat) },
			},
		},
		cities: &index.Spec[City]{
			Key: func(x *City) string { return x.Key },
			Orders: map[string]func(*City) index.SortKey{
				OrderByKey:        func(*City) index.SortKey { return index.SortKey{} },
				OrderByName:       func(x *City) index.SortKey { return textKey(x.Name) },
				OrderByCountry:    func(x *City) index.SortKey { return index.SortKey{Text: x.Country + "\x00" + fold(x.Name)} },
				OrderByRegion:     func(x *City) index.SortKey { return index.SortKey{Text: regionName(x.Region) + "\x00" + fold(x.Name)} },
				OrderByPopulation: func(x *City) index.SortKey { return index.SortKey{Num: float64(x.Population), Text: fold(x.Name)} },
			},
			Dims: map[string]func(*City) []string{
				dimRegion:      func(x *City) []string { return one(x.Region) },
				dimCountry:     func(x *City) []string { return one(x.Country) },
				dimKind:        func(x *City) []string { return one(string(x.Kind)) },
				dimCategory:    func(x *City) []string { return membership(x, func(m *Membership) string { return string(m.Category) }) },
				dimStatus:      func(x *City) []string { return membership(x, func(m *Membership) string { return string(m.Status) }) },
				dimSecretariat: func(x *City) []string { return membership(x, func(m *Membership) string { return m.Secretariat }) },
				dimParent:      func(x *City) []string { return one(x.Parent) },
				dimGovernment:  func(x *City) []string { return governmentName(x) },
			},
		},
		programs: &index.Spec[Program]{
			Key: func(x *Program) string { return x.Key },
			Orders: map[string]func(*Program) index.SortKey{
				OrderByKey:   func(*Program) index.SortKey { return index.SortKey{} },
				OrderByTitle: func(x *Program) index.SortKey { return textKey(x.Title) },
				OrderByDate:  func(x *Program) index.SortKey { return index.SortKey{Num: programDate(x), Text: fold(x.Title)} },
			},
			Dims: map[string]func(*Program) []string{
				dimRegion: func(x *Program) []string { return one(x.Region) },
				dimKind:   func(x *Program) []string { return one(string(x.Kind)) },
				dimYear:   func(x *Program) []string { return one(strconv.Itoa(x.Year())) },
				dimTopic: func(x *Program) []string {
					topics := make([]string, len(x.Topics))
					for i, t := range x.Topics {
						topics[i] = fold(t)
					}
					return topics
				},
				dimCity:        func(x *Program) []string { return append([]string{x.HostCity}, x.Participants...) },
				dimParticipant: func(x *Program) []string { return x.Participants },
				dimPerson:      programPeople,
				dimOrganizer: func(x *Program) []string {
					keys := make([]string, len(x.Organizers))
					for i, o := range x.Organizers {
						keys[i] = o.Key
					}
					return keys
				},
				dimRefers: programRefers,
			},
		},
		organizations: &index.Spec[Organization]{
			Key: func(x *Organization) string { return x.Key },
			Orders: map[string]func(*Organization) index.SortKey{
				OrderByKey:  func(*Organization) index.SortKey { return index.SortKey{} },
				OrderByName: func(x *Organization) index.SortKey { return textKey(x.Name) },
			},
			Dims: map[string]func(*Organization) []string{
				dimCountry: func(x *Organization) []string { return one(x.Country) },
				dimCity:    func(x *Organization) []string { return one(x.City) },
			},
		},
		people: &index.Spec[Person]{
			Key: func(x *Person) string { return x.Key },
			Orders: map[string]func(*Person) index.SortKey{
				OrderByKey:  func(*Person) index.SortKey { return index.SortKey{} },
				OrderByName: func(x *Person) index.SortKey { return textKey(x.Name) },
			},
			Dims: map[string]func(*Person) []string{
				dimInstitution: func(x *Person) []string {
					keys := make([]string, len(x.Affiliations))
					for i, a := range x.Affiliations {
						keys[i] = a.Institution.Key
					}
					return keys
				},
				dimRefers: func(x *Person) []string {
					refs := make([]string, len(x.Affiliations))
					for i, a := range x.Affiliations {
						refs[i] = refersTo(a.Institution.Kind, a.Institution.Key)
					}
					return refs
				},
			},
		},
		applications: &index.Spec[Application]{
			Key: func(x *Application) string { return x.Reference },
			Orders: map[string]func(*Application) index.SortKey{
				orderBySubmitted: func(x *Application) index.SortKey { return index.SortKey{Num: -float64(x.SubmittedAt.UnixNano())} },
			},
			Dims: map[string]func(*Application) []string{
				dimStatus: func(x *Application) []string { return one(string(x.Status)) },
				dimRegion: func(x *Application) []string { return one(x.Region) },
			},
		},
		apiKeys: &index.Spec[APIKey]{
			Key: func(x *APIKey) string { return x.Name },
			Orders: map[string]func(*APIKey) index.SortKey{
				OrderByKey: func(*APIKey) index.SortKey { return index.SortKey{} },
			},
			Dims: map[string]func(*APIKey) []string{
				dimHash: func(x *APIKey) []string { return one(x.Hash) },
			},
		},
		webhooks: &index.Spec[Webhook]{
			Key:    func(x *Webhook) string { return x.ID },
			Orders: map[string]func(*Webhook) index.SortKey{OrderByKey: func(*Webhook) index.SortKey { return index.SortKey{} }},
		},
	}
}

// programRefers lists every institution a program refers to: organizers, activity organizers, the host city,
// participants and the cities of site visits.
func programRefers(p *Program) []string {
	var refs []string
	for _, o := range p.Organizers {
		refs = append(refs, refersTo(o.Kind, o.Key))
	}
	for _, a := range p.Activities {
		for _, o := range a.Organizers {
			refs = append(refs, refersTo(o.Kind, o.Key))
		}
	}
	if p.HostCity != "" {
		refs = append(refs, refersTo(InstitutionCity, p.HostCity))
	}
	for _, c := range p.Participants {
		refs = append(refs, refersTo(InstitutionCity, c))
	}
	for _, v := range p.SiteVisits {
		if v.City != "" {
			refs = append(refs, refersTo(InstitutionCity, v.City))
		}
	}
	return refs
}

// pointers returns pointers to the elements of xs.
func pointers[T any](xs []T) []*T {
	ps := make([]*T, len(xs))
	for i := range xs {
		ps[i] = &xs[i]
	}
	return ps
}

// NewSnapshot indexes data. It takes ownership of data's slices.
func NewSnapshot(data Data, loadedAt time.Time) *Snapshot {
	s := &Snapshot{Revision: data.Revision, PublicRevision: data.PublicRevision, LoadedAt: loadedAt}
	if s.PublicRevision == 0 || s.PublicRevision > s.Revision {
		s.PublicRevision = s.Revision
	}
	s.setRegions(data.Regions)
	s.specs = newSpecs(s.regionByCode)
	s.secretariats = index.Build(s.specs.secretariats, pointers(data.Secretariats))
	s.offices = index.Build(s.specs.offices, pointers(data.Offices))
	s.cities = index.Build(s.specs.cities, pointers(data.Cities))
	s.programs = index.Build(s.specs.programs, pointers(data.Programs))
	s.organizations = index.Build(s.specs.organizations, pointers(data.Organizations))
	s.people = index.Build(s.specs.people, pointers(data.People))
	s.applications = index.Build(s.specs.applications, pointers(data.Applications))
	s.apiKeys = index.Build(s.specs.apiKeys, pointers(data.APIKeys))
	s.webhooks = index.Build(s.specs.webhooks, pointers(data.Webhooks))
	for _, c := range s.cities.Records() {
		s.memberships += len(c.Memberships)
	}
	s.search = newSearchIndex(s)
	s.history = btree.NewBTreeGOptions(historyLess, btree.Options{NoLocks: true})
	for i := range data.History {
		s.history.Set(&data.History[i])
	}
	return s
}

func (s *Snapshot) setRegions(regions []Region) {
	s.regions = regions
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
}

func historyLess(a, b *RecordHistory) bool {
	if a.Kind != b.Kind {
		return a.Kind < b.Kind
	}
	return a.Key < b.Key
}

// History returns the revisions of the change log that changed the record, oldest first.
func (s *Snapshot) History(kind, key string) []int64 {
	if h, ok := s.history.Get(&RecordHistory{Kind: kind, Key: key}); ok {
		return h.Revisions
	}
	return nil
}

// Data returns the snapshot's records, for a checkpoint. The records are the snapshot's own: do not change them.
func (s *Snapshot) Data() Data {
	d := Data{Revision: s.Revision, PublicRevision: s.PublicRevision, Regions: slices.Clone(s.regions)}
	d.Secretariats = values(s.secretariats)
	d.Offices = values(s.offices)
	d.Cities = values(s.cities)
	d.Programs = values(s.programs)
	d.Organizations = values(s.organizations)
	d.People = values(s.people)
	d.Applications = values(s.applications)
	d.APIKeys = values(s.apiKeys)
	d.Webhooks = values(s.webhooks)
	d.History = make([]RecordHistory, 0, s.history.Len())
	s.history.Scan(func(h *RecordHistory) bool {
		d.History = append(d.History, *h)
		return true
	})
	return d
}

func values[T any](t *index.Table[T]) []T {
	out := make([]T, 0, t.Len())
	t.Scan(func(x *T) bool {
		out = append(out, *x)
		return true
	})
	return out
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
	return Counts{
		Regions: len(s.regions), Secretariats: s.secretariats.Len(), Offices: s.offices.Len(), Cities: s.cities.Len(),
		Memberships: s.memberships, Programs: s.programs.Len(), Organizations: s.organizations.Len(), People: s.people.Len(),
	}
}
