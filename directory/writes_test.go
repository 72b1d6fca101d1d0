package directory_test

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/iclei/directory/directory"
)

// lifeCase is the life of one kind of record through the writer: created, updated at the version read, refused
// at the stale version, deleted; with what the writer makes of the inputs, and the audit trail of it all.
type lifeCase struct {
	kind      string
	key       string // the key the create derives
	nameField string // the field the update changes, as the audit trail keeps it
	create    write
	update    write // at version 1
	stale     write // at version 1, after the update
	remove    write // at version 2
	get       func(*directory.Snapshot) any
	created   func(t *testing.T, rec any)
	updated   func(t *testing.T, rec any)
}

func TestRecordsLiveThroughCreateUpdateDelete(t *testing.T) {
	t.Parallel()
	cases := []lifeCase{
		{
			kind: directory.KindOffice, key: "iclei-happy-path-office", nameField: "Name",
			create: createOffice(func(in *directory.OfficeInput) {
				*in = directory.OfficeInput{Name: " ICLEI Happy Path Office ", Kind: directory.OfficeProject, Region: "europe",
					Secretariat: "european-secretariat",
					Address:     directory.AddressInput{Street: []string{"Leopoldring 3"}, Locality: "Freiburg", PostalCode: "79098", Country: "DE"},
					Phone:       "0761 368920", Fax: "+49-761/36892-19", Email: " freiburg@example.org ", Website: "www.example.org/freiburg",
					Location: &directory.LocationInput{Latitude: 47.99, Longitude: 7.85, Precision: directory.PrecisionStreet},
					Labels:   []string{"  Freiburg office ", ""}}
			}),
			update: updateOffice("iclei-happy-path-office", 1, func(in *directory.OfficeInput) {
				*in = directory.OfficeInput{Name: "ICLEI Freiburg Office", Kind: directory.OfficeProject, Region: "europe",
					Address: directory.AddressInput{Locality: "Freiburg im Breisgau", Country: "DE"}, Phone: "+49 761 36892 00",
					Website: "http://www.example.org"}
			}),
			stale:  updateOffice("iclei-happy-path-office", 1, nil),
			remove: deleteOffice("iclei-happy-path-office", 2),
			get:    func(s *directory.Snapshot) any { return nilIfNone(s.Office("iclei-happy-path-office")) },
			created: func(t *testing.T, rec any) {
				o := rec.(*directory.Office)
				want := directory.Office{Key: "iclei-happy-path-office", Name: "ICLEI Happy Path Office", Kind: directory.OfficeProject,
					Region: "europe", Secretariat: "european-secretariat",
					Address: &directory.Address{Street: []string{"Leopoldring 3"}, Locality: "Freiburg", PostalCode: "79098", Country: "DE",
						Lines: []string{"Leopoldring 3", "79098 Freiburg", "Germany"}},
					Phone: &directory.Phone{E164: "+49761368920", Written: "0761 368920"}, Fax: &directory.Phone{E164: "+497613689219", Written: "+49-761/36892-19"},
					Email: "freiburg@example.org", Website: "https://www.example.org/freiburg",
					Location: &directory.Location{Latitude: 47.99, Longitude: 7.85, Precision: directory.PrecisionStreet, Curated: true},
					Labels:   []string{"Freiburg office"}, Version: 1, Provenance: directory.Provenance{Origin: directory.OriginWrite}}
				if !reflect.DeepEqual(*o, want) {
					t.Errorf("created office\n got %+v\nwant %+v", *o, want)
				}
				if got := o.Phone.International(); got != "+49 761 368920" {
					t.Errorf("phone in international form = %q", got)
				}
			},
			updated: func(t *testing.T, rec any) {
				o := rec.(*directory.Office)
				if o.Name != "ICLEI Freiburg Office" || o.Phone.E164 != "+497613689200" || o.Website != "http://www.example.org" ||
					o.Secretariat != "" || o.Location != nil || len(o.Labels) != 0 || o.Fax != nil {
					t.Errorf("updated office %+v: the update replaces the whole record", o)
				}
			},
		},
		{
			kind: directory.KindCity, key: "gangneung", nameField: "Population",
			create: createCity(func(in *directory.CityInput) {
				*in = directory.CityInput{Name: "Gangneung", Country: "kr", Government: "Gangneung City",
					LocalNames: []directory.LocalName{{Lang: "ko", Name: "강릉시"}}, Population: 210000,
					Location: &directory.LocationInput{Latitude: 37.75, Longitude: 128.9}}
			}),
			update: updateCity("gangneung", 1, func(in *directory.CityInput) {
				*in = directory.CityInput{Name: "Gangneung", Country: "KR", Kind: directory.CityRegionalGovernment, Population: 211000}
			}),
			stale:  updateCity("gangneung", 1, func(in *directory.CityInput) { in.Name, in.Country = "Gangneung", "KR" }),
			remove: deleteCity("gangneung", 2),
			get:    func(s *directory.Snapshot) any { return nilIfNone(s.City("gangneung")) },
			created: func(t *testing.T, rec any) {
				c := rec.(*directory.City)
				if c.Country != "KR" || c.Region != "east-asia" || c.Kind != directory.CityMunicipality || c.Government != "Gangneung City" ||
					!reflect.DeepEqual(c.LocalNames, []directory.LocalName{{Lang: "ko", Name: "강릉시"}}) ||
					c.Location == nil || c.Location.Precision != directory.PrecisionCity || !c.Location.Curated ||
					c.CurrentMembership() != nil || c.Version != 1 {
					t.Errorf("created city %+v", c)
				}
			},
			updated: func(t *testing.T, rec any) {
				c := rec.(*directory.City)
				if c.Kind != directory.CityRegionalGovernment || c.Population != 211000 || c.Government != "" || len(c.LocalNames) != 0 {
					t.Errorf("updated city %+v", c)
				}
			},
		},
		{
			kind: directory.KindProgram, key: "happy-path-exchange-2024", nameField: "Title",
			create: createProgram(func(in *directory.ProgramInput) {
				*in = directory.ProgramInput{Title: "Happy Path Exchange 2024", Kind: directory.ProgramConference, HostCity: "seoul",
					StartDate: day(t, "2024-05-02"), EndDate: day(t, "2024-05-03"), Topics: []string{"low carbon"},
					Organizers: []directory.InstitutionRef{{Kind: directory.InstitutionSecretariat, Key: "east-asia-secretariat"},
						{Kind: directory.InstitutionOrganization, Key: "shrdc"}},
					Participants: []string{"beijing", "shanghai"}, People: []directory.ProgramPerson{{Person: "shu-zhu", Context: "as speaker"}}}
			}),
			update: updateProgram("happy-path-exchange-2024", 1, func(in *directory.ProgramInput) {
				*in = directory.ProgramInput{Title: "Happy Path Exchange 2024 (extended)", Kind: directory.ProgramConference, HostCity: "seoul",
					StartDate: day(t, "2024-05-02"), EndDate: day(t, "2024-05-04")}
			}),
			stale:  updateProgram("happy-path-exchange-2024", 1, nil),
			remove: deleteProgram("happy-path-exchange-2024", 2),
			get:    func(s *directory.Snapshot) any { return nilIfNone(s.Program("happy-path-exchange-2024")) },
			created: func(t *testing.T, rec any) {
				p := rec.(*directory.Program)
				if p.Region != "east-asia" || p.Year() != 2024 || len(p.Organizers) != 2 || p.Organizers[0].Key != "east-asia-secretariat" ||
					p.Organizers[1].Key != "shrdc" || !slices.Equal(p.Participants, []string{"beijing", "shanghai"}) ||
					!reflect.DeepEqual(p.People, []directory.ProgramPerson{{Person: "shu-zhu", Context: "as speaker"}}) {
					t.Errorf("created program %+v", p)
				}
			},
			updated: func(t *testing.T, rec any) {
				p := rec.(*directory.Program)
				if !p.EndDate.Equal(day(t, "2024-05-04")) || len(p.Participants) != 0 || len(p.Organizers) != 0 {
					t.Errorf("updated program %+v", p)
				}
			},
		},
		{
			kind: directory.KindOrganization, key: "happy-path-institute", nameField: "Name",
			create: createOrganization(func(in *directory.OrganizationInput) {
				*in = directory.OrganizationInput{Name: "Happy Path Institute", ShortName: "HPI", Kind: "research institute",
					Country: "KR", City: "seoul", Website: "http://hpi.example.kr"}
			}),
			update: updateOrganization("happy-path-institute", 1, func(in *directory.OrganizationInput) {
				*in = directory.OrganizationInput{Name: "Happy Path Institute for Cities", Country: "KR"}
			}),
			stale:  updateOrganization("happy-path-institute", 1, nil),
			remove: deleteOrganization("happy-path-institute", 2),
			get:    func(s *directory.Snapshot) any { return nilIfNone(s.Organization("happy-path-institute")) },
			created: func(t *testing.T, rec any) {
				o := rec.(*directory.Organization)
				if o.ShortName != "HPI" || o.City != "seoul" || o.Website != "http://hpi.example.kr" || o.Kind != "research institute" {
					t.Errorf("created organization %+v", o)
				}
			},
			updated: func(t *testing.T, rec any) {
				o := rec.(*directory.Organization)
				if o.Name != "Happy Path Institute for Cities" || o.City != "" || o.Website != "" {
					t.Errorf("updated organization %+v", o)
				}
			},
		},
		{
			kind: directory.KindPerson, key: "min-ji-kim", nameField: "Affiliations",
			create: createPerson(func(in *directory.PersonInput) {
				*in = directory.PersonInput{Name: "Min-ji Kim", Affiliations: []directory.Affiliation{{Title: "Researcher",
					Institution: directory.InstitutionRef{Kind: directory.InstitutionOrganization, Key: "shrdc"}}}}
			}),
			update: updatePerson("min-ji-kim", 1, func(in *directory.PersonInput) {
				*in = directory.PersonInput{Name: "Min-ji Kim", Affiliations: []directory.Affiliation{{Title: "Director",
					Institution: directory.InstitutionRef{Kind: directory.InstitutionSecretariat, Key: "east-asia-secretariat"}}}}
			}),
			stale:  updatePerson("min-ji-kim", 1, nil),
			remove: deletePerson("min-ji-kim", 2),
			get:    func(s *directory.Snapshot) any { return nilIfNone(s.Person("min-ji-kim")) },
			created: func(t *testing.T, rec any) {
				p := rec.(*directory.Person)
				if len(p.Affiliations) != 1 || p.Affiliations[0].Title != "Researcher" || p.Affiliations[0].Institution.Key != "shrdc" {
					t.Errorf("created person %+v", p)
				}
			},
			updated: func(t *testing.T, rec any) {
				p := rec.(*directory.Person)
				if len(p.Affiliations) != 1 || p.Affiliations[0].Title != "Director" || p.Affiliations[0].Institution.Kind != directory.InstitutionSecretariat {
					t.Errorf("updated person %+v", p)
				}
			},
		},
	}
	for _, c := range cases {
		t.Run(c.kind, func(t *testing.T) {
			t.Parallel()
			log, s := seededLog(t)
			ctx := context.Background()
			rev0 := s.rm.Snapshot().Revision
			id := directory.GlobalID(c.kind, c.key)

			if err := c.create(ctx, s.w, admin); err != nil {
				t.Fatal(err)
			}
			created := c.get(s.rm.Snapshot())
			if created == nil {
				t.Fatalf("the snapshot after the create holds no %s %s", c.kind, c.key)
			}
			c.created(t, created)
			if n, err := s.rm.Snapshot().Node(id); err != nil || n != created {
				t.Errorf("node(%s) = %v, %v; want the new record", id, n, err)
			}

			if err := c.update(ctx, s.w, admin); err != nil {
				t.Fatal(err)
			}
			updated := c.get(s.rm.Snapshot())
			c.updated(t, updated)
			if v := reflect.ValueOf(updated).Elem().FieldByName("Version").Int(); v != 2 {
				t.Errorf("version after the update = %d, want 2", v)
			}
			if prov := reflect.ValueOf(updated).Elem().FieldByName("Provenance").Interface().(directory.Provenance); prov.Origin != directory.OriginWrite {
				t.Errorf("provenance after the update = %+v", prov)
			}
			before, entries := s.rm.Snapshot(), log.Len()
			wantRefused(t, log, s, before, entries, c.stale(ctx, s.w, admin), directory.CodeConflict, "version")

			if err := c.remove(ctx, s.w, admin); err != nil {
				t.Fatal(err)
			}
			if got := c.get(s.rm.Snapshot()); got != nil {
				t.Errorf("the snapshot after the delete still holds %v", got)
			}
			if n, err := s.rm.Snapshot().Node(id); err != nil || n != nil {
				t.Errorf("node(%s) after the delete = %v, %v; want nil", id, n, err)
			}
			if rev := s.rm.Snapshot().Revision; rev != rev0+3 {
				t.Errorf("revision after create, update and delete = %d, want %d", rev, rev0+3)
			}

			// The audit trail, newest first: who did what, with the record before and after.
			trail, err := directory.NewAuditor(s.rm, log).AuditTrail(ctx, admin, id)
			if err != nil {
				t.Fatal(err)
			}
			if len(trail) != 3 {
				t.Fatalf("audit trail has %d entries, want 3: %+v", len(trail), trail)
			}
			field := func(m map[string]any) any {
				if m == nil {
					return nil
				}
				return m[c.nameField]
			}
			createdField := reflect.ValueOf(created).Elem().FieldByName(c.nameField).Interface()
			updatedField := reflect.ValueOf(updated).Elem().FieldByName(c.nameField).Interface()
			want := []struct {
				action        directory.Action
				version       int
				before, after any
			}{
				{directory.ActionDelete, 2, updatedField, nil},
				{directory.ActionUpdate, 2, createdField, updatedField},
				{directory.ActionCreate, 1, nil, createdField},
			}
			for i, w := range want {
				e := trail[i]
				if e.Action != w.action || e.Actor != admin.Subject || e.Kind != c.kind || e.Key != c.key || e.Version != w.version || e.At.IsZero() {
					t.Errorf("audit entry %d = %s %s %s/%s v%d at %v, want %s %s %s/%s v%d", i, e.Action, e.Actor, e.Kind, e.Key, e.Version, e.At,
						w.action, admin.Subject, c.kind, c.key, w.version)
				}
				if !sameJSON(field(e.Before), w.before) || !sameJSON(field(e.After), w.after) {
					t.Errorf("audit entry %d (%s): %s before %v after %v, want %v and %v", i, e.Action, c.nameField,
						field(e.Before), field(e.After), w.before, w.after)
				}
			}
		})
	}
}

