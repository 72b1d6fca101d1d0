package directory

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// SeedActor is the actor the change log names for seed writes.
const SeedActor = "seed"

// SeedReport says what seeding changed.
type SeedReport struct {
	Inserted, Updated, Unchanged int
	// Kept are the records users have edited since they were seeded; seeding leaves them as they are.
	Kept []string
	// Revision is the log's revision after seeding.
	Revision int64
}

// seedRecord is a record of the seed data with the hash of its content.
type seedRecord struct {
	kind, key string
	record    any
	hash      string
}

// Seed writes the seed data through the change log, as actor, in entries of at most batch records. It is
// idempotent: a record is created when missing, rewritten when the seed changed since it was last seeded, and
// left alone when unchanged or edited by a user since. Regions and secretariats come first, as every other
// record refers to them.
func (w *Writer) Seed(ctx context.Context, actor string, d *Data, batch int) (*SeedReport, error) {
	var recs []seedRecord
	add := func(kind, key string, x any) error {
		b, err := json.Marshal(x)
		if err != nil {
			return fmt.Errorf("hash seed %s %s: %w", kind, key, err)
		}
		sum := sha256.Sum256(b)
		recs = append(recs, seedRecord{kind: kind, key: key, record: x, hash: hex.EncodeToString(sum[:16])})
		return nil
	}
	var err error
	for i := range d.Regions {
		err = errorsOf(err, add(KindRegion, d.Regions[i].Code, &d.Regions[i]))
	}
	for i := range d.Secretariats {
		err = errorsOf(err, add(KindSecretariat, d.Secretariats[i].Key, &d.Secretariats[i]))
	}
	for i := range d.Offices {
		err = errorsOf(err, add(KindOffice, d.Offices[i].Key, &d.Offices[i]))
	}
	for i := range d.Cities {
		err = errorsOf(err, add(KindCity, d.Cities[i].Key, &d.Cities[i]))
	}
	for i := range d.Organizations {
		err = errorsOf(err, add(KindOrganization, d.Organizations[i].Key, &d.Organizations[i]))
	}
	for i := range d.People {
		err = errorsOf(err, add(KindPerson, d.People[i].Key, &d.People[i]))
	}
	for i := range d.Programs {
		err = errorsOf(err, add(KindProgram, d.Programs[i].Key, &d.Programs[i]))
	}
	if err != nil {
		return nil, err
	}
	batch = max(batch, 1)
	r := &SeedReport{}
	for start := 0; start < len(recs); start += batch {
		chunk := recs[start:min(start+batch, len(recs))]
		var part SeedReport
		snap, err := w.commit(ctx, actor, "seed", func(snap *Snapshot) ([]Change, error) {
			part = SeedReport{}
			return seedChanges(snap, chunk, &part), nil
		})
		if err != nil {
			return nil, err
		}
		r.Inserted += part.Inserted
		r.Updated += part.Updated
		r.Unchanged += part.Unchanged
		r.Kept = append(r.Kept, part.Kept...)
		r.Revision = snap.Revision
	}
	if len(recs) == 0 {
		if snap := w.rm.Snapshot(); snap != nil {
			r.Revision = snap.Revision
		}
	}
	return r, nil
}

// seedChanges returns the changes that bring the snapshot's records up to the seed records.
func seedChanges(snap *Snapshot, recs []seedRecord, r *SeedReport) []Change {
	var changes []Change
	for _, sr := range recs {
		old := snap.record(sr.kind, sr.key)
		var oldProv Provenance
		oldVersion := 0
		if old != nil {
			oldProv, oldVersion = provenanceOf(old), versionOf(old)
			switch {
			case oldProv.SeedHash == sr.hash:
				r.Unchanged++
				continue
			case oldProv.SeedHash == "" || oldProv.Origin != OriginSeed:
				r.Kept = append(r.Kept, sr.kind+" "+sr.key)
				continue
			}
		}
		x := stampSeed(sr.record, oldVersion+1, sr.hash)
		c := Change{Kind: sr.kind, Key: sr.key, Action: ActionSeed, Version: oldVersion, After: x}
		if old != nil {
			c.Before = old
			r.Updated++
		} else {
			r.Inserted++
		}
		changes = append(changes, c)
	}
	return changes
}

