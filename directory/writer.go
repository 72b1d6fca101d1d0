package directory

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"time"
)

// Action is what a change does to its record.
type Action string

const (
	ActionCreate Action = "CREATE"
	ActionUpdate Action = "UPDATE"
	ActionDelete Action = "DELETE"
	ActionSeed   Action = "SEED"
)

// Change is one write of one record.
type Change struct {
	Kind   string
	Key    string
	Action Action
	// Version is the version of the record the change is based on; 0 for a create.
	Version int
	// Record is the record after the change (*Office, *City, *Program, *Organization or *Person, with Version
	// set to the new version); nil for a delete.
	Record any
	Actor  string
	At     time.Time
}

// AuditEntry records one write: who made it, when, and the record before and after.
type AuditEntry struct {
	ID      string
	Kind    string
	Key     string
	Action  Action
	Actor   string
	At      time.Time
	Version int
	Before  map[string]any
	After   map[string]any
}

// Store is the system of record behind the write path.
type Store interface {
	Source
	// Apply stores one change. It fails with CONFLICT when the record's stored version is not the one the change
	// is based on or when a created record's key is taken, and with NOT_FOUND when an updated or deleted record
	// does not exist. A stored change is recorded in the audit trail and moves the revision on.
	Apply(ctx context.Context, c Change) error
	// AuditTrail returns the audit entries of a record, newest first.
	AuditTrail(ctx context.Context, kind, key string) ([]AuditEntry, error)

	SaveApplication(ctx context.Context, a *Application, actor string) error
	Application(ctx context.Context, reference string) (*Application, error)
	Applications(ctx context.Context, f ApplicationFilter) ([]*Application, error)

	SaveAPIKey(ctx context.Context, k *APIKey) error
	APIKey(ctx context.Context, hash string) (*APIKey, error)
}

// Writer is the write path: it validates and authorizes changes, stores them, and has the read model serve
// them at once.
type Writer struct {
	store Store
	rm    *ReadModel
	log   *slog.Logger
	now   func() time.Time
}

// NewWriter returns the write path over store, refreshing rm after each write.
func NewWriter(store Store, rm *ReadModel, log *slog.Logger) *Writer {
	return &Writer{store: store, rm: rm, log: log, now: time.Now}
}

// snapshot returns the read model's snapshot, the state writes are validated against.
func (s *Writer) snapshot() (*Snapshot, error) {
	snap := s.rm.Snapshot()
	if snap == nil {
		return nil, Errorf(CodeUnavailable, "the directory is still loading; try again shortly")
	}
	return snap, nil
}

// writable returns the snapshot a write is validated against, once it knows the caller: an anonymous caller is
// refused before its input is checked, so that it learns nothing of the directory's records from the answer.
func (s *Writer) writable(p *Principal) (*Snapshot, error) {
	if p == nil {
		return nil, ErrUnauthenticated("writing to the directory needs a token")
	}
	return s.snapshot()
}

// apply stores a change and refreshes the read model, so that this server serves the write at once.
func (s *Writer) apply(ctx context.Context, p *Principal, c Change) error {
	c.Actor, c.At = p.Subject, s.now().UTC()
	if err := s.store.Apply(ctx, c); err != nil {
		return err
	}
	if err := s.rm.Refresh(ctx); err != nil {
		s.log.WarnContext(ctx, "refresh after write", "kind", c.Kind, "key", c.Key, "err", err)
	}
	return nil
}

func writeProvenance(old Provenance) Provenance {
	return Provenance{Origin: OriginWrite, Sources: old.Sources,
		Note: "Edited through the API; the audit trail records every change."}
}

func checkVersion(version int) error {
	if version < 1 {
		return Invalid("version", "version must be the record's version as last read, 1 or more")
	}
	return nil
}

// current returns the record with the key from the snapshot, or NOT_FOUND.
func current[T any](kind, key string, get func(string) *T) (*T, error) {
	if x := get(key); x != nil {
		return x, nil
	}
	return nil, NotFound(kind, key)
}

