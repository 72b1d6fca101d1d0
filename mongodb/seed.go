package mongodb

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/iclei/directory/directory"
)

// SeedActor is the actor the audit trail names for seed writes.
const SeedActor = "seed"

// SeedReport says what seeding changed.
type SeedReport struct {
	Inserted, Updated, Unchanged int
	// Kept are the records users have edited since they were seeded; seeding leaves them as they are.
	Kept []string
	// Revision is the store's revision after seeding.
	Revision int64
}

// stamped is a document with a Stamp.
type stamped interface{ stampRef() *Stamp }

func (s *Stamp) stampRef() *Stamp { return s }

// Seed writes the seed data. It is idempotent: a record is inserted when missing, rewritten when the seed
// changed since it was last seeded, and left alone when unchanged or edited by a user since. The revision moves
// on only when something changed.
func (s *Store) Seed(ctx context.Context, d *directory.Data) (*SeedReport, error) {
	r := &SeedReport{}
	type rec struct {
		kind, key string
		doc       stamped
	}
	var recs []rec
	for i := range d.Regions {
		recs = append(recs, rec{directory.KindRegion, d.Regions[i].Code, regionFrom(&d.Regions[i])})
	}
	for i := range d.Secretariats {
		recs = append(recs, rec{directory.KindSecretariat, d.Secretariats[i].Key, secretariatFrom(&d.Secretariats[i])})
	}
	for i := range d.Offices {
		recs = append(recs, rec{directory.KindOffice, d.Offices[i].Key, officeFrom(&d.Offices[i])})
	}
	for i := range d.Cities {
		recs = append(recs, rec{directory.KindCity, d.Cities[i].Key, cityFrom(&d.Cities[i])})
	}
	for i := range d.Organizations {
		recs = append(recs, rec{directory.KindOrganization, d.Organizations[i].Key, organizationFrom(&d.Organizations[i])})
	}
	for i := range d.People {
		recs = append(recs, rec{directory.KindPerson, d.People[i].Key, personFrom(&d.People[i])})
	}
	for i := range d.Programs {
		recs = append(recs, rec{directory.KindProgram, d.Programs[i].Key, programFrom(&d.Programs[i])})
	}
	for _, x := range recs {
		col, _ := collectionOf(x.kind)
		if err := s.seedOne(ctx, col, x.kind, x.key, x.doc, r); err != nil {
			return nil, fmt.Errorf("seed %s %s: %w", x.kind, x.key, err)
		}
	}
	var err error
	if r.Inserted+r.Updated > 0 {
		r.Revision, err = s.bumpRevision(ctx)
	} else {
		r.Revision, err = s.Revision(ctx)
	}
	return r, err
}

func (s *Store) seedOne(ctx context.Context, col, kind, key string, doc stamped, r *SeedReport) error {
	st := doc.stampRef()
	*st = Stamp{}
	raw, err := bson.Marshal(doc)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(raw)
	hash := hex.EncodeToString(sum[:])

	c := s.db.Collection(col)
	var existing struct {
		Stamp `bson:",inline"`
	}
	err = c.FindOne(ctx, bson.D{{Key: "_id", Value: key}}).Decode(&existing)
	now := s.now().UTC()
	switch {
	case errors.Is(err, mongo.ErrNoDocuments):
		*st = Stamp{Version: 1, UpdatedAt: now, UpdatedBy: SeedActor, SeedHash: hash}
		if _, err := c.InsertOne(ctx, doc); err != nil {
			return err
		}
		r.Inserted++
		return s.audit(ctx, auditEntry{Kind: kind, Key: key, Action: string(directory.ActionSeed), Actor: SeedActor, At: now, After: doc, Version: 1})
	case err != nil:
		return err
	case existing.SeedHash == hash:
		r.Unchanged++
		return nil
	case existing.SeedHash == "":
		r.Kept = append(r.Kept, kind+" "+key)
		return nil
	}
	*st = Stamp{Version: existing.Version + 1, UpdatedAt: now, UpdatedBy: SeedActor, SeedHash: hash}
	var before bson.Raw
	err = c.FindOneAndReplace(ctx, bson.D{{Key: "_id", Value: key}, {Key: "version", Value: existing.Version}}, doc).Decode(&before)
	if errors.Is(err, mongo.ErrNoDocuments) {
		// Someone wrote the record meanwhile: theirs stands.
		r.Kept = append(r.Kept, kind+" "+key)
		return nil
	}
	if err != nil {
		return err
	}
	r.Updated++
	return s.audit(ctx, auditEntry{Kind: kind, Key: key, Action: string(directory.ActionSeed), Actor: SeedActor, At: now, Before: before, After: doc, Version: st.Version})
}
