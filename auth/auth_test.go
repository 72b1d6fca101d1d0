package auth_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/iclei/directory/auth"
	"github.com/iclei/directory/directory"
)

var (
	secret = []byte("a test secret of at least thirty-two bytes")
	now    = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	config = auth.Config{Secret: secret, Issuer: "https://id.iclei.org", Audience: "directory", MaxTTL: 24 * time.Hour,
		Now: func() time.Time { return now }}
)

// sign signs claims given as JSON values, so that a claim can have any type a forger would give it.
func sign(t *testing.T, claims map[string]any) string {
	t.Helper()
	header := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	body, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	unsigned := header + "." + base64.RawURLEncoding.EncodeToString(body)
	sig, err := jwt.SigningMethodHS256.Sign(unsigned, secret)
	if err != nil {
		t.Fatal(err)
	}
	return unsigned + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// valid returns the claims of a token the server accepts, with the changes applied; a nil value removes a
// claim.
func valid(changes map[string]any) map[string]any {
	c := map[string]any{
		"sub": "alice@iclei.org", "iss": "https://id.iclei.org", "aud": "directory",
		"iat": now.Add(-time.Minute).Unix(), "exp": now.Add(time.Hour).Unix(),
		"role": "editor", "regions": []string{"europe"},
	}
	for k, v := range changes {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return c
}

func TestJWTClaims(t *testing.T) {
	t.Parallel()
	a := auth.New(nil, config) // JWTs need no key store
	for _, c := range []struct {
		name    string
		changes map[string]any
		// refusal is a piece of the message of the refusal; empty means accepted.
		refusal string
	}{
		{"a valid token", nil, ""},
		{"an admin without regions", map[string]any{"role": "admin", "regions": nil}, ""},
		{"an audience in an array", map[string]any{"aud": []string{"other", "directory"}}, ""},
		{"exp a little in the past, within the clock skew", map[string]any{"exp": now.Add(-10 * time.Second).Unix()}, ""},
		{"iat a little in the future, within the clock skew", map[string]any{"iat": now.Add(10 * time.Second).Unix()}, ""},
		{"as long as the lifetime cap", map[string]any{"iat": now.Unix(), "exp": now.Add(24 * time.Hour).Unix()}, ""},
		{"no iat, expiring within the cap", map[string]any{"iat": nil, "exp": now.Add(23 * time.Hour).Unix()}, ""},

		{"exp as a string", map[string]any{"exp": "1900000000"}, "exp claim must be a number"},
		{"iat as a string", map[string]any{"iat": "1700000000"}, "iat claim must be a number"},
		{"nbf as a string", map[string]any{"nbf": "1700000000"}, "nbf claim must be a number"},
		{"exp null", map[string]any{"exp": json.RawMessage("null")}, "exp claim must be a number"},
		{"sub as a number", map[string]any{"sub": 42}, "sub claim must be a string"},
		{"aud as a number", map[string]any{"aud": 7}, "aud claim must be a string or an array"},
		{"role as an array", map[string]any{"role": []string{"admin"}}, "role claim must be a string"},
		{"regions as a string", map[string]any{"regions": "europe"}, "regions claim must be an array"},
		{"no exp", map[string]any{"exp": nil}, "invalid"},
		{"expired", map[string]any{"exp": now.Add(-time.Hour).Unix()}, "expired"},
		{"exp in the year 3000", map[string]any{"exp": time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC).Unix()}, "JWT_MAX_TTL"},
		{"issued for longer than the cap", map[string]any{"iat": now.Add(-time.Hour).Unix(), "exp": now.Add(24 * time.Hour).Unix()}, "JWT_MAX_TTL"},
		{"no iat, expiring past the cap", map[string]any{"iat": nil, "exp": now.Add(48 * time.Hour).Unix()}, "JWT_MAX_TTL"},
		{"iat in the future", map[string]any{"iat": now.Add(time.Hour).Unix()}, "iat is in the future"},
		{"not valid yet", map[string]any{"nbf": now.Add(time.Hour).Unix()}, "not valid yet"},
		{"another issuer", map[string]any{"iss": "https://evil.example"}, "issuer"},
		{"another audience", map[string]any{"aud": "other"}, "audience"},
		{"no subject", map[string]any{"sub": nil}, "no subject"},
		{"an unknown role", map[string]any{"role": "owner"}, "role claims are invalid"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			p, err := a.Authenticate(context.Background(), sign(t, valid(c.changes)))
			if c.refusal == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if p.Subject != "jwt:alice@iclei.org" {
					t.Errorf("subject %q", p.Subject)
				}
				return
			}
			var derr *directory.Error
			if !errors.As(err, &derr) || derr.Code != directory.CodeUnauthenticated {
				t.Fatalf("got %v, %v; want UNAUTHENTICATED", p, err)
			}
			if !strings.Contains(derr.Message, c.refusal) {
				t.Errorf("message %q does not say %q", derr.Message, c.refusal)
			}
		})
	}
}

func TestJWTSignature(t *testing.T) {
	t.Parallel()
	a := auth.New(nil, config)
	token := sign(t, valid(nil))
	parts := strings.Split(token, ".")
	for name, forged := range map[string]string{
		"another secret": func() string {
			s, _ := jwt.SigningMethodHS256.Sign(parts[0]+"."+parts[1], []byte("another secret of thirty-two bytes or more"))
			return parts[0] + "." + parts[1] + "." + base64.RawURLEncoding.EncodeToString(s)
		}(),
		"alg none":        base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + ".",
		"padded base64":   parts[0] + "." + parts[1] + "=." + parts[2],
		"a changed claim": parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"mallory","role":"admin","exp":9999999999}`)) + "." + parts[2],
	} {
		if p, err := a.Authenticate(context.Background(), forged); err == nil {
			t.Errorf("%s: accepted as %+v", name, p)
		}
	}
}

func TestMintJWTHonoursTheCap(t *testing.T) {
	t.Parallel()
	token, err := auth.MintJWT(config, "alice@iclei.org", directory.RoleAdmin, nil, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := auth.New(nil, config).Authenticate(context.Background(), token); err != nil {
		t.Errorf("a minted token is refused: %v", err)
	}
	if _, err := auth.MintJWT(config, "alice@iclei.org", directory.RoleAdmin, nil, 48*time.Hour); err == nil {
		t.Error("minted a token valid for longer than the cap")
	}
}

func TestNoJWTsWithoutASecret(t *testing.T) {
	t.Parallel()
	token := sign(t, valid(nil))
	if _, err := auth.New(nil, auth.Config{}).Authenticate(context.Background(), token); err == nil || !strings.Contains(err.Error(), "JWT_SECRET") {
		t.Errorf("got %v; want a refusal naming JWT_SECRET", err)
	}
}
