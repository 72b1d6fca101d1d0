package directory_test

import (
	"context"
	"testing"
	"time"

	"github.com/iclei/directory/directory"
)

// scopedDirectory is the seeded directory with the fixtures, a membership of Seoul for an editor to fail to
// change, and an application from Germany for the European editor to see.
func scopedDirectory(t *testing.T) (*directory.MemoryLog, *server, fixtures, string) {
	t.Helper()
	log, s := seededLog(t)
	f := writeFixtures(t, s)
	ctx := context.Background()
	if _, err := s.w.GrantMembership(ctx, admin, directory.GrantMembershipInput{City: "seoul", CityVersion: 1,
		Category: directory.MembershipFull, Since: day(t, "2015-01-01")}); err != nil {
		t.Fatal(err)
	}
	in := applicationIn()
	in.Name, in.Country, in.Phone = "Tübingen", "DE", "07071 2040"
	a, err := s.w.SubmitApplication(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	return log, s, f, a.Reference
}

// everyWrite is one valid call of every write that needs a principal, against the fixtures.
func everyWrite(f fixtures) []refusal {
	today := time.Now().UTC()
	return []refusal{
		{name: "createOffice", write: createOffice(nil)},
		{name: "updateOffice", write: updateOffice(fixOffice, 1, nil)},
		{name: "deleteOffice", write: deleteOffice(fixOffice, 1)},
		{name: "createCity", write: createCity(nil)},
		{name: "updateCity", write: updateCity(fixCity, 1, nil)},
		{name: "deleteCity", write: deleteCity(fixCity, 1)},
		{name: "createProgram", write: createProgram(nil)},
		{name: "updateProgram", write: updateProgram(fixProgram, 1, nil)},
		{name: "deleteProgram", write: deleteProgram(fixProgram, 1)},
		{name: "createOrganization", write: createOrganization(nil)},
		{name: "updateOrganization", write: updateOrganization(fixOrganization, 1, nil)},
		{name: "deleteOrganization", write: deleteOrganization(fixOrganization, 1)},
		{name: "createPerson", write: createPerson(nil)},
		{name: "updatePerson", write: updatePerson(fixPerson, 1, nil)},
		{name: "deletePerson", write: deletePerson(fixPerson, 1)},
		{name: "grantMembership", write: grant(directory.GrantMembershipInput{City: fixCity, CityVersion: 1, Category: directory.MembershipFull,
			Since: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)})},
		{name: "changeMembership", write: changeMembership(directory.ChangeMembershipInput{City: fixMember, CityVersion: 2, Membership: "m1",
			Status: directory.MembershipSuspended})},
		{name: "endMembership", write: endMembership(directory.EndMembershipInput{City: fixMember, CityVersion: 2, Membership: "m1", Until: today})},
		{name: "reviewMembershipApplication", write: review(directory.ReviewInput{Reference: f.submitted, Version: 1,
			Decision: directory.DecisionReject, Note: "No."})},
	}
}

func TestEveryWriteNeedsAPrincipal(t *testing.T) {
	t.Parallel()
	log, s, f, _ := scopedDirectory(t)
	ctx := context.Background()
	for _, c := range everyWrite(f) {
		t.Run(c.name, func(t *testing.T) {
			before, entries := s.rm.Snapshot(), log.Len()
			wantRefused(t, log, s, before, entries, c.write(ctx, s.w, nil), directory.CodeUnauthenticated, "")
		})
	}
	t.Run("so do the private reads", func(t *testing.T) {
		snap := s.rm.Snapshot()
		_, err := snap.Applications(nil, directory.ApplicationFilter{}, directory.PageArgs{})
		if code(err) != directory.CodeUnauthenticated {
			t.Errorf("applications without a principal: %v", err)
		}
		if _, err = snap.Application(nil, f.submitted); code(err) != directory.CodeUnauthenticated {
			t.Errorf("an application without a principal: %v", err)
		}
		_, err = directory.NewAuditor(s.rm, log).AuditTrail(ctx, nil, directory.GlobalID(directory.KindOffice, fixOffice))
		if code(err) != directory.CodeUnauthenticated {
			t.Errorf("the audit trail without a principal: %v", err)
		}
	})
}

