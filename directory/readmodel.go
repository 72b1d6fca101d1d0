package directory

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// ReadModel serves the current snapshot of the directory and follows the change log: it applies each new entry
// to the snapshot as a delta. When the log's store is unreachable the last snapshot goes on serving.
type ReadModel struct {
	log     Log
	logger  *slog.Logger
	now     func() time.Time
	current atomic.Pointer[Snapshot]
	// reachable is whether the log's store answered the last time it was asked.
	reachable atomic.Bool
	// applying serializes applying entries, so that each is applied once and in order.
	applying sync.Mutex
	// changed is closed, and replaced, whenever a new snapshot is published.
	changed atomic.Pointer[chan struct{}]
	// recent keeps the entries applied last, for followers of the log (materializing, subscriptions) that would
	// otherwise read them from the store again.
	recentMu sync.Mutex
	recent   []*Entry
}

// recentEntries is how many applied entries the read model keeps.
const recentEntries = 1024

// NewReadModel returns a read model that starts from the snapshot and follows the log. With no snapshot it
// serves nothing, and cannot follow the log, until one is published.
func NewReadModel(log Log, initial *Snapshot, logger *slog.Logger) *ReadModel {
	m := &ReadModel{log: log, logger: logger, now: time.Now}
	m.current.Store(initial)
	m.reachable.Store(true)
	ch := make(chan struct{})
	m.changed.Store(&ch)
	return m
}

// Snapshot returns the current snapshot.
func (m *ReadModel) Snapshot() *Snapshot { return m.current.Load() }

// Reachable reports whether the log's store answered the last time the read model asked it.
func (m *ReadModel) Reachable() bool { return m.reachable.Load() }

// Changed returns a channel that is closed when a snapshot newer than the current one is published.
func (m *ReadModel) Changed() <-chan struct{} { return *m.changed.Load() }

func (m *ReadModel) publish(s *Snapshot) {
	m.current.Store(s)
	ch := make(chan struct{})
	close(*m.changed.Swap(&ch))
}

// CatchUp applies every entry the log holds beyond the current snapshot and returns the snapshot after them.
func (m *ReadModel) CatchUp(ctx context.Context) (*Snapshot, error) {
	m.applying.Lock()
	defer m.applying.Unlock()
	cur := m.current.Load()
	if cur == nil {
		return nil, Errorf(CodeUnavailable, "the directory is still loading; try again shortly")
	}
	next := cur
	for {
		e, err := m.log.Entry(ctx, next.Revision+1)
		if err != nil {
			m.reachable.Store(false)
			if next != cur {
				m.publish(next)
			}
			return next, fmt.Errorf("read the change log at revision %d: %w", next.Revision+1, err)
		}
		m.reachable.Store(true)
		if e == nil {
			break
		}
		if next, err = m.apply(next, e); err != nil {
			if next != cur {
				m.publish(next)
			}
			return next, err
		}
	}
	if next != cur {
		m.publish(next)
		m.logger.Debug("caught up with the change log", "revision", next.Revision)
	}
	return next, nil
}

// apply returns the snapshot after the entry and keeps the entry for followers.
func (m *ReadModel) apply(s *Snapshot, e *Entry) (*Snapshot, error) {
	next, err := s.Apply(e, m.now())
	if err != nil {
		m.logger.Error("cannot apply an entry of the change log; the directory stays at the revision before it", "revision", e.Revision, "err", err)
		return s, err
	}
	m.recentMu.Lock()
	if len(m.recent) == recentEntries {
		m.recent = append(m.recent[:0:0], m.recent[1:]...)
	}
	m.recent = append(m.recent, e)
	m.recentMu.Unlock()
	return next, nil
}

// applyOwn applies an entry this server appended and returns the snapshot that holds it. The entry follows the
// current snapshot unless the poller applied it first.
func (m *ReadModel) applyOwn(ctx context.Context, e *Entry) (*Snapshot, error) {
	m.applying.Lock()
	cur := m.current.Load()
	switch {
	case cur == nil:
		m.applying.Unlock()
		return nil, Errorf(CodeUnavailable, "the directory is still loading; try again shortly")
	case cur.Revision >= e.Revision:
		m.applying.Unlock()
		return cur, nil
	case cur.Revision+1 == e.Revision:
		next, err := m.apply(cur, e)
		if err != nil {
			m.applying.Unlock()
			return nil, &Error{Code: CodeInternal, Message: "internal error", Err: err}
		}
		m.publish(next)
		m.applying.Unlock()
		return next, nil
	}
	m.applying.Unlock()
	// Entries before it are missing here: read them, and it, from the log.
	snap, err := m.CatchUp(ctx)
	if err != nil && (snap == nil || snap.Revision < e.Revision) {
		return nil, Unavailable(err)
	}
	return snap, nil
}

// Entry returns the entry at the revision: from the entries applied last when it is one of them, else from the
// log. It is nil when the log holds no such entry.
func (m *ReadModel) Entry(ctx context.Context, revision int64) (*Entry, error) {
	if e := m.recentEntry(revision); e != nil {
		return e, nil
	}
	return m.log.Entry(ctx, revision)
}

// recentEntry returns the entry at the revision when it is one of the entries applied last, else nil.
func (m *ReadModel) recentEntry(revision int64) *Entry {
	m.recentMu.Lock()
	defer m.recentMu.Unlock()
	if n := len(m.recent); n > 0 {
		if first := m.recent[0].Revision; revision >= first && revision < first+int64(n) {
			return m.recent[revision-first]
		}
	}
	return nil
}

// Poll catches up with the log every interval until ctx is done. Failures are logged once per outage; the last
// snapshot keeps serving meanwhile.
func (m *ReadModel) Poll(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		_, err := m.CatchUp(ctx)
		switch {
		case err != nil && !failing && ctx.Err() == nil:
			m.logger.Warn("change log unreachable; serving the last snapshot", "err", err)
			failing = true
		case err == nil && failing:
			m.logger.Info("change log reachable again")
			failing = false
		}
	}
}

// APIKey returns the API key with the hash from the current snapshot, or nil: checking a key needs no database.
func (m *ReadModel) APIKey(_ context.Context, hash string) (*APIKey, error) {
	snap := m.Snapshot()
	if snap == nil {
		return nil, Errorf(CodeUnavailable, "the directory is still loading; try again shortly")
	}
	return snap.APIKeyByHash(hash), nil
}
