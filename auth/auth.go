// Package auth authenticates callers of the write path: API keys, stored only as SHA-256 hashes, and JWTs
// signed with a shared secret (HS256).
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/iclei/directory/directory"
)

// apiKeyPrefix marks the directory's API keys, so that a leaked key is recognisable (and scannable).
const apiKeyPrefix = "icd_"

// KeyStore finds API keys by hash. The directory's read model is one: keys are part of its snapshot, so checking
// a key needs no database, and a revocation reaches every server with the change log.
type KeyStore interface {
	APIKey(ctx context.Context, hash string) (*directory.APIKey, error)
}

// Config configures JWT verification. With no Secret, JWTs are refused.
type Config struct {
	Secret   []byte
	Issuer   string
	Audience string
}

// Authenticator accepts the directory's API keys and JWTs.
type Authenticator struct {
	keys KeyStore
	cfg  Config
}

// New returns an authenticator over the key store.
func New(keys KeyStore, cfg Config) *Authenticator {
	return &Authenticator{keys: keys, cfg: cfg}
}

// NewAPIKey returns a new random API key and its hash. Only the hash is stored; the key is shown once.
func NewAPIKey() (key, hash string) {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	key = apiKeyPrefix + base64.RawURLEncoding.EncodeToString(b)
	return key, HashAPIKey(key)
}

// HashAPIKey returns the hash an API key is stored under. The keys are 256 random bits, so a plain SHA-256 is
// as strong as a slow password hash here and keeps each check cheap.
func HashAPIKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// Authenticate returns the principal of an API key or a JWT.
func (a *Authenticator) Authenticate(ctx context.Context, token string) (*directory.Principal, error) {
	switch {
	case strings.HasPrefix(token, apiKeyPrefix):
		return a.apiKey(ctx, token)
	case strings.Count(token, ".") == 2:
		return a.jwt(token)
	}
	return nil, directory.ErrUnauthenticated("the bearer token is neither an API key nor a JWT")
}

func (a *Authenticator) apiKey(ctx context.Context, token string) (*directory.Principal, error) {
	k, err := a.keys.APIKey(ctx, HashAPIKey(token))
	if err != nil {
		return nil, err
	}
	if k == nil {
		return nil, directory.ErrUnauthenticated("the API key is not known")
	}
	if k.Revoked {
		return nil, directory.ErrUnauthenticated("the API key has been revoked")
	}
	return k.Principal(), nil
}

// Claims are the claims of a directory JWT.
type Claims struct {
	Role    directory.Role `json:"role"`
	Regions []string       `json:"regions,omitempty"`
	jwt.RegisteredClaims
}

func (a *Authenticator) jwt(token string) (*directory.Principal, error) {
	if len(a.cfg.Secret) == 0 {
		return nil, directory.ErrUnauthenticated("this server accepts no JWTs (JWT_SECRET is not set)")
	}
	opts := []jwt.ParserOption{jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}), jwt.WithExpirationRequired(), jwt.WithLeeway(30 * time.Second)}
	if a.cfg.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(a.cfg.Issuer))
	}
	if a.cfg.Audience != "" {
		opts = append(opts, jwt.WithAudience(a.cfg.Audience))
	}
	var c Claims
	if _, err := jwt.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return a.cfg.Secret, nil }, opts...); err != nil {
		reason := "the JWT is invalid"
		if errors.Is(err, jwt.ErrTokenExpired) {
			reason = "the JWT has expired"
		}
		return nil, directory.ErrUnauthenticated(reason)
	}
	if c.Subject == "" {
		return nil, directory.ErrUnauthenticated("the JWT names no subject (sub)")
	}
	if err := directory.CheckRole(c.Role, c.Regions); err != nil {
		return nil, directory.ErrUnauthenticated("the JWT's role claims are invalid: " + err.(*directory.Error).Message)
	}
	return &directory.Principal{Subject: "jwt:" + c.Subject, Role: c.Role, Regions: c.Regions}, nil
}

// MintJWT signs a JWT for the subject with the role and regions, valid for ttl.
func MintJWT(cfg Config, subject string, role directory.Role, regions []string, ttl time.Duration) (string, error) {
	if len(cfg.Secret) == 0 {
		return "", errors.New("set JWT_SECRET to mint JWTs")
	}
	now := time.Now()
	c := Claims{Role: role, Regions: regions, RegisteredClaims: jwt.RegisteredClaims{
		Subject: subject, Issuer: cfg.Issuer, IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
	}}
	if cfg.Audience != "" {
		c.Audience = jwt.ClaimStrings{cfg.Audience}
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(cfg.Secret)
	if err != nil {
		return "", fmt.Errorf("sign JWT: %w", err)
	}
	return s, nil
}
