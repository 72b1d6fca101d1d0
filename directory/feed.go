package directory

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The change feed shows the change log to its readers: a page at a time (ReadModel.Changes), or as it grows
// (ReadModel.Follow, which subscriptions and webhooks use). Readers see the changes of public records; admins
// also see those of private ones, and who wrote each entry and why.

// FeedFilter selects changes: of the kinds, touching the regions, of the records with the keys. An empty list
// selects every change; a change must match every list given.
type FeedFilter struct {
	Kinds   []string
	Regions []string
	Keys    []string
}

// FeedKinds are the record kinds a feed filter can name.
var FeedKinds = []string{KindRegion, KindSecretariat, KindOffice, KindCity, KindProgram, KindOrganization, KindPerson,
	KindApplication, KindAPIKey, KindWebhook}

// maxFilterItems bounds each list of a feed filter, so that matching a change costs little.
const maxFilterItems = 100

// Validate checks the filter's lists; field names the filter in messages, such as "filter".
func (f *FeedFilter) Validate(field string) error {
	v := &validator{prefix: field + "."}
	for _, list := range []struct {
		name  string
		items []string
	}{{"kinds", f.Kinds}, {"regions", f.Regions}, {"keys", f.Keys}} {
		if len(list.items) > maxFilterItems {
			v.fail(list.name, "give at most %d %s", maxFilterItems, list.name)
		}
	}
	if err := v.result(); err != nil {
		return err
	}
	for _, k := range f.Kinds {
		if !slices.Contains(FeedKinds, k) {
			return &Error{Code: CodeInvalidInput, Field: field + ".kinds", Choices: FeedKinds,
				Message: fmt.Sprintf("unknown kind %q; the kinds are %s", k, strings.Join(FeedKinds, ", "))}
		}
	}
	for _, r := range f.Regions {
		if !slices.Contains(regionCodes, r) {
			return &Error{Code: CodeInvalidInput, Field: field + ".regions", Choices: RegionCodes(),
				Message: fmt.Sprintf("unknown region %q; the regions are %s", r, strings.Join(regionCodes, ", "))}
		}
	}
	for _, k := range f.Keys {
		if k == "" || len(k) > maxKeyLength {
			return Invalid(field+".keys", "a key is 1 to %d characters", maxKeyLength)
		}
	}
	return nil
}

// maxKeyLength bounds the keys a filter names; no record's key is longer.
const maxKeyLength = 200

// matches reports whether the change is one the filter selects. s resolves the regions of people, whose
// affiliations name institutions.
func (f *FeedFilter) matches(c *Change, s *Snapshot) bool {
	if len(f.Kinds) > 0 && !slices.Contains(f.Kinds, c.Kind) {
		return false
	}
	if len(f.Keys) > 0 && !slices.Contains(f.Keys, c.Key) {
		return false
	}
	if len(f.Regions) > 0 {
		for _, r := range ChangeRegions(c, s) {
			if slices.Contains(f.Regions, r) {
				return true
			}
		}
		return false
	}
	return true
}

// ChangeRegions returns the regions a change touches: those of its record before and after it.
func ChangeRegions(c *Change, s *Snapshot) []string {
	var rs []string
	add := func(r string) {
		if r != "" && !slices.Contains(rs, r) {
			rs = append(rs, r)
		}
	}
	for _, x := range []any{c.Before, c.After} {
		switch r := x.(type) {
		case *Region:
			add(r.Code)
		case *Secretariat:
			add(r.Region)
		case *Office:
			add(r.Region)
		case *City:
			add(r.Region)
		case *Program:
			for _, code := range s.programRegions(r) {
				add(code)
			}
		case *Organization:
			for _, code := range s.organizationRegions(r) {
				add(code)
			}
		case *Person:
			for _, code := range s.personRegions(r) {
				add(code)
			}
		case *Application:
			add(r.Region)
		}
	}
	return rs
}

