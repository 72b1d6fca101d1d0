// Command directory serves the ICLEI Directory: a GraphQL API over the directory of ICLEI – Local Governments
// for Sustainability, with a playground, backed by MongoDB or, when no MONGODB_URI is given, by an embedded
// FerretDB in a local data folder.
//
// Usage:
//
//	directory [serve] [flags]   serve the directory (the default)
//	directory seed [flags]      seed the database, then exit; a running server picks the change up
//	directory mint-key -name N -role admin|editor [-regions r1,r2]
//	                            create an API key and print it once
//	directory revoke-key -name N
//	                            revoke the API keys with the name
//	directory mint-jwt -name SUBJECT -role admin|editor [-regions r1,r2] [-ttl 1h]
//	                            print a JWT signed with JWT_SECRET, for local testing
//
// Configuration comes from the environment and from flags; README.md lists both.
package main

import (
	"context"
	"errors"
	"flag"
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
	var keyArgs keyFlags
	var extra commandFlags
	switch cmd {
	case "serve", "seed":
	case "mint-key", "revoke-key", "mint-jwt":
		extra = keyArgs.register(cmd)
	default:
		return fmt.Errorf("unknown command %q; the commands are serve, seed, mint-key, revoke-key and mint-jwt", cmd)
	}
	cfg, err := loadConfig(cmd, rest, getenv, stderr, extra)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	switch cmd {
	case "seed":
		return seedCommand(ctx, cfg, log, stdout)
	case "mint-key":
		return mintKey(ctx, cfg, log, &keyArgs, stdout)
	case "revoke-key":
		return revokeKey(ctx, cfg, log, &keyArgs, stdout)
	case "mint-jwt":
		return mintJWT(cfg, &keyArgs, stdout)
	}
	return serve(ctx, cfg, log, stdout)
}
