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

// sameKey checks that an update's input does not try to change the record's key.
func sameKey(inKey, key string) error {
	if inKey != "" && inKey != key {
		return Invalid("input.key", "keys are stable: an update cannot change %q to %q; create a new record instead", key, inKey)
	}
	return nil
}

// record is a record the write path changes: a pointer to an Office, City, Program, Organization or Person.
type record interface {
	comparable
	recordKey() string
	recordProvenance() Provenance
	setStamp(version int, p Provenance)
}

func (x *Office) recordKey() string                  { return x.Key }
func (x *Office) recordProvenance() Provenance       { return x.Provenance }
func (x *Office) setStamp(v int, p Provenance)       { x.Version, x.Provenance = v, p }
func (x *City) recordKey() string                    { return x.Key }
func (x *City) recordProvenance() Provenance         { return x.Provenance }
func (x *City) setStamp(v int, p Provenance)         { x.Version, x.Provenance = v, p }
func (x *Program) recordKey() string                 { return x.Key }
func (x *Program) recordProvenance() Provenance      { return x.Provenance }
func (x *Program) setStamp(v int, p Provenance)      { x.Version, x.Provenance = v, p }
func (x *Organization) recordKey() string            { return x.Key }
func (x *Organization) recordProvenance() Provenance { return x.Provenance }
func (x *Organization) setStamp(v int, p Provenance) { x.Version, x.Provenance = v, p }
func (x *Person) recordKey() string                  { return x.Key }
func (x *Person) recordProvenance() Provenance       { return x.Provenance }
func (x *Person) setStamp(v int, p Provenance)       { x.Version, x.Provenance = v, p }

// recordKind tells the write path how to handle one kind of record: how to find it and validate its input,
// which regions it touches (for editors' scopes), and the checks particular to it.
type recordKind[R record, In any] struct {
	kind string
	// noun names the kind in messages: "office".
	noun     string
	get      func(*Snapshot, string) R
	validate func(*In, *Snapshot) (R, error)
	inputKey func(*In) *string
	regions  func(*Snapshot, R) []string
	// keep carries over from the stored record what an input does not hold; old is the zero R on a create.
	keep func(old, x R)
	// checkUpdate and checkDelete, where set, refuse changes that would break the directory's references.
	checkUpdate func(s *Snapshot, old, x R) error
	checkDelete func(s *Snapshot, old R) error
}

// create validates, authorizes and stores a new record.
func create[R record, In any](ctx context.Context, s *Writer, p *Principal, k *recordKind[R, In], in In) (R, error) {
	var zero R
	snap, err := s.writable(p)
	if err != nil {
		return zero, err
	}
	x, err := k.validate(&in, snap)
	if err != nil {
		return zero, err
	}
	if err := authorize(p, "creating "+article(k.noun)+" "+k.noun, k.regions(snap, x)...); err != nil {
		return zero, err
	}
	x.setStamp(1, Provenance{Origin: OriginWrite})
	if k.keep != nil {
		k.keep(zero, x)
	}
	if err := s.apply(ctx, p, Change{Kind: k.kind, Key: x.recordKey(), Action: ActionCreate, Record: x}); err != nil {
		return zero, err
	}
	return latest(s.rm, x, func(sn *Snapshot) R { return k.get(sn, x.recordKey()) }), nil
}

// update replaces the record with the key, which must still be at version.
func update[R record, In any](ctx context.Context, s *Writer, p *Principal, k *recordKind[R, In], key string, version int, in In) (R, error) {
	var zero R
	snap, err := s.writable(p)
	if err != nil {
		return zero, err
	}
	if err := errorsOf(checkVersion(version), sameKey(*k.inputKey(&in), key)); err != nil {
		return zero, err
	}
	old := k.get(snap, key)
	if old == zero {
		return zero, NotFound(k.kind, key)
	}
	*k.inputKey(&in) = key
	x, err := k.validate(&in, snap)
	if err != nil {
		return zero, err
	}
	if err := authorize(p, "changing this "+k.noun, append(k.regions(snap, old), k.regions(snap, x)...)...); err != nil {
		return zero, err
	}
	if k.checkUpdate != nil {
		if err := k.checkUpdate(snap, old, x); err != nil {
			return zero, err
		}
	}
	x.setStamp(version+1, writeProvenance(old.recordProvenance()))
	if k.keep != nil {
		k.keep(old, x)
	}
	if err := s.apply(ctx, p, Change{Kind: k.kind, Key: key, Action: ActionUpdate, Version: version, Record: x}); err != nil {
		return zero, err
	}
	return latest(s.rm, x, func(sn *Snapshot) R { return k.get(sn, key) }), nil
}