func TestAnEditorActsOnlyInItsRegions(t *testing.T) {
	t.Parallel()
	log, s, f, german := scopedDirectory(t)
	ctx := context.Background()
	europe := editor("europe-editor", "europe")
	auditor := directory.NewAuditor(s.rm, log)
	today := time.Now().UTC()

	t.Run("outside them it is forbidden", func(t *testing.T) {
		busan := func(in *directory.OfficeInput) {
			*in = directory.OfficeInput{Name: "Busan Office", Kind: directory.OfficeCity, Region: "east-asia",
				Address: directory.AddressInput{Locality: "Busan", Country: "KR"}}
		}
		korea := func(in *directory.OfficeInput) {
			*in = directory.OfficeInput{Name: "Korea Office", Kind: directory.OfficeCountry, Region: "east-asia",
				Address: directory.AddressInput{Locality: "Seoul", Country: "KR"}}
		}
		eastAsiaOfficer := []directory.Affiliation{{Title: "Officer", Institution: directory.InstitutionRef{Kind: directory.InstitutionSecretariat, Key: "east-asia-secretariat"}}}
		cases := []refusal{
			{name: "createOffice in east-asia", write: createOffice(busan)},
			{name: "updateOffice of east-asia", write: updateOffice("korea-office", 1, korea)},
			{name: "updateOffice moving a record out of europe", write: updateOffice(fixOffice, 1, func(in *directory.OfficeInput) { in.Region = "east-asia" })},
			{name: "deleteOffice of east-asia", write: deleteOffice("korea-office", 1)},
			{name: "createCity in Korea", write: createCity(func(in *directory.CityInput) { in.Name, in.Country = "Busan", "KR" })},
			{name: "updateCity of Seoul", write: updateCity("seoul", 2, func(in *directory.CityInput) { in.Name, in.Country = "Seoul", "KR" })},
			{name: "updateCity moving a city out of europe", write: updateCity(fixCity, 1, func(in *directory.CityInput) { in.Country = "KR" })},
			{name: "deleteCity of east-asia", write: deleteCity("suining", 1)},
			{name: "createProgram hosted in Seoul", write: createProgram(func(in *directory.ProgramInput) {
				*in = directory.ProgramInput{Title: "Seoul Forum", Kind: directory.ProgramConference, HostCity: "seoul"}
			})},
			{name: "updateProgram of east-asia", write: updateProgram(program2016, 1, func(in *directory.ProgramInput) {
				*in = directory.ProgramInput{Title: "Renamed", Kind: directory.ProgramCapacityBuilding, HostCity: "seoul"}
			})},
			{name: "updateProgram moving a program out of europe", write: updateProgram(fixProgram, 1, func(in *directory.ProgramInput) { in.Region = "east-asia" })},
			{name: "deleteProgram of east-asia", write: deleteProgram(program2016, 1)},
			{name: "createOrganization in Korea", write: createOrganization(func(in *directory.OrganizationInput) { in.Name, in.Country = "Busan Institute", "KR" })},
			{name: "createOrganization based in Seoul, without a country", write: createOrganization(func(in *directory.OrganizationInput) {
				*in = directory.OrganizationInput{Name: "Seoul Lab", City: "seoul"}
			})},
			{name: "updateOrganization of Korea", write: updateOrganization("shrdc", 1, func(in *directory.OrganizationInput) { in.Name, in.Country = "SHRDC", "KR" })},
			{name: "updateOrganization moving one out of europe", write: updateOrganization(fixOrganization, 1, func(in *directory.OrganizationInput) { in.Country = "KR" })},
			{name: "deleteOrganization of Korea", write: deleteOrganization("shrdc", 1)},
			{name: "createPerson affiliated in east-asia", write: createPerson(func(in *directory.PersonInput) { in.Affiliations = eastAsiaOfficer })},
			{name: "updatePerson affiliated in east-asia", write: updatePerson("shu-zhu", 1, func(in *directory.PersonInput) { in.Name = "Shu Zhu" })},
			{name: "updatePerson adding an east-asia affiliation", write: updatePerson(fixPerson, 1, func(in *directory.PersonInput) {
				in.Affiliations = []directory.Affiliation{{Title: "Fellow", Institution: directory.InstitutionRef{Kind: directory.InstitutionOrganization, Key: "shrdc"}}}
			})},
			{name: "deletePerson affiliated in east-asia", write: deletePerson("shu-zhu", 1)},
			{name: "grantMembership to an east-asia city", write: grant(directory.GrantMembershipInput{City: "beijing", CityVersion: 1,
				Category: directory.MembershipFull, Since: day(t, "2020-01-01")})},
			{name: "changeMembership of Seoul", write: changeMembership(directory.ChangeMembershipInput{City: "seoul", CityVersion: 2, Membership: "m1",
				Status: directory.MembershipSuspended})},
			{name: "endMembership of Seoul", write: endMembership(directory.EndMembershipInput{City: "seoul", CityVersion: 2, Membership: "m1", Until: today})},
			{name: "grantMembership to a southeast-asia city", write: grant(directory.GrantMembershipInput{City: fixMember, CityVersion: 2,
				Category: directory.MembershipFull, Since: day(t, "2020-01-01")})},
			{name: "reviewMembershipApplication routed to southeast-asia", write: review(directory.ReviewInput{Reference: f.submitted, Version: 1,
				Decision: directory.DecisionApprove})},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				before, entries := s.rm.Snapshot(), log.Len()
				wantRefused(t, log, s, before, entries, c.write(ctx, s.w, europe), directory.CodeForbidden, "")
			})
		}
		snap := s.rm.Snapshot()
		if _, err := snap.Applications(europe, directory.ApplicationFilter{Region: "southeast-asia"}, directory.PageArgs{}); code(err) != directory.CodeForbidden {
			t.Errorf("the applications of southeast-asia: %v, want FORBIDDEN", err)
		}
		if _, err := snap.Application(europe, f.submitted); code(err) != directory.CodeForbidden {
			t.Errorf("an application routed to southeast-asia: %v, want FORBIDDEN", err)
		}
		if _, err := auditor.AuditTrail(ctx, europe, directory.GlobalID(directory.KindOffice, fixOffice)); code(err) != directory.CodeForbidden {
			t.Errorf("the audit trail, even of a europe record: %v, want FORBIDDEN", err)
		}
	})

	t.Run("the applications it lists are its regions'", func(t *testing.T) {
		p, err := s.rm.Snapshot().Applications(europe, directory.ApplicationFilter{}, directory.PageArgs{})
		if err != nil {
			t.Fatal(err)
		}
		if nodes := p.Nodes(); p.TotalCount() != 1 || len(nodes) != 1 || nodes[0].Reference != german {
			t.Errorf("europe's applications: %d, want only %s", p.TotalCount(), german)
		}
	})

	t.Run("within them it writes", func(t *testing.T) {
		officer := []directory.Affiliation{{Title: "Officer", Institution: directory.InstitutionRef{Kind: directory.InstitutionSecretariat, Key: "european-secretariat"}}}
		steps := []struct {
			name  string
			write write
		}{
			{"createOffice", createOffice(func(in *directory.OfficeInput) { in.Name = "Europe Editor Office" })},
			{"updateOffice", updateOffice("europe-editor-office", 1, func(in *directory.OfficeInput) { in.Name = "Europe Editor Office Brussels" })},
			{"updateOffice of a fixture", updateOffice(fixOffice, 1, func(in *directory.OfficeInput) { in.Phone = "+32 2 230 00 00" })},
			{"createCity", createCity(func(in *directory.CityInput) { in.Name, in.Country = "Freiburg", "DE" })},
			{"updateCity", updateCity("freiburg", 1, func(in *directory.CityInput) { in.Name, in.Country, in.Population = "Freiburg", "DE", 236000 })},
			{"grantMembership", grant(directory.GrantMembershipInput{City: "freiburg", CityVersion: 2, Category: directory.MembershipFull, Since: day(t, "1990-06-01")})},
			{"changeMembership", changeMembership(directory.ChangeMembershipInput{City: "freiburg", CityVersion: 3, Membership: "m1", Status: directory.MembershipSuspended})},
			{"endMembership", endMembership(directory.EndMembershipInput{City: "freiburg", CityVersion: 4, Membership: "m1", Until: today})},
			{"createProgram", createProgram(func(in *directory.ProgramInput) {
				*in = directory.ProgramInput{Title: "Freiburg Green City Tour", Kind: directory.ProgramProject, HostCity: "freiburg"}
			})},
			{"updateProgram", updateProgram("freiburg-green-city-tour", 1, func(in *directory.ProgramInput) {
				*in = directory.ProgramInput{Title: "Freiburg Green City Tour", Kind: directory.ProgramCampaign, HostCity: "freiburg"}
			})},
			{"createOrganization", createOrganization(func(in *directory.OrganizationInput) {
				*in = directory.OrganizationInput{Name: "Öko-Institut", Country: "DE", City: "freiburg"}
			})},
			{"updateOrganization", updateOrganization("oko-institut", 1, func(in *directory.OrganizationInput) {
				*in = directory.OrganizationInput{Name: "Öko-Institut e.V.", Country: "DE", City: "freiburg"}
			})},
			{"createPerson", createPerson(func(in *directory.PersonInput) { in.Name, in.Affiliations = "Anna Weber", officer })},
			{"updatePerson", updatePerson("anna-weber", 1, func(in *directory.PersonInput) {
				in.Name = "Anna Weber"
				in.Affiliations = []directory.Affiliation{{Title: "Director", Institution: directory.InstitutionRef{Kind: directory.InstitutionOrganization, Key: "oko-institut"}}}
			})},
			{"reviewMembershipApplication", review(directory.ReviewInput{Reference: german, Version: 1, Decision: directory.DecisionApprove, Note: "Willkommen"})},
			{"deletePerson", deletePerson("anna-weber", 2)},
			{"deleteOrganization", deleteOrganization("oko-institut", 2)},
			{"deleteProgram", deleteProgram("freiburg-green-city-tour", 2)},
			{"deleteCity", deleteCity("freiburg", 5)},
			{"deleteOffice", deleteOffice("europe-editor-office", 2)},
		}
		for _, step := range steps {
			if err := step.write(ctx, s.w, europe); err != nil {
				t.Fatalf("%s: %v", step.name, err)
			}
		}
		if a, err := s.rm.Snapshot().Application(europe, german); err != nil || a.Status != directory.ApplicationApproved {
			t.Errorf("the editor reads its region's application: %v, %v", a, err)
		}
		trail, err := auditor.AuditTrail(ctx, admin, directory.GlobalID(directory.KindOffice, "europe-editor-office"))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range trail {
			if e.Actor != europe.Subject {
				t.Errorf("audit entry %s by %q, want %s", e.Action, e.Actor, europe.Subject)
			}
		}
		if len(trail) != 3 {
			t.Errorf("audit trail has %d entries, want 3", len(trail))
		}
	})

	t.Run("an editor of several regions acts in each", func(t *testing.T) {
		dai := &directory.Principal{Subject: "jwt:dai@iclei.org", Role: directory.RoleEditor, Regions: []string{"southeast-asia", "east-asia"}}
		if _, err := s.w.UpdateOffice(ctx, dai, "japan-office", 1, directory.OfficeInput{Name: "Japan Office", Kind: directory.OfficeCountry,
			Region: "east-asia", Secretariat: "east-asia-secretariat", Address: directory.AddressInput{Locality: "Tokyo", Country: "JP"}}); err != nil {
			t.Fatal(err)
		}
		trail, err := auditor.AuditTrail(ctx, admin, directory.GlobalID(directory.KindOffice, "japan-office"))
		if err != nil {
			t.Fatal(err)
		}
		if len(trail) == 0 || trail[0].Actor != dai.Subject || trail[0].Action != directory.ActionUpdate {
			t.Errorf("latest audit entry = %+v, want an UPDATE by %s", trail, dai.Subject)
		}
	})
}