// sameKey checks that an update's input does not try to change the record's key.
func sameKey(inKey, key string) error {
	if inKey != "" && inKey != key {
		return Invalid("input.key", "keys are stable: an update cannot change %q to %q; create a new record instead", key, inKey)
	}
	return nil
}

// CreateOffice creates an office.
func (s *Writer) CreateOffice(ctx context.Context, p *Principal, in OfficeInput) (*Office, error) {
	snap, err := s.writable(p)
	if err != nil {
		return nil, err
	}
	o, err := in.office(snap)
	if err != nil {
		return nil, err
	}
	if err := authorize(p, "creating an office", o.Region); err != nil {
		return nil, err
	}
	o.Version, o.Provenance = 1, Provenance{Origin: OriginWrite}
	markCurated(o.Location)
	if err := s.apply(ctx, p, Change{Kind: KindOffice, Key: o.Key, Action: ActionCreate, Record: o}); err != nil {
		return nil, err
	}
	return latest(s.rm, o, func(sn *Snapshot) *Office { return sn.Office(o.Key) }), nil
}

// UpdateOffice replaces the office with the key, which must still be at version.
func (s *Writer) UpdateOffice(ctx context.Context, p *Principal, key string, version int, in OfficeInput) (*Office, error) {
	snap, err := s.writable(p)
	if err != nil {
		return nil, err
	}
	if err := errorsOf(checkVersion(version), sameKey(in.Key, key)); err != nil {
		return nil, err
	}
	old, err := current(KindOffice, key, snap.Office)
	if err != nil {
		return nil, err
	}
	in.Key = key
	o, err := in.office(snap)
	if err != nil {
		return nil, err
	}
	if err := authorize(p, "changing this office", old.Region, o.Region); err != nil {
		return nil, err
	}
	if old.Kind != o.Kind && snap.secretariatHeadedBy(key) != nil {
		return nil, Errorf(CodeConflict, "the office is the head office of %s; its kind cannot change", snap.secretariatHeadedBy(key).Name)
	}
	o.Version, o.Provenance = version+1, writeProvenance(old.Provenance)
	markCurated(o.Location)
	if err := s.apply(ctx, p, Change{Kind: KindOffice, Key: key, Action: ActionUpdate, Version: version, Record: o}); err != nil {
		return nil, err
	}
	return latest(s.rm, o, func(sn *Snapshot) *Office { return sn.Office(key) }), nil
}

// DeleteOffice deletes the office with the key, which must still be at version.
func (s *Writer) DeleteOffice(ctx context.Context, p *Principal, key string, version int) error {
	snap, err := s.writable(p)
	if err != nil {
		return err
	}
	if err := checkVersion(version); err != nil {
		return err
	}
	old, err := current(KindOffice, key, snap.Office)
	if err != nil {
		return err
	}
	if err := authorize(p, "deleting this office", old.Region); err != nil {
		return err
	}
	if x := snap.secretariatHeadedBy(key); x != nil {
		return Errorf(CodeConflict, "the office is the head office of %s and cannot be deleted", x.Name)
	}
	return s.apply(ctx, p, Change{Kind: KindOffice, Key: key, Action: ActionDelete, Version: version})
}

// CreateCity creates a city.
func (s *Writer) CreateCity(ctx context.Context, p *Principal, in CityInput) (*City, error) {
	snap, err := s.writable(p)
	if err != nil {
		return nil, err
	}
	c, err := in.city(snap)
	if err != nil {
		return nil, err
	}
	if err := authorize(p, "creating a city", c.Region); err != nil {
		return nil, err
	}
	c.Version, c.Provenance = 1, Provenance{Origin: OriginWrite}
	markCurated(c.Location)
	if err := s.apply(ctx, p, Change{Kind: KindCity, Key: c.Key, Action: ActionCreate, Record: c}); err != nil {
		return nil, err
	}
	return latest(s.rm, c, func(sn *Snapshot) *City { return sn.City(c.Key) }), nil
}

