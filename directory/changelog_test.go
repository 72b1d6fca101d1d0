package directory_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/iclei/directory/directory"
	"github.com/iclei/directory/seed"
)

var admin = &directory.Principal{Subject: "apikey:admin", Role: directory.RoleAdmin}

// server is one directory server in memory: its read model and write path over a change log it may share with
// other servers.
type server struct {
	rm *directory.ReadModel
	w  *directory.Writer
}

// newServer starts a server on the log, caught up with it.
func newServer(t testing.TB, log directory.Log) *server {
	t.Helper()
	rm := directory.NewReadModel(log, directory.NewSnapshot(directory.Data{}, time.Now()), slog.New(slog.DiscardHandler))
	if _, err := rm.CatchUp(context.Background()); err != nil {
		t.Fatal(err)
	}
	return &server{rm: rm, w: directory.NewWriter(log, rm)}
}

// seededLog returns a change log holding the seed data, and a server on it.
func seededLog(t testing.TB) (*directory.MemoryLog, *server) {
	t.Helper()
	log := directory.NewMemoryLog()
	s := newServer(t, log)
	data, _, err := seed.Build()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.Seed(context.Background(), directory.SeedActor, data, 20); err != nil {
		t.Fatal(err)
	}
	return log, s
}

func code(err error) directory.Code {
	if err == nil {
		return ""
	}
	return directory.ErrorCode(err)
}

func officeInput(name string) directory.OfficeInput {
	return directory.OfficeInput{Name: name, Kind: directory.OfficeCountry, Region: directory.RegionEastAsia,
		Secretariat: "east-asia-secretariat", Address: directory.AddressInput{Locality: "Seoul", Country: "KR"}}
}

func TestEveryWriteIsOneEntryAtTheNextRevision(t *testing.T) {
	t.Parallel()
	log, s := seededLog(t)
	ctx := context.Background()
	rev0 := s.rm.Snapshot().Revision
	if rev0 != int64(log.Len()) {
		t.Fatalf("snapshot at revision %d, log holds %d entries", rev0, log.Len())
	}
	o, err := s.w.UpdateOffice(ctx, admin, "korea-office", 1, officeInput("ICLEI Korea Office"))
	if err != nil {
		t.Fatal(err)
	}
	if o.Version != 2 || o.Name != "ICLEI Korea Office" {
		t.Fatalf("updated office: version %d name %q", o.Version, o.Name)
	}
	e, err := log.Entry(ctx, rev0+1)
	if err != nil || e == nil {
		t.Fatalf("entry %d: %v %v", rev0+1, e, err)
	}
	if e.Actor != admin.Subject || len(e.Changes) != 1 {
		t.Fatalf("entry: actor %q, %d changes", e.Actor, len(e.Changes))
	}
	c := e.Changes[0]
	before, after := c.Before.(*directory.Office), c.After.(*directory.Office)
	if c.Kind != directory.KindOffice || c.Key != "korea-office" || c.Action != directory.ActionUpdate || c.Version != 1 ||
		before.Name != "Korea Office" || after.Name != "ICLEI Korea Office" || after.Version != 2 {
		t.Errorf("change: %+v before %q after %q v%d", c, before.Name, after.Name, after.Version)
	}
	if got := s.rm.Snapshot().Revision; got != rev0+1 {
		t.Errorf("served revision %d, want %d", got, rev0+1)
	}

	t.Run("a refused write appends nothing", func(t *testing.T) {
		_, err := s.w.UpdateOffice(ctx, admin, "korea-office", 1, officeInput("Stale"))
		if code(err) != directory.CodeConflict {
			t.Errorf("stale version: %v, want CONFLICT", err)
		}
		_, err = s.w.UpdateOffice(ctx, admin, "korea-office", 2, directory.OfficeInput{})
		if code(err) != directory.CodeInvalidInput {
			t.Errorf("empty input: %v, want BAD_USER_INPUT", err)
		}
		if log.Len() != int(rev0+1) {
			t.Errorf("log holds %d entries, want %d", log.Len(), rev0+1)
		}
	})
}

