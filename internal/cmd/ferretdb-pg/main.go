// Command ferretdb-pg runs FerretDB on PostgreSQL, built from the FerretDB module the directory embeds, so that
// CI and operators without Docker can run the directory on the engine docker-compose.ferretdb.yml starts:
//
//	go run ./internal/cmd/ferretdb-pg -postgresql-url postgres://ferretdb@127.0.0.1:5432/ferretdb -listen-addr 127.0.0.1:27017
//
// then start the directory with MONGODB_URI=mongodb://127.0.0.1:27017/. The flags and environment variables
// have the names FerretDB's own command and Docker image use. It prints one line, "ready: MONGODB_URI=...", once
// PostgreSQL answers through it, and stops on SIGINT or SIGTERM. Unlike FerretDB's own command, it indexes the
// _ids of the tables FerretDB makes, which FerretDB's lookups by _id need (see ferretpg.IndexIDs).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/iclei/directory/internal/ferretpg"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "ferretdb-pg:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	env := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	fs := flag.NewFlagSet("ferretdb-pg", flag.ContinueOnError)
	fs.SetOutput(stderr)
	pgURL := fs.String("postgresql-url", env("FERRETDB_POSTGRESQL_URL", "postgres://127.0.0.1:5432/ferretdb"),
		"PostgreSQL connection string; the database must exist (env FERRETDB_POSTGRESQL_URL)")
	addr := fs.String("listen-addr", env("FERRETDB_LISTEN_ADDR", "127.0.0.1:27017"),
		"TCP address for MongoDB clients; port 0 picks a free one (env FERRETDB_LISTEN_ADDR)")
	level := fs.String("log-level", env("FERRETDB_LOG_LEVEL", "warn"),
		"FerretDB's log level: debug, info, warn or error (env FERRETDB_LOG_LEVEL)")
	wait := fs.Duration("ready-timeout", 30*time.Second, "how long to wait for PostgreSQL to answer at start")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	var l slog.Level
	if err := l.UnmarshalText([]byte(*level)); err != nil {
		return fmt.Errorf("-log-level: %q is not one of debug, info, warn or error", *level)
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: l}))

	s, err := ferretpg.Start(ctx, ferretpg.Config{PostgreSQLURL: *pgURL, ListenAddr: *addr, ReadyTimeout: *wait, Logger: log})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "ready: MONGODB_URI=%s\n", s.URI)
	<-ctx.Done()
	return s.Stop()
}
