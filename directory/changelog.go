package directory

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// The change log is the directory's system of record: every write is one Entry, numbered by revision 1, 2, 3,
// ... without gaps. Appending an entry at a revision that is already taken fails, on every store, so for each
// revision exactly one writer wins however many servers write at once. An entry is also the audit record of
// its write, so the audit trail is complete by construction. Every server follows the log: it applies each
// entry to its read model as a delta and materializes it into the store's record collections.

// Action is what a change does to its record.
type Action string

const (
	ActionCreate Action = "CREATE"
	ActionUpdate Action = "UPDATE"
	ActionDelete Action = "DELETE"
	// ActionSeed is a record written from the seed data (created or brought up to date).
	ActionSeed Action = "SEED"
)

// Kinds of record the log holds besides the public ones (KindRegion, KindSecretariat, KindOffice, KindCity,
// KindProgram, KindOrganization, KindPerson, KindApplication).
const (
	KindAPIKey = "APIKey"
	// KindWebhook is a webhook admins registered: a URL the directory posts its changes to.
	KindWebhook = "Webhook"
)

// Entry is one entry of the change log: one write, which may change several records (an approved application
// creates a city, grants it a membership and decides the application at once).
type Entry struct {
	Revision int64
	At       time.Time
	// Actor names who wrote it: "apikey:alice", "jwt:bob@iclei.org", "applicant:mayor@example.org", "seed".
	Actor string
	// Reason says what the write was, such as "createOffice" or "import roster.csv line 12".
	Reason string
	// WriteID is unique to the attempt that wrote the entry, so that a writer that lost the answer to its
	// append can tell its own entry from another writer's.
	WriteID string
	Changes []Change
}

// Change is one record's change within an entry.
type Change struct {
	Kind   string
	Key    string
	Action Action
	// Version is the version of the record the change replaced; 0 for a create.
	Version int
	// Before and After are the record before and after the change: a *Region, *Secretariat, *Office, *City,
	// *Program, *Organization, *Person, *Application or *APIKey. Before is nil for a create, After for a
	// delete. Records in an entry are never changed once the entry is written.
	Before, After any
}

// Log is the ordered change log as a store keeps it.
type Log interface {
	// Append stores the entry at e.Revision and returns it as every reader of the log will read it back. It
	// fails with an error for which IsRevisionTaken is true when another entry holds that revision, and with
	// another error when the store cannot be reached (the entry may or may not have been stored then).
	Append(ctx context.Context, e *Entry) (*Entry, error)
	// Entry returns the entry at the revision, or nil when there is none yet.
	Entry(ctx context.Context, revision int64) (*Entry, error)
}

// errRevisionTaken is the cause of the error Append returns for a revision another entry holds.
var errRevisionTaken = errors.New("revision taken")

// ErrRevisionTaken returns the error a Log's Append returns when another entry holds the revision.
func ErrRevisionTaken(revision int64) error {
	return fmt.Errorf("append revision %d: %w", revision, errRevisionTaken)
}

// IsRevisionTaken reports whether err says that another writer took the revision.
func IsRevisionTaken(err error) bool { return errors.Is(err, errRevisionTaken) }

// newWriteID returns a random identifier for one attempt at appending an entry.
func newWriteID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return hex.EncodeToString(b)
}

// Public reports whether a change is of a record that the public directory shows. Applications, API keys and
// webhooks are private: their changes are never shown to anonymous clients.
func (c *Change) Public() bool {
	return c.Kind != KindApplication && c.Kind != KindAPIKey && c.Kind != KindWebhook
}
