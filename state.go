package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/iclei/directory/checkpoint"
	"github.com/iclei/directory/directory"
	"github.com/iclei/directory/mongodb"
	"github.com/iclei/directory/seed"
)

// entryBatch is how many records seeding, loading or adopting puts in one entry of the change log.
const entryBatch = 100

// migrationActor names the entries that adopt records stored before the directory kept a change log.
const migrationActor = "migration"

// liveDirectory is the directory as a server holds it: the read model following the change log, and the write
// path appending to it.
type liveDirectory struct {
	rm     *directory.ReadModel
	writer *directory.Writer
	// checkpoint is the file the read model is saved to and started from.
	checkpoint string
}

// checkpointPath is the checkpoint file of the database the configuration names, in DATA_DIR.
func checkpointPath(cfg *config) string {
	return filepath.Join(cfg.DataDir, "checkpoint-"+cfg.MongoDatabase+".gob")
}

// openDirectory loads the directory and brings it up to the head of the change log: from the checkpoint in
// DATA_DIR where it belongs to this database's log, else from the record collections. Records stored before the
// directory kept a change log are adopted into it.
func openDirectory(ctx context.Context, cfg *config, log *slog.Logger, store *mongodb.Store) (*liveDirectory, error) {
	start := time.Now()
	d := &liveDirectory{checkpoint: checkpointPath(cfg)}
	empty, err := store.Empty(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the change log: %w", err)
	}
	var snap *directory.Snapshot
	var legacy *directory.Data
	from := "the record collections"
	switch {
	case empty:
		// A new database, or one written before the change log: its records, if any, are adopted below.
		if legacy, err = store.LoadMaterialized(ctx); err != nil {
			return nil, fmt.Errorf("load the directory: %w", err)
		}
		snap, from = directory.NewSnapshot(directory.Data{}, time.Now()), "an empty change log"
	default:
		if snap, err = loadCheckpoint(ctx, d.checkpoint, store, log); err != nil {
			return nil, err
		}
		if snap != nil {
			from = "checkpoint " + d.checkpoint
			break
		}
		data, err := store.LoadMaterialized(ctx)
		if err != nil {
			return nil, fmt.Errorf("load the directory: %w", err)
		}
		snap = directory.NewSnapshot(*data, time.Now())
	}
	d.rm = directory.NewReadModel(store, snap, log)
	if _, err := d.rm.CatchUp(ctx); err != nil {
		return nil, fmt.Errorf("follow the change log: %w", err)
	}
	d.writer = directory.NewWriter(store, d.rm)
	if legacy != nil && hasRecords(legacy) {
		log.Info("adopting the records stored before the change log into it")
		if err := d.writer.Adopt(ctx, migrationActor, legacy, entryBatch); err != nil {
			return nil, fmt.Errorf("adopt the stored records into the change log: %w", err)
		}
	}
	c := d.rm.Snapshot().Counts()
	log.Info("directory loaded", "from", from, "revision", d.rm.Snapshot().Revision, "took", time.Since(start).Round(time.Millisecond),
		"offices", c.Offices, "cities", c.Cities, "programs", c.Programs)
	return d, nil
}

func hasRecords(d *directory.Data) bool {
	return len(d.Regions)+len(d.Secretariats)+len(d.Offices)+len(d.Cities)+len(d.Programs)+len(d.Organizations)+
		len(d.People)+len(d.Applications)+len(d.APIKeys) > 0
}

// loadCheckpoint returns the snapshot the checkpoint at path holds, or nil when there is none or it belongs to
// another log (the database was dropped and made anew, say).
func loadCheckpoint(ctx context.Context, path string, store *mongodb.Store, log *slog.Logger) (*directory.Snapshot, error) {
	c, err := checkpoint.Load(path)
	if err != nil {
		log.Warn("ignoring a checkpoint that cannot be read", "err", err)
		return nil, nil
	}
	if c == nil {
		return nil, nil
	}
	e, err := store.Entry(ctx, c.Data.Revision)
	if err != nil {
		return nil, fmt.Errorf("read the change log: %w", err)
	}
	if c.Data.Revision > 0 && (e == nil || e.WriteID != c.WriteID) {
		log.Warn("ignoring a checkpoint of another change log", "path", path, "revision", c.Data.Revision)
		return nil, nil
	}
	return directory.NewSnapshot(c.Data, time.Now()), nil
}

// saveCheckpoint saves the current snapshot unless the checkpoint already holds its revision, and returns the
// revision saved.
func (d *liveDirectory) saveCheckpoint(ctx context.Context, saved int64) (int64, error) {
	snap := d.rm.Snapshot()
	if snap.Revision == saved {
		return saved, nil
	}
	c := &checkpoint.Checkpoint{Data: snap.Data()}
	if snap.Revision > 0 {
		e, err := d.rm.Entry(ctx, snap.Revision)
		if err != nil || e == nil {
			return saved, fmt.Errorf("read entry %d for the checkpoint: %w", snap.Revision, err)
		}
		c.WriteID = e.WriteID
	}
	if err := checkpoint.Save(d.checkpoint, c); err != nil {
		return saved, err
	}
	return snap.Revision, nil
}

// keepCheckpoints saves a checkpoint every interval while the directory changes, and once more when ctx ends.
func (d *liveDirectory) keepCheckpoints(ctx context.Context, every time.Duration, log *slog.Logger) {
	saved := int64(-1)
	save := func(ctx context.Context) {
		var err error
		if saved, err = d.saveCheckpoint(ctx, saved); err != nil {
			log.Warn("cannot save a checkpoint", "err", err)
		}
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			final, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			save(final)
			cancel()
			return
		case <-t.C:
			save(ctx)
		}
	}
}

// seedDirectory writes the seed data through the change log and logs what changed.
func seedDirectory(ctx context.Context, w *directory.Writer, log *slog.Logger) (*directory.SeedReport, error) {
	data, _, err := seed.Build()
	if err != nil {
		return nil, fmt.Errorf("build seed data: %w", err)
	}
	r, err := w.Seed(ctx, directory.SeedActor, data, entryBatch)
	if err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	log.Info("seeded", "inserted", r.Inserted, "updated", r.Updated, "unchanged", r.Unchanged, "kept", len(r.Kept), "revision", r.Revision)
	for _, k := range r.Kept {
		log.Info("kept a record users have edited since it was seeded", "record", k)
	}
	return r, nil
}
