package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/iclei/directory/auth"
	"github.com/iclei/directory/directory"
	"github.com/iclei/directory/metrics"
	"github.com/iclei/directory/mongodb"
	"github.com/iclei/directory/webhook"
)

// uriFile is where a server with an embedded database writes its connection string, so that the seed command
// can reach that database while the server owns it.
const uriFile = "mongodb.uri"

// database is the connected store and what it takes to release it.
type database struct {
	store    *mongodb.Store
	embedded *mongodb.Embedded
	uriPath  string
}

// openDatabase connects to MONGODB_URI, or starts the embedded database in DATA_DIR. When reuse is set and a
// server already runs the embedded database in DATA_DIR, it connects to that one instead; without reuse, that
// server's database is refused.
func openDatabase(ctx context.Context, cfg *config, log *slog.Logger, reuse bool) (*database, error) {
	uri := cfg.MongoURI
	db := &database{}
	if uri == "" {
		// The folder's lock, not the file a server writes where it listens, says whether a server runs the
		// database: that file may be left from a server that was killed, or not yet written by one starting.
		e, err := mongodb.StartEmbedded(ctx, cfg.DataDir, embeddedLogger(cfg, log))
		switch {
		case errors.Is(err, mongodb.ErrInUse) && reuse:
			if uri, err = runningURI(ctx, cfg); err != nil {
				return nil, err
			}
			log.Info("using the database of the server running on " + cfg.DataDir)
		case errors.Is(err, mongodb.ErrInUse):
			return nil, fmt.Errorf("another server is using the embedded database in %s; stop it or choose another DATA_DIR", cfg.DataDir)
		case err != nil:
			return nil, err
		default:
			db.embedded, uri = e, e.URI
			db.uriPath = filepath.Join(cfg.DataDir, uriFile)
			if err := os.WriteFile(db.uriPath, []byte(uri+"\n"), 0o600); err != nil {
				_ = e.Stop()
				return nil, fmt.Errorf("write %s: %w", db.uriPath, err)
			}
			log.Info("embedded FerretDB started", "dataDir", cfg.DataDir)
		}
	}
	store, err := mongodb.Connect(ctx, mongodb.Config{URI: uri, Database: cfg.MongoDatabase,
		ConnectTimeout: cfg.ConnectTimeout, OperationTimeout: cfg.OperationTimeout}, log)
	if err != nil {
		db.close(ctx, log)
		return nil, err
	}
	db.store = store
	if err := store.EnsureIndexes(ctx); err != nil {
		db.close(ctx, log)
		return nil, err
	}
	if db.embedded != nil {
		if err := db.embedded.IndexIDs(ctx, cfg.MongoDatabase); err != nil {
			db.close(ctx, log)
			return nil, err
		}
	}
	return db, nil
}

