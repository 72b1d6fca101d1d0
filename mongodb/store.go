// Package mongodb stores the directory in MongoDB (or FerretDB, which speaks its wire protocol): connection,
// indexes, loading the read model, seeding and versioned writes with their audit trail.
package mongodb

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readconcern"
	"go.mongodb.org/mongo-driver/v2/mongo/writeconcern"

	"github.com/iclei/directory/directory"
)

// Collection names.
const (
	colRegions       = "regions"
	colSecretariats  = "secretariats"
	colOffices       = "offices"
	colCities        = "cities"
	colPrograms      = "programs"
	colOrganizations = "organizations"
	colPeople        = "people"
	colApplications  = "applications"
	colAPIKeys       = "apiKeys"
	colWebhooks      = "webhooks"
	// colChanges is the change log, the system of record; the collections above are materialized from it.
	colChanges = "changes"
	colMeta    = "meta"
)

// materializedID is the _id of the meta document that records up to which revision the record collections hold
// the change log.
const materializedID = "materialized"

// Config configures the connection.
type Config struct {
	URI      string
	Database string
	// ConnectTimeout bounds connecting and selecting a server; OperationTimeout bounds each operation.
	ConnectTimeout   time.Duration
	OperationTimeout time.Duration
}

// Store is the directory's system of record: the change log, and the record collections materialized from it.
type Store struct {
	client *mongo.Client
	db     *mongo.Database
	log    *slog.Logger
}

// Connect connects to the database and checks that it answers. Writes wait for a majority of a replica set's
// members, and reads see only what a majority holds, so that an acknowledged entry of the change log survives
// a failover and no server applies an entry that a failover could take back.
func Connect(ctx context.Context, cfg Config, log *slog.Logger) (*Store, error) {
	opts := options.Client().ApplyURI(cfg.URI).SetAppName("iclei-directory").
		SetWriteConcern(writeconcern.Majority()).SetReadConcern(readconcern.Majority())
	if cfg.ConnectTimeout > 0 {
		opts.SetConnectTimeout(cfg.ConnectTimeout).SetServerSelectionTimeout(cfg.ConnectTimeout)
	}
	if cfg.OperationTimeout > 0 {
		opts.SetTimeout(cfg.OperationTimeout)
	}
	client, err := mongo.Connect(opts)
	if err != nil {
		return nil, fmt.Errorf("connect to MongoDB: %w", err)
	}
	if err := client.Ping(ctx, nil); err != nil {
		_ = client.Disconnect(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("reach MongoDB: %w", err)
	}
	return &Store{client: client, db: client.Database(cfg.Database), log: log}, nil
}

// Close disconnects from the database.
func (s *Store) Close(ctx context.Context) error { return s.client.Disconnect(ctx) }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.client.Ping(ctx, nil) }

// DropDatabase removes the store's database; tests use it to clean up.
func (s *Store) DropDatabase(ctx context.Context) error { return s.db.Drop(ctx) }

// EnsureIndexes prepares the collections. Every lookup of the change log and of a record is an _id equality,
// which needs no index of its own.
func (s *Store) EnsureIndexes(ctx context.Context) error {
	// Before the change log, API key names were unique by index; a name whose key was revoked may now be minted
	// again, with a new hash.
	_ = s.db.Collection(colAPIKeys).Indexes().DropOne(ctx, "name_1")
	// Every collection exists from the start, so that the embedded engine can index it (Embedded.IndexIDs).
	existing, err := s.db.ListCollectionNames(ctx, bson.D{})
	if err != nil {
		return fmt.Errorf("list the collections: %w", err)
	}
	for _, name := range []string{colChanges, colMeta, colRegions, colSecretariats, colOffices, colCities, colPrograms,
		colOrganizations, colPeople, colApplications, colAPIKeys, colWebhooks, colWebhookDeliveries, colWebhookClaims} {
		if slices.Contains(existing, name) {
			continue
		}
		// Another server may create it at the same moment.
		var se mongo.ServerError
		if err := s.db.CreateCollection(ctx, name); err != nil && !(errors.As(err, &se) && se.HasErrorCode(errNamespaceExists)) {
			return fmt.Errorf("create the collection %s: %w", name, err)
		}
	}
	return nil
}

// errNamespaceExists is the code of the error for creating a collection that exists.
const errNamespaceExists = 48

type markDoc struct {
	ID        string    `bson:"_id"`
	Revision  int64     `bson:"revision"`
	UpdatedAt time.Time `bson:"updatedAt"`
}