// FeedEntry is an entry of the change log as one reader sees it.
type FeedEntry struct {
	Revision int64
	At       time.Time
	// Actor and Reason are shown to admins only; they are empty for everyone else.
	Actor, Reason string
	// Changes are those of the entry's changes the reader may see and the filter selects, in the entry's order.
	Changes []Change
}

// canSeeAll reports whether p sees private records and the audit fields: admins do.
func canSeeAll(p *Principal) bool { return p != nil && p.Role == RoleAdmin }

// View returns the entry as p sees it through the filter, or nil when none of its changes is for them.
func (f *FeedFilter) View(e *Entry, p *Principal, s *Snapshot) *FeedEntry {
	all := canSeeAll(p)
	var changes []Change
	for i := range e.Changes {
		c := &e.Changes[i]
		if (all || c.Public()) && f.matches(c, s) {
			changes = append(changes, *c)
		}
	}
	if len(changes) == 0 {
		return nil
	}
	fe := &FeedEntry{Revision: e.Revision, At: e.At, Changes: changes}
	if all {
		fe.Actor, fe.Reason = e.Actor, e.Reason
	}
	return fe
}

// FeedPage is a page of the change feed.
type FeedPage struct {
	// After is the revision the page starts after.
	After   int64
	Entries []*FeedEntry
	// Through is the revision up to which the page looked at the log: the next page starts after it. It is the
	// last entry's revision, or beyond it when the page ran out of budget looking for more.
	Through int64
	// More is whether the log holds entries after Through at the snapshot the page was read from.
	More bool
}

// Cursor returns the cursor of an entry: its revision.
func (e *FeedEntry) Cursor() string { return strconv.FormatInt(e.Revision, 10) }

// Edges returns the page's entries with their cursors.
func (p *FeedPage) Edges() []*Edge[*FeedEntry] {
	edges := make([]*Edge[*FeedEntry], len(p.Entries))
	for i, e := range p.Entries {
		edges[i] = &Edge[*FeedEntry]{cursor: e.Cursor(), Node: e}
	}
	return edges
}

// PageInfo returns where the page stands. Unlike other connections', its end cursor is set on an empty page
// too: it names the revision the page looked up to, where the next page starts.
func (p *FeedPage) PageInfo() *PageInfo {
	end := strconv.FormatInt(p.Through, 10)
	info := &PageInfo{HasNextPage: p.More, HasPreviousPage: p.After > 0, EndCursor: &end}
	if len(p.Entries) > 0 {
		start := p.Entries[0].Cursor()
		info.StartCursor = &start
	}
	return info
}

// The budget of one page of the feed. A page looks at entries until it has as many as were asked for, or its
// budget runs out: an entry the read model holds in memory costs 1, one read from the database by revision
// costs feedStoreCost. So a filter that matches nothing costs at most feedBudget entries from memory, or
// feedBudget/feedStoreCost database reads, and the page says where it stopped.
const (
	feedBudget    = 1000
	feedStoreCost = 10
)

// FeedBudget describes a page's budget for users.
var FeedBudget = fmt.Sprintf("%d entries of the log, or %d read from the database", feedBudget, feedBudget/feedStoreCost)

// ParseRevision reads a revision as clients give it: a decimal string, 0 or more; empty is 0. The largest
// int64 is refused: no entry can follow it, and the feed and subscriptions, which start at the entry after
// the one they are given, would start at one that overflows, and report the log unreadable.
func ParseRevision(field, s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n == math.MaxInt64 {
		return 0, Invalid(field, "%s must be a revision, as `directory { revision }` or a cursor of the change feed gives it: a whole number, 0 or more", field)
	}
	return n, nil
}

