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

// The webhooks' secrets and delivery states (one document per webhook, by its ID), and the claims of their
// lease slots (one document per webhook and slot). Every read and write names its document by _id.
const (
	colWebhookDeliveries = "webhookDeliveries"
	colWebhookClaims     = "webhookClaims"
)

type deliveryDoc struct {
	ID          string    `bson:"_id"`
	Secret      string    `bson:"secret"`
	Saved       bool      `bson:"saved"`
	Delivered   int64     `bson:"delivered"`
	Attempts    int       `bson:"attempts"`
	NextAttempt time.Time `bson:"nextAttempt,omitempty"`
	LastAttempt time.Time `bson:"lastAttempt,omitempty"`
	LastSuccess time.Time `bson:"lastSuccess,omitempty"`
	LastStatus  int       `bson:"lastStatus,omitempty"`
	LastError   string    `bson:"lastError,omitempty"`
}

var _ directory.WebhookStore = (*Store)(nil)

// SaveSecret records a new webhook's secret.
func (s *Store) SaveSecret(ctx context.Context, hook, secret string) error {
	if _, err := s.db.Collection(colWebhookDeliveries).InsertOne(ctx, deliveryDoc{ID: hook, Secret: secret}); err != nil {
		return fmt.Errorf("save the secret of webhook %s: %w", hook, err)
	}
	return nil
}

func (s *Store) delivery(ctx context.Context, hook string) (*deliveryDoc, error) {
	var d deliveryDoc
	err := s.db.Collection(colWebhookDeliveries).FindOne(ctx, bson.D{{Key: "_id", Value: hook}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read webhook %s's deliveries: %w", hook, err)
	}
	return &d, nil
}

// Secret returns the webhook's secret, or "".
func (s *Store) Secret(ctx context.Context, hook string) (string, error) {
	d, err := s.delivery(ctx, hook)
	if err != nil || d == nil {
		return "", err
	}
	return d.Secret, nil
}

// State returns the webhook's delivery state, or nil when none has been recorded.
func (s *Store) State(ctx context.Context, hook string) (*directory.WebhookState, error) {
	d, err := s.delivery(ctx, hook)
	if err != nil || d == nil || !d.Saved {
		return nil, err
	}
	return &directory.WebhookState{Delivered: d.Delivered, Attempts: d.Attempts, NextAttempt: utc(d.NextAttempt),
		LastAttempt: utc(d.LastAttempt), LastSuccess: utc(d.LastSuccess), LastStatus: d.LastStatus, LastError: d.LastError}, nil
}

// SaveState records the webhook's delivery state; $max never moves Delivered back.
func (s *Store) SaveState(ctx context.Context, hook string, st *directory.WebhookState) error {
	update := bson.D{
		{Key: "$max", Value: bson.D{{Key: "delivered", Value: st.Delivered}}},
		{Key: "$set", Value: bson.D{{Key: "saved", Value: true}, {Key: "attempts", Value: st.Attempts},
			{Key: "nextAttempt", Value: st.NextAttempt.UTC()}, {Key: "lastAttempt", Value: st.LastAttempt.UTC()},
			{Key: "lastSuccess", Value: st.LastSuccess.UTC()}, {Key: "lastStatus", Value: st.LastStatus},
			{Key: "lastError", Value: st.LastError}}},
	}
	_, err := s.db.Collection(colWebhookDeliveries).UpdateOne(ctx, bson.D{{Key: "_id", Value: hook}}, update, options.UpdateOne().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("record webhook %s's deliveries: %w", hook, err)
	}
	return nil
}

// claimID names the claim of a webhook's lease slot.
func claimID(hook string, slot int64) string { return fmt.Sprintf("%s@%d", hook, slot) }

// Claim claims the webhook's lease slot for owner: the insert of the claim's _id succeeds for exactly one
// claimant, on MongoDB and FerretDB alike. The winner removes the claim of two slots before, which no server
// still claims, so that claims do not pile up.
func (s *Store) Claim(ctx context.Context, hook string, slot int64, owner string) (bool, error) {
	c := s.db.Collection(colWebhookClaims)
	_, err := c.InsertOne(ctx, bson.D{{Key: "_id", Value: claimID(hook, slot)}, {Key: "owner", Value: owner},
		{Key: "at", Value: time.Now().UTC()}})
	switch {
	case mongo.IsDuplicateKeyError(err):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("claim webhook %s: %w", hook, err)
	}
	_, _ = c.DeleteOne(ctx, bson.D{{Key: "_id", Value: claimID(hook, slot-2)}})
	return true, nil
}

// Forget removes a deleted webhook's secret and state.
func (s *Store) Forget(ctx context.Context, hook string) error {
	if _, err := s.db.Collection(colWebhookDeliveries).DeleteOne(ctx, bson.D{{Key: "_id", Value: hook}}); err != nil {
		return fmt.Errorf("forget webhook %s: %w", hook, err)
	}
	return nil
}
