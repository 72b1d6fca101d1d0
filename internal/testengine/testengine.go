// Package testengine gives integration tests the database engine they run on and tells which one it was: the
// embedded FerretDB on SQLite by default, the external engine TEST_MONGODB_URI names (MongoDB, or FerretDB on
// PostgreSQL as CI runs it), and engines a test starts itself so that it can stop and start them again.
//
// Environment:
//   - TEST_MONGODB_URI: the external engine the tests share; empty for the embedded engine.
//   - TEST_MONGODB_ENGINE: what that engine is, for the report, such as "FerretDB on PostgreSQL 15".
//   - TEST_POSTGRESQL_URL: a PostgreSQL server where tests may create and drop databases of their own, to run
//     FerretDB on them; tests that restart their engine use it when TEST_MONGODB_URI is set.
package testengine

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/iclei/directory/internal/ferretpg"
	"github.com/iclei/directory/mongodb"
)

// Embedded names the engine a server starts in its own data folder when no MONGODB_URI is set.
const Embedded = "embedded FerretDB on SQLite"

// ExternalURI is the engine the tests share, or "" for the embedded engine.
func ExternalURI() string { return os.Getenv("TEST_MONGODB_URI") }

// Describe says what the engine at uri is: TEST_MONGODB_ENGINE's name for it, and what it answers about itself.
func Describe(ctx context.Context, uri string) (string, error) {
	client, err := mongo.Connect(options.Client().ApplyURI(uri).SetServerSelectionTimeout(10 * time.Second))
	if err != nil {
		return "", err
	}
	defer func() { _ = client.Disconnect(context.WithoutCancel(ctx)) }()
	var info struct {
		Version         string `bson:"version"`
		FerretDBVersion string `bson:"ferretdbVersion"`
	}
	if err := client.Database("admin").RunCommand(ctx, bson.D{{Key: "buildInfo", Value: 1}}).Decode(&info); err != nil {
		return "", fmt.Errorf("ask %s what it is: %w", Redact(uri), err)
	}
	answer := "MongoDB " + info.Version
	if info.FerretDBVersion != "" {
		// FerretDB built from its module, rather than its release build, reports its own version as "unknown".
		answer = "FerretDB, MongoDB " + info.Version + " compatible"
		if info.FerretDBVersion != "unknown" {
			answer = "FerretDB " + info.FerretDBVersion + ", MongoDB " + info.Version + " compatible"
		}
	}
	name := strings.TrimSpace(os.Getenv("TEST_MONGODB_ENGINE"))
	if name == "" {
		name = "external engine"
	}
	return fmt.Sprintf("%s at %s (answers as %s)", name, Redact(uri), answer), nil
}

// Redact hides a password in a connection string.
func Redact(uri string) string {
	u, err := url.Parse(uri)
	if err != nil {
		return "(a connection string that does not parse)"
	}
	return u.Redacted()
}

// Name names a database after the test: lower case, with a prefix and a length every engine accepts.
func Name(t testing.TB) string {
	name := strings.ToLower(regexp.MustCompile(`[^A-Za-z0-9]+`).ReplaceAllString(t.Name(), "_"))
	return "t_" + name[:min(len(name), 50)]
}

// Engine is a database engine a test started for itself, so that it can stop and start it again.
type Engine struct {
	// URI stays the same across restarts.
	URI string
	// Name says what the engine is, for the report of which engine each test used.
	Name string

	start func(ctx context.Context) error
	stop  func() error
}

// Start starts a stopped engine again on the same address.
func (e *Engine) Start(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := e.start(ctx); err != nil {
		t.Fatalf("start %s again: %v", e.Name, err)
	}
}

// Stop stops the engine: its listener and every connection to it close, as when a database server goes away.
func (e *Engine) Stop(t testing.TB) {
	t.Helper()
	if err := e.stop(); err != nil {
		t.Errorf("stop %s: %v", e.Name, err)
	}
}

