package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/iclei/directory/httpcache"
	"github.com/iclei/directory/requestlog"
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

	// PersistedQueryCacheSize is how many automatic persisted queries are kept; 0 turns them off.
	PersistedQueryCacheSize int
	// ResponseCacheBytes bounds the GraphQL answers to anonymous queries kept in memory; 0 turns the cache off.
	ResponseCacheBytes int
	// CacheControl is the Cache-Control of cacheable GET responses: GraphQL queries, exports, the schema.
	CacheControl string
	// PublicURL is the server's public base URL, for links in exports; empty uses the listener's address.
	PublicURL string

	JWTSecret   string
	JWTIssuer   string
	JWTAudience string
	// JWTMaxTTL is the longest lifetime of an accepted JWT.
	JWTMaxTTL time.Duration

	MaxDepth         int
	MaxComplexity    int
	MaxAliases       int
	MaxTokens        int
	MaxFields        int
	MaxRepeats       int
	FieldSuggestions bool
	RequestTimeout   time.Duration
	RateLimit        int
	ApplicationLimit int
	TrustedProxies   []netip.Prefix

	// ReadTimeout bounds reading a request, headers and body; WriteTimeout writing its answer; IdleTimeout how
	// long a kept-alive connection may wait for the next request.
	ReadTimeout  time.Duration
	WriteTimeout time.Duration
	IdleTimeout  time.Duration
	// MaxConnsPerClient bounds the connections one client address may hold open; 0 leaves them unbounded.
	MaxConnsPerClient int
}

// loadConfig reads the configuration: each setting from its environment variable, then from its flag.
// commandFlags adds a command's own flags to its flag set.
type commandFlags func(fs *flag.FlagSet)

