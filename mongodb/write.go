package mongodb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/iclei/directory/directory"
)

// collectionOf returns the collection of a record kind.
func collectionOf(kind string) (string, bool) {
	col, ok := map[string]string{
		directory.KindOffice: colOffices, directory.KindCity: colCities, directory.KindProgram: colPrograms,
		directory.KindOrganization: colOrganizations, directory.KindPerson: colPeople,
		directory.KindRegion: colRegions, directory.KindSecretariat: colSecretariats,
		directory.KindApplication: colApplications,
	}[kind]
	return col, ok
}

// documentOf converts a record to its document.
func documentOf(record any) (stamped, error) {
	switch r := record.(type) {
	case *directory.Office:
		return officeFrom(r), nil
	case *directory.City:
		return cityFrom(r), nil
	case *directory.Program:
		return programFrom(r), nil
	case *directory.Organization:
		return organizationFrom(r), nil
	case *directory.Person:
		return personFrom(r), nil
	}
	return nil, fmt.Errorf("no document for %T", record)
}

// Apply stores one change of one record, checking the version it is based on, then records it in the audit
// trail and moves the revision on. FerretDB has no transactions, so these are three writes: the record's, which
// decides the outcome, then the audit entry and the revision.
func (s *Store) Apply(ctx context.Context, c directory.Change) error {
	name, ok := collectionOf(c.Kind)
	if !ok {
		return fmt.Errorf("apply: unknown kind %q", c.Kind)
	}
	col := s.db.Collection(name)
	// A delete leaves no record; its entry carries the version it deleted, as its before document does.
	entry := auditEntry{Kind: c.Kind, Key: c.Key, Action: string(c.Action), Actor: c.Actor, At: c.At.UTC(), Version: c.Version}
	var doc stamped
	if c.Record != nil {
		var err error
		if doc, err = documentOf(c.Record); err != nil {
			return err
		}
		st := doc.stampRef()
		st.UpdatedAt, st.UpdatedBy, st.SeedHash = c.At.UTC(), c.Actor, ""
		entry.After, entry.Version = doc, st.Version
	}
	filter := bson.D{{Key: "_id", Value: c.Key}, {Key: "version", Value: c.Version}}
	done, err := s.takeTurn(ctx)
	if err != nil {
		return err
	}
	defer done()
	var before bson.Raw
	switch c.Action {
	case directory.ActionCreate:
		_, err = col.InsertOne(ctx, doc)
		if mongo.IsDuplicateKeyError(err) {
			return &directory.Error{Code: directory.CodeConflict, Field: "input.key",
				Message: fmt.Sprintf("the key %q is taken by another %s; choose another key", c.Key, strings.ToLower(c.Kind))}
		}
	case directory.ActionUpdate:
		err = col.FindOneAndReplace(ctx, filter, doc).Decode(&before)
	case directory.ActionDelete:
		err = col.FindOneAndDelete(ctx, filter).Decode(&before)
	default:
		return fmt.Errorf("apply: unknown action %q", c.Action)
	}
	if errors.Is(err, mongo.ErrNoDocuments) {
		return s.versionConflict(ctx, col, c)
	}
	if err != nil {
		return directory.Unavailable(fmt.Errorf("%s %s %s: %w", c.Action, c.Kind, c.Key, err))
	}
	if before != nil {
		entry.Before = before
	}
	if err := s.audit(ctx, entry); err != nil {
		return directory.Unavailable(fmt.Errorf("the %s was stored but not audited: %w", c.Kind, err))
	}
	if _, err := s.bumpRevision(ctx); err != nil {
		return directory.Unavailable(fmt.Errorf("the %s was stored but the revision did not move: %w", c.Kind, err))
	}
	return nil
}

// versionConflict explains why a versioned write matched no document.
func (s *Store) versionConflict(ctx context.Context, col *mongo.Collection, c directory.Change) error {
	var cur struct {
		Version int `bson:"version"`
	}
	err := col.FindOne(ctx, bson.D{{Key: "_id", Value: c.Key}}).Decode(&cur)
	switch {
	case errors.Is(err, mongo.ErrNoDocuments):
		return directory.NotFound(c.Kind, c.Key)
	case err != nil:
		return directory.Unavailable(err)
	}
	return &directory.Error{Code: directory.CodeConflict, Field: "version",
		Message: fmt.Sprintf("the %s %q changed since you read it: it is at version %d, you sent %d; read it again and redo your change",
			strings.ToLower(c.Kind), c.Key, cur.Version, c.Version)}
}

// AuditTrail returns the audit entries of a record, newest first.
func (s *Store) AuditTrail(ctx context.Context, kind, key string) ([]directory.AuditEntry, error) {
	cur, err := s.db.Collection(colAudit).Find(ctx, bson.D{{Key: "kind", Value: kind}, {Key: "key", Value: key}},
		options.Find().SetSort(bson.D{{Key: "at", Value: -1}, {Key: "_id", Value: -1}}))
	if err != nil {
		return nil, directory.Unavailable(err)
	}
	defer cur.Close(ctx)
	var out []directory.AuditEntry
	for cur.Next(ctx) {
		var d auditEntry
		if err := cur.Decode(&d); err != nil {
			return nil, fmt.Errorf("decode audit entry: %w", err)
		}
		e := directory.AuditEntry{ID: d.ID.Hex(), Kind: d.Kind, Key: d.Key, Action: directory.Action(d.Action),
			Actor: d.Actor, At: d.At.UTC(), Version: d.Version}
		if e.Before, err = plainJSON(d.Before); err != nil {
			return nil, err
		}
		if e.After, err = plainJSON(d.After); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	if err := cur.Err(); err != nil {
		return nil, directory.Unavailable(err)
	}
	return out, nil
}

// plainJSON turns a stored document, as the driver decodes it, into plain JSON values (relaxed Extended JSON)
// for clients.
func plainJSON(doc any) (map[string]any, error) {
	if doc == nil {
		return nil, nil
	}
	raw, err := bson.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("audit entry to JSON: %w", err)
	}
	b, err := bson.MarshalExtJSON(bson.Raw(raw), false, false)
	if err != nil {
		return nil, fmt.Errorf("audit entry to JSON: %w", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("audit entry to JSON: %w", err)
	}
	return m, nil
}
