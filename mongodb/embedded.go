package mongodb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/FerretDB/FerretDB/ferretdb"
	"github.com/gofrs/flock"
	_ "modernc.org/sqlite" // the SQLite driver FerretDB registers too, for IndexIDs
)

// maxSocketPath is the longest Unix socket path every supported OS accepts (sun_path is 104 bytes on macOS).
const maxSocketPath = 100

// ErrInUse is the error of StartEmbedded when another process runs the embedded database in the folder.
var ErrInUse = errors.New("another process runs the embedded database in this folder")

// lockFile is the file in the database folder whose lock the process running the embedded database holds.
const lockFile = "ferretdb.lock"

// Embedded is a FerretDB server with the SQLite backend, run inside this process so that the directory needs
// no database server of its own on a developer's machine.
type Embedded struct {
	URI     string
	dir     string
	done    chan error
	stop    context.CancelFunc
	stopped func() error
}

// StartEmbedded starts FerretDB with its data in dir. It listens on a Unix socket in dir, reachable only by this
// machine's users with access to dir, or on an ephemeral loopback port where dir's path is too long for a
// socket. log receives FerretDB's own logs.
//
// One process at a time runs the database of a folder: it holds a lock on a file in dir until Stop, and
// StartEmbedded returns ErrInUse while another process holds it. Two FerretDBs on one folder would each keep
// their own catalogue of its SQLite files, and the second would take over the first one's socket.
func StartEmbedded(ctx context.Context, dir string, log *slog.Logger) (_ *Embedded, err error) {
	dir, err = filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("embedded database folder: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create embedded database folder: %w", err)
	}
	lock := flock.New(filepath.Join(dir, lockFile), flock.SetPermissions(0o600))
	locked, err := lock.TryLock()
	if err != nil {
		return nil, fmt.Errorf("lock the embedded database folder: %w", err)
	}
	if !locked {
		return nil, ErrInUse
	}
	defer func() {
		if err != nil {
			_ = lock.Unlock()
		}
	}()
	listener := ferretdb.ListenerConfig{TCP: "127.0.0.1:0"}
	if sock := filepath.Join(dir, "ferretdb.sock"); len(sock) <= maxSocketPath {
		// A socket left behind by a process that did not shut down cleanly would block the listener; with the
		// lock held, no running process listens on it.
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
	e := &Embedded{dir: dir, done: make(chan error, 1), stop: stop}
	e.stopped = sync.OnceValue(func() error {
		e.stop()
		err := <-e.done
		// FerretDB has closed its files: another process may run the database now.
		if uerr := lock.Unlock(); err == nil {
			err = uerr
		}
		return err
	})
	go func() { e.done <- f.Run(runCtx) }()
	// MongoDBURI waits for the listener to be bound.
	e.URI = f.MongoDBURI()
	return e, nil
}

// Stop shuts FerretDB down and waits until it has closed its listener, connections and SQLite files. Stopping
// it again returns the first stop's error.
func (e *Embedded) Stop() error { return e.stopped() }

// IndexIDs gives every collection of the database an index that SQLite uses to find a document by _id. FerretDB
// v1.24 indexes _id as _ferretdb_sjson->"_id" but finds, updates and deletes documents by
// _ferretdb_sjson->'$._id', an expression SQLite does not match to that index: without this one, every read of
// the change log and every materializing write scanned its collection's whole table (at 100,000 cities, seconds
// for each read of the log). FerretDB does not know of the index, and SQLite drops it with its table. Call it once
// the collections exist (Store.EnsureIndexes creates them); it is quick when the indexes exist.
func (e *Embedded) IndexIDs(ctx context.Context, database string) error {
	file := filepath.Join(e.dir, database+".sqlite")
	db, err := sql.Open("sqlite", "file:"+filepath.ToSlash(file)+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return fmt.Errorf("open %s: %w", file, err)
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, "SELECT table_name FROM _ferretdb_collections")
	if err != nil {
		return fmt.Errorf("list the tables of %s: %w", file, err)
	}
	var tables []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return fmt.Errorf("list the tables of %s: %w", file, err)
		}
		tables = append(tables, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("list the tables of %s: %w", file, err)
	}
	for _, t := range tables {
		q := fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %q ON %q (_ferretdb_sjson->'$._id')`, t+"_id_lookup", t)
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("index the _ids of %s in %s: %w", t, file, err)
		}
	}
	return nil
}
