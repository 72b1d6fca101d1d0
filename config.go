package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"
)

// config is the server's configuration, read from the environment and then from flags.
type config struct {
	Addr             string
	MongoURI         string
	MongoDatabase    string
	ConnectTimeout   time.Duration
	OperationTimeout time.Duration
	DataDir          string
	EmbeddedLogLevel string
	CORSOrigins      []string
	PollInterval     time.Duration
	Seed             string
	LogFormat        string
	LogLevel         slog.Level
	Introspection    bool
	QueryCacheSize   int
	ShutdownTimeout  time.Duration
}

// loadConfig reads the configuration: each setting from its environment variable, then from its flag.
func loadConfig(cmd string, args []string, getenv func(string) string, stderr io.Writer) (*config, error) {
	env := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	port := fs.String("port", env("PORT", "8080"), "port to listen on (env PORT)")
	addr := fs.String("addr", env("LISTEN_ADDR", ""), "address to listen on, such as 127.0.0.1:8080; overrides -port (env LISTEN_ADDR)")
	mongoURI := fs.String("mongodb-uri", env("MONGODB_URI", ""), "MongoDB connection string; empty starts an embedded FerretDB (env MONGODB_URI)")
	mongoDB := fs.String("mongodb-database", env("MONGODB_DATABASE", "iclei_directory"), "database name (env MONGODB_DATABASE)")
	connectTimeout := fs.String("mongodb-connect-timeout", env("MONGODB_CONNECT_TIMEOUT", "10s"), "time to connect to the database (env MONGODB_CONNECT_TIMEOUT)")
	opTimeout := fs.String("mongodb-timeout", env("MONGODB_TIMEOUT", "10s"), "time allowed for one database operation (env MONGODB_TIMEOUT)")
	dataDir := fs.String("data-dir", env("DATA_DIR", "./data"), "folder of the embedded database (env DATA_DIR)")
	embeddedLog := fs.String("embedded-db-log", env("EMBEDDED_DB_LOG", "off"), "embedded FerretDB's log level: off, error, warn, info or debug (env EMBEDDED_DB_LOG)")
	cors := fs.String("cors-allowed-origins", env("CORS_ALLOWED_ORIGINS", "*"), "comma-separated origins browsers may call the API from; * for any (env CORS_ALLOWED_ORIGINS)")
	poll := fs.String("poll-interval", env("POLL_INTERVAL", "500ms"), "how often to check the database for changes (env POLL_INTERVAL)")
	seed := fs.String("seed", env("SEED", "auto"), "serve: seed the database on start: auto (when empty), always or never (env SEED)")
	logFormat := fs.String("log-format", env("LOG_FORMAT", "text"), "log format: text or json (env LOG_FORMAT)")
	logLevel := fs.String("log-level", env("LOG_LEVEL", "info"), "log level: debug, info, warn or error (env LOG_LEVEL)")
	introspection := fs.String("introspection", env("GRAPHQL_INTROSPECTION", "true"), "allow schema introspection (env GRAPHQL_INTROSPECTION)")
	queryCache := fs.String("query-cache-size", env("GRAPHQL_QUERY_CACHE_SIZE", "1000"), "parsed queries kept in memory (env GRAPHQL_QUERY_CACHE_SIZE)")
	shutdown := fs.String("shutdown-timeout", env("SHUTDOWN_TIMEOUT", "10s"), "time to finish requests on shutdown (env SHUTDOWN_TIMEOUT)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}

	var errs []error
	duration := func(name, v string) time.Duration {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("%s: %q is not a positive duration such as 500ms or 10s", name, v))
		}
		return d
	}
	boolean := func(name, v string) bool {
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %q is not true or false", name, v))
		}
		return b
	}
	integer := func(name, v string, min int) int {
		n, err := strconv.Atoi(v)
		if err != nil || n < min {
			errs = append(errs, fmt.Errorf("%s: %q is not a whole number of at least %d", name, v, min))
		}
		return n
	}
	oneOf := func(name, v string, choices ...string) string {
		for _, c := range choices {
			if v == c {
				return v
			}
		}
		errs = append(errs, fmt.Errorf("%s: %q is not one of %s", name, v, strings.Join(choices, ", ")))
		return v
	}
	cfg := &config{
		Addr:             *addr,
		MongoURI:         *mongoURI,
		MongoDatabase:    *mongoDB,
		ConnectTimeout:   duration("MONGODB_CONNECT_TIMEOUT", *connectTimeout),
		OperationTimeout: duration("MONGODB_TIMEOUT", *opTimeout),
		DataDir:          *dataDir,
		EmbeddedLogLevel: oneOf("EMBEDDED_DB_LOG", *embeddedLog, "off", "error", "warn", "info", "debug"),
		PollInterval:     duration("POLL_INTERVAL", *poll),
		Seed:             oneOf("SEED", *seed, "auto", "always", "never"),
		LogFormat:        oneOf("LOG_FORMAT", *logFormat, "text", "json"),
		Introspection:    boolean("GRAPHQL_INTROSPECTION", *introspection),
		QueryCacheSize:   integer("GRAPHQL_QUERY_CACHE_SIZE", *queryCache, 1),
		ShutdownTimeout:  duration("SHUTDOWN_TIMEOUT", *shutdown),
	}
	if cfg.Addr == "" {
		cfg.Addr = ":" + strconv.Itoa(integer("PORT", *port, 0))
	}
	if err := cfg.LogLevel.UnmarshalText([]byte(*logLevel)); err != nil {
		errs = append(errs, fmt.Errorf("LOG_LEVEL: %q is not debug, info, warn or error", *logLevel))
	}
	for _, o := range strings.Split(*cors, ",") {
		if o = strings.TrimSpace(o); o != "" {
			cfg.CORSOrigins = append(cfg.CORSOrigins, o)
		}
	}
	return cfg, errors.Join(errs...)
}

func newLogger(cfg *config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
