package main

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// Two servers started at the same moment on one DATA_DIR: exactly one runs the embedded database, and the
// other is refused, saying so, rather than running a second FerretDB on the same SQLite files (and taking over
// the first one's socket).
func TestOneEmbeddedDatabasePerDataDir(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	cfg := &config{DataDir: t.TempDir(), MongoDatabase: "directory", ConnectTimeout: 10 * time.Second, OperationTimeout: time.Minute}
	const servers = 3
	var wg sync.WaitGroup
	dbs := make([]*database, servers)
	errs := make([]error, servers)
	for i := range servers {
		wg.Go(func() { dbs[i], errs[i] = openDatabase(ctx, cfg, log, false) })
	}
	wg.Wait()
	opened := 0
	for i, db := range dbs {
		if errs[i] == nil {
			opened++
			defer db.close(ctx, log)
			continue
		}
		if !strings.Contains(errs[i].Error(), "another server is using the embedded database in") {
			t.Errorf("server %d: %v", i, errs[i])
		}
	}
	if opened != 1 {
		t.Fatalf("%d of %d servers started on one DATA_DIR at once, want exactly 1", opened, servers)
	}

	// A command started meanwhile uses the running server's database.
	cmd, err := openDatabase(ctx, cfg, log, true)
	if err != nil {
		t.Fatalf("a command beside the server: %v", err)
	}
	if cmd.embedded != nil {
		t.Error("the command started an embedded database of its own beside the server's")
	}
	cmd.close(ctx, log)
}
