package main

//go:generate go test -run ^(TestREADMESettingsTable|TestClientDocsQuoteTheExamples)$ -update .

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/iclei/directory/httpcache"
	"github.com/iclei/directory/requestlog"
)

// config is the configuration of a command, read from the environment and then from flags (settings).
type config struct {
	// Addr is the address to listen on: LISTEN_ADDR, or else :PORT.
	Addr             string
	Port             int
	MongoURI         string
	MongoDatabase    string
	ConnectTimeout   time.Duration
	OperationTimeout time.Duration
	DataDir          string
	EmbeddedLogLevel string
	CORSOrigins      []string
	PollInterval     time.Duration
	// CheckpointInterval is how often a server saves its read model to DATA_DIR while the directory changes.
	CheckpointInterval time.Duration
	Seed               string
	LogFormat          string
	LogLevel           slog.Level
	Introspection      bool
	QueryCacheSize     int
	ShutdownTimeout    time.Duration

	PersistedQueryCacheSize int
	ResponseCacheBytes      int
	CacheControl            string
	// PublicURL is the server's public base URL, without a trailing slash; empty uses the listener's address.
	PublicURL string

	JWTSecret   string
	JWTIssuer   string
	JWTAudience string
	// JWTMaxTTL is the longest lifetime of an accepted JWT.
	JWTMaxTTL time.Duration

	MaxDepth      int
	MaxComplexity int
	MaxAliases    int
	MaxTokens     int
	MaxFields     int
	MaxRepeats    int
	// BatchMax is the most operations one POST may carry as a JSON array; 0 refuses batches.
	BatchMax         int
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
	// SubscriptionsPerClient bounds the subscriptions one client address may hold open; Heartbeat is how often
	// an idle subscription's stream shows it is alive.
	SubscriptionsPerClient int
	Heartbeat              time.Duration
	// The webhooks' rules (directory.WebhookOptions).
	WebhookAllowPrivate bool
	WebhookLease        time.Duration
	WebhookTimeout      time.Duration
	WebhookRetryMin     time.Duration
	WebhookRetryMax     time.Duration
}

// settingGroup names the settings a command reads: each command takes the groups it uses (commands).
type settingGroup int

const (
	groupListen   settingGroup = iota // where the server listens
	groupDatabase                     // which database, and the embedded one
	groupJWT                          // JWT signing and verification
	groupLog                          // logging
	groupServer                       // everything else the server alone reads
)

// A setting is one configuration setting, described once: its environment variable, its flag, its default,
// its help, and how its text is read into the config. The flags, the environment, -help and the README's table
// of settings all come from this description.
type setting struct {
	Env, Flag, Default, Help string
	group                    settingGroup
	// bool settings take their flag alone (-introspection) as well as with a value (-introspection=false).
	bool bool
	// parse reads the setting's text into the config; its error says what a valid value looks like.
	parse func(text string) error
}

