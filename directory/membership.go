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

// membershipCity returns a copy of the city with the key, for a membership change based on its version, once
// the caller may make it.
func membershipCity(snap *Snapshot, p *Principal, key string, version int, what string) (*City, error) {
	if key == "" {
		return nil, Invalid("input.city", "city is required: the key of the member city")
	}
	if version < 1 {
		return nil, Invalid("input.cityVersion", "cityVersion must be the city's version as last read, 1 or more")
	}
	c := snap.City(key)
	if c == nil {
		return nil, Invalid("input.city", "no city with key %s", quote(key))
	}
	if err := authorize(p, what, c.Region); err != nil {
		return nil, err
	}
	cp := *c
	cp.Memberships = slices.Clone(c.Memberships)
	return &cp, nil
}

// membershipChange is the change of a city whose memberships changed.
func membershipChange(old, c *City) Change {
	c.Version = old.Version + 1
	c.Provenance = writeProvenance(old.Provenance)
	return Change{Kind: KindCity, Key: c.Key, Action: ActionUpdate, Version: old.Version, Before: old, After: c}
}

// changeMembership commits a change of one membership, which change makes on a copy of the city, and returns
// the membership as the directory now holds it.
func (w *Writer) changeMembership(ctx context.Context, p *Principal, city string, version int, reason, what string,
	change func(snap *Snapshot, c *City) (id string, err error)) (*Membership, error) {
	if p == nil {
		return nil, ErrUnauthenticated("writing to the directory needs a token")
	}
	var id string
	snap, err := w.commit(ctx, actorOf(p), reason, func(snap *Snapshot) ([]Change, error) {
		c, err := membershipCity(snap, p, city, version, what)
		if err != nil {
			return nil, err
		}
		if id, err = change(snap, c); err != nil {
			return nil, err
		}
		old, err := current(snap, cityKind, city, version)
		if err != nil {
			return nil, err
		}
		return []Change{membershipChange(old, c)}, nil
	})
	if err != nil {
		return nil, err
	}
	return snap.City(city).membership(id), nil
}

// membership returns the city's membership with the id, or nil.
func (c *City) membership(id string) *Membership {
	for i := range c.Memberships {
		if c.Memberships[i].ID == id {
			return &c.Memberships[i]
		}
	}
	return nil
}

// GrantMembership gives a city a new ICLEI membership. A city may hold one membership that has not ended.
func (w *Writer) GrantMembership(ctx context.Context, p *Principal, in GrantMembershipInput) (*Membership, error) {
	return w.changeMembership(ctx, p, in.City, in.CityVersion, "grantMembership", "granting a membership to this city",
		func(snap *Snapshot, c *City) (string, error) {
			m, err := w.newMembership(snap, c, in.Category, in.Since, in.Secretariat, in.Note, in.RepresentativeTitle, "")
			if err != nil {
				return "", err
			}
			return m.ID, nil
		})
}

// newMembership validates and appends a new active membership to c.
func (w *Writer) newMembership(snap *Snapshot, c *City, category MembershipCategory, since time.Time, secretariat, note, title, application string) (*Membership, error) {
	v := &validator{prefix: "input."}
	checkEnum(v, "category", category, membershipCategories, true)
	v.date("since", since, true)
	if !since.IsZero() && since.After(w.now()) {
		v.fail("since", "since must not be in the future")
	}
	if secretariat == "" {
		if x := snap.RegionSecretariat(c.Region); x != nil {
			secretariat = x.Key
		}
	}
	v.ref("secretariat", KindSecretariat, secretariat, snap.Secretariat(secretariat) != nil)
	note = v.text("note", note, false, maxText)
	title = v.text("representativeTitle", title, false, maxName)
	if err := v.result(); err != nil {
		return nil, err
	}
	for _, m := range c.Memberships {
		if m.Status != MembershipEnded {
			return nil, Errorf(CodeConflict, "%s already has a %s membership (%s); change or end it first", c.Name, m.Status, m.ID)
		}
	}
	m := Membership{ID: "m" + strconv.Itoa(len(c.Memberships)+1), City: c.Key, Category: category, Status: MembershipActive,
		Since: today(since), Secretariat: secretariat, Note: note, RepresentativeTitle: title, Application: application}
	c.Memberships = append(c.Memberships, m)
	return &c.Memberships[len(c.Memberships)-1], nil
}

// openMembership returns the membership of c with the id, which must not have ended.
func openMembership(c *City, id string) (*Membership, error) {
	m := c.membership(id)
	switch {
	case m == nil:
		return nil, Invalid("input.membership", "%s has no membership %q", c.Name, id)
	case m.Status == MembershipEnded:
		return nil, Errorf(CodeConflict, "membership %s ended on %s; grant a new one instead", m.ID, m.Until.Format(time.DateOnly))
	}
	return m, nil
}

// ChangeMembership changes a membership's category, status, serving secretariat, note or representative's
// title. Ending a membership takes EndMembership, which records when it ended.
func (w *Writer) ChangeMembership(ctx context.Context, p *Principal, in ChangeMembershipInput) (*Membership, error) {
	return w.changeMembership(ctx, p, in.City, in.CityVersion, "changeMembership", "changing this city's membership",
		func(snap *Snapshot, c *City) (string, error) {
			m, err := changeOpenMembership(snap, c, in)
			if err != nil {
				return "", err
			}
			return m.ID, nil
		})
}

// changeOpenMembership validates the change in and makes it to c's membership in.Membership, which must not
// have ended; the fields in leaves empty stay as they are.
func changeOpenMembership(snap *Snapshot, c *City, in ChangeMembershipInput) (*Membership, error) {
	m, err := openMembership(c, in.Membership)
	if err != nil {
		return nil, err
	}
	v := &validator{prefix: "input."}
	checkEnum(v, "category", in.Category, membershipCategories, false)
	checkEnum(v, "status", in.Status, []MembershipStatus{MembershipActive, MembershipSuspended}, false)
	if in.Status == MembershipEnded {
		v.fail("status", "use endMembership to end a membership")
	}
	v.ref("secretariat", KindSecretariat, in.Secretariat, snap.Secretariat(in.Secretariat) != nil)
	note := v.text("note", in.Note, false, maxText)
	title := v.text("representativeTitle", in.RepresentativeTitle, false, maxName)
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
	if title != "" {
		m.RepresentativeTitle = title
	}
	return m, nil
}

// EndMembership ends a membership on the date until.
func (w *Writer) EndMembership(ctx context.Context, p *Principal, in EndMembershipInput) (*Membership, error) {
	return w.changeMembership(ctx, p, in.City, in.CityVersion, "endMembership", "ending this city's membership",
		func(snap *Snapshot, c *City) (string, error) {
			m, err := openMembership(c, in.Membership)
			if err != nil {
				return "", err
			}
			v := &validator{prefix: "input."}
			v.date("until", in.Until, true)
			switch {
			case in.Until.IsZero():
			case in.Until.Before(m.Since):
				v.fail("until", "until must not be before the membership began on %s", m.Since.Format(time.DateOnly))
			case in.Until.After(w.now()):
				v.fail("until", "until must not be in the future")
			}
			note := v.text("note", in.Note, false, maxText)
			if err := v.result(); err != nil {
				return "", err
			}
			m.Status, m.Until = MembershipEnded, today(in.Until)
			if note != "" {
				m.Note = note
			}
			return m.ID, nil
		})
}
