package mongodb_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/iclei/directory/directory"
)

// TestTheAuditTrailKeepsEachRecordBeforeAndAfter writes a record's life as the writer does, one entry per write,
// and reads its audit trail back: who did what, at which version, with the record before and after in the
// store's own field names, which clients see in auditTrail.
func TestTheAuditTrailKeepsEachRecordBeforeAndAfter(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	at := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	v1 := &directory.Office{Key: "e2e-office", Name: "E2E Office", Kind: directory.OfficeCountry, Region: "europe", Version: 1,
		Phone: &directory.Phone{E164: "+3222300000", Written: "02 230 00 00"}, Provenance: directory.Provenance{Origin: directory.OriginWrite}}
	v2 := *v1
	v2.Name, v2.Version = "E2E Office Renamed", 2
	for i, c := range []directory.Change{
		{Kind: directory.KindOffice, Key: v1.Key, Action: directory.ActionCreate, After: v1},
		{Kind: directory.KindOffice, Key: v1.Key, Action: directory.ActionUpdate, Version: 1, Before: v1, After: &v2},
		{Kind: directory.KindOffice, Key: v1.Key, Action: directory.ActionDelete, Version: 2, Before: &v2},
	} {
		rev := int64(i + 1)
		if _, err := s.Append(ctx, &directory.Entry{Revision: rev, At: at.Add(time.Duration(i) * time.Minute), Actor: "apikey:alice",
			WriteID: fmt.Sprint(rev), Changes: []directory.Change{c}}); err != nil {
			t.Fatal(err)
		}
	}
	trail, err := s.AuditEntries(ctx, directory.KindOffice, v1.Key, []int64{3, 2, 1})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range trail {
		got = append(got, fmt.Sprintf("%s %s v%d by %s at %s: %v -> %v", e.ID, e.Action, e.Version, e.Actor, e.At.Format("15:04"),
			e.Before["name"], e.After["name"]))
	}
	want := []string{
		"3 DELETE v2 by apikey:alice at 09:02: E2E Office Renamed -> <nil>",
		"2 UPDATE v2 by apikey:alice at 09:01: E2E Office -> E2E Office Renamed",
		"1 CREATE v1 by apikey:alice at 09:00: <nil> -> E2E Office",
	}
	if !slices.Equal(got, want) {
		t.Errorf("audit trail:\n%q\nwant\n%q", got, want)
	}
	if trail[2].After["phone"] == nil || trail[0].After != nil || trail[2].Before != nil {
		t.Errorf("the create shows %v after, the delete %v after and the create %v before", trail[2].After, trail[0].After, trail[2].Before)
	}
}

// TestAnApplicationKeepsItsContactData: an application's contact data, which only staff may read, survives the
// trip through the log and the collections as written.
func TestAnApplicationKeepsItsContactData(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	a := &directory.Application{Reference: "ICLEI-AAAAA-BBBBB-CCCCC", Status: directory.ApplicationSubmitted, Name: "Hoi An", Country: "VN",
		Population: 152160, Category: directory.MembershipFull, ContactName: "Lan Nguyen", Email: "lan.nguyen@example.vn",
		Phone: &directory.Phone{E164: "+842353861234", Written: "0235 3861 234"}, Motivation: "Heritage.",
		Region: "southeast-asia", Secretariat: "southeast-asia-secretariat", SubmittedAt: time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC), Version: 1}
	e := &directory.Entry{Revision: 1, At: time.Now(), Actor: "applicant:" + a.Email, WriteID: "w1",
		Changes: []directory.Change{{Kind: directory.KindApplication, Key: a.Reference, Action: directory.ActionCreate, After: a}}}
	stored, err := s.Append(ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	read, err := s.Entry(ctx, 1)
	if err != nil || read == nil {
		t.Fatalf("entry 1: %v, %v", read, err)
	}
	if got, want := content(t, read.Changes[0].After), content(t, a); got != want {
		t.Errorf("the log gives back\n%s\nwant\n%s", got, want)
	}
	if err := s.Materialize(ctx, stored, directory.NewSnapshot(directory.Data{Revision: 1}, time.Now())); err != nil {
		t.Fatal(err)
	}
	d, err := s.LoadMaterialized(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Applications) != 1 || content(t, d.Applications[0]) != content(t, a) {
		t.Errorf("the collections hold %+v", d.Applications)
	}
}
