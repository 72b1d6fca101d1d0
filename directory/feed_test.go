package directory_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/iclei/directory/directory"
)

func intp(n int) *int { return &n }

// revisions lists the revisions of a page's entries.
func revisions(p *directory.FeedPage) []int64 {
	var out []int64
	for _, e := range p.Entries {
		out = append(out, e.Revision)
	}
	return out
}

func TestChangeFeedShowsPublicChangesToEveryoneAndTheRestToAdmins(t *testing.T) {
	t.Parallel()
	_, s := seededLog(t)
	ctx := context.Background()
	start := s.rm.Snapshot().Revision
	if _, err := s.w.UpdateOffice(ctx, admin, "korea-office", 1, officeInput("ICLEI Korea Office")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.SubmitApplication(ctx, directory.ApplicationInput{Name: "Hoi An", Country: "VN", Category: directory.MembershipFull,
		ContactName: "Lan", Email: "lan@example.vn", Motivation: "Heritage."}); err != nil {
		t.Fatal(err)
	}
	snap := s.rm.Snapshot()

	anonymous, err := s.rm.Changes(ctx, snap, nil, directory.FeedFilter{}, start, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := revisions(anonymous); !slices.Equal(got, []int64{start + 1}) {
		t.Errorf("anonymous callers see revisions %v, want only the office's %d", got, start+1)
	}
	if e := anonymous.Entries[0]; e.Actor != "" || e.Reason != "" || e.Changes[0].Key != "korea-office" {
		t.Errorf("anonymous callers see actor %q, reason %q, change %s", e.Actor, e.Reason, e.Changes[0].Key)
	}
	// The application's entry left the public revision where it was: anonymous pages end there.
	if anonymous.Through != start+1 || anonymous.More {
		t.Errorf("the page looked through %d (more: %v), want the public revision %d and no more", anonymous.Through, anonymous.More, start+1)
	}
	editor := &directory.Principal{Subject: "apikey:ed", Role: directory.RoleEditor, Regions: []string{directory.RegionEastAsia}}
	if p, _ := s.rm.Changes(ctx, snap, editor, directory.FeedFilter{}, start, nil); len(p.Entries) != 1 || p.Entries[0].Actor != "" {
		t.Errorf("editors see %v, want what anonymous callers see", revisions(p))
	}

	all, err := s.rm.Changes(ctx, snap, admin, directory.FeedFilter{}, start, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := revisions(all); !slices.Equal(got, []int64{start + 1, start + 2}) {
		t.Fatalf("admins see revisions %v, want both", got)
	}
	if e := all.Entries[0]; e.Actor != admin.Subject || e.Reason != "updateOffice" {
		t.Errorf("admins see actor %q and reason %q", e.Actor, e.Reason)
	}
	if c := all.Entries[1].Changes[0]; c.Kind != directory.KindApplication || c.Public() {
		t.Errorf("admins see the application: %s %v", c.Kind, c.Public())
	}
}

func TestChangeFeedFiltersByKindRegionAndKey(t *testing.T) {
	t.Parallel()
	_, s := seededLog(t)
	ctx := context.Background()
	start := s.rm.Snapshot().Revision
	if _, err := s.w.UpdateOffice(ctx, admin, "korea-office", 1, officeInput("ICLEI Korea Office")); err != nil {
		t.Fatal(err)
	}
	seoul := s.rm.Snapshot().City("seoul")
	if _, err := s.w.GrantMembership(ctx, admin, directory.GrantMembershipInput{City: "seoul", CityVersion: seoul.Version,
		Category: directory.MembershipFull, Since: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		filter directory.FeedFilter
		want   []int64
	}{
		"kinds":                {directory.FeedFilter{Kinds: []string{directory.KindCity}}, []int64{start + 2}},
		"regions":              {directory.FeedFilter{Regions: []string{directory.RegionEastAsia}}, []int64{start + 1, start + 2}},
		"another region":       {directory.FeedFilter{Regions: []string{"europe"}}, nil},
		"keys":                 {directory.FeedFilter{Keys: []string{"korea-office"}}, []int64{start + 1}},
		"every list must hold": {directory.FeedFilter{Kinds: []string{directory.KindOffice}, Keys: []string{"seoul"}}, nil},
	} {
		t.Run(name, func(t *testing.T) {
			p, err := s.rm.Changes(ctx, s.rm.Snapshot(), nil, tc.filter, start, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := revisions(p); !slices.Equal(got, tc.want) {
				t.Errorf("revisions %v, want %v", got, tc.want)
			}
		})
	}
	t.Run("unknown kinds and regions are refused with the choices", func(t *testing.T) {
		for _, f := range []directory.FeedFilter{{Kinds: []string{"Offices"}}, {Regions: []string{"atlantis"}}, {Keys: []string{""}}} {
			_, err := s.rm.Changes(ctx, s.rm.Snapshot(), nil, f, 0, nil)
			var derr *directory.Error
			if !errors.As(err, &derr) || derr.Code != directory.CodeInvalidInput || derr.Field == "" {
				t.Errorf("filter %+v: %v, want BAD_USER_INPUT naming the field", f, err)
			}
		}
		if _, err := s.rm.Changes(ctx, s.rm.Snapshot(), nil, directory.FeedFilter{}, 0, intp(101)); code(err) != directory.CodeInvalidInput {
			t.Errorf("first: 101: %v", err)
		}
	})
}

func TestChangeFeedPagesWithoutMissingOrRepeating(t *testing.T) {
	t.Parallel()
	log, s := seededLog(t)
	ctx := context.Background()
	var seen []int64
	after := int64(0)
	for pages := 0; ; pages++ {
		p, err := s.rm.Changes(ctx, s.rm.Snapshot(), nil, directory.FeedFilter{}, after, intp(3))
		if err != nil {
			t.Fatal(err)
		}
		seen = append(seen, revisions(p)...)
		after = p.Through
		if !p.More {
			break
		}
		if pages > log.Len() {
			t.Fatal("the feed does not end")
		}
	}
	for i, rev := range seen {
		if rev != int64(i+1) {
			t.Fatalf("revisions %v: want 1 to %d, each once", seen, log.Len())
		}
	}
	if len(seen) != log.Len() {
		t.Errorf("paged through %d entries, the log holds %d", len(seen), log.Len())
	}
	if p, _ := s.rm.Changes(ctx, s.rm.Snapshot(), nil, directory.FeedFilter{}, after+5, nil); len(p.Entries) != 0 || p.More || p.Through != after+5 {
		t.Errorf("after a revision this server has not reached: %+v, want an empty page that stays there", p)
	}
}

// mintKeys appends n entries that only admins see: one API key each.
func mintKeys(t testing.TB, w *directory.Writer, n int) {
	t.Helper()
	for i := range n {
		sum := sha256.Sum256(fmt.Appendf(nil, "key %d", i))
		if err := w.MintAPIKey(context.Background(), "cli", directory.APIKey{Name: fmt.Sprintf("key-%d", i),
			Hash: hex.EncodeToString(sum[:]), Role: directory.RoleAdmin}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestChangeFeedBoundsTheWorkOfAPageThatFindsNothing(t *testing.T) {
	t.Parallel()
	log := directory.NewMemoryLog()
	s := newServer(t, log)
	mintKeys(t, s.w, 1500)
	ctx := context.Background()

	// An admin sees the keys, which a filter of offices leaves out. This server holds the last entries it
	// applied in memory.
	offices := directory.FeedFilter{Kinds: []string{directory.KindOffice}}
	p, err := s.rm.Changes(ctx, s.rm.Snapshot(), admin, offices, 480, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Entries) != 0 || !p.More || p.Through != 1480 {
		t.Errorf("from memory: %d entries, through %d, more %v; want none, through 1480 and more", len(p.Entries), p.Through, p.More)
	}

	// Callers who see public records only read up to the public revision, which the keys leave at 0.
	if p, _ := s.rm.Changes(ctx, s.rm.Snapshot(), nil, directory.FeedFilter{}, 0, nil); p.Through != 0 || p.More {
		t.Errorf("anonymous: through %d, more %v; want nothing to look at", p.Through, p.More)
	}

	// A server started from a snapshot holds none of them, and reads each from the log.
	var reads atomic.Int64
	log.Fail = func(op string, _ int64) error {
		if op == "entry" {
			reads.Add(1)
		}
		return nil
	}
	fresh := directory.NewReadModel(log, directory.NewSnapshot(s.rm.Snapshot().Data(), time.Now()), slog.New(slog.DiscardHandler))
	p, err = fresh.Changes(ctx, fresh.Snapshot(), admin, offices, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Entries) != 0 || !p.More || p.Through != 100 || reads.Load() != 100 {
		t.Errorf("from the log: %d entries, through %d, more %v, %d reads; want none, through 100, more and 100 reads",
			len(p.Entries), p.Through, p.More, reads.Load())
	}
	// Without the filter, a full page takes less.
	p, err = fresh.Changes(ctx, fresh.Snapshot(), admin, directory.FeedFilter{}, 0, intp(5))
	if err != nil || len(p.Entries) != 5 || p.Through != 5 || !p.More {
		t.Errorf("admin: %v entries %v through %d more %v", err, revisions(p), p.Through, p.More)
	}
}

func TestFollowHandsOverEveryEntryOnceInOrder(t *testing.T) {
	t.Parallel()
	_, s := seededLog(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	start := s.rm.Snapshot().Revision
	got := make(chan int64, 100)
	done := make(chan error, 1)
	go func() {
		done <- s.rm.Follow(ctx, start-2, func(e *directory.Entry) error {
			got <- e.Revision
			return nil
		})
	}()
	for i := range 3 {
		if _, err := s.w.UpdateOffice(ctx, admin, "korea-office", i+1, officeInput(fmt.Sprintf("Korea Office %d", i))); err != nil {
			t.Fatal(err)
		}
	}
	for want := start - 1; want <= start+3; want++ {
		select {
		case rev := <-got:
			if rev != want {
				t.Fatalf("followed revision %d, want %d", rev, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("revision %d never came", want)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Follow ended with %v, want nil when its context ends", err)
	}

	t.Run("an error of the follower ends it", func(t *testing.T) {
		stop := errors.New("stop")
		if err := s.rm.Follow(context.Background(), start, func(*directory.Entry) error { return stop }); !errors.Is(err, stop) {
			t.Errorf("Follow: %v, want the follower's error", err)
		}
	})
	t.Run("a follower too far behind is told to catch up with the feed", func(t *testing.T) {
		log := directory.NewMemoryLog()
		s := newServer(t, log)
		mintKeys(t, s.w, directory.MaxReplay+1)
		err := s.rm.Follow(context.Background(), 0, func(*directory.Entry) error { return nil })
		if code(err) != directory.CodeInvalidInput {
			t.Errorf("Follow from 0: %v, want BAD_USER_INPUT", err)
		}
	})
}

func TestMembershipEventsSayWhatHappenedToEachMembership(t *testing.T) {
	t.Parallel()
	log, s := seededLog(t)
	ctx := context.Background()
	day := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	seoul := s.rm.Snapshot().City("seoul")
	m, err := s.w.GrantMembership(ctx, admin, directory.GrantMembershipInput{City: "seoul", CityVersion: seoul.Version,
		Category: directory.MembershipAssociate, Since: day})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.ChangeMembership(ctx, admin, directory.ChangeMembershipInput{City: "seoul", CityVersion: seoul.Version + 1,
		Membership: m.ID, Category: directory.MembershipFull}); err != nil {
		t.Fatal(err)
	}
	// A new representative's title alone is a change of the membership too.
	if _, err := s.w.ChangeMembership(ctx, admin, directory.ChangeMembershipInput{City: "seoul", CityVersion: seoul.Version + 2,
		Membership: m.ID, RepresentativeTitle: "Mayor"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.EndMembership(ctx, admin, directory.EndMembershipInput{City: "seoul", CityVersion: seoul.Version + 3,
		Membership: m.ID, Until: day.AddDate(1, 0, 0)}); err != nil {
		t.Fatal(err)
	}
	head := s.rm.Snapshot().Revision
	var actions []directory.MembershipAction
	for rev := head - 3; rev <= head; rev++ {
		e, _ := log.Entry(ctx, rev)
		all := directory.MembershipFilter{}
		ev := all.Memberships(e)
		if ev == nil || len(ev.Changes) != 1 || ev.Revision != rev {
			t.Fatalf("entry %d: %+v", rev, ev)
		}
		c := ev.Changes[0]
		if c.City.Key != "seoul" || c.Membership.ID != m.ID {
			t.Errorf("entry %d: city %s membership %s", rev, c.City.Key, c.Membership.ID)
		}
		actions = append(actions, c.Action)
		for _, f := range []directory.MembershipFilter{{Region: "europe"}, {City: "beijing"}} {
			if f.Memberships(e) != nil {
				t.Errorf("filter %+v selects a change of Seoul", f)
			}
		}
		if f := (directory.MembershipFilter{Region: directory.RegionEastAsia, City: "seoul"}); f.Memberships(e) == nil {
			t.Errorf("filter %+v does not select a change of Seoul", f)
		}
	}
	want := []directory.MembershipAction{directory.MembershipGranted, directory.MembershipChanged, directory.MembershipChanged,
		directory.MembershipEndedAction}
	if !slices.Equal(actions, want) {
		t.Errorf("actions %v, want %v", actions, want)
	}
	if err := (&directory.MembershipFilter{Region: "atlantis"}).Validate(); code(err) != directory.CodeInvalidInput {
		t.Errorf("unknown region: %v", err)
	}
}

func TestRevisionsAsClientsGiveThem(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in    string
		want  int64
		valid bool
	}{
		{"", 0, true},
		{"0", 0, true},
		{"42", 42, true},
		{"9223372036854775806", 9223372036854775806, true},
		{"-1", 0, false},
		{"abc", 0, false},
		{"1e3", 0, false},
		{"99999999999999999999", 0, false},
		// The largest int64: no entry can come after it, and a page or subscription after it would start at an
		// entry that overflows.
		{"9223372036854775807", 0, false},
	} {
		t.Run(c.in, func(t *testing.T) {
			got, err := directory.ParseRevision("after", c.in)
			if !c.valid {
				var derr *directory.Error
				if !errors.As(err, &derr) || derr.Code != directory.CodeInvalidInput || derr.Field != "after" {
					t.Errorf("ParseRevision(%q) = %d, %v; want INVALID_INPUT on after", c.in, got, err)
				}
				return
			}
			if err != nil || got != c.want {
				t.Errorf("ParseRevision(%q) = %d, %v; want %d", c.in, got, err, c.want)
			}
		})
	}
}
