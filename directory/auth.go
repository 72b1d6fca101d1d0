package directory

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Role is what a principal may do.
type Role string

const (
	// RoleAdmin may change every record and review every application.
	RoleAdmin Role = "admin"
	// RoleEditor may change the records of its regions and review their applications.
	RoleEditor Role = "editor"
)

// Principal is an authenticated caller.
type Principal struct {
	// Subject names the caller in the audit trail, such as "apikey:alice" or "jwt:alice@iclei.org".
	Subject string
	Role    Role
	// Regions are the region codes an editor may act on.
	Regions []string
}

// Authenticator turns a bearer token into a principal. A token it does not accept is an unauthenticated error.
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (*Principal, error)
}

// ErrUnauthenticated is the error for a missing or rejected token.
func ErrUnauthenticated(reason string) *Error {
	return Errorf(CodeUnauthenticated, "%s; send an API key or a JWT as \"Authorization: Bearer <token>\"", reason)
}

// authorize checks that p may write records touching the regions. Admins may write anything; editors only
// records all of whose regions are theirs (a record that touches no region, such as a person with no
// affiliation, is open to every editor).
func authorize(p *Principal, what string, regions ...string) error {
	if p == nil {
		return ErrUnauthenticated("writing to the directory needs a token")
	}
	switch p.Role {
	case RoleAdmin:
		return nil
	case RoleEditor:
		for _, r := range regions {
			if r != "" && !slices.Contains(p.Regions, r) {
				return Errorf(CodeForbidden, "%s touches the region %q, which is outside your regions (%s)", what, r, strings.Join(p.Regions, ", "))
			}
		}
		return nil
	}
	return Errorf(CodeForbidden, "your role %q may not %s", p.Role, what)
}

// requireAdmin checks that p is an admin.
func requireAdmin(p *Principal, what string) error {
	if p == nil {
		return ErrUnauthenticated(what + " needs a token")
	}
	if p.Role != RoleAdmin {
		return Errorf(CodeForbidden, "only admins may %s", what)
	}
	return nil
}

// APIKey is a stored API key. Only the SHA-256 hash of the key is kept.
type APIKey struct {
	Name      string
	Hash      string
	Role      Role
	Regions   []string
	CreatedAt time.Time
	Revoked   bool
}

// Principal returns the principal the key authenticates.
func (k *APIKey) Principal() *Principal {
	return &Principal{Subject: "apikey:" + k.Name, Role: k.Role, Regions: k.Regions}
}

// CheckRole returns an error unless role and regions make a valid grant: an admin, or an editor of one or more
// known regions.
func CheckRole(role Role, regions []string) error {
	switch role {
	case RoleAdmin:
		if len(regions) > 0 {
			return Invalid("regions", "an admin acts on every region; give regions only to editors")
		}
		return nil
	case RoleEditor:
		if len(regions) == 0 {
			return Invalid("regions", "an editor needs at least one region, such as east-asia")
		}
		for _, r := range regions {
			if !slices.Contains(regionCodes, r) {
				return &Error{Code: CodeInvalidInput, Field: "regions", Choices: RegionCodes(),
					Message: "unknown region " + r + "; valid regions are " + strings.Join(regionCodes, ", ")}
			}
		}
		return nil
	}
	return Invalid("role", "role must be admin or editor, got %q", role)
}

// APIKeyByHash returns the API key with the hash, or nil. Keys are part of the snapshot, so checking one needs
// no database, and a revocation reaches every server with the change log.
func (s *Snapshot) APIKeyByHash(hash string) *APIKey {
	return s.apiKeys.First(dimHash, hash)
}

// MintAPIKey records a new API key, of which only the hash is kept. A name names one key: minting a name whose
// key was revoked replaces it; minting the name of a key in use is a conflict.
func (w *Writer) MintAPIKey(ctx context.Context, actor string, k APIKey) error {
	if err := CheckRole(k.Role, k.Regions); err != nil {
		return err
	}
	if k.Name == "" {
		return Invalid("name", "an API key needs a name, which names its holder in the audit trail")
	}
	if len(k.Hash) != 64 {
		return Invalid("hash", "an API key is stored by its SHA-256 hash, 64 hex digits")
	}
	k.CreatedAt, k.Revoked = storedTime(k.CreatedAt), false
	_, err := w.commit(ctx, actor, "mintKey", func(snap *Snapshot) ([]Change, error) {
		if other := snap.APIKeyByHash(k.Hash); other != nil {
			return nil, Errorf(CodeConflict, "that key is already recorded as %q", other.Name)
		}
		old := snap.apiKeys.Get(k.Name)
		if old != nil && !old.Revoked {
			return nil, &Error{Code: CodeConflict, Field: "name", Message: fmt.Sprintf("an API key named %q is in use; revoke it first or choose another name", k.Name)}
		}
		key := k
		c := Change{Kind: KindAPIKey, Key: k.Name, Action: ActionCreate, After: &key}
		if old != nil {
			c.Action, c.Before = ActionUpdate, old
		}
		return []Change{c}, nil
	})
	return err
}

// RevokeAPIKey revokes the API key with the name. It reports false when there is no such key or it is revoked
// already.
func (w *Writer) RevokeAPIKey(ctx context.Context, actor, name string) (bool, error) {
	revoked := false
	_, err := w.commit(ctx, actor, "revokeKey", func(snap *Snapshot) ([]Change, error) {
		old := snap.apiKeys.Get(name)
		if old == nil || old.Revoked {
			revoked = false
			return nil, nil
		}
		key := *old
		key.Revoked = true
		revoked = true
		return []Change{{Kind: KindAPIKey, Key: name, Action: ActionUpdate, Before: old, After: &key}}, nil
	})
	return revoked, err
}
