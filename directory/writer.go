package directory

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Writer is the write path. A write is validated and authorized against the snapshot at the head of the change
// log and appended to the log as the entry at the next revision; when another server took that revision first,
// the writer catches up with the log and validates again. So every write is checked against exactly the
// directory it changes, on any number of servers, with no transaction and no lock in the database.
type Writer struct {
	log Log
	rm  *ReadModel
	now func() time.Time
	// writing lets one write of this process at a time validate and append: two writes of one server would
	// otherwise race for the same revision for nothing.
	writing chan struct{}
}

// maxAttempts bounds how often a write is validated again after other servers took the revision it aimed at.
const maxAttempts = 10

// NewWriter returns the write path over the log, serving its writes from rm at once.
func NewWriter(log Log, rm *ReadModel) *Writer {
	return &Writer{log: log, rm: rm, now: time.Now, writing: make(chan struct{}, 1)}
}

// plan validates a write against a snapshot and returns the changes it makes. It must not change the snapshot's
// records: a changed record is a new one.
type plan func(s *Snapshot) ([]Change, error)

// commit appends the changes plan makes to the log as one entry, validated against the snapshot at the log's
// head, and returns the snapshot after it. A plan that changes nothing writes nothing.
func (w *Writer) commit(ctx context.Context, actor, reason string, plan plan) (*Snapshot, error) {
	select {
	case w.writing <- struct{}{}:
		defer func() { <-w.writing }()
	case <-ctx.Done():
		return nil, Unavailable(fmt.Errorf("wait to write: %w", ctx.Err()))
	}
	for attempt := 1; ; attempt++ {
		snap := w.rm.Snapshot()
		if snap == nil {
			return nil, Errorf(CodeUnavailable, "the directory is still loading; try again shortly")
		}
		changes, err := plan(snap)
		if err != nil {
			// A refusal must hold at the log's head, not only in a snapshot that may lag behind it: check that no
			// entry follows, and validate again if one does.
			caughtUp, cerr := w.rm.CatchUp(ctx)
			switch {
			case cerr != nil:
				return nil, Unavailable(cerr)
			case caughtUp.Revision != snap.Revision && attempt < maxAttempts:
				continue
			}
			return nil, err
		}
		if len(changes) == 0 {
			return snap, nil
		}
		e := &Entry{Revision: snap.Revision + 1, At: storedTime(w.now()), Actor: actor, Reason: reason,
			WriteID: newWriteID(), Changes: changes}
		stored, err := w.log.Append(ctx, e)
		if err == nil {
			return w.rm.applyOwn(ctx, stored)
		}
		if !IsRevisionTaken(err) {
			// The store may have taken the entry and lost the answer: look before calling it a failure.
			got, rerr := w.log.Entry(ctx, e.Revision)
			switch {
			case rerr != nil || got == nil:
				return nil, Unavailable(err)
			case got.WriteID == e.WriteID:
				return w.rm.applyOwn(ctx, got)
			}
		}
		if attempt == maxAttempts {
			return nil, Errorf(CodeUnavailable, "the directory is busy with other writes and this one could not get its turn; try again shortly")
		}
		if _, err := w.rm.CatchUp(ctx); err != nil {
			return nil, Unavailable(err)
		}
	}
}

// actorOf names the principal in the log.
func actorOf(p *Principal) string { return p.Subject }

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
	recordVersion() int
	recordProvenance() Provenance
	setStamp(version int, p Provenance)
}

func (x *Office) recordVersion() int       { return x.Version }
func (x *City) recordVersion() int         { return x.Version }
func (x *Program) recordVersion() int      { return x.Version }
func (x *Organization) recordVersion() int { return x.Version }
func (x *Person) recordVersion() int       { return x.Version }

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

// create validates, authorizes and writes a new record.
func create[R record, In any](ctx context.Context, w *Writer, p *Principal, k *recordKind[R, In], in In) (R, error) {
	var zero R
	if p == nil {
		return zero, ErrUnauthenticated("writing to the directory needs a token")
	}
	var key string
	snap, err := w.commit(ctx, actorOf(p), "create"+k.kind, func(snap *Snapshot) ([]Change, error) {
		x, err := planCreate(snap, p, k, in)
		if err != nil {
			return nil, err
		}
		key = x.recordKey()
		return []Change{{Kind: k.kind, Key: key, Action: ActionCreate, After: x}}, nil
	})
	if err != nil {
		return zero, err
	}
	return k.get(snap, key), nil
}

