package directory_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/iclei/directory/directory"
)

// The write tests run against the seeded directory and these fixtures, which writeFixtures adds as an admin.
const (
	fixOffice       = "fixture-office"       // europe, version 1
	fixCity         = "fixture-city"         // DE, no membership, version 1
	fixMember       = "fixture-member"       // VN, active membership m1 since 2020-01-01, version 2
	fixEnded        = "fixture-ended"        // DE, membership m1 ended, version 3
	fixProgram      = "fixture-program"      // europe, version 1
	fixOrganization = "fixture-organization" // DE, version 1
	fixPerson       = "fixture-person"       // no affiliation, version 1

	program2016 = "2016-low-carbon-capacity-program-chinese-local-governments"
)

// fixtures are the applications writeFixtures submits: one submitted, one already rejected.
type fixtures struct {
	submitted, decided string
}

// Valid inputs, which the tables edit into the inputs they need.
func officeIn() directory.OfficeInput {
	return directory.OfficeInput{Name: "Bad Input Office", Kind: directory.OfficeCountry, Region: "europe",
		Address: directory.AddressInput{Street: []string{"Rue Haute 1"}, Locality: "Brussels", Country: "BE"}}
}

func cityIn() directory.CityInput { return directory.CityInput{Name: "Bad Input City", Country: "DE"} }

func programIn() directory.ProgramInput {
	return directory.ProgramInput{Title: "Bad Input Program", Kind: directory.ProgramProject, Region: "europe"}
}

func organizationIn() directory.OrganizationInput {
	return directory.OrganizationInput{Name: "Bad Input Organization", Country: "DE"}
}

func personIn() directory.PersonInput { return directory.PersonInput{Name: "Bad Input Person"} }

func applicationIn() directory.ApplicationInput {
	return directory.ApplicationInput{Name: "Hoi An", Country: "VN", Population: 152160, Category: directory.MembershipFull,
		ContactName: "Lan Nguyen", Email: "lan.nguyen@example.vn", Phone: "0235 3861 234",
		Motivation: "Hoi An wants to share its heritage conservation and climate adaptation work."}
}

// day is the date written as 2006-01-02.
func day(t testing.TB, s string) time.Time {
	t.Helper()
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// editor is an editor of the regions.
func editor(name string, regions ...string) *directory.Principal {
	return &directory.Principal{Subject: "apikey:" + name, Role: directory.RoleEditor, Regions: regions}
}

// writeFixtures writes the fixtures on the server as an admin.
func writeFixtures(t testing.TB, s *server) fixtures {
	t.Helper()
	ctx := context.Background()
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	o := officeIn()
	o.Key = fixOffice
	must(s.w.CreateOffice(ctx, admin, o))
	c := cityIn()
	c.Key = fixCity
	must(s.w.CreateCity(ctx, admin, c))
	must(s.w.CreateCity(ctx, admin, directory.CityInput{Key: fixMember, Name: "Fixture Member", Country: "VN"}))
	must(s.w.GrantMembership(ctx, admin, directory.GrantMembershipInput{City: fixMember, CityVersion: 1,
		Category: directory.MembershipFull, Since: day(t, "2020-01-01")}))
	must(s.w.CreateCity(ctx, admin, directory.CityInput{Key: fixEnded, Name: "Fixture Ended", Country: "DE"}))
	must(s.w.GrantMembership(ctx, admin, directory.GrantMembershipInput{City: fixEnded, CityVersion: 1,
		Category: directory.MembershipFull, Since: day(t, "2018-01-01")}))
	must(s.w.EndMembership(ctx, admin, directory.EndMembershipInput{City: fixEnded, CityVersion: 2, Membership: "m1",
		Until: day(t, "2021-06-30")}))
	p := programIn()
	p.Key = fixProgram
	must(s.w.CreateProgram(ctx, admin, p))
	org := organizationIn()
	org.Key = fixOrganization
	must(s.w.CreateOrganization(ctx, admin, org))
	per := personIn()
	per.Key = fixPerson
	must(s.w.CreatePerson(ctx, admin, per))

	var f fixtures
	a, err := s.w.SubmitApplication(ctx, applicationIn())
	must(a, err)
	f.submitted = a.Reference
	in := applicationIn()
	in.Name = "Decided Town"
	a, err = s.w.SubmitApplication(ctx, in)
	must(a, err)
	f.decided = a.Reference
	must(s.w.ReviewApplication(ctx, admin, directory.ReviewInput{Reference: f.decided, Version: 1,
		Decision: directory.DecisionReject, Note: "Not a local government."}))
	return f
}

// fieldOf returns the field a domain error is about, or "".
func fieldOf(err error) string {
	var e *directory.Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}

// wantRefused checks that err carries the code and, where field is given, is about that field, and that the
// write appended nothing to the log and published no snapshot.
func wantRefused(t *testing.T, log *directory.MemoryLog, s *server, before *directory.Snapshot, entries int, err error, want directory.Code, field string) {
	t.Helper()
	if got := code(err); got != want {
		t.Fatalf("error %v (%s), want %s", err, got, want)
	}
	if got := fieldOf(err); field != "" && got != field {
		t.Errorf("%s error is about %q, want %q: %v", want, got, field, err)
	}
	if want == directory.CodeInvalidInput && fieldOf(err) == "" {
		t.Errorf("an invalid-input error names no field: %v", err)
	}
	if err.Error() == "" {
		t.Error("the error has no message")
	}
	if log.Len() != entries {
		t.Errorf("a refused write appended %d entries", log.Len()-entries)
	}
	if s.rm.Snapshot() != before {
		t.Error("a refused write published a new snapshot")
	}
}