// Materialized returns the revision up to which the record collections hold the change log.
func (s *Store) Materialized(ctx context.Context) (int64, error) {
	var d markDoc
	err := s.db.Collection(colMeta).FindOne(ctx, bson.D{{Key: "_id", Value: materializedID}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read the materialized revision: %w", err)
	}
	return d.Revision, nil
}

// SetMaterialized records that the record collections hold the log up to the revision. $max never moves the
// mark back, whichever server writes last.
func (s *Store) SetMaterialized(ctx context.Context, revision int64) error {
	update := func() error {
		_, err := s.db.Collection(colMeta).UpdateOne(ctx, bson.D{{Key: "_id", Value: materializedID}},
			bson.D{{Key: "$max", Value: bson.D{{Key: "revision", Value: revision}}},
				{Key: "$set", Value: bson.D{{Key: "updatedAt", Value: time.Now().UTC()}}}},
			options.UpdateOne().SetUpsert(true))
		return err
	}
	err := update()
	if mongo.IsDuplicateKeyError(err) {
		// Another server inserted the mark at the same instant; now there is one to update.
		err = update()
	}
	if err != nil {
		return fmt.Errorf("record the materialized revision: %w", err)
	}
	return nil
}

// Materialize writes an entry's records into the record collections. A document is replaced only by the change
// of a later entry (its rev is lower, or it has none, as documents written before the change log do), so
// materializing an entry twice, or an older entry after a newer one, leaves the newer document in place. A
// delete leaves a tombstone, {_id, rev, deleted: true}, so that an older entry written late cannot bring the
// record back; readers of the collections skip documents with deleted: true.
//
// Every read and write here names a document by _id alone: FerretDB looks those up by index and scans the whole
// collection for any other filter. Checking rev is therefore a read and then a write, not one conditional write,
// and two servers materializing successive entries of one record at the same instant could leave the older one;
// each server materializes every entry in order, so the newer one is written again by the server that wrote the
// older one late.
func (s *Store) Materialize(ctx context.Context, e *directory.Entry, snap *directory.Snapshot) error {
	doc, err := encodeEntry(e)
	if err != nil {
		return err
	}
	for i, c := range e.Changes {
		k := kinds[c.Kind]
		col := s.db.Collection(k.collection)
		var id string
		if c.After != nil {
			id = k.id(c.After)
		} else {
			id = k.id(c.Before)
		}
		// Servers that materialize a new record at the same instant all find no document and all insert it; all
		// but the first fail on the _id, read the document the first wrote, and go on as if they had found it.
		var err error
		for range 3 {
			if err = s.materializeChange(ctx, e, doc.Changes[i], c, col, id, snap); !mongo.IsDuplicateKeyError(err) {
				break
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// materializeChange writes one record's change into its collection, unless the document there is of the entry
// or a later one.
func (s *Store) materializeChange(ctx context.Context, e *directory.Entry, cd changeDoc, c directory.Change, col *mongo.Collection,
	id string, snap *directory.Snapshot) error {
	var current struct {
		Rev int64 `bson:"rev"`
	}
	err := col.FindOne(ctx, bson.D{{Key: "_id", Value: id}}, options.FindOne().SetProjection(bson.D{{Key: "rev", Value: 1}})).Decode(&current)
	switch {
	case errors.Is(err, mongo.ErrNoDocuments):
	case err != nil:
		return fmt.Errorf("materialize entry %d: read %s %s: %w", e.Revision, col.Name(), id, err)
	case current.Rev >= e.Revision:
		return nil
	}
	var history []int64
	for _, rev := range snap.History(c.Kind, c.Key) {
		if rev <= e.Revision {
			history = append(history, rev)
		}
	}
	var replacement any
	if c.After != nil {
		var d bson.D
		if err := bson.Unmarshal(cd.After, &d); err != nil {
			return fmt.Errorf("materialize entry %d: %w", e.Revision, err)
		}
		replacement = append(d, bson.E{Key: "revisions", Value: history})
	} else {
		replacement = tombstone{ID: id, Rev: e.Revision, Deleted: true, UpdatedAt: e.At.UTC(), UpdatedBy: e.Actor, Revisions: history}
	}
	if _, err := col.ReplaceOne(ctx, bson.D{{Key: "_id", Value: id}}, replacement, options.Replace().SetUpsert(true)); err != nil {
		return fmt.Errorf("materialize entry %d into %s: %w", e.Revision, col.Name(), err)
	}
	return nil
}

// tombstone is what a deleted record leaves in its collection.
type tombstone struct {
	ID        string    `bson:"_id"`
	Rev       int64     `bson:"rev"`
	Deleted   bool      `bson:"deleted"`
	UpdatedAt time.Time `bson:"updatedAt"`
	UpdatedBy string    `bson:"updatedBy"`
	Revisions []int64   `bson:"revisions,omitempty"`
}

// live selects the documents of records that exist: not the tombstones of deleted ones.
var live = bson.D{{Key: "deleted", Value: bson.D{{Key: "$ne", Value: true}}}}

// LoadMaterialized reads the record collections and the revision up to which they hold the change log. They may
// hold later entries too: following the log from that revision applies those again, which changes nothing.
func (s *Store) LoadMaterialized(ctx context.Context) (*directory.Data, error) {
	rev, err := s.Materialized(ctx)
	if err != nil {
		return nil, err
	}
	d := &directory.Data{Revision: rev}
	if d.Regions, err = loadAll(ctx, s, directory.KindRegion, (*regionDoc).toDomain, func(x *directory.Region) string { return x.Code }, &d.History); err != nil {
		return nil, err
	}
	if d.Secretariats, err = loadAll(ctx, s, directory.KindSecretariat, (*secretariatDoc).toDomain, func(x *directory.Secretariat) string { return x.Key }, &d.History); err != nil {
		return nil, err
	}
	if d.Offices, err = loadAll(ctx, s, directory.KindOffice, (*officeDoc).toDomain, func(x *directory.Office) string { return x.Key }, &d.History); err != nil {
		return nil, err
	}
	if d.Cities, err = loadAll(ctx, s, directory.KindCity, (*cityDoc).toDomain, func(x *directory.City) string { return x.Key }, &d.History); err != nil {
		return nil, err
	}
	if d.Programs, err = loadAll(ctx, s, directory.KindProgram, (*programDoc).toDomain, func(x *directory.Program) string { return x.Key }, &d.History); err != nil {
		return nil, err
	}
	if d.Organizations, err = loadAll(ctx, s, directory.KindOrganization, (*organizationDoc).toDomain, func(x *directory.Organization) string { return x.Key }, &d.History); err != nil {
		return nil, err
	}
	if d.People, err = loadAll(ctx, s, directory.KindPerson, (*personDoc).toDomain, func(x *directory.Person) string { return x.Key }, &d.History); err != nil {
		return nil, err
	}
	if d.Applications, err = loadAll(ctx, s, directory.KindApplication, (*applicationDoc).toDomain, func(x *directory.Application) string { return x.Reference }, &d.History); err != nil {
		return nil, err
	}
	if d.Webhooks, err = loadAll(ctx, s, directory.KindWebhook, (*webhookDoc).toDomain, func(x *directory.Webhook) string { return x.ID }, &d.History); err != nil {
		return nil, err
	}
	keys, err := loadAll(ctx, s, directory.KindAPIKey, (*apiKeyDoc).toDomain, func(x *directory.APIKey) string { return x.Name }, &d.History)
	if err != nil {
		return nil, err
	}
	// A name may have several documents, one per key minted under it: the one in use, or else the newest.
	byName := map[string]int{}
	for _, k := range keys {
		i, seen := byName[k.Name]
		switch {
		case !seen:
			byName[k.Name] = len(d.APIKeys)
			d.APIKeys = append(d.APIKeys, k)
		case d.APIKeys[i].Revoked && (!k.Revoked || k.CreatedAt.After(d.APIKeys[i].CreatedAt)):
			d.APIKeys[i] = k
		}
	}
	return d, nil
}

// Empty reports whether the change log has no entries yet.
func (s *Store) Empty(ctx context.Context) (bool, error) {
	e, err := s.Entry(ctx, 1)
	return e == nil, err
}

// loadAll reads the live documents of a kind's collection, and adds the history each carries to history.
func loadAll[D any, T any](ctx context.Context, s *Store, kind string, toDomain func(*D) T, key func(*T) string, history *[]directory.RecordHistory) ([]T, error) {
	c := s.db.Collection(kinds[kind].collection)
	cur, err := c.Find(ctx, live)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", c.Name(), err)
	}
	defer cur.Close(ctx)
	var out []T
	for cur.Next(ctx) {
		var d D
		if err := cur.Decode(&d); err != nil {
			return nil, fmt.Errorf("decode %s %v: %w", c.Name(), cur.Current.Lookup("_id"), err)
		}
		x := toDomain(&d)
		if st, ok := any(&d).(stamped); ok && len(st.stampRef().Revisions) > 0 {
			*history = append(*history, directory.RecordHistory{Kind: kind, Key: key(&x), Revisions: st.stampRef().Revisions})
		}
		out = append(out, x)
	}
	if err := cur.Err(); err != nil {
		return nil, fmt.Errorf("load %s: %w", c.Name(), err)
	}
	return out, nil
}