// Changes returns a page of the change log after the revision, as p sees it through the filter, as far as the
// snapshot holds it: entries after the snapshot's revision (its public revision, for callers who see public
// records only) are left to a later page, so that the page is the same for the same snapshot. first is 1 to
// MaxPageSize, DefaultPageSize when nil.
func (m *ReadModel) Changes(ctx context.Context, snap *Snapshot, p *Principal, f FeedFilter, after int64, first *int) (*FeedPage, error) {
	size := DefaultPageSize
	if first != nil {
		size = *first
	}
	if size < 1 || size > MaxPageSize {
		return nil, Invalid("first", "first must be 1 to %d", MaxPageSize)
	}
	if err := f.Validate("filter"); err != nil {
		return nil, err
	}
	page := &FeedPage{After: after, Through: after}
	// Entries after the public revision change private records only: a caller who sees only public ones reads
	// up to it, so that their page is the same for the same public content, which is what caches keep answers
	// for.
	head := snap.Revision
	if !canSeeAll(p) {
		head = snap.PublicRevision
	}
	budget := feedBudget
	for rev := after + 1; rev <= head; rev++ {
		if len(page.Entries) == size || budget <= 0 {
			page.More = true
			break
		}
		e := m.recentEntry(rev)
		if e != nil {
			budget--
		} else {
			var err error
			if e, err = m.log.Entry(ctx, rev); err != nil || e == nil {
				return nil, Unavailable(fmt.Errorf("read entry %d of the change log: %w", rev, err))
			}
			budget -= feedStoreCost
		}
		if fe := f.View(e, p, snap); fe != nil {
			page.Entries = append(page.Entries, fe)
		}
		page.Through = rev
	}
	return page, nil
}

// MaxReplay is how many entries a subscription replays at most when it starts after an earlier revision, or
// may fall behind by: a client further behind catches up with the change feed (ReadModel.Changes) first.
const MaxReplay = 1000

// CanFollow checks that a subscription may start after the revision: that it is at most MaxReplay entries
// behind.
func (m *ReadModel) CanFollow(after int64) error {
	snap := m.Snapshot()
	if snap == nil {
		return Errorf(CodeUnavailable, "the directory is still loading; try again shortly")
	}
	return checkReplay(after, snap.Revision)
}

func checkReplay(after, head int64) error {
	if behind := head - after; behind > MaxReplay {
		return &Error{Code: CodeInvalidInput, Field: "after", Message: fmt.Sprintf(
			"revision %d is %d entries behind the directory's revision %d, more than the %d a subscription replays; catch up with the changes query, then subscribe after the revision it reached",
			after, behind, head, MaxReplay)}
	}
	return nil
}