func loadConfig(cmd string, args []string, getenv func(string) string, stderr io.Writer, extra commandFlags) (*config, error) {
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
	apqCache := fs.String("apq-cache-size", env("GRAPHQL_APQ_CACHE_SIZE", "1000"), "automatic persisted queries kept in memory; 0 turns them off (env GRAPHQL_APQ_CACHE_SIZE)")
	responseCache := fs.String("response-cache-bytes", env("GRAPHQL_RESPONSE_CACHE_BYTES", "33554432"), "bytes of GraphQL answers to anonymous queries kept in memory, to answer them again until the directory changes; 0 turns the cache off (env GRAPHQL_RESPONSE_CACHE_BYTES)")
	cacheControl := fs.String("http-cache-control", env("HTTP_CACHE_CONTROL", httpcache.DefaultCacheControl), "Cache-Control of cacheable GET responses (env HTTP_CACHE_CONTROL)")
	publicURL := fs.String("public-url", env("PUBLIC_URL", ""), "public base URL of the server, such as https://directory.example.org, for links in exports; empty uses the address the server listens on (env PUBLIC_URL)")
	jwtSecret := fs.String("jwt-secret", env("JWT_SECRET", ""), "HS256 secret that signs accepted JWTs, at least 32 bytes; empty accepts no JWTs (env JWT_SECRET)")
	jwtIssuer := fs.String("jwt-issuer", env("JWT_ISSUER", ""), "required JWT issuer (iss), if set (env JWT_ISSUER)")
	jwtAudience := fs.String("jwt-audience", env("JWT_AUDIENCE", ""), "required JWT audience (aud), if set (env JWT_AUDIENCE)")
	jwtMaxTTL := fs.String("jwt-max-ttl", env("JWT_MAX_TTL", "24h"), "longest a JWT may be valid for, from its iat (or from now) to its exp (env JWT_MAX_TTL)")
	maxDepth := fs.String("max-depth", env("GRAPHQL_MAX_DEPTH", "12"), "deepest selection nesting a query may have (env GRAPHQL_MAX_DEPTH)")
	maxComplexity := fs.String("max-complexity", env("GRAPHQL_MAX_COMPLEXITY", "20000"), "highest complexity a query may have (env GRAPHQL_MAX_COMPLEXITY)")
	maxAliases := fs.String("max-aliases", env("GRAPHQL_MAX_ALIASES", "30"), "most aliases a query may use (env GRAPHQL_MAX_ALIASES)")
	maxTokens := fs.String("max-tokens", env("GRAPHQL_MAX_TOKENS", "5000"), "most tokens the parser reads in one query (env GRAPHQL_MAX_TOKENS)")
	maxFields := fs.String("max-fields", env("GRAPHQL_MAX_FIELDS", "10000"), "most fields a document may select with its fragments expanded, each operation and fragment counted (env GRAPHQL_MAX_FIELDS)")
	maxRepeats := fs.String("max-repeats", env("GRAPHQL_MAX_REPEATS", "30"), "most times a document may select one field, or spread fragments, at one place in the response (env GRAPHQL_MAX_REPEATS)")
	suggestions := fs.String("field-suggestions", env("GRAPHQL_FIELD_SUGGESTIONS", "true"), "suggest field names in validation errors; always off with introspection off (env GRAPHQL_FIELD_SUGGESTIONS)")
	requestTimeout := fs.String("request-timeout", env("REQUEST_TIMEOUT", "15s"), "time one request may take (env REQUEST_TIMEOUT)")
	readTimeout := fs.String("http-read-timeout", env("HTTP_READ_TIMEOUT", "10s"), "time to read a request, headers and body; a slower client is cut off (env HTTP_READ_TIMEOUT)")
	writeTimeout := fs.String("http-write-timeout", env("HTTP_WRITE_TIMEOUT", "30s"), "time to write an answer, longer than REQUEST_TIMEOUT (env HTTP_WRITE_TIMEOUT)")
	idleTimeout := fs.String("http-idle-timeout", env("HTTP_IDLE_TIMEOUT", "60s"), "time a kept-alive connection may wait for its next request (env HTTP_IDLE_TIMEOUT)")
	maxConns := fs.String("max-connections-per-client", env("MAX_CONNECTIONS_PER_CLIENT", "100"), "connections one client address may hold open; TRUSTED_PROXIES are not counted; 0 for no limit (env MAX_CONNECTIONS_PER_CLIENT)")
	rateLimit := fs.String("rate-limit", env("RATE_LIMIT_PER_MINUTE", "600"), "requests per minute one client address may make; 0 for no limit (env RATE_LIMIT_PER_MINUTE)")
	applicationLimit := fs.String("application-limit", env("APPLICATION_LIMIT_PER_HOUR", "5"), "membership applications per hour one client address may submit (env APPLICATION_LIMIT_PER_HOUR)")
	trustedProxies := fs.String("trusted-proxies", env("TRUSTED_PROXIES", ""), "comma-separated CIDRs of reverse proxies whose X-Forwarded-For names the client, such as 10.0.0.0/8 (env TRUSTED_PROXIES)")
	if extra != nil {
		extra(fs)
	}
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
		Addr:                    *addr,
		MongoURI:                *mongoURI,
		MongoDatabase:           *mongoDB,
		ConnectTimeout:          duration("MONGODB_CONNECT_TIMEOUT", *connectTimeout),
		OperationTimeout:        duration("MONGODB_TIMEOUT", *opTimeout),
		DataDir:                 *dataDir,
		EmbeddedLogLevel:        oneOf("EMBEDDED_DB_LOG", *embeddedLog, "off", "error", "warn", "info", "debug"),
		PollInterval:            duration("POLL_INTERVAL", *poll),
		Seed:                    oneOf("SEED", *seed, "auto", "always", "never"),
		LogFormat:               oneOf("LOG_FORMAT", *logFormat, "text", "json"),
		Introspection:           boolean("GRAPHQL_INTROSPECTION", *introspection),
		QueryCacheSize:          integer("GRAPHQL_QUERY_CACHE_SIZE", *queryCache, 1),
		ShutdownTimeout:         duration("SHUTDOWN_TIMEOUT", *shutdown),
		PersistedQueryCacheSize: integer("GRAPHQL_APQ_CACHE_SIZE", *apqCache, 0),
		ResponseCacheBytes:      integer("GRAPHQL_RESPONSE_CACHE_BYTES", *responseCache, 0),
		CacheControl:            *cacheControl,
		PublicURL:               strings.TrimSuffix(*publicURL, "/"),
		JWTSecret:               *jwtSecret,
		JWTIssuer:               *jwtIssuer,
		JWTAudience:             *jwtAudience,
		JWTMaxTTL:               duration("JWT_MAX_TTL", *jwtMaxTTL),
		MaxDepth:                integer("GRAPHQL_MAX_DEPTH", *maxDepth, 1),
		MaxComplexity:           integer("GRAPHQL_MAX_COMPLEXITY", *maxComplexity, 1),
		MaxAliases:              integer("GRAPHQL_MAX_ALIASES", *maxAliases, 0),
		MaxTokens:               integer("GRAPHQL_MAX_TOKENS", *maxTokens, 100),
		MaxFields:               integer("GRAPHQL_MAX_FIELDS", *maxFields, 1),
		MaxRepeats:              integer("GRAPHQL_MAX_REPEATS", *maxRepeats, 1),
		FieldSuggestions:        boolean("GRAPHQL_FIELD_SUGGESTIONS", *suggestions),
		RequestTimeout:          duration("REQUEST_TIMEOUT", *requestTimeout),
		ReadTimeout:             duration("HTTP_READ_TIMEOUT", *readTimeout),
		WriteTimeout:            duration("HTTP_WRITE_TIMEOUT", *writeTimeout),
		IdleTimeout:             duration("HTTP_IDLE_TIMEOUT", *idleTimeout),
		MaxConnsPerClient:       integer("MAX_CONNECTIONS_PER_CLIENT", *maxConns, 0),
		RateLimit:               integer("RATE_LIMIT_PER_MINUTE", *rateLimit, 0),
		ApplicationLimit:        integer("APPLICATION_LIMIT_PER_HOUR", *applicationLimit, 1),
	}
	for _, c := range strings.Split(*trustedProxies, ",") {
		if c = strings.TrimSpace(c); c == "" {
			continue
		}
		p, err := netip.ParsePrefix(c)
		if err != nil {
			errs = append(errs, fmt.Errorf("TRUSTED_PROXIES: %q is not a CIDR such as 10.0.0.0/8", c))
		}
		cfg.TrustedProxies = append(cfg.TrustedProxies, p)
	}
	if cfg.WriteTimeout > 0 && cfg.WriteTimeout <= cfg.RequestTimeout {
		errs = append(errs, fmt.Errorf("HTTP_WRITE_TIMEOUT: %s must be longer than REQUEST_TIMEOUT (%s), or answers are cut off before they are written", cfg.WriteTimeout, cfg.RequestTimeout))
	}
	if cfg.JWTSecret != "" && len(cfg.JWTSecret) < 32 {
		errs = append(errs, fmt.Errorf("JWT_SECRET: use at least 32 bytes of random data"))
	}
	if cfg.PublicURL != "" {
		if u, err := url.Parse(cfg.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			errs = append(errs, fmt.Errorf("PUBLIC_URL: %q is not an http or https URL such as https://directory.example.org", cfg.PublicURL))
		}
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

// newLogger returns the server's logger. Records logged with a request's context carry its request ID.
func newLogger(cfg *config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	var h slog.Handler = slog.NewTextHandler(w, opts)
	if cfg.LogFormat == "json" {
		h = slog.NewJSONHandler(w, opts)
	}
	return slog.New(requestlog.NewHandler(h))
}
