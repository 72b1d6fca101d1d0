// Package mongodb stores the directory in MongoDB (or FerretDB, which speaks its wire protocol): connection,
// indexes, loading the read model, seeding and versioned writes with their audit trail.
package mongodb

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
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

// EnsureIndexes creates the indexes the store's queries need. Every lookup of the change log and of a record is
// an _id equality; the index here serves the audit trail's search of the log by record (on MongoDB; FerretDB
// scans).
func (s *Store) EnsureIndexes(ctx context.Context) error {
	// Before the change log, API key names were unique by index; a name whose key was revoked may now be minted
	// again, with a new hash.
	_ = s.db.Collection(colAPIKeys).Indexes().DropOne(ctx, "name_1")
	_, err := s.db.Collection(colChanges).Indexes().CreateOne(ctx, mongo.IndexModel{
		Keys: bson.D{{Key: "records", Value: 1}},
	})
	if err != nil {
		return fmt.Errorf("create indexes on %s: %w", colChanges, err)
	}
	return nil
}

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
	_, err := s.db.Collection(colMeta).UpdateOne(ctx, bson.D{{Key: "_id", Value: materializedID}},
		bson.D{{Key: "$max", Value: bson.D{{Key: "revision", Value: revision}}},
			{Key: "$set", Value: bson.D{{Key: "updatedAt", Value: time.Now().UTC()}}}},
		options.UpdateOne().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("record the materialized revision: %w", err)
	}
	return nil
}

// Materialize writes an entry's records into the record collections. A document is replaced only by the change
// of a later entry (its rev is lower, or it has none, as documents written before the change log do), so
// materializing an entry twice, or an older entry after a newer one, leaves the newer document in place.
func (s *Store) Materialize(ctx context.Context, e *directory.Entry) error {
	doc, err := encodeEntry(e)
	if err != nil {
		return err
	}
	byCollection := map[string][]mongo.WriteModel{}
	for i, c := range e.Changes {
		k := kinds[c.Kind]
		older := bson.D{{Key: "$or", Value: bson.A{
			bson.D{{Key: "rev", Value: bson.D{{Key: "$lt", Value: e.Revision}}}},
			bson.D{{Key: "rev", Value: bson.D{{Key: "$exists", Value: false}}}},
		}}}
		var m mongo.WriteModel
		if c.After != nil {
			filter := append(bson.D{{Key: "_id", Value: k.id(c.After)}}, older...)
			m = mongo.NewReplaceOneModel().SetFilter(filter).SetReplacement(doc.Changes[i].After).SetUpsert(true)
		} else {
			filter := append(bson.D{{Key: "_id", Value: k.id(c.Before)}}, older...)
			m = mongo.NewDeleteOneModel().SetFilter(filter)
		}
		byCollection[k.collection] = append(byCollection[k.collection], m)
	}
	for col, models := range byCollection {
		_, err := s.db.Collection(col).BulkWrite(ctx, models, options.BulkWrite().SetOrdered(false))
		if err != nil && !onlyDuplicateKeys(err) {
			return fmt.Errorf("materialize entry %d into %s: %w", e.Revision, col, err)
		}
	}
	return nil
}

// onlyDuplicateKeys reports whether a bulk write failed only where an upsert met a newer document (its filter
// did not match, so the upsert tried to insert an _id that exists).
func onlyDuplicateKeys(err error) bool {
	var bwe mongo.BulkWriteException
	if !errors.As(err, &bwe) || bwe.WriteConcernError != nil || len(bwe.WriteErrors) == 0 {
		return false
	}
	for _, we := range bwe.WriteErrors {
		if we.Code != 11000 {
			return false
		}
	}
	return true
}

// LoadMaterialized reads the record collections and the revision up to which they hold the change log. They may
// hold later entries too: following the log from that revision applies those again, which changes nothing.
func (s *Store) LoadMaterialized(ctx context.Context) (*directory.Data, error) {
	rev, err := s.Materialized(ctx)
	if err != nil {
		return nil, err
	}
	d := &directory.Data{Revision: rev}
	if d.Regions, err = loadAll(ctx, s.db.Collection(colRegions), (*regionDoc).toDomain); err != nil {
		return nil, err
	}
	if d.Secretariats, err = loadAll(ctx, s.db.Collection(colSecretariats), (*secretariatDoc).toDomain); err != nil {
		return nil, err
	}
	if d.Offices, err = loadAll(ctx, s.db.Collection(colOffices), (*officeDoc).toDomain); err != nil {
		return nil, err
	}
	if d.Cities, err = loadAll(ctx, s.db.Collection(colCities), (*cityDoc).toDomain); err != nil {
		return nil, err
	}
	if d.Programs, err = loadAll(ctx, s.db.Collection(colPrograms), (*programDoc).toDomain); err != nil {
		return nil, err
	}
	if d.Organizations, err = loadAll(ctx, s.db.Collection(colOrganizations), (*organizationDoc).toDomain); err != nil {
		return nil, err
	}
	if d.People, err = loadAll(ctx, s.db.Collection(colPeople), (*personDoc).toDomain); err != nil {
		return nil, err
	}
	if d.Applications, err = loadAll(ctx, s.db.Collection(colApplications), (*applicationDoc).toDomain); err != nil {
		return nil, err
	}
	keys, err := loadAll(ctx, s.db.Collection(colAPIKeys), (*apiKeyDoc).toDomain)
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

func loadAll[D any, T any](ctx context.Context, c *mongo.Collection, toDomain func(*D) T) ([]T, error) {
	cur, err := c.Find(ctx, bson.D{})
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
		out = append(out, toDomain(&d))
	}
	if err := cur.Err(); err != nil {
		return nil, fmt.Errorf("load %s: %w", c.Name(), err)
	}
	return out, nil
}
