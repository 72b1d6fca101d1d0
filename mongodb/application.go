package mongodb

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/iclei/directory/directory"
)

type applicationDoc struct {
	Reference    string    `bson:"_id"`
	Status       string    `bson:"status"`
	Name         string    `bson:"name"`
	Country      string    `bson:"country"`
	Population   int       `bson:"population,omitempty"`
	Category     string    `bson:"category"`
	ContactName  string    `bson:"contactName"`
	Email        string    `bson:"email"`
	Phone        *phoneDoc `bson:"phone,omitempty"`
	Motivation   string    `bson:"motivation"`
	Region       string    `bson:"region"`
	Secretariat  string    `bson:"secretariat,omitempty"`
	SubmittedAt  time.Time `bson:"submittedAt"`
	DecidedAt    time.Time `bson:"decidedAt,omitempty"`
	DecidedBy    string    `bson:"decidedBy,omitempty"`
	DecisionNote string    `bson:"decisionNote,omitempty"`
	City         string    `bson:"city,omitempty"`
	Membership   string    `bson:"membership,omitempty"`
	Version      int       `bson:"version"`
}

func applicationFrom(a *directory.Application) *applicationDoc {
	return &applicationDoc{Reference: a.Reference, Status: string(a.Status), Name: a.Name, Country: a.Country,
		Population: a.Population, Category: string(a.Category), ContactName: a.ContactName, Email: a.Email,
		Phone: phoneFrom(a.Phone), Motivation: a.Motivation, Region: a.Region, Secretariat: a.Secretariat,
		SubmittedAt: a.SubmittedAt, DecidedAt: a.DecidedAt, DecidedBy: a.DecidedBy, DecisionNote: a.DecisionNote,
		City: a.City, Membership: a.Membership, Version: a.Version}
}

func (d *applicationDoc) toDomain() *directory.Application {
	return &directory.Application{Reference: d.Reference, Status: directory.ApplicationStatus(d.Status), Name: d.Name,
		Country: d.Country, Population: d.Population, Category: directory.MembershipCategory(d.Category),
		ContactName: d.ContactName, Email: d.Email, Phone: d.Phone.toDomain(), Motivation: d.Motivation,
		Region: d.Region, Secretariat: d.Secretariat, SubmittedAt: d.SubmittedAt.UTC(), DecidedAt: utc(d.DecidedAt),
		DecidedBy: d.DecidedBy, DecisionNote: d.DecisionNote, City: d.City, Membership: d.Membership, Version: d.Version}
}

// SaveApplication inserts an application at version 1, or replaces the stored one if it is still at the
// version before a's; the change is audited.
func (s *Store) SaveApplication(ctx context.Context, a *directory.Application, actor string) error {
	col := s.db.Collection(colApplications)
	doc := applicationFrom(a)
	entry := auditEntry{Kind: directory.KindApplication, Key: a.Reference, Actor: actor, At: s.now().UTC(), Version: a.Version, After: doc}
	done, err := s.takeTurn(ctx)
	if err != nil {
		return err
	}
	defer done()
	if a.Version == 1 {
		entry.Action = string(directory.ActionCreate)
		if _, err := col.InsertOne(ctx, doc); err != nil {
			return directory.Unavailable(fmt.Errorf("store application: %w", err))
		}
	} else {
		entry.Action = string(directory.ActionUpdate)
		var before bson.Raw
		err := col.FindOneAndReplace(ctx, bson.D{{Key: "_id", Value: a.Reference}, {Key: "version", Value: a.Version - 1}}, doc).Decode(&before)
		if errors.Is(err, mongo.ErrNoDocuments) {
			return &directory.Error{Code: directory.CodeConflict, Field: "version",
				Message: "the application changed since you read it; read it again"}
		}
		if err != nil {
			return directory.Unavailable(fmt.Errorf("update application: %w", err))
		}
		entry.Before = before
	}
	if err := s.audit(ctx, entry); err != nil {
		return directory.Unavailable(err)
	}
	return nil
}

