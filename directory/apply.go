package directory

import (
	"fmt"
	"slices"
	"time"

	"github.com/tidwall/btree"

	"github.com/iclei/directory/internal/index"
)

// Apply returns the snapshot after the entry, which must be the entry at the next revision. The snapshot
// itself does not change. Only the records the entry changes are re-indexed, so applying an entry costs about
// the same at any size; a change to the regions or secretariats, which only seeding makes, rebuilds the
// snapshot instead, as every ordering by region depends on them.
func (s *Snapshot) Apply(e *Entry, now time.Time) (*Snapshot, error) {
	if e.Revision != s.Revision+1 {
		return nil, fmt.Errorf("entry %d does not follow revision %d", e.Revision, s.Revision)
	}
	for i := range e.Changes {
		if err := checkChange(&e.Changes[i]); err != nil {
			return nil, fmt.Errorf("entry %d: %w", e.Revision, err)
		}
	}
	public := false
	for _, c := range e.Changes {
		if c.Kind == KindRegion || c.Kind == KindSecretariat {
			d := s.Data()
			d.applyEntry(e)
			d.PublicRevision = e.Revision
			return NewSnapshot(d, now), nil
		}
		public = public || c.Public()
	}
	n := *s
	n.Revision = e.Revision
	if public {
		n.PublicRevision, n.LoadedAt = e.Revision, now
	}
	var (
		offices       *index.Editor[Office]
		cities        *index.Editor[City]
		programs      *index.Editor[Program]
		organizations *index.Editor[Organization]
		people        *index.Editor[Person]
		applications  *index.Editor[Application]
		apiKeys       *index.Editor[APIKey]
		webhooks      *index.Editor[Webhook]
	)
	search, history := s.search.Copy(), s.history.Copy()
	for _, c := range e.Changes {
		switch c.Kind {
		case KindOffice:
			offices = edit(offices, s.offices, c)
		case KindCity:
			if old := s.cities.Get(c.Key); old != nil {
				n.memberships -= len(old.Memberships)
			}
			if x, _ := c.After.(*City); x != nil {
				n.memberships += len(x.Memberships)
			}
			cities = edit(cities, s.cities, c)
		case KindProgram:
			programs = edit(programs, s.programs, c)
		case KindOrganization:
			organizations = edit(organizations, s.organizations, c)
		case KindPerson:
			people = edit(people, s.people, c)
		case KindApplication:
			applications = edit(applications, s.applications, c)
		case KindAPIKey:
			apiKeys = edit(apiKeys, s.apiKeys, c)
		case KindWebhook:
			webhooks = edit(webhooks, s.webhooks, c)
		}
		if c.Public() {
			if c.After != nil {
				search.Set(newSearchEntry(c.Kind, c.Key, c.After))
			} else {
				search.Delete(&searchEntry{kind: c.Kind, key: c.Key})
			}
		}
		addHistory(history, c.Kind, c.Key, e.Revision)
	}
	n.offices = done(offices, s.offices)
	n.cities = done(cities, s.cities)
	n.programs = done(programs, s.programs)
	n.organizations = done(organizations, s.organizations)
	n.people = done(people, s.people)
	n.applications = done(applications, s.applications)
	n.apiKeys = done(apiKeys, s.apiKeys)
	n.webhooks = done(webhooks, s.webhooks)
	n.search, n.history = search, history
	return &n, nil
}

// edit applies a change to a table, starting the table's edit on its first change.
func edit[T any](ed *index.Editor[T], t *index.Table[T], c Change) *index.Editor[T] {
	if ed == nil {
		ed = t.Edit()
	}
	if c.After != nil {
		ed.Set(c.After.(*T))
	} else {
		ed.Delete(c.Key)
	}
	return ed
}

func done[T any](ed *index.Editor[T], t *index.Table[T]) *index.Table[T] {
	if ed == nil {
		return t
	}
	return ed.Table()
}