// UpdateCity replaces the city with the key, which must still be at version. Its memberships stay as they are;
// the membership mutations change them.
func (s *Writer) UpdateCity(ctx context.Context, p *Principal, key string, version int, in CityInput) (*City, error) {
	snap, err := s.writable(p)
	if err != nil {
		return nil, err
	}
	if err := errorsOf(checkVersion(version), sameKey(in.Key, key)); err != nil {
		return nil, err
	}
	old, err := current(KindCity, key, snap.City)
	if err != nil {
		return nil, err
	}
	in.Key = key
	c, err := in.city(snap)
	if err != nil {
		return nil, err
	}
	if err := authorize(p, "changing this city", old.Region, c.Region); err != nil {
		return nil, err
	}
	if snap.isAncestor(key, c.Parent) {
		return nil, Invalid("input.parent", "%q is a district of %q; a city cannot belong to its own district", c.Parent, key)
	}
	c.Memberships = old.Memberships
	c.Version, c.Provenance = version+1, writeProvenance(old.Provenance)
	markCurated(c.Location)
	if err := s.apply(ctx, p, Change{Kind: KindCity, Key: key, Action: ActionUpdate, Version: version, Record: c}); err != nil {
		return nil, err
	}
	return latest(s.rm, c, func(sn *Snapshot) *City { return sn.City(key) }), nil
}

// DeleteCity deletes the city with the key, which must still be at version and referenced by no other record.
func (s *Writer) DeleteCity(ctx context.Context, p *Principal, key string, version int) error {
	snap, err := s.writable(p)
	if err != nil {
		return err
	}
	if err := checkVersion(version); err != nil {
		return err
	}
	old, err := current(KindCity, key, snap.City)
	if err != nil {
		return err
	}
	if err := authorize(p, "deleting this city", old.Region); err != nil {
		return err
	}
	if ref := snap.referencesTo(InstitutionCity, key); ref != "" {
		return Errorf(CodeConflict, "the city is still referenced by %s; remove that reference first", ref)
	}
	if m := old.CurrentMembership(); m != nil && m.Status != MembershipEnded {
		return Errorf(CodeConflict, "the city holds the %s membership %s; end it before deleting the city", m.Status, m.ID)
	}
	return s.apply(ctx, p, Change{Kind: KindCity, Key: key, Action: ActionDelete, Version: version})
}

// CreateProgram creates a program.
func (s *Writer) CreateProgram(ctx context.Context, p *Principal, in ProgramInput) (*Program, error) {
	snap, err := s.writable(p)
	if err != nil {
		return nil, err
	}
	pr, err := in.program(snap)
	if err != nil {
		return nil, err
	}
	if err := authorize(p, "creating a program", snap.programRegions(pr)...); err != nil {
		return nil, err
	}
	pr.Version, pr.Provenance = 1, Provenance{Origin: OriginWrite}
	if err := s.apply(ctx, p, Change{Kind: KindProgram, Key: pr.Key, Action: ActionCreate, Record: pr}); err != nil {
		return nil, err
	}
	return latest(s.rm, pr, func(sn *Snapshot) *Program { return sn.Program(pr.Key) }), nil
}

// UpdateProgram replaces the program with the key, which must still be at version.
func (s *Writer) UpdateProgram(ctx context.Context, p *Principal, key string, version int, in ProgramInput) (*Program, error) {
	snap, err := s.writable(p)
	if err != nil {
		return nil, err
	}
	if err := errorsOf(checkVersion(version), sameKey(in.Key, key)); err != nil {
		return nil, err
	}
	old, err := current(KindProgram, key, snap.Program)
	if err != nil {
		return nil, err
	}
	in.Key = key
	pr, err := in.program(snap)
	if err != nil {
		return nil, err
	}
	if err := authorize(p, "changing this program", append(snap.programRegions(old), snap.programRegions(pr)...)...); err != nil {
		return nil, err
	}
	pr.Version, pr.Provenance = version+1, writeProvenance(old.Provenance)
	if err := s.apply(ctx, p, Change{Kind: KindProgram, Key: key, Action: ActionUpdate, Version: version, Record: pr}); err != nil {
		return nil, err
	}
	return latest(s.rm, pr, func(sn *Snapshot) *Program { return sn.Program(key) }), nil
}