func TestOldSnapshotsStayAsTheyWere(t *testing.T) {
	t.Parallel()
	_, s := seededLog(t)
	old := s.rm.Snapshot()
	if _, err := s.w.UpdateOffice(context.Background(), admin, "korea-office", 1, officeInput("Renamed")); err != nil {
		t.Fatal(err)
	}
	if got := old.Office("korea-office").Name; got != "Korea Office" {
		t.Errorf("the old snapshot's office is named %q", got)
	}
	p, err := old.Search("Renamed", nil, directory.PageArgs{})
	if err != nil || p.TotalCount() != 0 {
		t.Errorf("the old snapshot finds the new name: %v %v", p, err)
	}
	p, err = s.rm.Snapshot().Search("Renamed", nil, directory.PageArgs{})
	if err != nil || p.TotalCount() != 1 {
		t.Errorf("the new snapshot does not find the new name: %v", err)
	}
}

// race runs fn on every server at once and returns their errors.
func race(servers []*server, fn func(i int, s *server) error) []error {
	errs := make([]error, len(servers))
	var start, done sync.WaitGroup
	start.Add(1)
	for i, s := range servers {
		done.Go(func() {
			start.Wait()
			errs[i] = fn(i, s)
		})
	}
	start.Done()
	done.Wait()
	return errs
}

// oneWins checks that exactly one of errs is nil and the others carry a code of want.
func oneWins(t *testing.T, errs []error, want ...directory.Code) int {
	t.Helper()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Fatalf("writers %d and %d both won", winner, i)
		case err == nil:
			winner = i
		case !containsCode(want, code(err)):
			t.Fatalf("writer %d: %v, want one of %v", i, err, want)
		}
	}
	if winner < 0 {
		t.Fatalf("no writer won: %v", errs)
	}
	return winner
}

func containsCode(codes []directory.Code, c directory.Code) bool {
	for _, x := range codes {
		if x == c {
			return true
		}
	}
	return false
}

// TestRacesAcrossServersHaveOneWinner runs each race between servers that share one log and nothing else.
func TestRacesAcrossServersHaveOneWinner(t *testing.T) {
	t.Parallel()
	const rounds = 40
	ctx := context.Background()

	t.Run("same-version updates", func(t *testing.T) {
		t.Parallel()
		log, first := seededLog(t)
		servers := []*server{first, newServer(t, log), newServer(t, log)}
		version := 1
		for round := range rounds {
			errs := race(servers, func(i int, s *server) error {
				_, err := s.w.UpdateOffice(ctx, admin, "korea-office", version, officeInput(fmt.Sprintf("Korea %d/%d", round, i)))
				return err
			})
			winner := oneWins(t, errs, directory.CodeConflict)
			version++
			for _, s := range servers {
				if _, err := s.rm.CatchUp(ctx); err != nil {
					t.Fatal(err)
				}
				if o := s.rm.Snapshot().Office("korea-office"); o.Version != version || o.Name != fmt.Sprintf("Korea %d/%d", round, winner) {
					t.Fatalf("round %d: a server holds version %d %q, want %d and the winner's name", round, o.Version, o.Name, version)
				}
			}
		}
	})

	t.Run("delete against update", func(t *testing.T) {
		t.Parallel()
		log, first := seededLog(t)
		second := newServer(t, log)
		for round := range rounds {
			key := fmt.Sprintf("office-%d", round)
			in := officeInput("Office " + key)
			in.Key = key
			if _, err := first.w.CreateOffice(ctx, admin, in); err != nil {
				t.Fatal(err)
			}
			if _, err := second.rm.CatchUp(ctx); err != nil {
				t.Fatal(err)
			}
			errs := race([]*server{first, second}, func(i int, s *server) error {
				if i == 0 {
					return s.w.DeleteOffice(ctx, admin, key, 1)
				}
				_, err := s.w.UpdateOffice(ctx, admin, key, 1, in)
				return err
			})
			winner := oneWins(t, errs, directory.CodeConflict, directory.CodeNotFound)
			if _, err := first.rm.CatchUp(ctx); err != nil {
				t.Fatal(err)
			}
			o := first.rm.Snapshot().Office(key)
			if (winner == 0) != (o == nil) {
				t.Fatalf("round %d: winner %d, office afterwards %v", round, winner, o)
			}
		}
	})

	t.Run("delete against a new reference", func(t *testing.T) {
		t.Parallel()
		log, first := seededLog(t)
		second := newServer(t, log)
		for round := range rounds {
			org := fmt.Sprintf("org-%d", round)
			if _, err := first.w.CreateOrganization(ctx, admin, directory.OrganizationInput{Key: org, Name: "Org " + org, Country: "KR"}); err != nil {
				t.Fatal(err)
			}
			if _, err := second.rm.CatchUp(ctx); err != nil {
				t.Fatal(err)
			}
			errs := race([]*server{first, second}, func(i int, s *server) error {
				if i == 0 {
					return s.w.DeleteOrganization(ctx, admin, org, 1)
				}
				_, err := s.w.CreatePerson(ctx, admin, directory.PersonInput{Key: "person-" + org, Name: "Person " + org,
					Affiliations: []directory.Affiliation{{Title: "Director", Institution: directory.InstitutionRef{Kind: directory.InstitutionOrganization, Key: org}}}})
				return err
			})
			oneWins(t, errs, directory.CodeConflict, directory.CodeInvalidInput)
			for _, s := range []*server{first, second} {
				if _, err := s.rm.CatchUp(ctx); err != nil {
					t.Fatal(err)
				}
				snap := s.rm.Snapshot()
				for _, p := range snap.Data().People {
					for _, a := range p.Affiliations {
						if a.Institution.Kind == directory.InstitutionOrganization && snap.Organization(a.Institution.Key) == nil {
							t.Fatalf("round %d: %s points at the deleted organization %s", round, p.Key, a.Institution.Key)
						}
					}
				}
			}
		}
	})
}