// planCreate validates and authorizes a new record against snap and returns it at version 1.
func planCreate[R record, In any](snap *Snapshot, p *Principal, k *recordKind[R, In], in In) (R, error) {
	var zero R
	x, err := k.validate(&in, snap)
	if err != nil {
		return zero, err
	}
	if err := authorize(p, "creating "+article(k.noun)+" "+k.noun, k.regions(snap, x)...); err != nil {
		return zero, err
	}
	key := x.recordKey()
	if k.get(snap, key) != zero {
		return zero, &Error{Code: CodeConflict, Field: "input.key",
			Message: fmt.Sprintf("the key %q is taken by another %s; choose another key", key, k.noun)}
	}
	x.setStamp(1, Provenance{Origin: OriginWrite})
	if k.keep != nil {
		k.keep(zero, x)
	}
	return x, nil
}

// current returns the record with the key, which must still be at version.
func current[R record, In any](snap *Snapshot, k *recordKind[R, In], key string, version int) (R, error) {
	var zero R
	old := k.get(snap, key)
	if old == zero {
		return zero, NotFound(k.kind, key)
	}
	if v := old.recordVersion(); v != version {
		return zero, &Error{Code: CodeConflict, Field: "version",
			Message: fmt.Sprintf("the %s %q changed since you read it: it is at version %d, you sent %d; read it again and redo your change",
				k.noun, key, v, version)}
	}
	return old, nil
}

// update replaces the record with the key, which must still be at version.
func update[R record, In any](ctx context.Context, w *Writer, p *Principal, k *recordKind[R, In], key string, version int, in In) (R, error) {
	var zero R
	if p == nil {
		return zero, ErrUnauthenticated("writing to the directory needs a token")
	}
	if err := errorsOf(checkVersion(version), sameKey(*k.inputKey(&in), key)); err != nil {
		return zero, err
	}
	snap, err := w.commit(ctx, actorOf(p), "update"+k.kind, func(snap *Snapshot) ([]Change, error) {
		old, x, err := planUpdate(snap, p, k, key, version, in)
		if err != nil {
			return nil, err
		}
		return []Change{{Kind: k.kind, Key: key, Action: ActionUpdate, Version: version, Before: old, After: x}}, nil
	})
	if err != nil {
		return zero, err
	}
	return k.get(snap, key), nil
}

// planUpdate validates and authorizes the replacement of the record with the key, which must be at version in
// snap, and returns the record as it is and as it would be.
func planUpdate[R record, In any](snap *Snapshot, p *Principal, k *recordKind[R, In], key string, version int, in In) (old, x R, err error) {
	var zero R
	if k.get(snap, key) == zero {
		return zero, zero, NotFound(k.kind, key)
	}
	*k.inputKey(&in) = key
	if x, err = k.validate(&in, snap); err != nil {
		return zero, zero, err
	}
	old = k.get(snap, key)
	if err := authorize(p, "changing this "+k.noun, append(k.regions(snap, old), k.regions(snap, x)...)...); err != nil {
		return zero, zero, err
	}
	if old, err = current(snap, k, key, version); err != nil {
		return zero, zero, err
	}
	if k.checkUpdate != nil {
		if err := k.checkUpdate(snap, old, x); err != nil {
			return zero, zero, err
		}
	}
	x.setStamp(version+1, writeProvenance(old.recordProvenance()))
	if k.keep != nil {
		k.keep(old, x)
	}
	return old, x, nil
}

// remove deletes the record with the key, which must still be at version.
func remove[R record, In any](ctx context.Context, w *Writer, p *Principal, k *recordKind[R, In], key string, version int) error {
	var zero R
	if p == nil {
		return ErrUnauthenticated("writing to the directory needs a token")
	}
	if err := checkVersion(version); err != nil {
		return err
	}
	_, err := w.commit(ctx, actorOf(p), "delete"+k.kind, func(snap *Snapshot) ([]Change, error) {
		old := k.get(snap, key)
		if old == zero {
			return nil, NotFound(k.kind, key)
		}
		if err := authorize(p, "deleting this "+k.noun, k.regions(snap, old)...); err != nil {
			return nil, err
		}
		if _, err := current(snap, k, key, version); err != nil {
			return nil, err
		}
		if k.checkDelete != nil {
			if err := k.checkDelete(snap, old); err != nil {
				return nil, err
			}
		}
		return []Change{{Kind: k.kind, Key: key, Action: ActionDelete, Version: version, Before: old}}, nil
	})
	return err
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
			if p := s.programs.First(dimPerson, old.Key); p != nil {
				return Errorf(CodeConflict, "the person is still named by program %q; remove them from it first", p.Key)
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
