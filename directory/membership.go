package directory

import (
	"context"
	"slices"
	"strconv"
	"time"
)

// today returns the date of t in UTC, at midnight.
func today(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// membershipCity returns a copy of the city with the key, for a membership change based on its version.
func (s *Writer) membershipCity(p *Principal, key string, version int, what string) (*Snapshot, *City, error) {
	snap, err := s.writable(p)
	if err != nil {
		return nil, nil, err
	}
	if key == "" {
		return nil, nil, Invalid("input.city", "city is required: the key of the member city")
	}
	if version < 1 {
		return nil, nil, Invalid("input.cityVersion", "cityVersion must be the city's version as last read, 1 or more")
	}
	c := snap.City(key)
	if c == nil {
		return nil, nil, Invalid("input.city", "no city with key %q", key)
	}
	if err := authorize(p, what, c.Region); err != nil {
		return nil, nil, err
	}
	cp := *c
	cp.Memberships = slices.Clone(c.Memberships)
	return snap, &cp, nil
}

// storeMembership writes the city whose memberships changed and returns the membership with the id.
func (s *Writer) storeMembership(ctx context.Context, p *Principal, c *City, version int, id string) (*Membership, error) {
	c.Version = version + 1
	c.Provenance = writeProvenance(c.Provenance)
	if err := s.apply(ctx, p, Change{Kind: KindCity, Key: c.Key, Action: ActionUpdate, Version: version, Record: c}); err != nil {
		return nil, err
	}
	cur := latest(s.rm, c, func(sn *Snapshot) *City { return sn.City(c.Key) })
	for i := range cur.Memberships {
		if cur.Memberships[i].ID == id {
			return &cur.Memberships[i], nil
		}
	}
	return nil, Errorf(CodeConflict, "the membership changed while it was being written; read it again")
}

// GrantMembership gives a city a new ICLEI membership. A city may hold one membership that has not ended.
func (s *Writer) GrantMembership(ctx context.Context, p *Principal, in GrantMembershipInput) (*Membership, error) {
	snap, c, err := s.membershipCity(p, in.City, in.CityVersion, "granting a membership to this city")
	if err != nil {
		return nil, err
	}
	m, err := s.newMembership(snap, c, in.Category, in.Since, in.Secretariat, in.Note, "")
	if err != nil {
		return nil, err
	}
	return s.storeMembership(ctx, p, c, in.CityVersion, m.ID)
}

// newMembership validates and appends a new active membership to c.
func (s *Writer) newMembership(snap *Snapshot, c *City, category MembershipCategory, since time.Time, secretariat, note, application string) (*Membership, error) {
	v := &validator{prefix: "input."}
	checkEnum(v, "category", category, MembershipCategories, true)
	v.date("since", since, true)
	if !since.IsZero() && since.After(s.now()) {
		v.fail("since", "since must not be in the future")
	}
	if secretariat == "" {
		if x := snap.RegionSecretariat(c.Region); x != nil {
			secretariat = x.Key
		}
	}
	v.ref("secretariat", KindSecretariat, secretariat, snap.Secretariat(secretariat) != nil)
	note = v.text("note", note, false, maxText)
	if err := v.result(); err != nil {
		return nil, err
	}
	for _, m := range c.Memberships {
		if m.Status != MembershipEnded {
			return nil, Errorf(CodeConflict, "%s already has a %s membership (%s); change or end it first", c.Name, m.Status, m.ID)
		}
	}
	m := Membership{ID: "m" + strconv.Itoa(len(c.Memberships)+1), City: c.Key, Category: category, Status: MembershipActive,
		Since: today(since), Secretariat: secretariat, Note: note, Application: application}
	c.Memberships = append(c.Memberships, m)
	return &c.Memberships[len(c.Memberships)-1], nil
}

// openMembership returns a copy of the city with the key and its membership with the id, which must not have
// ended, for a change based on the city's version.
func (s *Writer) openMembership(p *Principal, city string, version int, id, what string) (*Snapshot, *City, *Membership, error) {
	snap, c, err := s.membershipCity(p, city, version, what)
	if err != nil {
		return nil, nil, nil, err
	}
	for i := range c.Memberships {
		if m := &c.Memberships[i]; m.ID == id {
			if m.Status == MembershipEnded {
				return nil, nil, nil, Errorf(CodeConflict, "membership %s ended on %s; grant a new one instead", m.ID, m.Until.Format(time.DateOnly))
			}
			return snap, c, m, nil
		}
	}
	return nil, nil, nil, Invalid("input.membership", "%s has no membership %q", c.Name, id)
}

// ChangeMembership changes a membership's category, status, serving secretariat or note. Ending a membership
// takes EndMembership, which records when it ended.
func (s *Writer) ChangeMembership(ctx context.Context, p *Principal, in ChangeMembershipInput) (*Membership, error) {
	snap, c, m, err := s.openMembership(p, in.City, in.CityVersion, in.Membership, "changing this city's membership")
	if err != nil {
		return nil, err
	}
	v := &validator{prefix: "input."}
	checkEnum(v, "category", in.Category, MembershipCategories, false)
	checkEnum(v, "status", in.Status, []MembershipStatus{MembershipActive, MembershipSuspended}, false)
	if in.Status == MembershipEnded {
		v.fail("status", "use endMembership to end a membership")
	}
	v.ref("secretariat", KindSecretariat, in.Secretariat, snap.Secretariat(in.Secretariat) != nil)
	note := v.text("note", in.Note, false, maxText)
	if err := v.result(); err != nil {
		return nil, err
	}
	if in.Category != "" {
		m.Category = in.Category
	}
	if in.Status != "" {
		m.Status = in.Status
	}
	if in.Secretariat != "" {
		m.Secretariat = in.Secretariat
	}
	if note != "" {
		m.Note = note
	}
	return s.storeMembership(ctx, p, c, in.CityVersion, m.ID)
}

// EndMembership ends a membership on the date until.
func (s *Writer) EndMembership(ctx context.Context, p *Principal, in EndMembershipInput) (*Membership, error) {
	_, c, m, err := s.openMembership(p, in.City, in.CityVersion, in.Membership, "ending this city's membership")
	if err != nil {
		return nil, err
	}
	v := &validator{prefix: "input."}
	v.date("until", in.Until, true)
	switch {
	case in.Until.IsZero():
	case in.Until.Before(m.Since):
		v.fail("until", "until must not be before the membership began on %s", m.Since.Format(time.DateOnly))
	case in.Until.After(s.now()):
		v.fail("until", "until must not be in the future")
	}
	note := v.text("note", in.Note, false, maxText)
	if err := v.result(); err != nil {
		return nil, err
	}
	m.Status, m.Until = MembershipEnded, today(in.Until)
	if note != "" {
		m.Note = note
	}
	return s.storeMembership(ctx, p, c, in.CityVersion, m.ID)
}
