// Command directory serves the ICLEI Directory: a GraphQL API over the directory of ICLEI – Local Governments
// for Sustainability, with a playground, backed by MongoDB or, when no MONGODB_URI is given, by an embedded
// FerretDB in a local data folder.
//
// Usage:
//
//	directory [command] [flags]
//
// `directory -help` lists the commands (serve, the default, seed, mint-key, revoke-key, mint-jwt, load-bench,
// import, healthcheck),
// `directory help COMMAND` a command's flags. Every setting is an environment variable and a flag; README.md
// lists them.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args, os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "directory:", err)
		stop()
		os.Exit(1)
	}
}

// command is one of the binary's commands.
type command struct {
	name string
	// usage shows the command's arguments; summary says in a line what it does, about (optional) more.
	usage, summary, about string
	// groups are the settings the command reads.
	groups []settingGroup
	// flags registers the command's own flags, beside its settings.
	flags func(fs *flag.FlagSet)
	// args takes the command's arguments after its flags; a command without it takes none.
	args func(args []string) error
	run  func(ctx context.Context, cfg *config, log *slog.Logger, stdout io.Writer) error
}

// commands returns the binary's commands, serve first.
func commands() []*command {
	var keys keyFlags
	var probe healthcheckFlags
	var bench loadBenchFlags
	var roster importFlags
	all := []settingGroup{groupListen, groupDatabase, groupServer, groupJWT, groupLog}
	database := []settingGroup{groupDatabase, groupLog}
	return []*command{
		{name: "serve", usage: "directory [serve] [flags]", groups: all,
			summary: "serve the directory: the playground at /, GraphQL at /graphql (the default command)",
			about: "With no MONGODB_URI it starts the embedded FerretDB in DATA_DIR and seeds it on the first start. " +
				"It listens before it opens the database, so a port in use is reported at once.",
			run: serve},
		{name: "seed", usage: "directory seed [flags]", groups: database,
			summary: "seed the database, then exit; running servers pick the change up",
			about: "Seeding is idempotent: it inserts what is missing, updates what the seed changed, and keeps records " +
				"users edited since. While a server runs the embedded database in DATA_DIR, the command uses that server's.",
			run: seedCommand},
		{name: "mint-key", usage: "directory mint-key -name NAME -role admin|editor [-regions r1,r2] [flags]", groups: database,
			summary: "create an API key and print it once; only its hash is stored",
			about: "The key is stored in the database the flags name; while a server runs the embedded database in " +
				"DATA_DIR, the command uses that server's.",
			flags: keys.register("mint-key"),
			run: func(ctx context.Context, cfg *config, log *slog.Logger, out io.Writer) error {
				return mintKey(ctx, cfg, log, &keys, out)
			}},
		{name: "revoke-key", usage: "directory revoke-key -name NAME [flags]", groups: database,
			summary: "revoke the API keys with the name",
			flags:   keys.register("revoke-key"),
			run: func(ctx context.Context, cfg *config, log *slog.Logger, out io.Writer) error {
				return revokeKey(ctx, cfg, log, &keys, out)
			}},
		{name: "mint-jwt", usage: "directory mint-jwt -name SUBJECT -role admin|editor [-regions r1,r2] [-ttl 1h] [flags]",
			groups:  []settingGroup{groupJWT, groupLog},
			summary: "print a JWT signed with JWT_SECRET, for local testing",
			about: "The server accepts only JWTs signed with its own JWT_SECRET: give this command the same secret " +
				"(and JWT_ISSUER and JWT_AUDIENCE, where the server sets them).",
			flags: keys.register("mint-jwt"),
			run: func(_ context.Context, cfg *config, _ *slog.Logger, out io.Writer) error {
				return mintJWT(cfg, &keys, out)
			}},
		{name: "load-bench", usage: "directory load-bench [-cities N] [flags]", groups: database,
			summary: "load a large generated directory through the change log, for benchmarks and drills",
			about: "It writes the seed data and generated cities and offices, the same for the same -cities, in entries of " +
				"100 records, as actor load-bench. Running it again changes nothing. While a server runs the embedded database " +
				"in DATA_DIR, the command uses that server's, which picks the entries up as it would any other server's writes.",
			flags: bench.register,
			run: func(ctx context.Context, cfg *config, log *slog.Logger, out io.Writer) error {
				return loadBench(ctx, cfg, log, &bench, out)
			}},
		{name: "import", usage: "directory import [-apply] [flags] FILE.csv", groups: database,
			summary: "import a member roster from a CSV file: a dry run that reports row by row, or with -apply a write",
			about: "Each row creates or updates its city and grants or changes its membership, by the rules of the API's " +
				"mutations; with -apply each row that changes something is one entry of the change log, as actor import, " +
				"naming the file and the row's line. A refused row changes nothing and stops no other; importing a file " +
				"again changes nothing. The columns are " + rosterColumns() + "; README.md says more. At most 1000 rows " +
				"and 1 MiB a file. The command exits non-zero when it refused a row. While a server runs the embedded " +
				"database in DATA_DIR, the command uses that server's.",
			flags: roster.register, args: roster.file,
			run: func(ctx context.Context, cfg *config, log *slog.Logger, out io.Writer) error {
				return importRoster(ctx, cfg, log, &roster, out)
			}},
		{name: "healthcheck", usage: "directory healthcheck [-url URL] [flags]", groups: []settingGroup{groupListen},
			summary: "exit 0 when the server answers /healthz, for container healthchecks (the image has no shell or curl)",
			about:   "By default it asks the server on this machine at LISTEN_ADDR or PORT, as the server itself reads them.",
			flags:   probe.register,
			run: func(ctx context.Context, cfg *config, _ *slog.Logger, out io.Writer) error {
				return healthcheck(ctx, cfg, &probe, out)
			}},
	}
}