// addHistory records that the revision changed the record. Applying an entry again (after loading records that
// already hold it) records it once.
func addHistory(history *btree.BTreeG[*RecordHistory], kind, key string, revision int64) {
	h := &RecordHistory{Kind: kind, Key: key}
	if old, ok := history.Get(h); ok {
		if slices.Contains(old.Revisions, revision) {
			return
		}
		h.Revisions = append(slices.Clip(old.Revisions), revision)
		slices.Sort(h.Revisions)
	} else {
		h.Revisions = []int64{revision}
	}
	history.Set(h)
}

// checkChange checks that a change's records are of its kind and carry its key, so that a damaged entry stops
// the read model rather than corrupting it.
func checkChange(c *Change) error {
	if c.After == nil && c.Before == nil {
		return fmt.Errorf("change of %s %q has neither a before nor an after record", c.Kind, c.Key)
	}
	for _, x := range []any{c.Before, c.After} {
		if x == nil {
			continue
		}
		if kind, key := recordIdentity(x); kind != c.Kind || key != c.Key {
			return fmt.Errorf("change of %s %q holds the record %s %q", c.Kind, c.Key, kind, key)
		}
	}
	return nil
}

// recordIdentity returns the kind and key of a record the log holds, or two empty strings.
func recordIdentity(x any) (kind, key string) {
	switch r := x.(type) {
	case *Region:
		return KindRegion, r.Code
	case *Secretariat:
		return KindSecretariat, r.Key
	case *Office:
		return KindOffice, r.Key
	case *City:
		return KindCity, r.Key
	case *Program:
		return KindProgram, r.Key
	case *Organization:
		return KindOrganization, r.Key
	case *Person:
		return KindPerson, r.Key
	case *Application:
		return KindApplication, r.Reference
	case *APIKey:
		return KindAPIKey, r.Name
	case *Webhook:
		return KindWebhook, r.ID
	}
	return "", ""
}

// applyEntry applies an entry to the data, record by record. It is for rebuilding the snapshot; Apply is the
// way to follow the log.
func (d *Data) applyEntry(e *Entry) {
	for _, c := range e.Changes {
		switch c.Kind {
		case KindRegion:
			d.Regions = setRecord(d.Regions, c, func(x *Region) string { return x.Code })
		case KindSecretariat:
			d.Secretariats = setRecord(d.Secretariats, c, func(x *Secretariat) string { return x.Key })
		case KindOffice:
			d.Offices = setRecord(d.Offices, c, func(x *Office) string { return x.Key })
		case KindCity:
			d.Cities = setRecord(d.Cities, c, func(x *City) string { return x.Key })
		case KindProgram:
			d.Programs = setRecord(d.Programs, c, func(x *Program) string { return x.Key })
		case KindOrganization:
			d.Organizations = setRecord(d.Organizations, c, func(x *Organization) string { return x.Key })
		case KindPerson:
			d.People = setRecord(d.People, c, func(x *Person) string { return x.Key })
		case KindApplication:
			d.Applications = setRecord(d.Applications, c, func(x *Application) string { return x.Reference })
		case KindAPIKey:
			d.APIKeys = setRecord(d.APIKeys, c, func(x *APIKey) string { return x.Name })
		case KindWebhook:
			d.Webhooks = setRecord(d.Webhooks, c, func(x *Webhook) string { return x.ID })
		}
	}
	h := btree.NewBTreeGOptions(historyLess, btree.Options{NoLocks: true})
	for i := range d.History {
		h.Set(&d.History[i])
	}
	for _, c := range e.Changes {
		addHistory(h, c.Kind, c.Key, e.Revision)
	}
	history := make([]RecordHistory, 0, h.Len())
	h.Scan(func(x *RecordHistory) bool {
		history = append(history, *x)
		return true
	})
	d.History = history
	d.Revision = e.Revision
}

// setRecord puts a change's after record in place of the record with its key, or removes that record for a
// delete.
func setRecord[T any](xs []T, c Change, key func(*T) string) []T {
	i := slices.IndexFunc(xs, func(x T) bool { return key(&x) == c.Key })
	switch {
	case c.After == nil && i >= 0:
		return slices.Delete(xs, i, i+1)
	case c.After == nil:
		return xs
	case i >= 0:
		xs[i] = *c.After.(*T)
		return xs
	}
	return append(xs, *c.After.(*T))
}
