package mongodb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/iclei/directory/directory"
)

// entryDoc is an entry of the change log: the collection's _id is the revision, so that two writers of one
// revision collide on the primary key, which MongoDB and FerretDB both enforce. The _id is the revision as a
// string of 16 digits (revisionID), because FerretDB's SQLite backend finds only string and ObjectID _ids by its
// index and scans the whole collection for any other; Revision holds the number for people and tools.
type entryDoc struct {
	ID       string      `bson:"_id"`
	Revision int64       `bson:"revision"`
	At       time.Time   `bson:"at"`
	Actor    string      `bson:"actor"`
	Reason   string      `bson:"reason,omitempty"`
	WriteID  string      `bson:"writeId"`
	Changes  []changeDoc `bson:"changes"`
}

// changeDoc is one record's change: the record documents before and after, as the record collections hold them.
type changeDoc struct {
	Kind    string   `bson:"kind"`
	Key     string   `bson:"key"`
	Action  string   `bson:"action"`
	Version int      `bson:"version"`
	Before  bson.Raw `bson:"before,omitempty"`
	After   bson.Raw `bson:"after,omitempty"`
}

// kindInfo is how the store keeps one kind of record: its collection and its document codec.
type kindInfo struct {
	collection string
	// encode returns the record's document; decode returns the record a document holds.
	encode func(any) stamped
	decode func(bson.Raw) (any, error)
	// id is the document _id of a record (the API keys are kept by hash, the rest by key).
	id func(any) string
}

func decodeAs[D any, T any](toDomain func(*D) T) func(bson.Raw) (any, error) {
	return func(raw bson.Raw) (any, error) {
		var d D
		if err := bson.Unmarshal(raw, &d); err != nil {
			return nil, err
		}
		x := toDomain(&d)
		return &x, nil
	}
}

func encodeAs[T any, D stamped](from func(*T) D) func(any) stamped {
	return func(x any) stamped { return from(x.(*T)) }
}

// kinds is the one table of the record kinds the store keeps.
var kinds = map[string]kindInfo{
	directory.KindRegion: {colRegions, encodeAs(regionFrom), decodeAs((*regionDoc).toDomain),
		func(x any) string { return x.(*directory.Region).Code }},
	directory.KindSecretariat: {colSecretariats, encodeAs(secretariatFrom), decodeAs((*secretariatDoc).toDomain),
		func(x any) string { return x.(*directory.Secretariat).Key }},
	directory.KindOffice: {colOffices, encodeAs(officeFrom), decodeAs((*officeDoc).toDomain),
		func(x any) string { return x.(*directory.Office).Key }},
	directory.KindCity: {colCities, encodeAs(cityFrom), decodeAs((*cityDoc).toDomain),
		func(x any) string { return x.(*directory.City).Key }},
	directory.KindProgram: {colPrograms, encodeAs(programFrom), decodeAs((*programDoc).toDomain),
		func(x any) string { return x.(*directory.Program).Key }},
	directory.KindOrganization: {colOrganizations, encodeAs(organizationFrom), decodeAs((*organizationDoc).toDomain),
		func(x any) string { return x.(*directory.Organization).Key }},
	directory.KindPerson: {colPeople, encodeAs(personFrom), decodeAs((*personDoc).toDomain),
		func(x any) string { return x.(*directory.Person).Key }},
	directory.KindApplication: {colApplications, encodeAs(applicationFrom), decodeAs((*applicationDoc).toDomain),
		func(x any) string { return x.(*directory.Application).Reference }},
	directory.KindAPIKey: {colAPIKeys, encodeAs(apiKeyFrom), decodeAs((*apiKeyDoc).toDomain),
		func(x any) string { return x.(*directory.APIKey).Hash }},
	directory.KindWebhook: {colWebhooks, encodeAs(webhookFrom), decodeAs((*webhookDoc).toDomain),
		func(x any) string { return x.(*directory.Webhook).ID }},
}

// encodeEntry returns an entry as the log stores it. Each record document carries the entry's stamp, so that
// the record collections say which entry wrote each document.
func encodeEntry(e *directory.Entry) (*entryDoc, error) {
	d := &entryDoc{ID: revisionID(e.Revision), Revision: e.Revision, At: e.At.UTC(), Actor: e.Actor, Reason: e.Reason, WriteID: e.WriteID,
		Changes: make([]changeDoc, len(e.Changes))}
	for i, c := range e.Changes {
		k, ok := kinds[c.Kind]
		if !ok {
			return nil, fmt.Errorf("entry %d: no collection for %s records", e.Revision, c.Kind)
		}
		cd := changeDoc{Kind: c.Kind, Key: c.Key, Action: string(c.Action), Version: c.Version}
		var err error
		if c.Before != nil {
			if cd.Before, err = bson.Marshal(k.encode(c.Before)); err != nil {
				return nil, fmt.Errorf("entry %d: encode %s %s: %w", e.Revision, c.Kind, c.Key, err)
			}
		}
		if c.After != nil {
			doc := k.encode(c.After)
			st := doc.stampRef()
			st.UpdatedAt, st.UpdatedBy, st.Rev = e.At.UTC(), e.Actor, e.Revision
			if cd.After, err = bson.Marshal(doc); err != nil {
				return nil, fmt.Errorf("entry %d: encode %s %s: %w", e.Revision, c.Kind, c.Key, err)
			}
		}
		d.Changes[i] = cd
	}
	return d, nil
}

