package directory

import (
	"bytes"
	"context"
	"encoding/gob"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
)

// MemoryLog is a change log held in memory, for tests and benchmarks of the domain: it keeps entries as a store
// does, as copies that no caller shares, and refuses a revision that is taken.
type MemoryLog struct {
	mu      sync.Mutex
	entries map[int64][]byte
	// Fail, where set, is called before every operation; an error it returns is the operation's.
	Fail func(op string, revision int64) error
}

// NewMemoryLog returns an empty change log in memory.
func NewMemoryLog() *MemoryLog {
	registerRecords()
	return &MemoryLog{entries: map[int64][]byte{}}
}

// registerRecords tells gob the record types an entry's changes hold.
var registerRecords = sync.OnceFunc(func() {
	for _, x := range []any{&Region{}, &Secretariat{}, &Office{}, &City{}, &Program{}, &Organization{}, &Person{}, &Application{}, &APIKey{}, &Webhook{}} {
		gob.Register(x)
	}
})

// Append stores the entry unless its revision is taken.
func (l *MemoryLog) Append(_ context.Context, e *Entry) (*Entry, error) {
	if l.Fail != nil {
		if err := l.Fail("append", e.Revision); err != nil {
			return nil, err
		}
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(e); err != nil {
		return nil, fmt.Errorf("encode entry %d: %w", e.Revision, err)
	}
	l.mu.Lock()
	if _, taken := l.entries[e.Revision]; taken {
		l.mu.Unlock()
		return nil, ErrRevisionTaken(e.Revision)
	}
	l.entries[e.Revision] = buf.Bytes()
	l.mu.Unlock()
	return decodeEntry(buf.Bytes())
}

// Entry returns the entry at the revision, or nil.
func (l *MemoryLog) Entry(_ context.Context, revision int64) (*Entry, error) {
	if l.Fail != nil {
		if err := l.Fail("entry", revision); err != nil {
			return nil, err
		}
	}
	l.mu.Lock()
	b, ok := l.entries[revision]
	l.mu.Unlock()
	if !ok {
		return nil, nil
	}
	return decodeEntry(b)
}

// Len returns how many entries the log holds.
func (l *MemoryLog) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.entries)
}

func decodeEntry(b []byte) (*Entry, error) {
	var e Entry
	if err := gob.NewDecoder(bytes.NewReader(b)).Decode(&e); err != nil {
		return nil, fmt.Errorf("decode entry: %w", err)
	}
	return &e, nil
}

// AuditEntries returns the record's changes at the revisions, its records as JSON.
func (l *MemoryLog) AuditEntries(ctx context.Context, kind, key string, revisions []int64) ([]AuditEntry, error) {
	var out []AuditEntry
	for _, rev := range revisions {
		e, err := l.Entry(ctx, rev)
		if err != nil || e == nil {
			return nil, fmt.Errorf("read entry %d: %w", rev, err)
		}
		for _, c := range e.Changes {
			if c.Kind != kind || c.Key != key {
				continue
			}
			a := AuditEntry{ID: strconv.FormatInt(rev, 10), Kind: kind, Key: key, Action: c.Action, Actor: e.Actor, At: e.At, Version: c.Version}
			if c.After != nil {
				a.Version = versionOf(c.After)
			}
			if a.Before, err = jsonObject(c.Before); err != nil {
				return nil, err
			}
			if a.After, err = jsonObject(c.After); err != nil {
				return nil, err
			}
			out = append(out, a)
		}
	}
	return out, nil
}

func jsonObject(x any) (map[string]any, error) {
	if x == nil {
		return nil, nil
	}
	b, err := json.Marshal(x)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	return m, json.Unmarshal(b, &m)
}