// settings returns the settings, in the order -help and the README list them, reading into cfg.
func (cfg *config) settings() []setting {
	return []setting{
		{Env: "PORT", Flag: "port", Default: "8080", group: groupListen,
			Help:  "port to listen on; 0 picks a free one",
			parse: integer(&cfg.Port, 0, 65535)},
		{Env: "LISTEN_ADDR", Flag: "addr", group: groupListen,
			Help:  "address to listen on, such as 127.0.0.1:8080; overrides PORT",
			parse: listenAddr(&cfg.Addr)},

		{Env: "MONGODB_URI", Flag: "mongodb-uri", group: groupDatabase,
			Help:  "MongoDB connection string; empty starts the embedded FerretDB in DATA_DIR",
			parse: text(&cfg.MongoURI)},
		{Env: "MONGODB_DATABASE", Flag: "mongodb-database", Default: "iclei_directory", group: groupDatabase,
			Help:  "database name",
			parse: text(&cfg.MongoDatabase)},
		{Env: "MONGODB_CONNECT_TIMEOUT", Flag: "mongodb-connect-timeout", Default: "10s", group: groupDatabase,
			Help:  "time to connect to the database and select a server",
			parse: duration(&cfg.ConnectTimeout)},
		{Env: "MONGODB_TIMEOUT", Flag: "mongodb-timeout", Default: "10s", group: groupDatabase,
			Help:  "time allowed for one database operation",
			parse: duration(&cfg.OperationTimeout)},
		{Env: "DATA_DIR", Flag: "data-dir", Default: "./data", group: groupDatabase,
			Help:  "folder of the embedded database, used when MONGODB_URI is empty",
			parse: text(&cfg.DataDir)},
		{Env: "EMBEDDED_DB_LOG", Flag: "embedded-db-log", Default: "off", group: groupDatabase,
			Help:  "the embedded FerretDB's own log level: off, error, warn, info or debug",
			parse: oneOf(&cfg.EmbeddedLogLevel, "off", "error", "warn", "info", "debug")},

		{Env: "SEED", Flag: "seed", Default: "auto", group: groupServer,
			Help:  "seed the database on start: auto (when it is empty), always or never",
			parse: oneOf(&cfg.Seed, "auto", "always", "never")},
		{Env: "POLL_INTERVAL", Flag: "poll-interval", Default: "500ms", group: groupServer,
			Help:  "how often the server checks the change log for entries other servers wrote",
			parse: duration(&cfg.PollInterval)},
		{Env: "CHECKPOINT_INTERVAL", Flag: "checkpoint-interval", Default: "1m", group: groupServer,
			Help:  "how often the server saves its read model to DATA_DIR while the directory changes, so that it restarts from there",
			parse: duration(&cfg.CheckpointInterval)},
		{Env: "CORS_ALLOWED_ORIGINS", Flag: "cors-allowed-origins", Default: "*", group: groupServer,
			Help:  "comma-separated origins browsers may call the API from; * for any (tokens travel in headers, not cookies)",
			parse: list(&cfg.CORSOrigins)},
		{Env: "PUBLIC_URL", Flag: "public-url", group: groupServer,
			Help:  "the server's public base URL, such as https://directory.example.org, for links it writes (a vCard's SOURCE); empty uses the address it listens on",
			parse: publicURL(&cfg.PublicURL)},
		{Env: "HTTP_CACHE_CONTROL", Flag: "http-cache-control", Default: httpcache.DefaultCacheControl, group: groupServer,
			Help:  "Cache-Control of cacheable GET answers: GraphQL queries, exports, the schema",
			parse: text(&cfg.CacheControl)},
		{Env: "GRAPHQL_INTROSPECTION", Flag: "introspection", Default: "true", group: groupServer, bool: true,
			Help:  "answer schema introspection (the playground's docs and completion use it)",
			parse: boolean(&cfg.Introspection)},
		{Env: "GRAPHQL_FIELD_SUGGESTIONS", Flag: "field-suggestions", Default: "true", group: groupServer, bool: true,
			Help:  "suggest field names in validation errors; always off with introspection off, as they would reveal the schema",
			parse: boolean(&cfg.FieldSuggestions)},
		{Env: "GRAPHQL_QUERY_CACHE_SIZE", Flag: "query-cache-size", Default: "1000", group: groupServer,
			Help:  "parsed queries kept in memory",
			parse: integer(&cfg.QueryCacheSize, 1, math.MaxInt)},
		{Env: "GRAPHQL_APQ_CACHE_SIZE", Flag: "apq-cache-size", Default: "1000", group: groupServer,
			Help:  "automatic persisted queries kept in memory; 0 turns them off",
			parse: integer(&cfg.PersistedQueryCacheSize, 0, math.MaxInt)},
		{Env: "GRAPHQL_RESPONSE_CACHE_BYTES", Flag: "response-cache-bytes", Default: "33554432", group: groupServer,
			Help:  "bytes of answers to anonymous queries kept to answer the same request again until the directory changes (32 MiB); 0 turns the cache off",
			parse: integer(&cfg.ResponseCacheBytes, 0, math.MaxInt)},
		{Env: "GRAPHQL_MAX_DEPTH", Flag: "max-depth", Default: "12", group: groupServer,
			Help:  "deepest selection nesting a query may have",
			parse: integer(&cfg.MaxDepth, 1, math.MaxInt)},
		{Env: "GRAPHQL_MAX_COMPLEXITY", Flag: "max-complexity", Default: "20000", group: groupServer,
			Help:  "highest complexity a query may have (a connection counts its selections once per record of a page)",
			parse: integer(&cfg.MaxComplexity, 1, math.MaxInt)},
		{Env: "GRAPHQL_MAX_ALIASES", Flag: "max-aliases", Default: "30", group: groupServer,
			Help:  "most aliases a query may use",
			parse: integer(&cfg.MaxAliases, 0, math.MaxInt)},
		{Env: "GRAPHQL_MAX_TOKENS", Flag: "max-tokens", Default: "5000", group: groupServer,
			Help:  "most tokens the parser reads in one query",
			parse: integer(&cfg.MaxTokens, 100, math.MaxInt)},
		{Env: "GRAPHQL_MAX_FIELDS", Flag: "max-fields", Default: "10000", group: groupServer,
			Help:  "most fields a document may select with its fragments expanded, each operation and fragment definition counted; checked before validation",
			parse: integer(&cfg.MaxFields, 1, math.MaxInt)},
		{Env: "GRAPHQL_MAX_REPEATS", Flag: "max-repeats", Default: "30", group: groupServer,
			Help:  "most times a document may select one field, or spread fragments, at one place in the response; checked before validation",
			parse: integer(&cfg.MaxRepeats, 1, math.MaxInt)},
		{Env: "GRAPHQL_BATCH_MAX", Flag: "batch-max", Default: "0", group: groupServer,
			Help:  "most operations one POST may carry as a JSON array (a batch, as Apollo Client's BatchHttpLink sends); each counts as a request against RATE_LIMIT_PER_MINUTE, and together they are held to the complexity, field and alias limits of one request; 0 refuses batches",
			parse: integer(&cfg.BatchMax, 0, math.MaxInt)},
		{Env: "REQUEST_TIMEOUT", Flag: "request-timeout", Default: "15s", group: groupServer,
			Help:  "time one request may take, from its headers to its answer",
			parse: duration(&cfg.RequestTimeout)},
		{Env: "HTTP_READ_TIMEOUT", Flag: "http-read-timeout", Default: "10s", group: groupServer,
			Help:  "time to read a request, headers and body; a client sending more slowly is cut off",
			parse: duration(&cfg.ReadTimeout)},
		{Env: "HTTP_WRITE_TIMEOUT", Flag: "http-write-timeout", Default: "30s", group: groupServer,
			Help:  "time to write an answer; longer than REQUEST_TIMEOUT",
			parse: duration(&cfg.WriteTimeout)},
		{Env: "HTTP_IDLE_TIMEOUT", Flag: "http-idle-timeout", Default: "60s", group: groupServer,
			Help:  "time a kept-alive connection may wait for its next request",
			parse: duration(&cfg.IdleTimeout)},
		{Env: "MAX_CONNECTIONS_PER_CLIENT", Flag: "max-connections-per-client", Default: "100", group: groupServer,
			Help:  "connections one client address (an IPv6 client by its /64) may hold open; TRUSTED_PROXIES are not counted; 0 for no limit",
			parse: integer(&cfg.MaxConnsPerClient, 0, math.MaxInt)},
		{Env: "SUBSCRIPTIONS_PER_CLIENT", Flag: "subscriptions-per-client", Default: "20", group: groupServer,
			Help:  "subscriptions one client address may hold open at once, over WebSockets and Server-Sent Events together (and queries or mutations running over WebSockets)",
			parse: integer(&cfg.SubscriptionsPerClient, 1, math.MaxInt)},
		{Env: "SUBSCRIPTION_HEARTBEAT", Flag: "subscription-heartbeat", Default: "15s", group: groupServer,
			Help:  "how often a subscription with no event to send shows it is alive (a WebSocket ping, an event stream comment); a WebSocket client that does not answer two pings, or leaves a message untaken for two heartbeats, is cut off",
			parse: duration(&cfg.Heartbeat)},
		{Env: "WEBHOOK_ALLOW_PRIVATE", Flag: "webhook-allow-private", Default: "false", group: groupServer, bool: true,
			Help:  "let webhooks point at loopback, private and link-local addresses; off, such URLs are refused when registered and when connected to, so that the server cannot be made to call its own network",
			parse: boolean(&cfg.WebhookAllowPrivate)},
		{Env: "WEBHOOK_TIMEOUT", Flag: "webhook-timeout", Default: "10s", group: groupServer,
			Help:  "time a webhook's receiver has to answer a delivery",
			parse: duration(&cfg.WebhookTimeout)},
		{Env: "WEBHOOK_RETRY_MIN", Flag: "webhook-retry-min", Default: "5s", group: groupServer,
			Help:  "wait before retrying a failed webhook delivery; it doubles with each further failure",
			parse: duration(&cfg.WebhookRetryMin)},
		{Env: "WEBHOOK_RETRY_MAX", Flag: "webhook-retry-max", Default: "1h", group: groupServer,
			Help:  "longest wait between retries of a webhook delivery",
			parse: duration(&cfg.WebhookRetryMax)},
		{Env: "WEBHOOK_LEASE", Flag: "webhook-lease", Default: "2m", group: groupServer,
			Help:  "how long one of the servers sharing a database delivers a webhook before the servers claim it again; longer than WEBHOOK_TIMEOUT",
			parse: duration(&cfg.WebhookLease)},
		{Env: "RATE_LIMIT_PER_MINUTE", Flag: "rate-limit", Default: "600", group: groupServer,
			Help:  "requests per minute one client address may make to any endpoint but the probes; 0 for no limit",
			parse: integer(&cfg.RateLimit, 0, math.MaxInt)},
		{Env: "APPLICATION_LIMIT_PER_HOUR", Flag: "application-limit", Default: "5", group: groupServer,
			Help:  "membership applications per hour one client address may submit",
			parse: integer(&cfg.ApplicationLimit, 1, math.MaxInt)},
		{Env: "TRUSTED_PROXIES", Flag: "trusted-proxies", group: groupServer,
			Help:  "comma-separated CIDRs of reverse proxies whose X-Forwarded-For names the client, such as 10.0.0.0/8",
			parse: prefixes(&cfg.TrustedProxies)},
		{Env: "SHUTDOWN_TIMEOUT", Flag: "shutdown-timeout", Default: "10s", group: groupServer,
			Help:  "time to finish requests on SIGINT or SIGTERM",
			parse: duration(&cfg.ShutdownTimeout)},

		{Env: "JWT_SECRET", Flag: "jwt-secret", group: groupJWT,
			Help:  "HS256 secret of at least 32 bytes: the server accepts JWTs signed with it, mint-jwt signs with it, so both need the same one; empty accepts no JWTs",
			parse: jwtSecret(&cfg.JWTSecret)},
		{Env: "JWT_ISSUER", Flag: "jwt-issuer", group: groupJWT,
			Help:  "the iss claim: required of JWTs if set, and written by mint-jwt",
			parse: text(&cfg.JWTIssuer)},
		{Env: "JWT_AUDIENCE", Flag: "jwt-audience", group: groupJWT,
			Help:  "the aud claim: required of JWTs if set, and written by mint-jwt",
			parse: text(&cfg.JWTAudience)},
		{Env: "JWT_MAX_TTL", Flag: "jwt-max-ttl", Default: "24h", group: groupJWT,
			Help:  "longest a JWT may be valid for, from its iat (or from now) to its exp; mint-jwt mints none longer",
			parse: duration(&cfg.JWTMaxTTL)},

		{Env: "LOG_FORMAT", Flag: "log-format", Default: "text", group: groupLog,
			Help:  "log format: text, or json for production logs",
			parse: oneOf(&cfg.LogFormat, "text", "json")},
		{Env: "LOG_LEVEL", Flag: "log-level", Default: "info", group: groupLog,
			Help:  "log level: debug, info, warn or error",
			parse: logLevel(&cfg.LogLevel)},
	}
}