// Follow hands every entry after the revision to each, in order, until ctx ends (it then returns nil) or each
// fails (it returns that error). The entries come from the read model as it follows the change log, so every
// follower is fed by the one poller; the entries before the current snapshot are read from memory, or from the
// log when the read model no longer holds them. A follower may be at most MaxReplay entries behind.
func (m *ReadModel) Follow(ctx context.Context, after int64, each func(*Entry) error) error {
	next := after + 1
	for {
		// The channel is taken before the snapshot, so that a snapshot published in between is not missed.
		changed := m.Changed()
		snap := m.Snapshot()
		if snap == nil {
			return Errorf(CodeUnavailable, "the directory is still loading; try again shortly")
		}
		if err := checkReplay(next-1, snap.Revision); err != nil {
			return err
		}
		for ; next <= snap.Revision; next++ {
			e, err := m.Entry(ctx, next)
			if ctx.Err() != nil {
				return nil
			}
			if err != nil || e == nil {
				return Unavailable(fmt.Errorf("read entry %d of the change log: %w", next, err))
			}
			if err := each(e); err != nil {
				return err
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-changed:
		}
	}
}

// MembershipAction says what happened to a membership.
type MembershipAction string

const (
	// MembershipGranted is a new membership, granted through the API, on an approved application or by an
	// import or the seed.
	MembershipGranted MembershipAction = "GRANTED"
	// MembershipChanged is a change of a membership's category, status, secretariat or note.
	MembershipChanged MembershipAction = "CHANGED"
	// MembershipEndedAction is a membership that ended.
	MembershipEndedAction MembershipAction = "ENDED"
	// MembershipRemoved is a membership that left the directory with its city.
	MembershipRemoved MembershipAction = "REMOVED"
)

// MembershipChange is one membership's change within an entry.
type MembershipChange struct {
	Action MembershipAction
	// City is the member city as the entry left it (as it was, for a city deleted).
	City *City
	// Membership is the membership as the entry left it; Previous as it was before, nil for a new one.
	Membership *Membership
	Previous   *Membership
}

// MembershipEvent is the membership changes of one entry of the log.
type MembershipEvent struct {
	Revision int64
	At       time.Time
	Changes  []MembershipChange
}

// MembershipFilter selects membership changes: of cities in a region, or of one city. Empty selects all.
type MembershipFilter struct {
	Region string
	City   string
}

// Validate checks the filter's region.
func (f *MembershipFilter) Validate() error {
	if f.Region != "" && !slices.Contains(regionCodes, f.Region) {
		return &Error{Code: CodeInvalidInput, Field: "region", Choices: RegionCodes(),
			Message: fmt.Sprintf("unknown region %q; the regions are %s", f.Region, strings.Join(regionCodes, ", "))}
	}
	if len(f.City) > maxKeyLength {
		return Invalid("city", "a city key is 1 to %d characters", maxKeyLength)
	}
	return nil
}

// Memberships returns the membership changes of the entry the filter selects, or nil when there are none.
func (f *MembershipFilter) Memberships(e *Entry) *MembershipEvent {
	var out []MembershipChange
	for _, c := range e.Changes {
		if c.Kind != KindCity {
			continue
		}
		before, _ := c.Before.(*City)
		after, _ := c.After.(*City)
		city := after
		if city == nil {
			city = before
		}
		if f.City != "" && city.Key != f.City || f.Region != "" && city.Region != f.Region {
			continue
		}
		out = append(out, membershipChanges(before, after)...)
	}
	if len(out) == 0 {
		return nil
	}
	return &MembershipEvent{Revision: e.Revision, At: e.At, Changes: out}
}

// membershipChanges compares a city's memberships before and after a change, by membership ID.
func membershipChanges(before, after *City) []MembershipChange {
	var out []MembershipChange
	find := func(c *City, id string) *Membership {
		if c == nil {
			return nil
		}
		return c.membership(id)
	}
	if after != nil {
		for i := range after.Memberships {
			m := &after.Memberships[i]
			old := find(before, m.ID)
			switch {
			case old == nil:
				out = append(out, MembershipChange{Action: MembershipGranted, City: after, Membership: m})
			case m.Status == MembershipEnded && old.Status != MembershipEnded:
				out = append(out, MembershipChange{Action: MembershipEndedAction, City: after, Membership: m, Previous: old})
			case !sameMembership(old, m):
				out = append(out, MembershipChange{Action: MembershipChanged, City: after, Membership: m, Previous: old})
			}
		}
	}
	if before != nil {
		for i := range before.Memberships {
			m := &before.Memberships[i]
			if find(after, m.ID) == nil {
				out = append(out, MembershipChange{Action: MembershipRemoved, City: before, Membership: m, Previous: m})
			}
		}
	}
	return out
}

func sameMembership(a, b *Membership) bool {
	return a.Category == b.Category && a.Status == b.Status && a.Since.Equal(b.Since) && a.Until.Equal(b.Until) &&
		a.Secretariat == b.Secretariat && a.Note == b.Note && a.Application == b.Application &&
		a.RepresentativeTitle == b.RepresentativeTitle
}

// RecordVersion returns the record's version after the change, or for a delete the version it deleted; 0 for
// records without versions (regions, secretariats, API keys, webhooks).
func (c *Change) RecordVersion() int {
	if c.After != nil {
		return versionOf(c.After)
	}
	return c.Version
}

// GlobalID returns the global ID of the change's record, or "" for a record without one (an application, an
// API key, a webhook).
func (c *Change) GlobalID() string {
	if !c.Public() {
		return ""
	}
	return GlobalID(c.Kind, c.Key)
}

// Record returns the public record as the change left it, or nil for a delete and for private records.
func (c *Change) Record() any {
	if !c.Public() {
		return nil
	}
	return c.After
}