// run runs the command named by args[1] (serve when there is none) until ctx is done.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmds := commands()
	rest := args[1:]
	if len(rest) > 0 {
		switch rest[0] {
		case "-help", "--help", "-h", "help":
			if rest[0] == "help" && len(rest) > 1 {
				c, err := find(cmds, rest[1])
				if err != nil {
					return err
				}
				c.printHelp(stdout)
				return nil
			}
			printOverview(stdout, cmds)
			return nil
		case "-version", "--version":
			fmt.Fprintln(stdout, version())
			return nil
		}
	}
	name := "serve"
	if len(rest) > 0 && rest[0] != "" && rest[0][0] != '-' {
		name, rest = rest[0], rest[1:]
	}
	c, err := find(cmds, name)
	if err != nil {
		return err
	}
	cfg, err := c.parse(rest, getenv)
	if errors.Is(err, flag.ErrHelp) {
		c.printHelp(stdout)
		return nil
	}
	if err != nil {
		return err
	}
	return c.run(ctx, cfg, newLogger(cfg, stderr), stdout)
}

func find(cmds []*command, name string) (*command, error) {
	i := slices.IndexFunc(cmds, func(c *command) bool { return c.name == name })
	if i < 0 {
		names := make([]string, len(cmds))
		for i, c := range cmds {
			names[i] = c.name
		}
		return nil, fmt.Errorf("unknown command %q; the commands are %s, and help ('directory -help' says more)", name, strings.Join(names, ", "))
	}
	return cmds[i], nil
}

// parse reads the command's flags, then its settings from the environment and the flags.
func (c *command) parse(args []string, getenv func(string) string) (*config, error) {
	fs := c.flagSet()
	flagText := map[string]string{}
	cfg := &config{}
	for _, s := range c.settings(cfg) {
		fs.Var(&settingFlag{name: s.Flag, texts: flagText, bool: s.bool}, s.Flag, s.Help)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, fmt.Errorf("%w ('directory %s -help' lists the flags)", err, c.name)
	}
	// Flags may follow the arguments too: directory import roster.csv -apply.
	var positional []string
	for c.args != nil && fs.NArg() > 0 {
		positional = append(positional, fs.Arg(0))
		if err := fs.Parse(fs.Args()[1:]); err != nil {
			return nil, fmt.Errorf("%w ('directory %s -help' lists the flags)", err, c.name)
		}
	}
	if c.args != nil {
		if err := c.args(positional); err != nil {
			return nil, fmt.Errorf("%w (usage: %s)", err, c.usage)
		}
	} else if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q ('directory %s -help' lists the flags)", fs.Arg(0), c.name)
	}
	return cfg, cfg.read(c.groups, getenv, flagText)
}