// remove deletes the record with the key, which must still be at version.
func remove[R record, In any](ctx context.Context, s *Writer, p *Principal, k *recordKind[R, In], key string, version int) error {
	var zero R
	snap, err := s.writable(p)
	if err != nil {
		return err
	}
	if err := checkVersion(version); err != nil {
		return err
	}
	old := k.get(snap, key)
	if old == zero {
		return NotFound(k.kind, key)
	}
	if err := authorize(p, "deleting this "+k.noun, k.regions(snap, old)...); err != nil {
		return err
	}
	if k.checkDelete != nil {
		if err := k.checkDelete(snap, old); err != nil {
			return err
		}
	}
	return s.apply(ctx, p, Change{Kind: k.kind, Key: key, Action: ActionDelete, Version: version})
}

func article(noun string) string {
	if strings.ContainsRune("aeiou", rune(noun[0])) {
		return "an"
	}
	return "a"
}

var (
	officeKind = &recordKind[*Office, OfficeInput]{
		kind: KindOffice, noun: "office",
		get:      (*Snapshot).Office,
		validate: (*OfficeInput).office,
		inputKey: func(in *OfficeInput) *string { return &in.Key },
		regions:  func(_ *Snapshot, x *Office) []string { return []string{x.Region} },
		keep:     func(_, x *Office) { markCurated(x.Location) },
		checkUpdate: func(s *Snapshot, old, x *Office) error {
			if head := s.secretariatHeadedBy(old.Key); head != nil && old.Kind != x.Kind {
				return Errorf(CodeConflict, "the office is the head office of %s; its kind cannot change", head.Name)
			}
			return nil
		},
		checkDelete: func(s *Snapshot, old *Office) error {
			if head := s.secretariatHeadedBy(old.Key); head != nil {
				return Errorf(CodeConflict, "the office is the head office of %s and cannot be deleted", head.Name)
			}
			return nil
		},
	}
	cityKind = &recordKind[*City, CityInput]{
		kind: KindCity, noun: "city",
		get:      (*Snapshot).City,
		validate: (*CityInput).city,
		inputKey: func(in *CityInput) *string { return &in.Key },
		regions:  func(_ *Snapshot, x *City) []string { return []string{x.Region} },
		// A city's memberships are changed by the membership mutations only.
		keep: func(old, x *City) {
			if old != nil {
				x.Memberships = old.Memberships
			}
			markCurated(x.Location)
		},
		checkUpdate: func(s *Snapshot, old, x *City) error {
			if s.isAncestor(old.Key, x.Parent) {
				return Invalid("input.parent", "%q is a district of %q; a city cannot belong to its own district", x.Parent, old.Key)
			}
			return nil
		},
		checkDelete: func(s *Snapshot, old *City) error {
			if ref := s.referencesTo(InstitutionCity, old.Key); ref != "" {
				return Errorf(CodeConflict, "the city is still referenced by %s; remove that reference first", ref)
			}
			if m := old.CurrentMembership(); m != nil && m.Status != MembershipEnded {
				return Errorf(CodeConflict, "the city holds the %s membership %s; end it before deleting the city", m.Status, m.ID)
			}
			return nil
		},
	}
	programKind = &recordKind[*Program, ProgramInput]{
		kind: KindProgram, noun: "program",
		get:      (*Snapshot).Program,
		validate: (*ProgramInput).program,
		inputKey: func(in *ProgramInput) *string { return &in.Key },
		regions:  (*Snapshot).programRegions,
	}
	organizationKind = &recordKind[*Organization, OrganizationInput]{
		kind: KindOrganization, noun: "organization",
		get:      (*Snapshot).Organization,
		validate: (*OrganizationInput).organization,
		inputKey: func(in *OrganizationInput) *string { return &in.Key },
		regions:  (*Snapshot).organizationRegions,
		checkDelete: func(s *Snapshot, old *Organization) error {
			if ref := s.referencesTo(InstitutionOrganization, old.Key); ref != "" {
				return Errorf(CodeConflict, "the organization is still referenced by %s; remove that reference first", ref)
			}
			return nil
		},
	}
	personKind = &recordKind[*Person, PersonInput]{
		kind: KindPerson, noun: "person",
		get:      (*Snapshot).Person,
		validate: (*PersonInput).person,
		inputKey: func(in *PersonInput) *string { return &in.Key },
		regions:  (*Snapshot).personRegions,
		checkDelete: func(s *Snapshot, old *Person) error {
			for i := range s.programs.items {
				if slices.Contains(programPeople(&s.programs.items[i]), old.Key) {
					return Errorf(CodeConflict, "the person is still named by program %q; remove them from it first", s.programs.items[i].Key)
				}
			}
			return nil
		},
	}
)