// nilIfNone turns a nil record pointer into a nil interface, so that get answers nil for no record.
func nilIfNone[T any](p *T) any {
	if p == nil {
		return nil
	}
	return p
}

// sameJSON reports whether a and b have the same JSON form: the audit trail keeps records as JSON.
func sameJSON(a, b any) bool {
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	if errA != nil || errB != nil {
		return false
	}
	var va, vb any
	return json.Unmarshal(ja, &va) == nil && json.Unmarshal(jb, &vb) == nil && reflect.DeepEqual(va, vb)
}

func TestMembershipLifecycle(t *testing.T) {
	t.Parallel()
	log, s := seededLog(t)
	ctx := context.Background()
	today := day(t, time.Now().UTC().Format(time.DateOnly))
	if _, err := s.w.CreateCity(ctx, admin, directory.CityInput{Name: "Incheon", Country: "KR"}); err != nil {
		t.Fatal(err)
	}
	m, err := s.w.GrantMembership(ctx, admin, directory.GrantMembershipInput{City: "incheon", CityVersion: 1,
		Category: directory.MembershipFull, Since: day(t, "2019-03-01")})
	if err != nil {
		t.Fatal(err)
	}
	if m.GlobalID() != directory.GlobalID(directory.KindMembership, "incheon/m1") || m.Category != directory.MembershipFull ||
		m.Status != directory.MembershipActive || !m.Since.Equal(day(t, "2019-03-01")) || !m.Until.IsZero() ||
		m.Secretariat != "east-asia-secretariat" || s.rm.Snapshot().City("incheon").Version != 2 {
		t.Errorf("granted membership = %+v", m)
	}

	m, err = s.w.ChangeMembership(ctx, admin, directory.ChangeMembershipInput{City: "incheon", CityVersion: 2, Membership: "m1",
		Category: directory.MembershipAssociate, Status: directory.MembershipSuspended, Note: "Dues pending"})
	if err != nil {
		t.Fatal(err)
	}
	if m.Category != directory.MembershipAssociate || m.Status != directory.MembershipSuspended || m.Note != "Dues pending" ||
		!m.Since.Equal(day(t, "2019-03-01")) || s.rm.Snapshot().City("incheon").Version != 3 {
		t.Errorf("changed membership = %+v", m)
	}
	p, err := s.rm.Snapshot().Cities(directory.CityFilter{MembershipStatus: directory.MembershipSuspended}, directory.Order{}, directory.PageArgs{})
	if err != nil {
		t.Fatal(err)
	}
	if keys := keysOf(p.Nodes()); !slices.Equal(keys, []string{"incheon"}) {
		t.Errorf("suspended members = %q, want incheon", keys)
	}

	m, err = s.w.EndMembership(ctx, admin, directory.EndMembershipInput{City: "incheon", CityVersion: 3, Membership: "m1", Until: today})
	if err != nil {
		t.Fatal(err)
	}
	if m.Status != directory.MembershipEnded || !m.Until.Equal(today) || s.rm.Snapshot().City("incheon").Version != 4 {
		t.Errorf("ended membership = %+v", m)
	}

	// After the end a new membership may begin; the city keeps both.
	m, err = s.w.GrantMembership(ctx, admin, directory.GrantMembershipInput{City: "incheon", CityVersion: 4,
		Category: directory.MembershipAssociate, Since: today, Secretariat: "world-secretariat", Note: "Rejoined"})
	if err != nil {
		t.Fatal(err)
	}
	if m.GlobalID() != directory.GlobalID(directory.KindMembership, "incheon/m2") || m.Status != directory.MembershipActive ||
		m.Secretariat != "world-secretariat" {
		t.Errorf("second membership = %+v", m)
	}
	c := s.rm.Snapshot().City("incheon")
	if c.Version != 5 || c.CurrentMembership() == nil || c.CurrentMembership().ID != "m2" || len(c.Memberships) != 2 ||
		c.Memberships[0].Status != directory.MembershipEnded || c.Memberships[1].Status != directory.MembershipActive {
		t.Errorf("city after two memberships = %+v", c)
	}
	if got := s.rm.Snapshot().Membership("incheon/m1"); got == nil || got.Status != directory.MembershipEnded {
		t.Errorf("membership incheon/m1 = %+v", got)
	}

	// A membership's audit trail is its city's: the create and four membership writes.
	trail, err := directory.NewAuditor(s.rm, log).AuditTrail(ctx, admin, directory.GlobalID(directory.KindMembership, "incheon/m1"))
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range trail {
		actions = append(actions, fmt.Sprintf("%s v%d", e.Action, e.Version))
	}
	if want := []string{"UPDATE v5", "UPDATE v4", "UPDATE v3", "UPDATE v2", "CREATE v1"}; !slices.Equal(actions, want) {
		t.Errorf("audit trail = %v, want %v", actions, want)
	}
}

