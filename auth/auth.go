// Package auth authenticates callers of the write path: API keys, stored only as SHA-256 hashes, and JWTs
// signed with a shared secret (HS256).
package auth

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
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
	// MaxTTL is the longest a JWT may be valid for: from its iat to its exp, and from now to its exp. A
	// leaked token of the year 3000 would otherwise never stop working. Zero leaves lifetimes unbounded.
	MaxTTL time.Duration
	// Now tells the time; nil means time.Now. Tests set it.
	Now func() time.Time
}

// ClockSkew is how far the clocks of a JWT's issuer and of this server may disagree: a token's exp, nbf and
// iat are checked with this much leeway.
const ClockSkew = 30 * time.Second

func (c Config) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
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
	if err := checkClaimTypes(token); err != nil {
		return nil, err
	}
	opts := []jwt.ParserOption{
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(ClockSkew),
		jwt.WithStrictDecoding(),
		jwt.WithTimeFunc(a.cfg.now),
	}
	if a.cfg.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(a.cfg.Issuer))
	}
	if a.cfg.Audience != "" {
		opts = append(opts, jwt.WithAudience(a.cfg.Audience))
	}
	var c Claims
	if _, err := jwt.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return a.cfg.Secret, nil }, opts...); err != nil {
		reason := "the JWT is invalid"
		switch {
		case errors.Is(err, jwt.ErrTokenExpired):
			reason = "the JWT has expired"
		case errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
			reason = "the JWT's iat is in the future; check the clock of the system that issued it"
		case errors.Is(err, jwt.ErrTokenNotValidYet):
			reason = "the JWT is not valid yet (nbf)"
		case errors.Is(err, jwt.ErrTokenInvalidIssuer):
			reason = "the JWT's issuer (iss) is not the one this server accepts"
		case errors.Is(err, jwt.ErrTokenInvalidAudience):
			reason = "the JWT's audience (aud) is not this server"
		}
		return nil, directory.ErrUnauthenticated(reason)
	}
	if err := a.checkLifetime(&c.RegisteredClaims); err != nil {
		return nil, err
	}
	if c.Subject == "" {
		return nil, directory.ErrUnauthenticated("the JWT names no subject (sub)")
	}
	if err := directory.CheckRole(c.Role, c.Regions); err != nil {
		reason := "the JWT's role claims are invalid"
		if derr := (*directory.Error)(nil); errors.As(err, &derr) {
			reason += ": " + derr.Message
		}
		return nil, directory.ErrUnauthenticated(reason)
	}
	return &directory.Principal{Subject: "jwt:" + c.Subject, Role: c.Role, Regions: c.Regions}, nil
}

// checkLifetime refuses a token valid for longer than MaxTTL: issued for longer, or, without an iat, expiring
// further from now.
func (a *Authenticator) checkLifetime(c *jwt.RegisteredClaims) error {
	if a.cfg.MaxTTL <= 0 {
		return nil
	}
	exp := c.ExpiresAt.Time
	from, what := a.cfg.now(), "expires"
	if c.IssuedAt != nil {
		from, what = c.IssuedAt.Time, "is valid"
	}
	if ttl := exp.Sub(from); ttl > a.cfg.MaxTTL+ClockSkew {
		return directory.ErrUnauthenticated(fmt.Sprintf("the JWT %s for %s, longer than the %s this server accepts (JWT_MAX_TTL); issue tokens that expire sooner",
			what, ttl.Round(time.Second), a.cfg.MaxTTL))
	}
	return nil
}

// checkClaimTypes refuses a JWT whose registered claims have the wrong JSON types (RFC 7519, section 4.1):
// exp, nbf and iat are numbers of seconds, never strings, however numeric (the JWT library would read "exp":
// "9999999999" as a date); iss, sub and jti strings; aud a string or an array of strings; and the directory's
// role a string and regions an array of strings.
func checkClaimTypes(token string) error {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return directory.ErrUnauthenticated("the JWT is invalid")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return directory.ErrUnauthenticated("the JWT's payload is not base64url without padding")
	}
	var claims map[string]json.RawMessage
	if err := json.Unmarshal(payload, &claims); err != nil {
		return directory.ErrUnauthenticated("the JWT's payload is not a JSON object")
	}
	// The JSON type of a value, by its first byte: '#' for a number, else the byte that opens it.
	kind := func(raw json.RawMessage) byte {
		raw = bytes.TrimSpace(raw)
		switch {
		case len(raw) == 0:
			return 0
		case raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9':
			return '#'
		}
		return raw[0]
	}
	const (
		number  = "#"
		str     = `"`
		strList = "["
	)
	describe := map[string]string{number: "a number of seconds since 1970 (a NumericDate), not a string",
		str: "a string", str + strList: "a string or an array of strings", strList: "an array of strings"}
	for _, c := range []struct{ name, kinds string }{
		{"exp", number}, {"nbf", number}, {"iat", number}, {"iss", str}, {"sub", str}, {"jti", str},
		{"aud", str + strList}, {"role", str}, {"regions", strList},
	} {
		if raw, ok := claims[c.name]; ok && !strings.ContainsRune(c.kinds, rune(kind(raw))) {
			return directory.ErrUnauthenticated(fmt.Sprintf("the JWT's %s claim must be %s", c.name, describe[c.kinds]))
		}
	}
	return nil
}

// MintJWT signs a JWT for the subject with the role and regions, valid for ttl.
func MintJWT(cfg Config, subject string, role directory.Role, regions []string, ttl time.Duration) (string, error) {
	if len(cfg.Secret) == 0 {
		return "", errors.New("set JWT_SECRET to mint JWTs")
	}
	if cfg.MaxTTL > 0 && ttl > cfg.MaxTTL {
		return "", fmt.Errorf("the server accepts JWTs valid for at most %s (JWT_MAX_TTL); ask for a shorter -ttl", cfg.MaxTTL)
	}
	now := cfg.now()
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
