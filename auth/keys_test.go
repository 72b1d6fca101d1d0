package auth_test

import (
	"context"
	"errors"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/iclei/directory/auth"
	"github.com/iclei/directory/directory"
)

// keyDirectory is a directory in memory whose read model is the authenticator's key store, as in the server.
func keyDirectory(t *testing.T) (*directory.Writer, *auth.Authenticator) {
	t.Helper()
	log := directory.NewMemoryLog()
	rm := directory.NewReadModel(log, directory.NewSnapshot(directory.Data{}, time.Now()), slog.New(slog.DiscardHandler))
	return directory.NewWriter(log, rm), auth.New(rm, config)
}

// mint records a new API key and returns it.
func mint(t *testing.T, w *directory.Writer, name string, role directory.Role, regions ...string) string {
	t.Helper()
	key, hash := auth.NewAPIKey()
	if err := w.MintAPIKey(context.Background(), "test", directory.APIKey{Name: name, Hash: hash, Role: role, Regions: regions, CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	return key
}

var keyPattern = regexp.MustCompile(`^icd_[A-Za-z0-9_-]{43}$`)

func TestAPIKeys(t *testing.T) {
	t.Parallel()
	w, a := keyDirectory(t)
	ctx := context.Background()
	admin := mint(t, w, "alice", directory.RoleAdmin)
	editor := mint(t, w, "bob", directory.RoleEditor, "europe", "east-asia")

	t.Run("a new key is recognisable and only its hash is kept", func(t *testing.T) {
		key, hash := auth.NewAPIKey()
		other, _ := auth.NewAPIKey()
		if !keyPattern.MatchString(key) || key == other {
			t.Errorf("keys %q and %q: want two different icd_ keys of 32 random bytes", key, other)
		}
		if hash != auth.HashAPIKey(key) || len(hash) != 64 || strings.Contains(hash, key) {
			t.Errorf("hash %q of %q", hash, key)
		}
	})

	t.Run("a key authenticates as its name, role and regions", func(t *testing.T) {
		for _, c := range []struct {
			key     string
			subject string
			role    directory.Role
			regions []string
		}{
			{admin, "apikey:alice", directory.RoleAdmin, nil},
			{editor, "apikey:bob", directory.RoleEditor, []string{"europe", "east-asia"}},
		} {
			p, err := a.Authenticate(ctx, c.key)
			if err != nil {
				t.Fatal(err)
			}
			if p.Subject != c.subject || p.Role != c.role || strings.Join(p.Regions, ",") != strings.Join(c.regions, ",") {
				t.Errorf("principal = %+v, want %s %s %v", p, c.subject, c.role, c.regions)
			}
		}
	})

	changeLast := func(s string) string {
		if strings.HasSuffix(s, "A") {
			return s[:len(s)-1] + "B"
		}
		return s[:len(s)-1] + "A"
	}
	revoked := mint(t, w, "carol", directory.RoleAdmin)
	if ok, err := w.RevokeAPIKey(ctx, "test", "carol"); !ok || err != nil {
		t.Fatalf("revoke: %v, %v", ok, err)
	}
	for _, c := range []struct {
		name, token, refusal string
	}{
		{"an unknown key", "icd_" + strings.Repeat("A", 43), "not known"},
		{"a key with a character changed", changeLast(admin), "not known"},
		{"a revoked key", revoked, "revoked"},
		{"a token that is neither key nor JWT", "opensesame", "neither an API key nor a JWT"},
		{"an empty token", "", "neither an API key nor a JWT"},
	} {
		t.Run("refuses "+c.name, func(t *testing.T) {
			p, err := a.Authenticate(ctx, c.token)
			var derr *directory.Error
			if !errors.As(err, &derr) || derr.Code != directory.CodeUnauthenticated {
				t.Fatalf("got %+v, %v; want UNAUTHENTICATED", p, err)
			}
			if !strings.Contains(derr.Message, c.refusal) || !strings.Contains(derr.Message, "Authorization: Bearer") {
				t.Errorf("message %q does not say %q and how to send a token", derr.Message, c.refusal)
			}
		})
	}

	t.Run("a key named again after its revocation is a new key", func(t *testing.T) {
		again := mint(t, w, "carol", directory.RoleEditor, "africa")
		if _, err := a.Authenticate(ctx, revoked); err == nil {
			t.Error("the revoked key works again")
		}
		if p, err := a.Authenticate(ctx, again); err != nil || p.Role != directory.RoleEditor {
			t.Errorf("the new key: %+v, %v", p, err)
		}
	})

	t.Run("a name names one key at a time", func(t *testing.T) {
		_, hash := auth.NewAPIKey()
		err := w.MintAPIKey(ctx, "test", directory.APIKey{Name: "alice", Hash: hash, Role: directory.RoleAdmin, CreatedAt: now})
		var derr *directory.Error
		if !errors.As(err, &derr) || derr.Code != directory.CodeConflict || derr.Field != "name" {
			t.Errorf("a second key named alice: %v, want CONFLICT about name", err)
		}
	})
}

func TestJWTsThatClaimWhatTheyMayNot(t *testing.T) {
	t.Parallel()
	a := auth.New(nil, config)
	for _, c := range []struct {
		name    string
		token   func(t *testing.T) string
		refusal string
	}{
		{"an editor of an unknown region", func(t *testing.T) string {
			return sign(t, valid(map[string]any{"regions": []string{"atlantis"}}))
		}, "unknown region atlantis"},
		{"an editor of no region", func(t *testing.T) string { return sign(t, valid(map[string]any{"regions": nil})) }, "at least one region"},
		{"an admin with regions", func(t *testing.T) string {
			return sign(t, valid(map[string]any{"role": "admin", "regions": []string{"europe"}}))
		}, "give regions only to editors"},
		{"a header that claims another algorithm", func(t *testing.T) string {
			token := jwt.NewWithClaims(jwt.SigningMethodHS384, jwt.MapClaims(valid(nil)))
			s, err := token.SignedString(secret)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}, "invalid"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			p, err := a.Authenticate(context.Background(), c.token(t))
			var derr *directory.Error
			if !errors.As(err, &derr) || derr.Code != directory.CodeUnauthenticated {
				t.Fatalf("got %+v, %v; want UNAUTHENTICATED", p, err)
			}
			if !strings.Contains(derr.Message, c.refusal) {
				t.Errorf("message %q does not say %q", derr.Message, c.refusal)
			}
		})
	}
}
