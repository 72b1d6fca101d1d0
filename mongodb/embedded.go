package mongodb

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/FerretDB/FerretDB/ferretdb"
)

// maxSocketPath is the longest Unix socket path every supported OS accepts (sun_path is 104 bytes on macOS).
const maxSocketPath = 100

// Embedded is a FerretDB server with the SQLite backend, run inside this process so that the directory needs
// no database server of its own on a developer's machine.
type Embedded struct {
	URI     string
	done    chan error
	stop    context.CancelFunc
	stopped func() error
}

// StartEmbedded starts FerretDB with its data in dir. It listens on a Unix socket in dir, reachable only by this
// machine's users with access to dir, or on an ephemeral loopback port where dir's path is too long for a
// socket. log receives FerretDB's own logs.
func StartEmbedded(ctx context.Context, dir string, log *slog.Logger) (*Embedded, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("embedded database folder: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create embedded database folder: %w", err)
	}
	listener := ferretdb.ListenerConfig{TCP: "127.0.0.1:0"}
	if sock := filepath.Join(dir, "ferretdb.sock"); len(sock) <= maxSocketPath {
		// A socket left behind by a process that did not shut down cleanly would block the listener.
		if err := os.Remove(sock); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("remove stale socket: %w", err)
		}
		listener = ferretdb.ListenerConfig{Unix: sock}
	}
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  listener,
		Logger:    log,
		Handler:   "sqlite",
		SQLiteURL: "file:" + filepath.ToSlash(dir) + "/",
	})
	if err != nil {
		return nil, fmt.Errorf("start embedded FerretDB: %w", err)
	}
	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	e := &Embedded{done: make(chan error, 1), stop: stop}
	e.stopped = sync.OnceValue(func() error {
		e.stop()
		return <-e.done
	})
	go func() { e.done <- f.Run(runCtx) }()
	// MongoDBURI waits for the listener to be bound.
	e.URI = f.MongoDBURI()
	return e, nil
}

// Stop shuts FerretDB down and waits until it has closed its listener, connections and SQLite files. Stopping
// it again returns the first stop's error.
func (e *Embedded) Stop() error { return e.stopped() }