// read reads the settings of the groups from the environment, where set, or else their defaults, then from the
// flags given (flagText, by flag name). Every invalid value is reported, naming its variable and flag.
func (cfg *config) read(groups []settingGroup, getenv func(string) string, flagText map[string]string) error {
	var errs []error
	for _, s := range cfg.settings() {
		if !slices.Contains(groups, s.group) {
			continue
		}
		v, ok := flagText[s.Flag]
		if !ok {
			v = strings.TrimSpace(getenv(s.Env))
			if v == "" {
				v = s.Default
			}
		}
		if err := s.parse(v); err != nil {
			errs = append(errs, fmt.Errorf("%s (-%s): %w", s.Env, s.Flag, err))
		}
	}
	if cfg.Addr == "" {
		cfg.Addr = ":" + strconv.Itoa(cfg.Port)
	}
	if slices.Contains(groups, groupServer) && cfg.WebhookLease > 0 && cfg.WebhookLease <= 2*cfg.WebhookTimeout {
		errs = append(errs, fmt.Errorf("WEBHOOK_LEASE (-webhook-lease): %s must be more than twice WEBHOOK_TIMEOUT (%s), or a server has no time in its lease to deliver",
			cfg.WebhookLease, cfg.WebhookTimeout))
	}
	if slices.Contains(groups, groupServer) && cfg.WriteTimeout > 0 && cfg.WriteTimeout <= cfg.RequestTimeout {
		errs = append(errs, fmt.Errorf("HTTP_WRITE_TIMEOUT (-http-write-timeout): %s must be longer than REQUEST_TIMEOUT (%s), or answers are cut off before they are written",
			cfg.WriteTimeout, cfg.RequestTimeout))
	}
	return errors.Join(errs...)
}

