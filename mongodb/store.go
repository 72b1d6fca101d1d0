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
	colMeta          = "meta"
	colAudit         = "audit"
	colApplications  = "applications"
	colAPIKeys       = "apiKeys"
)

// revisionID is the _id of the meta document whose value changes on every write.
const revisionID = "revision"

// Config configures the connection.
type Config struct {
	URI      string
	Database string
	// ConnectTimeout bounds connecting and selecting a server; OperationTimeout bounds each operation.
	ConnectTimeout   time.Duration
	OperationTimeout time.Duration
}

// Store is the directory's system of record.
type Store struct {
	client *mongo.Client
	db     *mongo.Database
	log    *slog.Logger
	now    func() time.Time
	// writing holds one token: the right to make a versioned write. FerretDB runs findAndModify and $inc as a
	// read followed by a write, so two writes based on the same version could both pass its check; taking turns
	// within this process keeps them apart (writes from other processes sharing a FerretDB still can race).
	writing chan struct{}
}

// takeTurn waits for this process's turn to write and returns the function that ends it.
func (s *Store) takeTurn(ctx context.Context) (func(), error) {
	select {
	case s.writing <- struct{}{}:
		return func() { <-s.writing }, nil
	case <-ctx.Done():
		return nil, directory.Unavailable(fmt.Errorf("wait to write: %w", ctx.Err()))
	}
}

// Connect connects to the database and checks that it answers.
func Connect(ctx context.Context, cfg Config, log *slog.Logger) (*Store, error) {
	opts := options.Client().ApplyURI(cfg.URI).SetAppName("iclei-directory")
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
	return &Store{client: client, db: client.Database(cfg.Database), log: log, now: time.Now, writing: make(chan struct{}, 1)}, nil
}

// Close disconnects from the database.
func (s *Store) Close(ctx context.Context) error { return s.client.Disconnect(ctx) }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error { return s.client.Ping(ctx, nil) }

// DropDatabase removes the store's database; tests use it to clean up.
func (s *Store) DropDatabase(ctx context.Context) error { return s.db.Drop(ctx) }

// EnsureIndexes creates the indexes the directory's queries and constraints need. Every record's stable key is
// its _id, which is unique by nature; the indexes here serve the audit trail, applications and API keys.
func (s *Store) EnsureIndexes(ctx context.Context) error {
	indexes := map[string][]mongo.IndexModel{
		colAudit: {
			{Keys: bson.D{{Key: "kind", Value: 1}, {Key: "key", Value: 1}, {Key: "at", Value: -1}}},
		},
		colApplications: {
			{Keys: bson.D{{Key: "status", Value: 1}, {Key: "region", Value: 1}, {Key: "submittedAt", Value: -1}}},
		},
		colAPIKeys: {
			{Keys: bson.D{{Key: "name", Value: 1}}, Options: options.Index().SetUnique(true)},
		},
	}
	for col, models := range indexes {
		if _, err := s.db.Collection(col).Indexes().CreateMany(ctx, models); err != nil {
			return fmt.Errorf("create indexes on %s: %w", col, err)
		}
	}
	return nil
}

type revisionDoc struct {
	ID        string    `bson:"_id"`
	Value     int64     `bson:"value"`
	UpdatedAt time.Time `bson:"updatedAt"`
}

// Revision returns the store's revision: 0 for an empty store, and a new value after every write.
func (s *Store) Revision(ctx context.Context) (int64, error) {
	var d revisionDoc
	err := s.db.Collection(colMeta).FindOne(ctx, bson.D{{Key: "_id", Value: revisionID}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read revision: %w", err)
	}
	return d.Value, nil
}

// bumpRevision moves the revision on, so that every server's read model reloads.
func (s *Store) bumpRevision(ctx context.Context) (int64, error) {
	var d revisionDoc
	err := s.db.Collection(colMeta).FindOneAndUpdate(ctx, bson.D{{Key: "_id", Value: revisionID}},
		bson.D{{Key: "$inc", Value: bson.D{{Key: "value", Value: int64(1)}}}, {Key: "$set", Value: bson.D{{Key: "updatedAt", Value: s.now().UTC()}}}},
		options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After)).Decode(&d)
	if err != nil {
		return 0, fmt.Errorf("bump revision: %w", err)
	}
	return d.Value, nil
}

// Load reads the whole directory, revision first.
func (s *Store) Load(ctx context.Context) (*directory.Data, error) {
	rev, err := s.Revision(ctx)
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
	return d, nil
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