// flakyLog stores entries but loses the answer to every append once.
type flakyLog struct {
	*directory.MemoryLog
	lose bool
}

func (l *flakyLog) Append(ctx context.Context, e *directory.Entry) (*directory.Entry, error) {
	stored, err := l.MemoryLog.Append(ctx, e)
	if err == nil && l.lose {
		return nil, errors.New("connection reset")
	}
	return stored, err
}

func TestAWriteWhoseAnswerWasLostIsFoundNotRepeated(t *testing.T) {
	t.Parallel()
	log, _ := seededLog(t)
	flaky := &flakyLog{MemoryLog: log, lose: true}
	s := newServer(t, flaky)
	n := log.Len()
	o, err := s.w.UpdateOffice(context.Background(), admin, "korea-office", 1, officeInput("Found"))
	if err != nil {
		t.Fatalf("the write was stored but reported %v", err)
	}
	if o.Name != "Found" || log.Len() != n+1 {
		t.Errorf("office %q, log grew by %d entries; want the write once", o.Name, log.Len()-n)
	}
}

func TestAWriteTheStoreRefusesIsUnavailableAndChangesNothing(t *testing.T) {
	t.Parallel()
	log, s := seededLog(t)
	n := log.Len()
	log.Fail = func(op string, _ int64) error { return errors.New("database down") }
	_, err := s.w.UpdateOffice(context.Background(), admin, "korea-office", 1, officeInput("Lost"))
	if code(err) != directory.CodeUnavailable {
		t.Errorf("write with the database down: %v, want UNAVAILABLE", err)
	}
	log.Fail = nil
	if log.Len() != n || s.rm.Snapshot().Office("korea-office").Name != "Korea Office" {
		t.Error("a refused write changed the directory")
	}
	if _, err := s.rm.CatchUp(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestSeedingAgainWritesNothingAndKeepsEdits(t *testing.T) {
	t.Parallel()
	log, s := seededLog(t)
	ctx := context.Background()
	if _, err := s.w.UpdateOffice(ctx, admin, "korea-office", 1, officeInput("Edited")); err != nil {
		t.Fatal(err)
	}
	n := log.Len()
	data, _, err := seed.Build()
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.w.Seed(ctx, directory.SeedActor, data, 20)
	if err != nil {
		t.Fatal(err)
	}
	if r.Inserted != 0 || r.Updated != 0 || len(r.Kept) != 1 || log.Len() != n {
		t.Errorf("seeding again: %+v, log grew by %d", r, log.Len()-n)
	}
	data.Offices[1].Name += " (changed seed)"
	if r, err = s.w.Seed(ctx, directory.SeedActor, data, 20); err != nil {
		t.Fatal(err)
	}
	if r.Updated != 1 || log.Len() != n+1 {
		t.Errorf("seeding a changed record: %+v, log grew by %d", r, log.Len()-n)
	}
}

func TestAPIKeysFollowTheLog(t *testing.T) {
	t.Parallel()
	log, first := seededLog(t)
	second := newServer(t, log)
	ctx := context.Background()
	hash := fmt.Sprintf("%064x", 1)
	if err := first.w.MintAPIKey(ctx, "cli", directory.APIKey{Name: "alice", Hash: hash, Role: directory.RoleAdmin, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if _, err := second.rm.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	if k, _ := second.rm.APIKey(ctx, hash); k == nil || k.Revoked {
		t.Fatalf("the second server does not know the key: %+v", k)
	}
	err := first.w.MintAPIKey(ctx, "cli", directory.APIKey{Name: "alice", Hash: fmt.Sprintf("%064x", 2), Role: directory.RoleAdmin})
	if code(err) != directory.CodeConflict {
		t.Errorf("a second key named alice: %v, want CONFLICT", err)
	}
	if ok, err := first.w.RevokeAPIKey(ctx, "cli", "alice"); !ok || err != nil {
		t.Fatalf("revoke: %v %v", ok, err)
	}
	if _, err := second.rm.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	if k, _ := second.rm.APIKey(ctx, hash); k == nil || !k.Revoked {
		t.Errorf("the second server still takes the revoked key: %+v", k)
	}
	if err := first.w.MintAPIKey(ctx, "cli", directory.APIKey{Name: "alice", Hash: fmt.Sprintf("%064x", 3), Role: directory.RoleAdmin}); err != nil {
		t.Errorf("minting alice again after revoking: %v", err)
	}
}

func TestApprovalIsOneEntry(t *testing.T) {
	t.Parallel()
	log, s := seededLog(t)
	ctx := context.Background()
	a, err := s.w.SubmitApplication(ctx, directory.ApplicationInput{Name: "Hoi An", Country: "VN", Category: directory.MembershipFull,
		ContactName: "Lan", Email: "lan@example.vn", Motivation: "Heritage."})
	if err != nil {
		t.Fatal(err)
	}
	n := log.Len()
	decided, err := s.w.ReviewApplication(ctx, admin, directory.ReviewInput{Reference: a.Reference, Version: 1, Decision: directory.DecisionApprove})
	if err != nil {
		t.Fatal(err)
	}
	if log.Len() != n+1 {
		t.Fatalf("the approval took %d entries, want 1", log.Len()-n)
	}
	e, _ := log.Entry(ctx, int64(n+1))
	if len(e.Changes) != 2 || e.Changes[0].Kind != directory.KindCity || e.Changes[1].Kind != directory.KindApplication {
		t.Errorf("the approval's entry changes %d records", len(e.Changes))
	}
	c := s.rm.Snapshot().City(decided.City)
	if c == nil || len(c.Memberships) != 1 || c.Memberships[0].Application != a.Reference {
		t.Errorf("the approved city: %+v", c)
	}
	if _, err := s.w.ReviewApplication(ctx, admin, directory.ReviewInput{Reference: a.Reference, Version: 2, Decision: directory.DecisionApprove}); code(err) != directory.CodeConflict {
		t.Errorf("approving twice: %v, want CONFLICT", err)
	}
}

// TestDeltasAgreeWithARebuild checks that a snapshot followed through the log by deltas holds what a snapshot
// built from scratch holds, whichever way it was reached: replaying the log, or loading the data it saved.
func TestDeltasAgreeWithARebuild(t *testing.T) {
	t.Parallel()
	log, s := seededLog(t)
	ctx := context.Background()
	for i := range 30 {
		key := fmt.Sprintf("office-%d", i%7)
		switch old := s.rm.Snapshot().Office(key); {
		case old == nil:
			in := officeInput("Office " + key)
			in.Key = key
			if _, err := s.w.CreateOffice(ctx, admin, in); err != nil {
				t.Fatal(err)
			}
		case i%3 == 0:
			if err := s.w.DeleteOffice(ctx, admin, key, old.Version); err != nil {
				t.Fatal(err)
			}
		default:
			if _, err := s.w.UpdateOffice(ctx, admin, key, old.Version, officeInput(fmt.Sprintf("Office %s, take %d", key, i))); err != nil {
				t.Fatal(err)
			}
		}
		if i%5 == 0 {
			c := s.rm.Snapshot().City("seoul")
			if _, err := s.w.GrantMembership(ctx, admin, directory.GrantMembershipInput{City: "seoul", CityVersion: c.Version,
				Category: directory.MembershipFull, Since: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)}); err != nil && code(err) != directory.CodeConflict {
				t.Fatal(err)
			}
		}
	}
	followed := s.rm.Snapshot()
	replayed := newServer(t, log).rm.Snapshot()
	reloaded := directory.NewSnapshot(followed.Data(), time.Now())
	want := jsonOf(t, followed.Data())
	for name, snap := range map[string]*directory.Snapshot{"replayed": replayed, "reloaded": reloaded} {
		if got := jsonOf(t, snap.Data()); got != want {
			t.Errorf("%s snapshot holds other data than the followed one", name)
		}
		for _, q := range []string{"office", "seoul", "take"} {
			a, _ := followed.Search(q, nil, directory.PageArgs{})
			b, _ := snap.Search(q, nil, directory.PageArgs{})
			if a.TotalCount() != b.TotalCount() {
				t.Errorf("%s snapshot: search %q finds %d, the followed one %d", name, q, b.TotalCount(), a.TotalCount())
			}
		}
		fp, _ := followed.Offices(directory.OfficeFilter{Region: directory.RegionEastAsia}, directory.Order{}, directory.PageArgs{})
		sp, _ := snap.Offices(directory.OfficeFilter{Region: directory.RegionEastAsia}, directory.Order{}, directory.PageArgs{})
		if jsonOf(t, fp.Nodes()) != jsonOf(t, sp.Nodes()) || fp.TotalCount() != sp.TotalCount() {
			t.Errorf("%s snapshot pages East Asia's offices otherwise", name)
		}
		if followed.Counts() != snap.Counts() {
			t.Errorf("%s snapshot counts %+v, the followed one %+v", name, snap.Counts(), followed.Counts())
		}
	}
}

func jsonOf(t *testing.T, x any) string {
	t.Helper()
	b, err := json.Marshal(x)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestPrivateWritesLeaveThePublicRevision(t *testing.T) {
	t.Parallel()
	_, s := seededLog(t)
	ctx := context.Background()
	before := s.rm.Snapshot()
	if _, err := s.w.SubmitApplication(ctx, directory.ApplicationInput{Name: "Hoi An", Country: "VN", Category: directory.MembershipFull,
		ContactName: "Lan", Email: "lan@example.vn", Motivation: "Heritage."}); err != nil {
		t.Fatal(err)
	}
	after := s.rm.Snapshot()
	if after.Revision != before.Revision+1 || after.PublicRevision != before.PublicRevision || !after.LoadedAt.Equal(before.LoadedAt) {
		t.Errorf("an application moved the public revision: %d/%d -> %d/%d", before.Revision, before.PublicRevision, after.Revision, after.PublicRevision)
	}
	if _, err := s.w.UpdateOffice(ctx, admin, "korea-office", 1, officeInput("Renamed")); err != nil {
		t.Fatal(err)
	}
	if got := s.rm.Snapshot(); got.PublicRevision != got.Revision {
		t.Errorf("a public write left the public revision at %d, revision %d", got.PublicRevision, got.Revision)
	}
}