// DeleteProgram deletes the program with the key, which must still be at version.
func (s *Writer) DeleteProgram(ctx context.Context, p *Principal, key string, version int) error {
	snap, err := s.writable(p)
	if err != nil {
		return err
	}
	if err := checkVersion(version); err != nil {
		return err
	}
	old, err := current(KindProgram, key, snap.Program)
	if err != nil {
		return err
	}
	if err := authorize(p, "deleting this program", snap.programRegions(old)...); err != nil {
		return err
	}
	return s.apply(ctx, p, Change{Kind: KindProgram, Key: key, Action: ActionDelete, Version: version})
}

// CreateOrganization creates a partner organization.
func (s *Writer) CreateOrganization(ctx context.Context, p *Principal, in OrganizationInput) (*Organization, error) {
	snap, err := s.writable(p)
	if err != nil {
		return nil, err
	}
	o, err := in.organization(snap)
	if err != nil {
		return nil, err
	}
	if err := authorize(p, "creating an organization", snap.organizationRegions(o)...); err != nil {
		return nil, err
	}
	o.Version, o.Provenance = 1, Provenance{Origin: OriginWrite}
	if err := s.apply(ctx, p, Change{Kind: KindOrganization, Key: o.Key, Action: ActionCreate, Record: o}); err != nil {
		return nil, err
	}
	return latest(s.rm, o, func(sn *Snapshot) *Organization { return sn.Organization(o.Key) }), nil
}

// UpdateOrganization replaces the organization with the key, which must still be at version.
func (s *Writer) UpdateOrganization(ctx context.Context, p *Principal, key string, version int, in OrganizationInput) (*Organization, error) {
	snap, err := s.writable(p)
	if err != nil {
		return nil, err
	}
	if err := errorsOf(checkVersion(version), sameKey(in.Key, key)); err != nil {
		return nil, err
	}
	old, err := current(KindOrganization, key, snap.Organization)
	if err != nil {
		return nil, err
	}
	in.Key = key
	o, err := in.organization(snap)
	if err != nil {
		return nil, err
	}
	if err := authorize(p, "changing this organization", append(snap.organizationRegions(old), snap.organizationRegions(o)...)...); err != nil {
		return nil, err
	}
	o.Version, o.Provenance = version+1, writeProvenance(old.Provenance)
	if err := s.apply(ctx, p, Change{Kind: KindOrganization, Key: key, Action: ActionUpdate, Version: version, Record: o}); err != nil {
		return nil, err
	}
	return latest(s.rm, o, func(sn *Snapshot) *Organization { return sn.Organization(key) }), nil
}

// DeleteOrganization deletes the organization with the key, which must still be at version and referenced by
// no other record.
func (s *Writer) DeleteOrganization(ctx context.Context, p *Principal, key string, version int) error {
	snap, err := s.writable(p)
	if err != nil {
		return err
	}
	if err := checkVersion(version); err != nil {
		return err
	}
	old, err := current(KindOrganization, key, snap.Organization)
	if err != nil {
		return err
	}
	if err := authorize(p, "deleting this organization", snap.organizationRegions(old)...); err != nil {
		return err
	}
	if ref := snap.referencesTo(InstitutionOrganization, key); ref != "" {
		return Errorf(CodeConflict, "the organization is still referenced by %s; remove that reference first", ref)
	}
	return s.apply(ctx, p, Change{Kind: KindOrganization, Key: key, Action: ActionDelete, Version: version})
}

