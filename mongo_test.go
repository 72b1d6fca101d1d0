package main

import (
	"context"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/iclei/directory/directory"
	"github.com/iclei/directory/mongodb"
)

// storeView is a test's look at a database behind the API's back: the change log's head, and the directory as
// a server starting now would load it.
type storeView struct {
	*mongodb.Store
	t        testing.TB
	database string
}

// openStore connects a test to a database directly, for set-up and for checks behind the API's back.
func openStore(t testing.TB, uri, database string) storeView {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := mongodb.Connect(ctx, mongodb.Config{URI: uri, Database: database, ConnectTimeout: 5 * time.Second}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	return storeView{Store: s, t: t, database: database}
}

// Revision returns the revision of the change log's last entry.
func (v storeView) Revision(ctx context.Context) (int64, error) { return v.Head(ctx) }

// open loads the directory from the database as a new server would, without a checkpoint.
func (v storeView) open(ctx context.Context) (*liveDirectory, error) {
	cfg := &config{DataDir: v.t.TempDir(), MongoDatabase: v.database}
	return openDirectory(ctx, cfg, slog.New(slog.DiscardHandler), v.Store)
}

// Load returns the directory at the change log's head.
func (v storeView) Load(ctx context.Context) (*directory.Data, error) {
	d, err := v.open(ctx)
	if err != nil {
		return nil, err
	}
	data := d.rm.Snapshot().Data()
	return &data, nil
}

// Seed writes the data through the change log as the seed command does.
func (v storeView) Seed(ctx context.Context, data *directory.Data) (*directory.SeedReport, error) {
	d, err := v.open(ctx)
	if err != nil {
		return nil, err
	}
	return d.writer.Seed(ctx, directory.SeedActor, data, entryBatch)
}

// Applications returns the stored membership applications, newest first.
func (v storeView) Applications(ctx context.Context) ([]*directory.Application, error) {
	data, err := v.Load(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*directory.Application, len(data.Applications))
	for i := range data.Applications {
		out[i] = &data.Applications[i]
	}
	slices.SortFunc(out, func(a, b *directory.Application) int { return b.SubmittedAt.Compare(a.SubmittedAt) })
	return out, nil
}

func dropDatabase(t testing.TB, uri, database string) {
	t.Helper()
	if err := openStore(t, uri, database).DropDatabase(context.Background()); err != nil {
		t.Errorf("drop test database: %v", err)
	}
}

// Application returns the stored membership application with the reference, or nil.
func (v storeView) Application(ctx context.Context, reference string) (*directory.Application, error) {
	as, err := v.Applications(ctx)
	if err != nil {
		return nil, err
	}
	for _, a := range as {
		if a.Reference == reference {
			return a, nil
		}
	}
	return nil, nil
}
