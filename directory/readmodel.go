package directory

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Source is where the read model loads the directory from: the system of record.
type Source interface {
	// Revision returns the store's current revision. It changes on every write.
	Revision(ctx context.Context) (int64, error)
	// Load reads the whole directory. The data's revision is read before the records, so that data is never
	// older than its revision says.
	Load(ctx context.Context) (*Data, error)
}

// ReadModel serves the current snapshot of the directory and replaces it when the source's revision changes.
// When the source is unreachable the last snapshot goes on serving.
type ReadModel struct {
	source  Source
	log     *slog.Logger
	current atomic.Pointer[Snapshot]
	// reachable is whether the source answered the last time it was asked.
	reachable atomic.Bool
	reload    sync.Mutex
}

// NewReadModel returns a read model over source with no snapshot yet: call Refresh to load one.
func NewReadModel(source Source, log *slog.Logger) *ReadModel {
	return &ReadModel{source: source, log: log}
}

// Snapshot returns the current snapshot, or nil before the first load.
func (m *ReadModel) Snapshot() *Snapshot { return m.current.Load() }

// Reachable reports whether the source answered the last time the read model asked it.
func (m *ReadModel) Reachable() bool { return m.reachable.Load() }

// Refresh loads a new snapshot if the source's revision differs from the current snapshot's.
func (m *ReadModel) Refresh(ctx context.Context) error {
	m.reload.Lock()
	defer m.reload.Unlock()
	rev, err := m.source.Revision(ctx)
	if err != nil {
		m.reachable.Store(false)
		return fmt.Errorf("read revision: %w", err)
	}
	m.reachable.Store(true)
	if cur := m.current.Load(); cur != nil && cur.Revision == rev {
		return nil
	}
	start := time.Now()
	data, err := m.source.Load(ctx)
	if err != nil {
		m.reachable.Store(false)
		return fmt.Errorf("load directory: %w", err)
	}
	snap := NewSnapshot(*data, time.Now())
	m.current.Store(snap)
	c := snap.Counts()
	m.log.Info("snapshot loaded", "revision", snap.Revision, "took", time.Since(start).Round(time.Millisecond),
		"offices", c.Offices, "cities", c.Cities, "programs", c.Programs)
	return nil
}

// Poll refreshes the snapshot every interval until ctx is done. Failures are logged once per outage; the last
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
		err := m.Refresh(ctx)
		switch {
		case err != nil && !failing && ctx.Err() == nil:
			m.log.Warn("directory source unreachable; serving the last snapshot", "err", err)
			failing = true
		case err == nil && failing:
			m.log.Info("directory source reachable again")
			failing = false
		}
	}
}
