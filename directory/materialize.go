package directory

import (
	"context"
	"fmt"
	"time"
)

// Materializer keeps a store's record collections (the documents people and tools read in the database) in
// step with the change log.
type Materializer interface {
	// Materialized returns the revision up to which the record collections hold the log.
	Materialized(ctx context.Context) (int64, error)
	// Materialize writes an entry's records into the record collections, with each record's history up to the
	// entry as the snapshot, which holds the entry, knows it. It is idempotent: writing an entry again, or an
	// older entry after a newer one of the same record, leaves the newer record in place.
	Materialize(ctx context.Context, e *Entry, s *Snapshot) error
	// SetMaterialized records that the record collections hold the log up to the revision; it never moves the
	// mark back.
	SetMaterialized(ctx context.Context, revision int64) error
}

// Materialize writes every entry the read model applies into the store's record collections, in order, until
// ctx is done. It starts from the store's mark, so entries a crashed server appended but did not materialize
// are written by whichever server runs next. Every server runs it: writing an entry twice changes nothing.
//
// Stopping (ctx done) lets the write under way finish, so that nothing is written to the store after Materialize
// returns: the store's own operation timeout bounds it.
func (m *ReadModel) Materialize(ctx context.Context, mat Materializer, retry time.Duration) {
	op := context.WithoutCancel(ctx)
	done := int64(-1)
	failing := false
	fail := func(err error) {
		if !failing && ctx.Err() == nil {
			m.logger.Warn("cannot materialize the change log; will retry", "err", err)
			failing = true
		}
		select {
		case <-ctx.Done():
		case <-time.After(retry):
		}
	}
	for ctx.Err() == nil {
		changed := m.Changed()
		if done < 0 {
			mark, err := mat.Materialized(op)
			if err != nil {
				fail(err)
				continue
			}
			done = mark
		}
		target := done
		if snap := m.Snapshot(); snap != nil {
			target = snap.Revision
		}
		var err error
		for done < target && ctx.Err() == nil {
			var e *Entry
			e, err = m.Entry(op, done+1)
			if err == nil && e == nil {
				err = fmt.Errorf("the change log has no entry %d", done+1)
			}
			if err == nil {
				err = mat.Materialize(op, e, m.Snapshot())
			}
			if err != nil {
				err = fmt.Errorf("materialize revision %d: %w", done+1, err)
				break
			}
			done++
		}
		if done == target {
			if err := mat.SetMaterialized(op, done); err != nil {
				fail(err)
				continue
			}
			if failing {
				m.logger.Info("materializing the change log again", "revision", done)
				failing = false
			}
			select {
			case <-ctx.Done():
			case <-changed:
			}
			continue
		}
		if err != nil {
			fail(err)
		}
	}
}