// runningURI returns where the server that runs the embedded database in DATA_DIR listens, once it answers
// there: a server that has just started writes it when its database runs.
func runningURI(ctx context.Context, cfg *config) (string, error) {
	deadline := time.Now().Add(max(cfg.ConnectTimeout, 10*time.Second))
	for {
		if b, err := os.ReadFile(filepath.Join(cfg.DataDir, uriFile)); err == nil {
			if uri := strings.TrimSpace(string(b)); uri != "" && reachable(ctx, uri) {
				return uri, nil
			}
		}
		if time.Now().After(deadline) {
			return "", fmt.Errorf("another server runs the embedded database in %s but does not answer where it listens (%s); wait until it has started, or stop it",
				cfg.DataDir, uriFile)
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// reachable reports whether a database answers at uri.
func reachable(ctx context.Context, uri string) bool {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	s, err := mongodb.Connect(ctx, mongodb.Config{URI: uri, Database: "admin", ConnectTimeout: time.Second}, slog.New(slog.DiscardHandler))
	if err != nil {
		return false
	}
	_ = s.Close(ctx)
	return true
}

func (db *database) close(ctx context.Context, log *slog.Logger) {
	ctx = context.WithoutCancel(ctx)
	if db.store != nil {
		if err := db.store.Close(ctx); err != nil {
			log.Warn("close database connection", "err", err)
		}
	}
	if db.embedded != nil {
		if db.uriPath != "" {
			_ = os.Remove(db.uriPath)
		}
		if err := db.embedded.Stop(); err != nil {
			log.Warn("stop embedded FerretDB", "err", err)
		}
	}
}

func embeddedLogger(cfg *config, log *slog.Logger) *slog.Logger {
	var level slog.Level
	if cfg.EmbeddedLogLevel == "off" || level.UnmarshalText([]byte(cfg.EmbeddedLogLevel)) != nil {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(levelFilter{Handler: log.With("component", "ferretdb").Handler(), level: level})
}

// levelFilter passes records at or above level.
type levelFilter struct {
	slog.Handler
	level slog.Level
}

func (f levelFilter) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= f.level && f.Handler.Enabled(ctx, l)
}

func (f levelFilter) WithAttrs(as []slog.Attr) slog.Handler {
	return levelFilter{Handler: f.Handler.WithAttrs(as), level: f.level}
}

func (f levelFilter) WithGroup(name string) slog.Handler {
	return levelFilter{Handler: f.Handler.WithGroup(name), level: f.level}
}

// openForCommand opens the database (reusing a running server's embedded one) and the directory for a command
// of the command line; the function it returns closes the database.
func openForCommand(ctx context.Context, cfg *config, log *slog.Logger) (*liveDirectory, func(), error) {
	db, err := openDatabase(ctx, cfg, log, true)
	if err != nil {
		return nil, nil, err
	}
	d, err := openDirectory(ctx, cfg, log, db.store)
	if err != nil {
		db.close(ctx, log)
		return nil, nil, err
	}
	return d, func() { db.close(ctx, log) }, nil
}

func seedCommand(ctx context.Context, cfg *config, log *slog.Logger, stdout io.Writer) error {
	d, closeDB, err := openForCommand(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer closeDB()
	r, err := seedDirectory(ctx, d.writer, log)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "seeded: %d inserted, %d updated, %d unchanged, %d kept as edited; revision %d\n",
		r.Inserted, r.Updated, r.Unchanged, len(r.Kept), r.Revision)
	return nil
}

func serve(ctx context.Context, cfg *config, log *slog.Logger, stdout io.Writer) error {
	// Listening comes first: a busy port is reported before the database is opened or seeded.
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	defer ln.Close()

	db, err := openDatabase(ctx, cfg, log, false)
	if err != nil {
		return err
	}
	defer db.close(ctx, log)

	d, err := openDirectory(ctx, cfg, log, db.store)
	if err != nil {
		return err
	}
	if cfg.Seed == "always" || cfg.Seed == "auto" && d.rm.Snapshot().Revision == 0 {
		if _, err := seedDirectory(ctx, d.writer, log); err != nil {
			return err
		}
	}
	rm := d.rm
	// Subscriptions' streams end when the server shuts down (http.Server.Shutdown waits for them otherwise, and
	// does not track WebSockets at all).
	streams, endStreams := context.WithCancel(context.WithoutCancel(ctx))
	defer endStreams()

	hooks := directory.NewWebhooks(d.writer, db.store, directory.WebhookOptions{AllowPrivate: cfg.WebhookAllowPrivate,
		Lease: cfg.WebhookLease, Timeout: cfg.WebhookTimeout, RetryMin: cfg.WebhookRetryMin, RetryMax: cfg.WebhookRetryMax}, log)

	handler, err := newHTTPHandler(cfg, log, services{
		readModel:    rm,
		database:     db.store,
		writer:       d.writer,
		auditor:      directory.NewAuditor(rm, db.store),
		auth:         auth.New(rm, jwtConfig(cfg)),
		applications: newApplicationThrottle(cfg),
		// The server's own registry: nothing is registered globally, and each server (each test's) has its own.
		metrics:  metrics.New(prometheus.NewRegistry(), rm, metrics.DefaultMaxOperationNames),
		baseURL:  cmp.Or(cfg.PublicURL, baseURL(ln.Addr())),
		streams:  streams,
		webhooks: hooks,
	})
	if err != nil {
		return err
	}
	srv := newServer(cfg, log, handler)
	srv.RegisterOnShutdown(endStreams)
	// Followers of the change log: this server's read model, the record collections, the checkpoint.
	var wg sync.WaitGroup
	followCtx, stopFollowing := context.WithCancel(ctx)
	wg.Go(func() { rm.Poll(followCtx, cfg.PollInterval) })
	wg.Go(func() { rm.Materialize(followCtx, db.store, cfg.PollInterval) })
	wg.Go(func() { d.keepCheckpoints(followCtx, cfg.CheckpointInterval, log) })
	// And the webhooks' deliveries, which this server makes while it holds a webhook's lease.
	wg.Go(func() {
		hooks.Run(followCtx, webhook.NewSender(cfg.WebhookAllowPrivate, "ICLEI-Directory-Webhooks/1"), serverName())
	})
	defer func() {
		stopFollowing()
		wg.Wait()
	}()

	fmt.Fprintf(stdout, "ICLEI Directory listening on %s\n  playground: %s/\n  GraphQL:    %s/graphql\n",
		baseURL(ln.Addr()), baseURL(ln.Addr()), baseURL(ln.Addr()))
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(guardListener(cfg, ln)) }()
	select {
	case err := <-serveErr:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shut down: %w", err)
	}
	if err := <-serveErr; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// baseURL is the URL a user on this machine opens for a listener's address.
func baseURL(addr net.Addr) string {
	host, port, _ := net.SplitHostPort(addr.String())
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// serverName names this server in the claims it makes on webhooks: its host and a random suffix, as several
// servers may run on one host.
func serverName() string {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return host + "-" + hex.EncodeToString(b)
}