// CreateOffice creates an office.
func (s *Writer) CreateOffice(ctx context.Context, p *Principal, in OfficeInput) (*Office, error) {
	return create(ctx, s, p, officeKind, in)
}

// UpdateOffice replaces the office with the key, which must still be at version.
func (s *Writer) UpdateOffice(ctx context.Context, p *Principal, key string, version int, in OfficeInput) (*Office, error) {
	return update(ctx, s, p, officeKind, key, version, in)
}

// DeleteOffice deletes the office with the key, which must still be at version and head no secretariat.
func (s *Writer) DeleteOffice(ctx context.Context, p *Principal, key string, version int) error {
	return remove(ctx, s, p, officeKind, key, version)
}

// CreateCity creates a city. Its region is the one serving its country.
func (s *Writer) CreateCity(ctx context.Context, p *Principal, in CityInput) (*City, error) {
	return create(ctx, s, p, cityKind, in)
}

// UpdateCity replaces the city with the key, which must still be at version. Its memberships stay as they are.
func (s *Writer) UpdateCity(ctx context.Context, p *Principal, key string, version int, in CityInput) (*City, error) {
	return update(ctx, s, p, cityKind, key, version, in)
}

// DeleteCity deletes the city with the key, which must still be at version, referenced by no other record and
// hold no membership that has not ended.
func (s *Writer) DeleteCity(ctx context.Context, p *Principal, key string, version int) error {
	return remove(ctx, s, p, cityKind, key, version)
}

// CreateProgram creates a program.
func (s *Writer) CreateProgram(ctx context.Context, p *Principal, in ProgramInput) (*Program, error) {
	return create(ctx, s, p, programKind, in)
}

// UpdateProgram replaces the program with the key, which must still be at version.
func (s *Writer) UpdateProgram(ctx context.Context, p *Principal, key string, version int, in ProgramInput) (*Program, error) {
	return update(ctx, s, p, programKind, key, version, in)
}

// DeleteProgram deletes the program with the key, which must still be at version.
func (s *Writer) DeleteProgram(ctx context.Context, p *Principal, key string, version int) error {
	return remove(ctx, s, p, programKind, key, version)
}

// CreateOrganization creates a partner organization.
func (s *Writer) CreateOrganization(ctx context.Context, p *Principal, in OrganizationInput) (*Organization, error) {
	return create(ctx, s, p, organizationKind, in)
}

// UpdateOrganization replaces the organization with the key, which must still be at version.
func (s *Writer) UpdateOrganization(ctx context.Context, p *Principal, key string, version int, in OrganizationInput) (*Organization, error) {
	return update(ctx, s, p, organizationKind, key, version, in)
}

// DeleteOrganization deletes the organization with the key, which must still be at version and referenced by
// no other record.
func (s *Writer) DeleteOrganization(ctx context.Context, p *Principal, key string, version int) error {
	return remove(ctx, s, p, organizationKind, key, version)
}

// CreatePerson creates a person.
func (s *Writer) CreatePerson(ctx context.Context, p *Principal, in PersonInput) (*Person, error) {
	return create(ctx, s, p, personKind, in)
}

// UpdatePerson replaces the person with the key, which must still be at version.
func (s *Writer) UpdatePerson(ctx context.Context, p *Principal, key string, version int, in PersonInput) (*Person, error) {
	return update(ctx, s, p, personKind, key, version, in)
}

// DeletePerson deletes the person with the key, which must still be at version and named by no program.
func (s *Writer) DeletePerson(ctx context.Context, p *Principal, key string, version int) error {
	return remove(ctx, s, p, personKind, key, version)
}

// latest returns the record as the refreshed read model serves it, or the written record where the read model
// could not refresh.
func latest[R record](rm *ReadModel, written R, get func(*Snapshot) R) R {
	var zero R
	if snap := rm.Snapshot(); snap != nil {
		if x := get(snap); x != zero {
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
