// Package ferretpg runs FerretDB with its PostgreSQL backend: the MongoDB wire protocol in front of a PostgreSQL
// database, for organisations that run PostgreSQL and for testing the directory on a shared, server-grade engine.
// It uses the FerretDB module the directory already embeds (on SQLite) when no MONGODB_URI is set, so both
// engines speak the same FerretDB version.
package ferretpg

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
	"github.com/jackc/pgx/v5"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Config says where FerretDB listens and which PostgreSQL database holds its data.
type Config struct {
	// PostgreSQLURL is a PostgreSQL connection string, such as postgres://ferretdb@127.0.0.1:5432/ferretdb; the
	// database must exist. Each MongoDB database becomes a schema in it.
	PostgreSQLURL string
	// ListenAddr is the TCP address for MongoDB clients; port 0 picks a free port.
	ListenAddr string
	// ReadyTimeout is how long Start waits for PostgreSQL to answer (it may still be starting).
	ReadyTimeout time.Duration
	// Logger receives FerretDB's own logs; nil discards them.
	Logger *slog.Logger
	// IndexInterval is how often the server looks for tables FerretDB made since, to index their _ids
	// (IndexIDs); 0 means every 10 seconds.
	IndexInterval time.Duration
}

// Server is a running FerretDB.
type Server struct {
	// URI is the MongoDB connection string clients use.
	URI string
	// Addr is the TCP address FerretDB listens on, to start it again on the same address.
	Addr string

	done chan error
	stop context.CancelFunc
	// indexing is the loop that indexes new tables' _ids.
	indexing sync.WaitGroup
}

// Start starts FerretDB and returns once it answers a ping, which FerretDB answers only when its PostgreSQL
// backend does.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.PostgreSQLURL == "" {
		return nil, errors.New("no PostgreSQL URL")
	}
	pgURL, err := url.Parse(cfg.PostgreSQLURL)
	if err != nil {
		return nil, errors.New("the PostgreSQL URL is not a URL such as postgres://user@host:5432/database")
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:      ferretdb.ListenerConfig{TCP: cfg.ListenAddr},
		Logger:        log,
		Handler:       "postgresql",
		PostgreSQLURL: customPlans(pgURL).String(),
	})
	if err != nil {
		return nil, fmt.Errorf("start FerretDB on %s: %w", cfg.ListenAddr, err)
	}
	runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	s := &Server{done: make(chan error, 1), stop: stop}
	go func() { s.done <- f.Run(runCtx) }()
	// MongoDBURI waits until the listener is bound.
	s.URI = f.MongoDBURI()
	u, err := url.Parse(s.URI)
	if err != nil {
		_ = s.Stop()
		return nil, fmt.Errorf("FerretDB's address %q: %w", s.URI, err)
	}
	s.Addr = u.Host

	if err := s.waitReady(ctx, cfg.ReadyTimeout); err != nil {
		_ = s.Stop()
		return nil, fmt.Errorf("FerretDB cannot use PostgreSQL at %s: %w", pgURL.Redacted(), err)
	}
	every := cfg.IndexInterval
	if every <= 0 {
		every = 10 * time.Second
	}
	s.indexing.Go(func() { indexTables(runCtx, cfg.PostgreSQLURL, every, log) })
	return s, nil
}

// customPlans returns the PostgreSQL URL with plan_cache_mode=force_custom_plan for every connection. FerretDB
// prepares each query once per connection and filters by _id with _jsonb->$1 @> $2; after five executions
// PostgreSQL may settle on one plan for every value, and that plan cannot use an index on _jsonb->'_id', since
// it does not know which key $1 names. On a change log of large entries, whose table looks cheap to read, the
// settled plan read the whole log for each lookup (150 ms at 100,000 cities); a plan made for each lookup's
// values uses the index (1 ms).
func customPlans(u *url.URL) *url.URL {
	c := *u
	q := c.Query()
	if opts := q.Get("options"); !strings.Contains(opts, "plan_cache_mode") {
		q.Set("options", strings.TrimSpace(opts+" -c plan_cache_mode=force_custom_plan"))
	}
	c.RawQuery = q.Encode()
	return &c
}

// indexTables runs IndexIDs now and every interval until ctx is done, so that the tables FerretDB makes for new
// collections are indexed soon after they are made. Failures are logged once until a run succeeds again.
func indexTables(ctx context.Context, pgURL string, every time.Duration, log *slog.Logger) {
	failing := false
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		err := IndexIDs(ctx, pgURL, log)
		switch {
		case err != nil && !failing && ctx.Err() == nil:
			log.Warn("cannot index the _ids of FerretDB's tables; lookups by _id read whole tables until it can", "err", err)
			failing = true
		case err == nil:
			failing = false
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// IndexIDs gives every table FerretDB keeps in the PostgreSQL database a GIN index on _jsonb->'_id'. FerretDB
// 1.24 finds, updates and deletes a document by _id with the filter _jsonb->'_id' @> '"value"', which the B-tree
// index it makes on _jsonb->'_id' cannot serve (@> is not a B-tree operator): every lookup read the whole table,
// unpacking each document, so that reading the directory's change log cost more with every entry. A GIN index
// serves @>; without its pending list (fastupdate), which new tables would otherwise fill, the planner prefers it
// to reading the table. FerretDB does not list the index; PostgreSQL drops it with its table. Tables that have it
// are skipped, so running it again is cheap.
func IndexIDs(ctx context.Context, pgURL string, log *slog.Logger) error {
	conn, err := pgx.Connect(ctx, pgURL)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	// Each MongoDB database is a schema with FerretDB's catalogue of its collections and their tables.
	rows, err := conn.Query(ctx, `SELECT table_schema FROM information_schema.tables WHERE table_name = '_ferretdb_database_metadata'`)
	if err != nil {
		return err
	}
	schemas, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	for _, schema := range schemas {
		rows, err := conn.Query(ctx, `SELECT m._jsonb->>'table' FROM `+pgx.Identifier{schema, "_ferretdb_database_metadata"}.Sanitize()+` m
			WHERE NOT EXISTS (SELECT 1 FROM pg_indexes i WHERE i.schemaname = $1 AND i.tablename = m._jsonb->>'table'
				AND i.indexname = (m._jsonb->>'table') || '_id_lookup')`, schema)
		if err != nil {
			return err
		}
		tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		for _, table := range tables {
			q := fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %s ON %s USING gin ((_jsonb -> '_id')) WITH (fastupdate = off)`,
				pgx.Identifier{table + "_id_lookup"}.Sanitize(), pgx.Identifier{schema, table}.Sanitize())
			if _, err := conn.Exec(ctx, q); err != nil {
				return fmt.Errorf("index the _ids of %s.%s: %w", schema, table, err)
			}
			log.Info("indexed the _ids of a FerretDB table", "schema", schema, "table", table)
		}
	}
	return nil
}

// waitReady pings FerretDB until PostgreSQL answers through it or the timeout runs out.
func (s *Server) waitReady(ctx context.Context, timeout time.Duration) error {
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client, err := mongo.Connect(options.Client().ApplyURI(s.URI).SetServerSelectionTimeout(timeout))
	if err != nil {
		return err
	}
	defer func() { _ = client.Disconnect(context.WithoutCancel(ctx)) }()
	for {
		err := client.Ping(ctx, nil)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// Stop closes the listener and every client connection, and waits until FerretDB has closed its PostgreSQL
// connections. Calling it again does nothing.
func (s *Server) Stop() error {
	if s.stop == nil {
		return nil
	}
	s.stop()
	s.stop = nil
	s.indexing.Wait()
	return <-s.done
}
