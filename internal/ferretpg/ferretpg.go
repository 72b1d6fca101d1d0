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
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
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
}

// Server is a running FerretDB.
type Server struct {
	// URI is the MongoDB connection string clients use.
	URI string
	// Addr is the TCP address FerretDB listens on, to start it again on the same address.
	Addr string

	done chan error
	stop context.CancelFunc
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
		PostgreSQLURL: cfg.PostgreSQLURL,
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
	return s, nil
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
	return <-s.done
}