// keysOf returns the keys of the records, in order.
func keysOf[T any](records []*T) []string {
	keys := []string{}
	for _, r := range records {
		keys = append(keys, reflect.ValueOf(r).Elem().FieldByName("Key").String())
	}
	return keys
}

func TestRacesOfOneServerHaveOneWinner(t *testing.T) {
	t.Parallel()
	const n = 8
	ctx := context.Background()
	// The same server n times: its writers race one another through one read model.
	servers := func(s *server) []*server {
		out := make([]*server, n)
		for i := range out {
			out[i] = s
		}
		return out
	}

	t.Run("creates of one key", func(t *testing.T) {
		t.Parallel()
		log, s := seededLog(t)
		auditor := directory.NewAuditor(s.rm, log)
		errs := race(servers(s), func(i int, s *server) error {
			in := officeIn()
			in.Key, in.Name = "race-office", fmt.Sprintf("Race Office %d", i)
			_, err := s.w.CreateOffice(ctx, admin, in)
			return err
		})
		oneWins(t, errs, directory.CodeConflict)
		for _, err := range errs {
			if err != nil && fieldOf(err) != "input.key" {
				t.Errorf("a losing create is about %q, want input.key", fieldOf(err))
			}
		}
		if trail, err := auditor.AuditTrail(ctx, admin, directory.GlobalID(directory.KindOffice, "race-office")); err != nil || len(trail) != 1 {
			t.Errorf("audit trail has %d entries (%v), want 1 create", len(trail), err)
		}
	})

	t.Run("grants to one city from one version", func(t *testing.T) {
		t.Parallel()
		_, s := seededLog(t)
		errs := race(servers(s), func(i int, s *server) error {
			_, err := s.w.GrantMembership(ctx, admin, directory.GrantMembershipInput{City: "seoul", CityVersion: 1,
				Category: directory.MembershipFull, Since: day(t, "2020-01-01"), Note: fmt.Sprintf("grant %d", i)})
			return err
		})
		oneWins(t, errs, directory.CodeConflict)
		if ms := s.rm.Snapshot().City("seoul").Memberships; len(ms) != 1 {
			t.Errorf("Seoul has %d memberships, want 1", len(ms))
		}
	})

	t.Run("approvals of one application", func(t *testing.T) {
		t.Parallel()
		_, s := seededLog(t)
		a, err := s.w.SubmitApplication(ctx, applicationIn())
		if err != nil {
			t.Fatal(err)
		}
		errs := race(servers(s), func(i int, s *server) error {
			_, err := s.w.ReviewApplication(ctx, admin, directory.ReviewInput{Reference: a.Reference, Version: 1, Decision: directory.DecisionApprove})
			return err
		})
		oneWins(t, errs, directory.CodeConflict)
		snap := s.rm.Snapshot()
		c := snap.City("hoi-an")
		if c == nil || len(c.Memberships) != 1 || c.Memberships[0].Status != directory.MembershipActive {
			t.Errorf("Hoi An = %+v, want one active membership", c)
		}
		stored, err := snap.Application(admin, a.Reference)
		if err != nil {
			t.Fatal(err)
		}
		if stored.Status != directory.ApplicationApproved || stored.Version != 2 || stored.City != "hoi-an" || stored.Membership != "m1" {
			t.Errorf("application: %s v%d city %q membership %q", stored.Status, stored.Version, stored.City, stored.Membership)
		}
	})
}
