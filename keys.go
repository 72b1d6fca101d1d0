package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/iclei/directory/auth"
	"github.com/iclei/directory/directory"
)

// keyFlags are the flags of the key commands.
type keyFlags struct {
	name, role, regions string
	ttl                 time.Duration
}

// register returns the function that registers the flags of the key command cmd.
func (k *keyFlags) register(cmd string) func(fs *flag.FlagSet) {
	return func(fs *flag.FlagSet) {
		switch cmd {
		case "mint-jwt":
			fs.StringVar(&k.name, "name", "", "the `SUBJECT` of the JWT, which names the caller in the audit trail")
		case "revoke-key":
			fs.StringVar(&k.name, "name", "", "the `NAME` of the keys to revoke")
		default:
			fs.StringVar(&k.name, "name", "", "the key's `NAME`, which names the caller in the audit trail")
		}
		if cmd != "revoke-key" {
			fs.StringVar(&k.role, "role", "", "the `ROLE`: admin (may change every record) or editor (only those of its -regions)")
			fs.StringVar(&k.regions, "regions", "", "comma-separated `codes` of the regions an editor may act on, such as east-asia,europe")
		}
		if cmd == "mint-jwt" {
			fs.DurationVar(&k.ttl, "ttl", time.Hour, "how long the JWT is valid")
		}
	}
}

// grant checks the flags and returns the role and regions they grant.
func (k *keyFlags) grant() (directory.Role, []string, error) {
	if strings.TrimSpace(k.name) == "" {
		return "", nil, errors.New("-name is required")
	}
	var regions []string
	for _, r := range strings.Split(k.regions, ",") {
		if r = strings.TrimSpace(r); r != "" {
			regions = append(regions, r)
		}
	}
	role := directory.Role(k.role)
	if err := directory.CheckRole(role, regions); err != nil {
		if derr := (*directory.Error)(nil); errors.As(err, &derr) {
			return "", nil, fmt.Errorf("-%s: %s", derr.Field, derr.Message)
		}
		return "", nil, err
	}
	return role, regions, nil
}

// mintKey creates an API key, stores its hash and prints the key, which is shown only this once.
func mintKey(ctx context.Context, cfg *config, log *slog.Logger, k *keyFlags, stdout io.Writer) error {
	role, regions, err := k.grant()
	if err != nil {
		return err
	}
	d, closeDB, err := openForCommand(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer closeDB()
	key, hash := auth.NewAPIKey()
	if err := d.writer.MintAPIKey(ctx, "cli", directory.APIKey{Name: k.name, Hash: hash, Role: role, Regions: regions, CreatedAt: time.Now()}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "API key %q (%s%s); it is shown only now, keep it safe:\n%s\n", k.name, role, scope(regions), key)
	return nil
}

func revokeKey(ctx context.Context, cfg *config, log *slog.Logger, k *keyFlags, stdout io.Writer) error {
	if strings.TrimSpace(k.name) == "" {
		return errors.New("-name is required")
	}
	d, closeDB, err := openForCommand(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer closeDB()
	revoked, err := d.writer.RevokeAPIKey(ctx, "cli", k.name)
	if err != nil {
		return err
	}
	if !revoked {
		return fmt.Errorf("no API key named %q is in use", k.name)
	}
	fmt.Fprintf(stdout, "revoked the API key named %q; every server stops accepting it within its poll interval (POLL_INTERVAL)\n", k.name)
	return nil
}

func mintJWT(cfg *config, k *keyFlags, stdout io.Writer) error {
	role, regions, err := k.grant()
	if err != nil {
		return err
	}
	if cfg.JWTSecret == "" {
		return errors.New("set JWT_SECRET (or -jwt-secret) to the secret the server runs with: the server accepts only JWTs signed with its own secret")
	}
	token, err := auth.MintJWT(jwtConfig(cfg), k.name, role, regions, k.ttl)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, token)
	return nil
}

func jwtConfig(cfg *config) auth.Config {
	return auth.Config{Secret: []byte(cfg.JWTSecret), Issuer: cfg.JWTIssuer, Audience: cfg.JWTAudience, MaxTTL: cfg.JWTMaxTTL}
}

func scope(regions []string) string {
	if len(regions) == 0 {
		return ""
	}
	return " of " + strings.Join(regions, ", ")
}