// The parsers of setting texts. Each returns the parse function of a setting that reads into the pointer.

func text(p *string) func(string) error {
	return func(v string) error { *p = v; return nil }
}

func duration(p *time.Duration) func(string) error {
	return func(v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return fmt.Errorf("%q is not a positive duration such as 500ms or 10s", v)
		}
		*p = d
		return nil
	}
}

func boolean(p *bool) func(string) error {
	return func(v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("%q is not true or false", v)
		}
		*p = b
		return nil
	}
}

func integer(p *int, lo, hi int) func(string) error {
	return func(v string) error {
		n, err := strconv.Atoi(v)
		switch {
		case err != nil || n < lo:
			return fmt.Errorf("%q is not a whole number of at least %d", v, lo)
		case n > hi:
			return fmt.Errorf("%q is more than %d", v, hi)
		}
		*p = n
		return nil
	}
}

func oneOf(p *string, choices ...string) func(string) error {
	return func(v string) error {
		for _, c := range choices {
			if v == c {
				*p = v
				return nil
			}
		}
		return fmt.Errorf("%q is not one of %s", v, strings.Join(choices, ", "))
	}
}

// list reads a comma-separated list, leaving out empty items.
func list(p *[]string) func(string) error {
	return func(v string) error {
		*p = nil
		for _, item := range strings.Split(v, ",") {
			if item = strings.TrimSpace(item); item != "" {
				*p = append(*p, item)
			}
		}
		return nil
	}
}

