package main

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/go-chi/httprate"

	"github.com/iclei/directory/graph"
)

// clientKey returns the rate-limit key of a request's client: its address, an IPv6 client by its /64.
func clientKey(cfg *config) httprate.KeyFunc {
	return func(r *http.Request) (string, error) {
		return httprate.CanonicalizeIP(clientIP(r, cfg.TrustedProxies)), nil
	}
}

// limitRequests returns the middleware that gives an endpoint a deadline per request and the per-client request
// rate limit, one limit shared by every endpoint it wraps. probe endpoints (/healthz, /readyz, /metrics), which
// load balancers and monitoring must reach however busy a client is, get the deadline only.
func limitRequests(cfg *config) func(h http.Handler, probe bool) http.Handler {
	var limiter *httprate.RateLimiter
	if cfg.RateLimit > 0 {
		limiter = httprate.NewRateLimiter(cfg.RateLimit, time.Minute, httprate.WithLimitHandler(tooManyRequests))
	}
	key := clientKey(cfg)
	return func(next http.Handler, probe bool) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if limiter != nil && !probe {
				client, _ := key(r)
				if limiter.RespondOnLimit(w, r, client) {
					return
				}
			}
			ctx, cancel := context.WithTimeout(r.Context(), cfg.RequestTimeout)
			defer cancel()
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}

// throttleApplications lets the GraphQL endpoint hold each client to the membership application limit: the
// resolver asks, the limit counts per client address.
func throttleApplications(next http.Handler, cfg *config) http.Handler {
	key := clientKey(cfg)
	applications := httprate.NewRateLimiter(cfg.ApplicationLimit, time.Hour)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		client, _ := key(r)
		ctx := graph.WithApplicationThrottle(r.Context(), func() bool { return !applications.OnLimit(w, r, client) })
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// tooManyRequests answers a rate-limited request in the shape of a GraphQL error.
func tooManyRequests(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusTooManyRequests)
	_, _ = w.Write([]byte(`{"errors":[{"message":"too many requests from your address; slow down and retry after the time in the Retry-After header","extensions":{"code":"RATE_LIMITED"}}]}` + "\n"))
}

// clientIP returns the address of the client: the connection's peer, or, when that peer is a trusted proxy,
// the right-most address in X-Forwarded-For that is not itself a trusted proxy. Addresses left of it could be
// forged by the client, so they are never used.
func clientIP(r *http.Request, trusted []netip.Prefix) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	isTrusted := func(s string) bool {
		a, err := netip.ParseAddr(strings.TrimSpace(s))
		if err != nil {
			return false
		}
		for _, p := range trusted {
			if p.Contains(a.Unmap()) {
				return true
			}
		}
		return false
	}
	if len(trusted) == 0 || !isTrusted(host) {
		return host
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop := strings.TrimSpace(hops[i])
		if _, err := netip.ParseAddr(hop); err != nil {
			break
		}
		if !isTrusted(hop) {
			return hop
		}
	}
	return host
}