func (d *entryDoc) toDomain() (*directory.Entry, error) {
	e := &directory.Entry{Revision: d.Revision, At: d.At.UTC(), Actor: d.Actor, Reason: d.Reason, WriteID: d.WriteID,
		Changes: make([]directory.Change, len(d.Changes))}
	for i, cd := range d.Changes {
		k, ok := kinds[cd.Kind]
		if !ok {
			return nil, fmt.Errorf("entry %d: unknown record kind %q", d.Revision, cd.Kind)
		}
		c := directory.Change{Kind: cd.Kind, Key: cd.Key, Action: directory.Action(cd.Action), Version: cd.Version}
		var err error
		if cd.Before != nil {
			if c.Before, err = k.decode(cd.Before); err != nil {
				return nil, fmt.Errorf("entry %d: decode %s %s: %w", d.Revision, cd.Kind, cd.Key, err)
			}
		}
		if cd.After != nil {
			if c.After, err = k.decode(cd.After); err != nil {
				return nil, fmt.Errorf("entry %d: decode %s %s: %w", d.Revision, cd.Kind, cd.Key, err)
			}
		}
		e.Changes[i] = c
	}
	return e, nil
}

// revisionID is the _id of the log's entry at a revision: 16 digits, so that the _ids sort as the revisions do.
func revisionID(revision int64) string { return fmt.Sprintf("%016d", revision) }

// Append stores the entry at its revision. The insert is the write: it fails on a revision another entry holds.
func (s *Store) Append(ctx context.Context, e *directory.Entry) (*directory.Entry, error) {
	doc, err := encodeEntry(e)
	if err != nil {
		return nil, err
	}
	raw, err := bson.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("encode entry %d: %w", e.Revision, err)
	}
	var stored entryDoc
	if err := bson.Unmarshal(raw, &stored); err != nil {
		return nil, fmt.Errorf("decode entry %d: %w", e.Revision, err)
	}
	canonical, err := stored.toDomain()
	if err != nil {
		return nil, err
	}
	if _, err := s.db.Collection(colChanges).InsertOne(ctx, raw); err != nil {
		if mongo.IsDuplicateKeyError(err) {
			return nil, directory.ErrRevisionTaken(e.Revision)
		}
		return nil, fmt.Errorf("append entry %d: %w", e.Revision, err)
	}
	return canonical, nil
}

// Entry returns the entry at the revision, or nil when there is none yet.
func (s *Store) Entry(ctx context.Context, revision int64) (*directory.Entry, error) {
	var d entryDoc
	err := s.db.Collection(colChanges).FindOne(ctx, bson.D{{Key: "_id", Value: revisionID(revision)}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read entry %d: %w", revision, err)
	}
	return d.toDomain()
}

// AuditEntries returns the record's changes in the entries at the revisions, in that order, with its documents
// as relaxed Extended JSON. Each entry is read by _id.
func (s *Store) AuditEntries(ctx context.Context, kind, key string, revisions []int64) ([]directory.AuditEntry, error) {
	var out []directory.AuditEntry
	for _, rev := range revisions {
		var d entryDoc
		err := s.db.Collection(colChanges).FindOne(ctx, bson.D{{Key: "_id", Value: revisionID(rev)}}).Decode(&d)
		if err != nil {
			return nil, fmt.Errorf("read entry %d of the audit trail: %w", rev, err)
		}
		for _, c := range d.Changes {
			if c.Kind != kind || c.Key != key {
				continue
			}
			a := directory.AuditEntry{ID: strconv.FormatInt(d.Revision, 10), Kind: kind, Key: key, Action: directory.Action(c.Action),
				Actor: d.Actor, At: d.At.UTC(), Version: c.Version}
			if a.Before, err = plainJSON(c.Before); err != nil {
				return nil, err
			}
			if a.After, err = plainJSON(c.After); err != nil {
				return nil, err
			}
			if c.After != nil {
				if v, ok := c.After.Lookup("version").AsInt64OK(); ok {
					a.Version = int(v)
				}
			}
			out = append(out, a)
		}
	}
	return out, nil
}

// plainJSON turns a stored document into plain JSON values (relaxed Extended JSON) for clients, without the
// stamp fields the entry itself gives (who wrote it and when).
func plainJSON(doc bson.Raw) (map[string]any, error) {
	if doc == nil {
		return nil, nil
	}
	b, err := bson.MarshalExtJSON(doc, false, false)
	if err != nil {
		return nil, fmt.Errorf("audit entry to JSON: %w", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("audit entry to JSON: %w", err)
	}
	delete(m, "rev")
	delete(m, "updatedAt")
	delete(m, "updatedBy")
	delete(m, "revisions")
	return m, nil
}

// Head returns the revision of the change log's last entry, 0 for an empty log. Entries have no gaps, so it
// finds the last by _id lookups alone: doubling, then halving, a few dozen at most.
func (s *Store) Head(ctx context.Context) (int64, error) {
	exists := func(rev int64) (bool, error) {
		err := s.db.Collection(colChanges).FindOne(ctx, bson.D{{Key: "_id", Value: revisionID(rev)}},
			options.FindOne().SetProjection(bson.D{{Key: "_id", Value: 1}})).Err()
		if errors.Is(err, mongo.ErrNoDocuments) {
			return false, nil
		}
		return err == nil, err
	}
	lo, hi := int64(0), int64(1) // entry lo exists (or lo is 0); the head is below hi once hi is missing
	for {
		ok, err := exists(hi)
		if err != nil {
			return 0, fmt.Errorf("find the change log's head: %w", err)
		}
		if !ok {
			break
		}
		lo, hi = hi, hi*2
	}
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		ok, err := exists(mid)
		if err != nil {
			return 0, fmt.Errorf("find the change log's head: %w", err)
		}
		if ok {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo, nil
}
