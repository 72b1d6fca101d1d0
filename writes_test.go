package main

import (
	"context"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/iclei/directory/directory"
	"github.com/iclei/directory/internal/apitest"
)

// The write path of the whole server: a mutation over HTTP becomes one entry of the change log on the real
// database, the records are materialized there, the server serves the write at once, and the audit trail reads
// the entries back from the database. The rules of each write are tested where they live: the domain's in
// directory/ (validation_test.go, scopes_test.go, writes_test.go, applications_test.go) and the API's in graph/
// (mutations_test.go).

func TestWritesReachTheDatabase(t *testing.T) {
	t.Parallel()
	s := startServer(t, writeEnv())
	admin := signedJWT(t, "e2e-admin", directory.RoleAdmin)
	st := openStore(t, s.MongoURI, s.Database)
	ctx := context.Background()
	const key = "e2e-office"
	revision := func() int64 {
		t.Helper()
		rev, err := st.Revision(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return rev
	}
	stored := func() *directory.Office {
		t.Helper()
		data, err := st.Load(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for i := range data.Offices {
			if data.Offices[i].Key == key {
				return &data.Offices[i]
			}
		}
		return nil
	}
	rev0 := revision()

	var created struct{ CreateOffice struct{ ID, Key string } }
	mustGQL(t, s, admin, createOfficeQ, apitest.Input(apitest.Edit(apitest.Edit(officeInput(), "key", key), "name", "E2E Office")), &created)
	id := created.CreateOffice.ID
	if o := stored(); o == nil || o.Name != "E2E Office" || o.Version != 1 || revision() != rev0+1 {
		t.Fatalf("after the create: stored %+v at revision %d, want version 1 at %d", o, revision(), rev0+1)
	}

	var updated struct{ UpdateOffice struct{ Version int } }
	mustGQL(t, s, admin, updateOfficeQ, apitest.Keyed(key, 1, apitest.Edit(officeInput(), "name", "E2E Office Renamed")), &updated)
	var read struct{ Office struct{ Name string } }
	mustGQL(t, s, "", `{ office(key: "e2e-office") { name } }`, nil, &read)
	if updated.UpdateOffice.Version != 2 || read.Office.Name != "E2E Office Renamed" {
		t.Errorf("the update answered version %d and the server serves %q", updated.UpdateOffice.Version, read.Office.Name)
	}
	if o := stored(); o == nil || o.Name != "E2E Office Renamed" || o.Version != 2 {
		t.Errorf("after the update the database holds %+v", o)
	}

	t.Run("a refused write leaves the database as it was", func(t *testing.T) {
		for _, c := range []struct {
			query       string
			vars        map[string]any
			code, field string
		}{
			{updateOfficeQ, apitest.Keyed(key, 1, officeInput()), "CONFLICT", "version"},
			{createOfficeQ, apitest.Input(apitest.Edit(officeInput(), "phone", "abc")), "BAD_USER_INPUT", "input.phone"},
		} {
			before := readState(t, s, st)
			wantError(t, gql(t, s, request{Query: c.query, Variables: c.vars, Token: admin}), c.code, c.field)
			checkUnchanged(t, s, st, before)
		}
	})

	mustGQL(t, s, admin, deleteOfficeQ, apitest.Keyed(key, 2, nil), nil)
	var node struct{ Node any }
	mustGQL(t, s, "", `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": id}, &node)
	if o := stored(); o != nil || node.Node != nil || revision() != rev0+3 {
		t.Errorf("after the delete: stored %+v, node %v, revision %d; want none, null and %d", o, node.Node, revision(), rev0+3)
	}

	// The audit trail, read from the database's change log, newest first, shows each record as the database
	// keeps it.
	trail := auditTrail(t, s, admin, id)
	var got []string
	for _, e := range trail {
		got = append(got, fmt.Sprintf("%s v%d by %s: %v -> %v", e.Action, e.Version, e.Actor, e.Before["name"], e.After["name"]))
		if _, err := time.Parse(time.RFC3339, e.At); err != nil {
			t.Errorf("audit entry at %q: %v", e.At, err)
		}
	}
	want := []string{
		"DELETE v2 by jwt:e2e-admin: E2E Office Renamed -> <nil>",
		"UPDATE v2 by jwt:e2e-admin: E2E Office -> E2E Office Renamed",
		"CREATE v1 by jwt:e2e-admin: <nil> -> E2E Office",
	}
	if !slices.Equal(got, want) {
		t.Errorf("audit trail:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestConcurrentWritesOnTheDatabaseHaveOneWinner(t *testing.T) {
	t.Parallel()
	s := startServer(t, writeEnv())
	admin := signedJWT(t, "racer", directory.RoleAdmin)
	st := openStore(t, s.MongoURI, s.Database)
	ctx := context.Background()
	const n = 8

	rev0, _ := st.Revision(ctx)
	reqs := make([]request, n)
	for i := range reqs {
		reqs[i] = request{Query: updateOfficeQ, Token: admin, Variables: apitest.Keyed("korea-office", 1, map[string]any{
			"name": fmt.Sprintf("Korea Office %d", i), "kind": "COUNTRY_OFFICE", "region": "east-asia",
			"secretariat": "east-asia-secretariat", "address": map[string]any{"locality": "Seoul", "country": "KR"}})}
	}
	winner := oneWins(t, race(t, s, reqs), "version")
	data, err := st.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range data.Offices {
		if o.Key == "korea-office" && (o.Version != 2 || o.Name != fmt.Sprintf("Korea Office %d", winner)) {
			t.Errorf("stored office: version %d, name %q; want version 2 and the winner's name", o.Version, o.Name)
		}
	}
	if rev, _ := st.Revision(ctx); rev != rev0+1 {
		t.Errorf("revision moved from %d to %d, want one step", rev0, rev)
	}
	var updates int
	for _, e := range auditTrail(t, s, admin, directory.GlobalID(directory.KindOffice, "korea-office")) {
		if e.Action == "UPDATE" {
			updates++
		}
	}
	if updates != 1 {
		t.Errorf("audit trail has %d updates, want 1", updates)
	}
	var got struct{ Office struct{ Name string } }
	mustGQL(t, s, "", `{ office(key: "korea-office") { name } }`, nil, &got)
	if got.Office.Name != fmt.Sprintf("Korea Office %d", winner) {
		t.Errorf("the API serves %q, not the winner's name", got.Office.Name)
	}
}

var referencePattern = regexp.MustCompile(`^ICLEI-[A-Z2-7]{5}-[A-Z2-7]{5}-[A-Z2-7]{5}$`)

func TestApplicationsReachTheDatabase(t *testing.T) {
	t.Parallel()
	s := startServer(t, writeEnv())
	sea := signedJWT(t, "sea-editor", directory.RoleEditor, "southeast-asia")
	st := openStore(t, s.MongoURI, s.Database)
	ctx := context.Background()

	apply := func(name string) string {
		t.Helper()
		var a struct{ ApplyForMembership struct{ Reference string } }
		mustGQL(t, s, "", applyQ, apitest.Input(apitest.Edit(applicationInput(), "name", name)), &a)
		if !referencePattern.MatchString(a.ApplyForMembership.Reference) {
			t.Errorf("reference %q does not look like ICLEI-XXXXX-XXXXX-XXXXX", a.ApplyForMembership.Reference)
		}
		return a.ApplyForMembership.Reference
	}

	ref := apply("Hoi An")
	stored, err := st.Application(ctx, ref)
	if err != nil || stored == nil {
		t.Fatalf("stored application: %v, %v", stored, err)
	}
	if stored.Email != "lan.nguyen@example.vn" || stored.Phone == nil || stored.Phone.E164 != "+842353861234" ||
		stored.ContactName != "Lan Nguyen" || stored.Region != "southeast-asia" || stored.Secretariat != "southeast-asia-secretariat" || stored.Version != 1 {
		t.Errorf("stored application = %+v", stored)
	}

	t.Run("an approval puts the city in the public directory", func(t *testing.T) {
		mustGQL(t, s, sea, reviewQ, review(ref, 1, "APPROVE"), nil)
		var c struct {
			City struct{ Membership struct{ Status string } }
		}
		mustGQL(t, s, "", `{ city(key: "hoi-an") { membership { status } } }`, nil, &c)
		if c.City.Membership.Status != "ACTIVE" {
			t.Errorf("Hoi An's membership = %+v", c.City.Membership)
		}
		if a, err := st.Application(ctx, ref); err != nil || a.Status != directory.ApplicationApproved || a.City != "hoi-an" {
			t.Errorf("stored application after the approval = %+v, %v", a, err)
		}
	})

	t.Run("a rejection changes no record in the database but the application", func(t *testing.T) {
		ref := apply("Nowhere Town")
		before := readStoredState(t, s, st)
		mustGQL(t, s, sea, reviewQ, review(ref, 1, "REJECT", "note", "Please apply through your national association."), nil)
		after := readStoredState(t, s, st)
		if after.Revision != before.Revision+1 {
			t.Errorf("the rejection moved the revision from %d to %d, want one entry", before.Revision, after.Revision)
		}
		before.Data.Applications, after.Data.Applications = nil, nil
		before.Data.History, after.Data.History = nil, nil
		before.Data.Revision, after.Data.Revision = 0, 0
		before.Data.PublicRevision, after.Data.PublicRevision = 0, 0
		if !reflect.DeepEqual(after.Data, before.Data) {
			t.Errorf("a rejection changed the directory:\n%s", apitest.DiffJSON(before.Data, after.Data))
		}
	})
}