// Application returns the application with the reference, or nil.
func (s *Store) Application(ctx context.Context, reference string) (*directory.Application, error) {
	var d applicationDoc
	err := s.db.Collection(colApplications).FindOne(ctx, bson.D{{Key: "_id", Value: reference}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, nil
	}
	if err != nil {
		return nil, directory.Unavailable(fmt.Errorf("read application: %w", err))
	}
	return d.toDomain(), nil
}

// Applications returns the applications the filter selects, newest first.
func (s *Store) Applications(ctx context.Context, f directory.ApplicationFilter) ([]*directory.Application, error) {
	filter := bson.D{}
	if f.Status != "" {
		filter = append(filter, bson.E{Key: "status", Value: string(f.Status)})
	}
	switch {
	case f.Region != "":
		filter = append(filter, bson.E{Key: "region", Value: f.Region})
	case len(f.Regions) > 0:
		filter = append(filter, bson.E{Key: "region", Value: bson.D{{Key: "$in", Value: f.Regions}}})
	}
	cur, err := s.db.Collection(colApplications).Find(ctx, filter,
		options.Find().SetSort(bson.D{{Key: "submittedAt", Value: -1}, {Key: "_id", Value: 1}}))
	if err != nil {
		return nil, directory.Unavailable(fmt.Errorf("list applications: %w", err))
	}
	var docs []applicationDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, directory.Unavailable(fmt.Errorf("list applications: %w", err))
	}
	out := make([]*directory.Application, len(docs))
	for i := range docs {
		out[i] = docs[i].toDomain()
	}
	return out, nil
}

type apiKeyDoc struct {
	Hash      string    `bson:"_id"`
	Name      string    `bson:"name"`
	Role      string    `bson:"role"`
	Regions   []string  `bson:"regions,omitempty"`
	CreatedAt time.Time `bson:"createdAt"`
	Revoked   bool      `bson:"revoked"`
}

// SaveAPIKey stores an API key by its hash; its name must be unique.
func (s *Store) SaveAPIKey(ctx context.Context, k *directory.APIKey) error {
	doc := apiKeyDoc{Hash: k.Hash, Name: k.Name, Role: string(k.Role), Regions: k.Regions, CreatedAt: k.CreatedAt.UTC(), Revoked: k.Revoked}
	_, err := s.db.Collection(colAPIKeys).ReplaceOne(ctx, bson.D{{Key: "_id", Value: k.Hash}}, doc, options.Replace().SetUpsert(true))
	if mongo.IsDuplicateKeyError(err) {
		return &directory.Error{Code: directory.CodeConflict, Field: "name", Message: fmt.Sprintf("an API key named %q exists already", k.Name)}
	}
	if err != nil {
		return directory.Unavailable(fmt.Errorf("store API key: %w", err))
	}
	return nil
}

// RevokeAPIKeys revokes the API keys with the name and returns how many it revoked.
func (s *Store) RevokeAPIKeys(ctx context.Context, name string) (int, error) {
	r, err := s.db.Collection(colAPIKeys).UpdateMany(ctx, bson.D{{Key: "name", Value: name}}, bson.D{{Key: "$set", Value: bson.D{{Key: "revoked", Value: true}}}})
	if err != nil {
		return 0, directory.Unavailable(fmt.Errorf("revoke API key: %w", err))
	}
	return int(r.ModifiedCount), nil
}

// APIKey returns the API key with the hash, or nil.
func (s *Store) APIKey(ctx context.Context, hash string) (*directory.APIKey, error) {
	var d apiKeyDoc
	err := s.db.Collection(colAPIKeys).FindOne(ctx, bson.D{{Key: "_id", Value: hash}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, nil
	}
	if err != nil {
		return nil, directory.Unavailable(fmt.Errorf("read API key: %w", err))
	}
	return &directory.APIKey{Name: d.Name, Hash: d.Hash, Role: directory.Role(d.Role), Regions: d.Regions,
		CreatedAt: d.CreatedAt.UTC(), Revoked: d.Revoked}, nil
}
