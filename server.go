// Command directory serves the ICLEI Directory: a GraphQL API over the directory of ICLEI – Local Governments
// for Sustainability, with a playground, backed by MongoDB or, when no MONGODB_URI is given, by an embedded
// FerretDB in a local data folder.
//
// Usage:
//
//	directory [serve] [flags]   serve the directory (the default)
//	directory seed [flags]      seed the database, then exit; a running server picks the change up
//
// Configuration comes from the environment and from flags; README.md lists both.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
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

// run runs the command named by args[1] (serve when there is none) until ctx is done.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd, rest := "serve", args[1:]
	if len(rest) > 0 && rest[0] != "" && rest[0][0] != '-' {
		cmd, rest = rest[0], rest[1:]
	}
	cfg, err := loadConfig(cmd, rest, getenv, stderr)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	switch cmd {
	case "serve":
		return serve(ctx, cfg, log, stdout)
	case "seed":
		return seedCommand(ctx, cfg, log, stdout)
	}
	return fmt.Errorf("unknown command %q; the commands are serve and seed", cmd)
}