func TestAnAdminActsEverywhere(t *testing.T) {
	t.Parallel()
	_, s, f, _ := scopedDirectory(t)
	ctx := context.Background()
	if _, err := s.w.UpdateOffice(ctx, admin, "korea-office", 1, officeInput("Korea Office")); err != nil {
		t.Error(err)
	}
	if _, err := s.w.ChangeMembership(ctx, admin, directory.ChangeMembershipInput{City: "seoul", CityVersion: 2, Membership: "m1", Note: "Founding member"}); err != nil {
		t.Error(err)
	}
	if _, err := s.rm.Snapshot().Applications(admin, directory.ApplicationFilter{Region: "southeast-asia"}, directory.PageArgs{}); err != nil {
		t.Error(err)
	}
	if _, err := s.w.ReviewApplication(ctx, admin, directory.ReviewInput{Reference: f.submitted, Version: 1, Decision: directory.DecisionReject, Note: "Incomplete."}); err != nil {
		t.Error(err)
	}
}

func TestARoleOtherThanAdminOrEditorMayNotWrite(t *testing.T) {
	t.Parallel()
	log, s := seededLog(t)
	guest := &directory.Principal{Subject: "jwt:guest", Role: "guest"}
	before, entries := s.rm.Snapshot(), log.Len()
	_, err := s.w.CreatePerson(context.Background(), guest, directory.PersonInput{Name: "Guest"})
	wantRefused(t, log, s, before, entries, err, directory.CodeForbidden, "")
}

func TestCheckRole(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name    string
		role    directory.Role
		regions []string
		field   string
	}{
		{"an admin", directory.RoleAdmin, nil, ""},
		{"an editor of a region", directory.RoleEditor, []string{"europe"}, ""},
		{"an editor of two regions", directory.RoleEditor, []string{"europe", "east-asia"}, ""},
		{"an admin with regions", directory.RoleAdmin, []string{"europe"}, "regions"},
		{"an editor without regions", directory.RoleEditor, nil, "regions"},
		{"an editor of an unknown region", directory.RoleEditor, []string{"atlantis"}, "regions"},
		{"an unknown role", "superuser", nil, "role"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := directory.CheckRole(c.role, c.regions)
			if c.field == "" {
				if err != nil {
					t.Errorf("refused: %v", err)
				}
				return
			}
			if code(err) != directory.CodeInvalidInput || fieldOf(err) != c.field {
				t.Errorf("%v, want BAD_USER_INPUT about %s", err, c.field)
			}
		})
	}
}