func prefixes(p *[]netip.Prefix) func(string) error {
	var items []string
	parseList := list(&items)
	return func(v string) error {
		_ = parseList(v)
		*p = nil
		for _, c := range items {
			prefix, err := netip.ParsePrefix(c)
			if err != nil {
				return fmt.Errorf("%q is not a CIDR such as 10.0.0.0/8", c)
			}
			*p = append(*p, prefix)
		}
		return nil
	}
}

func listenAddr(p *string) func(string) error {
	return func(v string) error {
		if v == "" {
			return nil
		}
		_, port, err := net.SplitHostPort(v)
		if n, perr := strconv.Atoi(port); err != nil || perr != nil || n < 0 || n > 65535 {
			return fmt.Errorf("%q is not an address such as 127.0.0.1:8080 or :8080 with a port of 0 to 65535", v)
		}
		*p = v
		return nil
	}
}

func publicURL(p *string) func(string) error {
	return func(v string) error {
		v = strings.TrimSuffix(v, "/")
		if v != "" {
			if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
				return fmt.Errorf("%q is not an http or https URL such as https://directory.example.org", v)
			}
		}
		*p = v
		return nil
	}
}

func jwtSecret(p *string) func(string) error {
	return func(v string) error {
		if v != "" && len(v) < 32 {
			return errors.New("use at least 32 bytes of random data")
		}
		*p = v
		return nil
	}
}

func logLevel(p *slog.Level) func(string) error {
	return func(v string) error {
		if err := p.UnmarshalText([]byte(v)); err != nil {
			return fmt.Errorf("%q is not debug, info, warn or error", v)
		}
		return nil
	}
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