// Restartable starts an engine the test may stop and start: FerretDB on a PostgreSQL database of the test's own
// when the tests run on an external engine, the embedded FerretDB on SQLite otherwise. It skips the test on an
// external engine without TEST_POSTGRESQL_URL, as a test cannot restart a MongoDB it shares with others.
func Restartable(t testing.TB) *Engine {
	t.Helper()
	if ExternalURI() == "" {
		return embedded(t)
	}
	if os.Getenv("TEST_POSTGRESQL_URL") == "" {
		skipOutsideCI(t, "this test stops and starts its database engine: on an external engine (TEST_MONGODB_URI) it needs "+
			"TEST_POSTGRESQL_URL to run FerretDB of its own on PostgreSQL, and that is not set")
	}
	pgURL := PostgreSQL(t)
	var s *ferretpg.Server
	e := &Engine{Name: "FerretDB on PostgreSQL, started and restarted by the test"}
	listen := "127.0.0.1:0"
	e.start = func(ctx context.Context) error {
		var err error
		s, err = ferretpg.Start(ctx, ferretpg.Config{PostgreSQLURL: pgURL, ListenAddr: listen, ReadyTimeout: 30 * time.Second})
		if err != nil {
			return err
		}
		listen = s.Addr
		return nil
	}
	e.stop = func() error { return s.Stop() }
	e.Start(t)
	e.URI = s.URI
	// Cleanups run last-registered first: servers the test starts afterwards stop before their engine does.
	t.Cleanup(func() { e.Stop(t) })
	return e
}

func embedded(t testing.TB) *Engine {
	t.Helper()
	// A short folder keeps the Unix socket's path within the OS limit, so the URI survives a restart.
	dir, err := os.MkdirTemp("", "icleieng")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	var db *mongodb.Embedded
	e := &Engine{Name: Embedded + ", started and restarted by the test"}
	e.start = func(ctx context.Context) error {
		var err error
		db, err = mongodb.StartEmbedded(ctx, dir, slog.New(slog.DiscardHandler))
		return err
	}
	e.stop = func() error {
		if db == nil {
			return nil
		}
		err := db.Stop()
		db = nil
		return err
	}
	e.Start(t)
	e.URI = db.URI
	t.Cleanup(func() { e.Stop(t) })
	return e
}

// PostgreSQL creates a PostgreSQL database named after the test on the server TEST_POSTGRESQL_URL names, drops it
// when the test ends, and returns its connection string. It skips the test, saying why, when the variable is
// not set.
func PostgreSQL(t testing.TB) string {
	t.Helper()
	admin := os.Getenv("TEST_POSTGRESQL_URL")
	if admin == "" {
		skipOutsideCI(t, "needs a PostgreSQL server: set TEST_POSTGRESQL_URL to a role that may create databases (.ci/run does)")
	}
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("TEST_POSTGRESQL_URL does not parse: %v", err)
	}
	name := Name(t)
	exec := func(sql string) error {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			return fmt.Errorf("connect to PostgreSQL at %s: %w", u.Redacted(), err)
		}
		defer conn.Close(context.WithoutCancel(ctx))
		if _, err := conn.Exec(ctx, sql); err != nil {
			return fmt.Errorf("PostgreSQL at %s: %s: %w", u.Redacted(), sql, err)
		}
		return nil
	}
	drop := "DROP DATABASE IF EXISTS " + pgx.Identifier{name}.Sanitize() + " WITH (FORCE)"
	// A database left by an interrupted run of the same test would make CREATE fail.
	if err := exec(drop); err != nil {
		t.Fatal(err)
	}
	if err := exec("CREATE DATABASE " + pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := exec(drop); err != nil {
			t.Error(err)
		}
	})
	u.Path = "/" + name
	return u.String()
}

// skipOutsideCI skips the test, saying why, on a developer's machine; under CI (.ci/run starts PostgreSQL and
// sets TEST_POSTGRESQL_URL) a test that cannot run fails instead, so that CI never passes without it.
func skipOutsideCI(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatal("CI must run this test: " + why)
	}
	t.Skip("skipping: " + why)
}
