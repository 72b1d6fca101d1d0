package auth_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/iclei/directory/auth"
	"github.com/iclei/directory/directory"
)

// TestAPIKeysNeedNoDatabase checks API keys against a read model whose database is down: a key in the snapshot
// is taken, a revoked or unknown one refused, and the database is never asked.
func TestAPIKeysNeedNoDatabase(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	log := directory.NewMemoryLog()
	rm := directory.NewReadModel(log, directory.NewSnapshot(directory.Data{}, time.Now()), slog.New(slog.DiscardHandler))
	w := directory.NewWriter(log, rm)
	live, liveHash := auth.NewAPIKey()
	gone, goneHash := auth.NewAPIKey()
	for name, hash := range map[string]string{"alice": liveHash, "bob": goneHash} {
		if err := w.MintAPIKey(ctx, "cli", directory.APIKey{Name: name, Hash: hash, Role: directory.RoleAdmin, CreatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.RevokeAPIKey(ctx, "cli", "bob"); err != nil {
		t.Fatal(err)
	}
	asked := 0
	log.Fail = func(string, int64) error {
		asked++
		return errors.New("database down")
	}
	a := auth.New(rm, auth.Config{})
	p, err := a.Authenticate(ctx, live)
	if err != nil || p.Subject != "apikey:alice" || p.Role != directory.RoleAdmin {
		t.Errorf("a live key with the database down: %+v, %v", p, err)
	}
	for name, token := range map[string]string{"a revoked key": gone, "an unknown key": "icd_" + "x"} {
		if _, err := a.Authenticate(ctx, token); directory.ErrorCode(err) != directory.CodeUnauthenticated {
			t.Errorf("%s: %v, want UNAUTHENTICATED", name, err)
		}
	}
	if asked > 0 {
		t.Errorf("checking keys asked the database %d times", asked)
	}
}