// CreatePerson creates a person.
func (s *Writer) CreatePerson(ctx context.Context, p *Principal, in PersonInput) (*Person, error) {
	snap, err := s.writable(p)
	if err != nil {
		return nil, err
	}
	x, err := in.person(snap)
	if err != nil {
		return nil, err
	}
	if err := authorize(p, "creating a person", snap.personRegions(x)...); err != nil {
		return nil, err
	}
	x.Version, x.Provenance = 1, Provenance{Origin: OriginWrite}
	if err := s.apply(ctx, p, Change{Kind: KindPerson, Key: x.Key, Action: ActionCreate, Record: x}); err != nil {
		return nil, err
	}
	return latest(s.rm, x, func(sn *Snapshot) *Person { return sn.Person(x.Key) }), nil
}

// UpdatePerson replaces the person with the key, which must still be at version.
func (s *Writer) UpdatePerson(ctx context.Context, p *Principal, key string, version int, in PersonInput) (*Person, error) {
	snap, err := s.writable(p)
	if err != nil {
		return nil, err
	}
	if err := errorsOf(checkVersion(version), sameKey(in.Key, key)); err != nil {
		return nil, err
	}
	old, err := current(KindPerson, key, snap.Person)
	if err != nil {
		return nil, err
	}
	in.Key = key
	x, err := in.person(snap)
	if err != nil {
		return nil, err
	}
	if err := authorize(p, "changing this person", append(snap.personRegions(old), snap.personRegions(x)...)...); err != nil {
		return nil, err
	}
	x.Version, x.Provenance = version+1, writeProvenance(old.Provenance)
	if err := s.apply(ctx, p, Change{Kind: KindPerson, Key: key, Action: ActionUpdate, Version: version, Record: x}); err != nil {
		return nil, err
	}
	return latest(s.rm, x, func(sn *Snapshot) *Person { return sn.Person(key) }), nil
}

// DeletePerson deletes the person with the key, which must still be at version and named by no program.
func (s *Writer) DeletePerson(ctx context.Context, p *Principal, key string, version int) error {
	snap, err := s.writable(p)
	if err != nil {
		return err
	}
	if err := checkVersion(version); err != nil {
		return err
	}
	old, err := current(KindPerson, key, snap.Person)
	if err != nil {
		return err
	}
	if err := authorize(p, "deleting this person", snap.personRegions(old)...); err != nil {
		return err
	}
	for i := range snap.programs.items {
		if slices.Contains(programPeople(&snap.programs.items[i]), key) {
			return Errorf(CodeConflict, "the person is still named by program %q; remove them from it first", snap.programs.items[i].Key)
		}
	}
	return s.apply(ctx, p, Change{Kind: KindPerson, Key: key, Action: ActionDelete, Version: version})
}

// latest returns the record as the refreshed read model serves it, or the written record where the read model
// could not refresh.
func latest[T any](rm *ReadModel, written *T, get func(*Snapshot) *T) *T {
	if snap := rm.Snapshot(); snap != nil {
		if x := get(snap); x != nil {
			return x
		}
	}
	return written
}

// errorsOf returns the first of errs that is not nil.
func errorsOf(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// markCurated marks a location written through the API as curated: an editor, not a source, gave it.
func markCurated(l *Location) {
	if l != nil {
		l.Curated = true
	}
}

// countryRegion returns the region serving the country with the code, or "" for none.
func countryRegion(code string) string {
	if c, ok := LookupCountry(code); ok {
		return c.Region
	}
	return ""
}

// AuditTrail returns the audit entries of the record with the global ID, newest first. Only admins may read it.
func (s *Writer) AuditTrail(ctx context.Context, p *Principal, id string) ([]*AuditEntry, error) {
	if err := requireAdmin(p, "read the audit trail"); err != nil {
		return nil, err
	}
	kind, key, err := ParseGlobalID(id)
	if err != nil {
		return nil, err
	}
	if kind == KindMembership {
		// A membership is written as part of its city.
		kind, key = KindCity, strings.Split(key, "/")[0]
	}
	entries, err := s.store.AuditTrail(ctx, kind, key)
	if err != nil {
		return nil, err
	}
	out := make([]*AuditEntry, len(entries))
	for i := range entries {
		out[i] = &entries[i]
	}
	return out, nil
}
