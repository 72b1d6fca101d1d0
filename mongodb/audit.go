package mongodb

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// auditEntry records one write: who, when, and the record before and after.
type auditEntry struct {
	ID      bson.ObjectID `bson:"_id,omitempty"`
	Kind    string        `bson:"kind"`
	Key     string        `bson:"key"`
	Action  string        `bson:"action"`
	Actor   string        `bson:"actor"`
	At      time.Time     `bson:"at"`
	Version int           `bson:"version"`
	Before  any           `bson:"before,omitempty"`
	After   any           `bson:"after,omitempty"`
}

func (s *Store) audit(ctx context.Context, e auditEntry) error {
	if _, err := s.db.Collection(colAudit).InsertOne(ctx, e); err != nil {
		return fmt.Errorf("record audit entry: %w", err)
	}
	return nil
}
