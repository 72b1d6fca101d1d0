package directory_test

import (
	"context"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/iclei/directory/directory"
)

var referencePattern = regexp.MustCompile(`^ICLEI-[A-Z2-7]{5}-[A-Z2-7]{5}-[A-Z2-7]{5}$`)

func TestApplicationFromSubmissionToMembership(t *testing.T) {
	t.Parallel()
	log, s := seededLog(t)
	ctx := context.Background()
	sea := editor("sea-editor", "southeast-asia")
	europe := editor("europe-editor", "europe")

	// An applicant from Viet Nam applies without a principal; Southeast Asia serves Viet Nam.
	a, err := s.w.SubmitApplication(ctx, applicationIn())
	if err != nil {
		t.Fatal(err)
	}
	ref := a.Reference
	if !referencePattern.MatchString(ref) {
		t.Errorf("reference %q does not look like ICLEI-XXXXX-XXXXX-XXXXX", ref)
	}
	if a.Status != directory.ApplicationSubmitted || a.Region != "southeast-asia" || a.Secretariat != "southeast-asia-secretariat" ||
		!a.DecidedAt.IsZero() || a.DecisionNote != "" || a.City != "" || a.SubmittedAt.IsZero() || a.Version != 1 {
		t.Errorf("submitted application = %+v", a)
	}
	if a.Email != "lan.nguyen@example.vn" || a.Phone == nil || a.Phone.E164 != "+842353861234" || a.ContactName != "Lan Nguyen" ||
		a.Population != 152160 || a.Category != directory.MembershipFull {
		t.Errorf("the application's contact data = %+v", a)
	}
	trail, err := directory.NewAuditor(s.rm, log).AuditTrail(ctx, admin, directory.GlobalID(directory.KindApplication, ref))
	if err != nil {
		t.Fatal(err)
	}
	if len(trail) != 1 || trail[0].Action != directory.ActionCreate || trail[0].Actor != "applicant:lan.nguyen@example.vn" {
		t.Errorf("application audit trail = %+v", trail)
	}

	t.Run("the applicant finds it by reference in any case and spacing", func(t *testing.T) {
		for _, r := range []string{ref, strings.ToLower(ref), " " + ref + " "} {
			got, err := s.rm.Snapshot().ApplicationByReference(r)
			if err != nil || got == nil || !reflect.DeepEqual(*got, *a) {
				t.Errorf("application by %q = %+v, %v", r, got, err)
			}
		}
		if got, err := s.rm.Snapshot().ApplicationByReference("ICLEI-AAAAA-BBBBB-CCCCC"); got != nil || err != nil {
			t.Errorf("an unknown reference = %+v, %v; want none", got, err)
		}
		if _, err := s.rm.Snapshot().ApplicationByReference(strings.Repeat("A", 41)); code(err) != directory.CodeInvalidInput {
			t.Errorf("a reference too long: %v, want BAD_USER_INPUT", err)
		}
	})

	t.Run("staff of its region see it, others do not", func(t *testing.T) {
		snap := s.rm.Snapshot()
		p, err := snap.Applications(sea, directory.ApplicationFilter{}, directory.PageArgs{})
		if err != nil {
			t.Fatal(err)
		}
		if nodes := p.Nodes(); p.TotalCount() != 1 || len(nodes) != 1 || nodes[0].Reference != ref || nodes[0].Email != "lan.nguyen@example.vn" {
			t.Errorf("southeast-asia editor's applications: %d %+v", p.TotalCount(), nodes)
		}
		p, err = snap.Applications(admin, directory.ApplicationFilter{Status: directory.ApplicationSubmitted, Region: "southeast-asia"}, directory.PageArgs{})
		if err != nil || p.TotalCount() != 1 || p.Nodes()[0].Reference != ref {
			t.Errorf("admin's submitted southeast-asia applications: %v", err)
		}
		p, err = snap.Applications(admin, directory.ApplicationFilter{Status: directory.ApplicationApproved}, directory.PageArgs{})
		if err != nil || p.TotalCount() != 0 {
			t.Errorf("approved applications before any approval: %v", err)
		}
		p, err = snap.Applications(europe, directory.ApplicationFilter{}, directory.PageArgs{})
		if err != nil || p.TotalCount() != 0 || len(p.Nodes()) != 0 {
			t.Errorf("europe editor's applications: %v, want none", err)
		}
		if _, err := snap.Applications(europe, directory.ApplicationFilter{Region: "southeast-asia"}, directory.PageArgs{}); code(err) != directory.CodeForbidden {
			t.Errorf("europe editor asking for southeast-asia: %v, want FORBIDDEN", err)
		}
		if _, err := snap.Applications(admin, directory.ApplicationFilter{Region: "atlantis"}, directory.PageArgs{}); code(err) != directory.CodeInvalidInput || fieldOf(err) != "filter.region" {
			t.Errorf("an unknown region: %v, want BAD_USER_INPUT about filter.region", err)
		}
		if _, err := snap.Applications(admin, directory.ApplicationFilter{Status: "PENDING"}, directory.PageArgs{}); code(err) != directory.CodeInvalidInput || fieldOf(err) != "filter.status" {
			t.Errorf("an unknown status: %v, want BAD_USER_INPUT about filter.status", err)
		}
	})

	// The secretariat approves; the city joins the public directory at once.
	day0 := time.Now().UTC().Format(time.DateOnly)
	got, err := s.w.ReviewApplication(ctx, sea, directory.ReviewInput{Reference: ref, Version: 1, Decision: directory.DecisionApprove, Note: "Welcome to ICLEI!"})
	if err != nil {
		t.Fatal(err)
	}
	day1 := time.Now().UTC().Format(time.DateOnly)
	if got.Status != directory.ApplicationApproved || got.DecidedBy != sea.Subject || got.DecisionNote != "Welcome to ICLEI!" || got.Version != 2 ||
		got.DecidedAt.IsZero() || got.City != "hoi-an" || got.Membership != "m1" {
		t.Errorf("review = %+v", got)
	}

	t.Run("the approved city is in the public directory", func(t *testing.T) {
		snap := s.rm.Snapshot()
		c := snap.City("hoi-an")
		if c == nil {
			t.Fatal("no city hoi-an")
		}
		m := c.CurrentMembership()
		if c.Name != "Hoi An" || c.Population != 152160 || c.Country != "VN" || c.Region != "southeast-asia" || m == nil ||
			m.Category != directory.MembershipFull || m.Status != directory.MembershipActive ||
			(m.Since.Format(time.DateOnly) != day0 && m.Since.Format(time.DateOnly) != day1) || m.Secretariat != "southeast-asia-secretariat" {
			t.Errorf("city = %+v, membership %+v", c, m)
		}
		active, err := snap.Cities(directory.CityFilter{MembershipStatus: directory.MembershipActive}, directory.Order{}, directory.PageArgs{})
		if err != nil || !slices.Equal(keysOf(active.Nodes()), []string{"hoi-an"}) {
			t.Errorf("active members: %v", err)
		}
		members, err := snap.Cities(directory.CityFilter{Secretariat: "southeast-asia-secretariat"}, directory.Order{}, directory.PageArgs{})
		if err != nil || !slices.Equal(keysOf(members.Nodes()), []string{"hoi-an"}) {
			t.Errorf("members the Southeast Asia Secretariat serves: %v", err)
		}
		if n := snap.Counts().Memberships; n != 1 {
			t.Errorf("memberships = %d, want 1", n)
		}
	})

	t.Run("the applicant sees the decision by reference", func(t *testing.T) {
		a, err := s.rm.Snapshot().ApplicationByReference(ref)
		if err != nil || a.Status != directory.ApplicationApproved || a.DecisionNote != "Welcome to ICLEI!" || a.City != "hoi-an" || a.DecidedAt.IsZero() {
			t.Errorf("status = %+v, %v", a, err)
		}
	})

	t.Run("an application may join an existing city", func(t *testing.T) {
		if _, err := s.w.CreateCity(ctx, admin, directory.CityInput{Name: "Da Nang", Country: "VN"}); err != nil {
			t.Fatal(err)
		}
		in := applicationIn()
		in.Name, in.Category = "City of Da Nang", directory.MembershipAssociate
		a, err := s.w.SubmitApplication(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		r, err := s.w.ReviewApplication(ctx, sea, directory.ReviewInput{Reference: a.Reference, Version: 1, Decision: directory.DecisionApprove, CityKey: "da-nang"})
		if err != nil || r.City != "da-nang" || r.Membership != "m1" {
			t.Fatalf("review = %+v, %v", r, err)
		}
		snap := s.rm.Snapshot()
		c := snap.City("da-nang")
		if c.Version != 2 || len(c.Memberships) != 1 || c.Memberships[0].Category != directory.MembershipAssociate || c.Memberships[0].Status != directory.MembershipActive ||
			c.Memberships[0].Application != a.Reference {
			t.Errorf("Da Nang = %+v", c)
		}
		if another := snap.City("city-of-da-nang"); another != nil {
			t.Errorf("the approval created a city %+v beside Da Nang", another)
		}
	})

	t.Run("a rejection changes no record but the application", func(t *testing.T) {
		in := applicationIn()
		in.Name = "Nowhere Town"
		a, err := s.w.SubmitApplication(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		before := s.rm.Snapshot()
		r, err := s.w.ReviewApplication(ctx, sea, directory.ReviewInput{Reference: a.Reference, Version: 1, Decision: directory.DecisionReject,
			Note: "Please apply through your national association."})
		if err != nil || r.Status != directory.ApplicationRejected || r.City != "" || r.Membership != "" || r.Version != 2 {
			t.Fatalf("review = %+v, %v", r, err)
		}
		after := s.rm.Snapshot()
		if after.Revision != before.Revision+1 {
			t.Errorf("the rejection moved the revision from %d to %d, want one entry", before.Revision, after.Revision)
		}
		b, c := before.Data(), after.Data()
		b.Applications, c.Applications, b.History, c.History, b.Revision, c.Revision = nil, nil, nil, nil, 0, 0
		if !reflect.DeepEqual(b, c) {
			t.Error("a rejection changed a record of the directory")
		}
		status, _ := after.ApplicationByReference(a.Reference)
		if status.Status != directory.ApplicationRejected || status.DecisionNote != "Please apply through your national association." || status.City != "" {
			t.Errorf("status = %+v", status)
		}
		before, entries := s.rm.Snapshot(), log.Len()
		_, err = s.w.ReviewApplication(ctx, sea, directory.ReviewInput{Reference: a.Reference, Version: 2, Decision: directory.DecisionApprove})
		wantRefused(t, log, s, before, entries, err, directory.CodeConflict, "")
	})
}