// flagSet returns a flag set with the command's own flags, which reports errors to parse's caller only.
func (c *command) flagSet() *flag.FlagSet {
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	if c.flags != nil {
		c.flags(fs)
	}
	return fs
}

// settings returns the settings the command reads, reading into cfg.
func (c *command) settings(cfg *config) []setting {
	var out []setting
	for _, s := range cfg.settings() {
		if slices.Contains(c.groups, s.group) {
			out = append(out, s)
		}
	}
	return out
}

// settingFlag is a setting's flag. It keeps the text given, which config.read parses after the environment, so
// that a flag overrides its variable and every invalid value is reported at once.
type settingFlag struct {
	name  string
	texts map[string]string
	bool  bool
}

func (f *settingFlag) String() string {
	if f == nil || f.texts == nil {
		return ""
	}
	return f.texts[f.name]
}

func (f *settingFlag) Set(v string) error { f.texts[f.name] = v; return nil }

func (f *settingFlag) IsBoolFlag() bool { return f.bool }

func printOverview(w io.Writer, cmds []*command) {
	fmt.Fprintf(w, "ICLEI Directory: a GraphQL API over the directory of ICLEI – Local Governments for Sustainability.\n\n")
	fmt.Fprintf(w, "Usage:\n  directory [command] [flags]\n\nCommands:\n")
	for _, c := range cmds {
		fmt.Fprintf(w, "  %-12s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "  %-12s %s\n", "help", "print this help, or a command's flags: directory help mint-key")
	fmt.Fprintf(w, "\nFlags:\n  -help     print this help\n  -version  print the version and exit\n")
	fmt.Fprintf(w, "\n'directory help COMMAND' (or 'directory COMMAND -help') lists a command's flags; 'directory help serve'\n"+
		"lists every setting. Each setting is a flag and an environment variable, and a flag overrides its variable.\n")
}

func (c *command) printHelp(w io.Writer) {
	fmt.Fprintf(w, "Usage: %s\n\n", c.usage)
	text := upperFirst(c.summary) + "."
	if c.about != "" {
		text += " " + c.about
	}
	fmt.Fprintln(w, wrap(text, "", 100))
	if own := c.flagSet(); hasFlags(own) {
		fmt.Fprintf(w, "\nFlags:\n")
		own.VisitAll(func(f *flag.Flag) {
			name, usage := flag.UnquoteUsage(f)
			if f.DefValue != "" {
				usage += " (default " + f.DefValue + ")"
			}
			fmt.Fprintf(w, "  -%s %s\n%s\n", f.Name, name, wrap(usage, "        ", 100))
		})
	}
	fmt.Fprintf(w, "\nSettings (a flag overrides its environment variable):\n")
	for _, s := range c.settings(&config{}) {
		help := s.Help
		if s.Default != "" {
			help += " (default " + s.Default + ")"
		}
		fmt.Fprintf(w, "  -%s, %s\n%s\n", s.Flag, s.Env, wrap(help, "        ", 100))
	}
}

// wrap breaks text into lines of at most width characters, each starting with indent.
func wrap(text, indent string, width int) string {
	var lines []string
	line := indent
	for _, word := range strings.Fields(text) {
		if line != indent && len(line)+1+len(word) > width {
			lines = append(lines, line)
			line = indent
		}
		if line != indent {
			line += " "
		}
		line += word
	}
	return strings.Join(append(lines, line), "\n")
}

func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// version names the build: the module version and, where the binary records them, the VCS revision and time.
func version() string {
	v := "ICLEI Directory"
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return v + " (no build information) " + runtime.Version()
	}
	v += " " + info.Main.Version
	var vcs []string
	for _, s := range info.Settings {
		switch {
		case s.Key == "vcs.revision", s.Key == "vcs.time":
			vcs = append(vcs, s.Value)
		case s.Key == "vcs.modified" && s.Value == "true":
			vcs = append(vcs, "modified")
		}
	}
	if len(vcs) > 0 {
		v += " (" + strings.Join(vcs, ", ") + ")"
	}
	return v + " " + info.GoVersion + " " + runtime.GOOS + "/" + runtime.GOARCH
}