// record returns the record of the kind with the key, or nil.
func (s *Snapshot) record(kind, key string) any {
	var x any
	switch kind {
	case KindRegion:
		x = s.Region(key)
	case KindSecretariat:
		x = s.Secretariat(key)
	case KindOffice:
		x = s.Office(key)
	case KindCity:
		x = s.City(key)
	case KindProgram:
		x = s.Program(key)
	case KindOrganization:
		x = s.Organization(key)
	case KindPerson:
		x = s.Person(key)
	case KindApplication:
		x = s.applications.Get(key)
	case KindAPIKey:
		x = s.apiKeys.Get(key)
	}
	if isNilRecord(x) {
		return nil
	}
	return x
}

// isNilRecord reports whether x is a nil record pointer.
func isNilRecord(x any) bool {
	switch r := x.(type) {
	case nil:
		return true
	case *Region:
		return r == nil
	case *Secretariat:
		return r == nil
	case *Office:
		return r == nil
	case *City:
		return r == nil
	case *Program:
		return r == nil
	case *Organization:
		return r == nil
	case *Person:
		return r == nil
	case *Application:
		return r == nil
	case *APIKey:
		return r == nil
	}
	return false
}

func provenanceOf(x any) Provenance {
	switch r := x.(type) {
	case *Region:
		return r.Provenance
	case *Secretariat:
		return r.Provenance
	case *Office:
		return r.Provenance
	case *City:
		return r.Provenance
	case *Program:
		return r.Provenance
	case *Organization:
		return r.Provenance
	case *Person:
		return r.Provenance
	}
	return Provenance{}
}

func versionOf(x any) int {
	switch r := x.(type) {
	case *Office:
		return r.Version
	case *City:
		return r.Version
	case *Program:
		return r.Version
	case *Organization:
		return r.Version
	case *Person:
		return r.Version
	case *Application:
		return r.Version
	}
	return 0
}

// stampSeed returns a copy of a seed record at the version, marked as seeded from the content with the hash.
func stampSeed(x any, version int, hash string) any {
	switch r := x.(type) {
	case *Region:
		c := *r
		c.Provenance.Origin, c.Provenance.SeedHash = OriginSeed, hash
		return &c
	case *Secretariat:
		c := *r
		c.Provenance.Origin, c.Provenance.SeedHash = OriginSeed, hash
		return &c
	case *Office:
		c := *r
		c.Version, c.Provenance.Origin, c.Provenance.SeedHash = version, OriginSeed, hash
		return &c
	case *City:
		c := *r
		c.Version, c.Provenance.Origin, c.Provenance.SeedHash = version, OriginSeed, hash
		return &c
	case *Program:
		c := *r
		c.Version, c.Provenance.Origin, c.Provenance.SeedHash = version, OriginSeed, hash
		return &c
	case *Organization:
		c := *r
		c.Version, c.Provenance.Origin, c.Provenance.SeedHash = version, OriginSeed, hash
		return &c
	case *Person:
		c := *r
		c.Version, c.Provenance.Origin, c.Provenance.SeedHash = version, OriginSeed, hash
		return &c
	}
	panic(fmt.Sprintf("seed: no record type %T", x))
}

// Adopt writes records that were stored before the directory kept a change log into the log as they are, as
// actor, in entries of at most batch records, so that the log holds the whole directory. Records the log
// already holds are left alone, so servers that start together adopt each record once.
func (w *Writer) Adopt(ctx context.Context, actor string, d *Data, batch int) error {
	type rec struct {
		kind, key string
		x         any
	}
	var recs []rec
	add := func(x any) {
		kind, key := recordIdentity(x)
		recs = append(recs, rec{kind, key, x})
	}
	for _, x := range pointers(d.Regions) {
		add(x)
	}
	for _, x := range pointers(d.Secretariats) {
		add(x)
	}
	for _, x := range pointers(d.Offices) {
		add(x)
	}
	for _, x := range pointers(d.Cities) {
		add(x)
	}
	for _, x := range pointers(d.Organizations) {
		add(x)
	}
	for _, x := range pointers(d.People) {
		add(x)
	}
	for _, x := range pointers(d.Programs) {
		add(x)
	}
	for _, x := range pointers(d.Applications) {
		add(x)
	}
	for _, x := range pointers(d.APIKeys) {
		add(x)
	}
	batch = max(batch, 1)
	for start := 0; start < len(recs); start += batch {
		chunk := recs[start:min(start+batch, len(recs))]
		_, err := w.commit(ctx, actor, "adopt records stored before the change log", func(snap *Snapshot) ([]Change, error) {
			var changes []Change
			for _, r := range chunk {
				if snap.record(r.kind, r.key) == nil {
					changes = append(changes, Change{Kind: r.kind, Key: r.key, Action: ActionCreate, After: r.x})
				}
			}
			return changes, nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}
