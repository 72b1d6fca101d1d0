package main

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/go-chi/httprate"

	"github.com/iclei/directory/directory"
	"github.com/iclei/directory/graph"
	"github.com/iclei/directory/httperror"
	"github.com/iclei/directory/internal/httpconn"
)

// maxHeaderBytes bounds a request's line and headers (net/http's default, stated): a long query goes in a
// POST body, which MaxRequestBytes bounds.
const maxHeaderBytes = http.DefaultMaxHeaderBytes

// newServer returns the HTTP server of the handler, with every phase of a connection bounded in time: reading
// a request, headers and body (HTTP_READ_TIMEOUT: a body trickled in byte by byte is cut off), writing the
// answer (HTTP_WRITE_TIMEOUT), and waiting between requests on a kept-alive connection (HTTP_IDLE_TIMEOUT).
func newServer(cfg *config, log *slog.Logger, h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: cfg.ReadTimeout,
		ReadTimeout:       cfg.ReadTimeout,
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// guardListener bounds the connections one client address may hold (MAX_CONNECTIONS_PER_CLIENT), the trusted
// proxies' excepted, and gives net/http's own error answers the server's error shape.
func guardListener(cfg *config, ln net.Listener) net.Listener {
	proxy := func(a netip.Addr) bool {
		for _, p := range cfg.TrustedProxies {
			if p.Contains(a) {
				return true
			}
		}
		return false
	}
	return httpconn.JSONErrors(httpconn.LimitPerClient(ln, cfg.MaxConnsPerClient, proxy))
}

// clientKey returns the rate-limit key of a request's client: its address, an IPv6 client by its /64.
func clientKey(cfg *config) httprate.KeyFunc {
	return func(r *http.Request) (string, error) {
		return httprate.CanonicalizeIP(clientIP(r, cfg.TrustedProxies)), nil
	}
}

// requestLimit gives an endpoint a deadline per request and holds each client to the request rate limit
// (RATE_LIMIT_PER_MINUTE), one limit shared by every endpoint it wraps.
type requestLimit struct {
	limiter *httprate.RateLimiter // nil when there is no limit
	client  httprate.KeyFunc
	timeout time.Duration
}

func newRequestLimit(cfg *config) *requestLimit {
	l := &requestLimit{client: clientKey(cfg), timeout: cfg.RequestTimeout}
	if cfg.RateLimit > 0 {
		l.limiter = httprate.NewRateLimiter(cfg.RateLimit, time.Minute, httprate.WithLimitHandler(tooManyRequests))
	}
	return l
}

// wrap returns the endpoint with the deadline and the rate limit. probe endpoints (/healthz, /readyz,
// /metrics), which load balancers and monitoring must reach however busy a client is, get the deadline only. A
// request that opens a stream (a subscription's WebSocket or event stream) counts against the rate limit once,
// and has no deadline: the subscriptions per client, heartbeats and the server's shutdown bound it instead. A
// GraphQL batch counts once here, and once more for each further operation (AllowRequests).
func (l *requestLimit) wrap(next http.Handler, probe bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if l.limiter != nil && !probe {
			client, _ := l.client(r)
			if l.limiter.RespondOnLimit(w, r, client) {
				return
			}
		}
		if graph.IsStream(r) {
			next.ServeHTTP(w, r)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), l.timeout)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// AllowRequests implements graph.RequestThrottle: it counts n more requests of the client at once, or none if
// they would take it over its limit, and updates the X-RateLimit-* headers (and Retry-After) on w.
func (l *requestLimit) AllowRequests(w http.ResponseWriter, r *http.Request, n int) bool {
	if l.limiter == nil || n <= 0 {
		return true
	}
	client, _ := l.client(r)
	return !l.limiter.OnLimit(w, r.WithContext(httprate.WithIncrement(r.Context(), n)), client)
}

// applicationThrottle holds each client address to the membership application limit
// (APPLICATION_LIMIT_PER_HOUR); the GraphQL handler asks it before each application.
type applicationThrottle struct {
	limiter *httprate.RateLimiter
	client  httprate.KeyFunc
}

func newApplicationThrottle(cfg *config) *applicationThrottle {
	// No response headers: the X-RateLimit-* headers of a response describe the request rate limit, and the
	// resolver that asks has no response to write them to.
	return &applicationThrottle{
		limiter: httprate.NewRateLimiter(cfg.ApplicationLimit, time.Hour, httprate.WithResponseHeaders(httprate.ResponseHeaders{})),
		client:  clientKey(cfg),
	}
}

// AllowApplication implements graph.ApplicationThrottle. The limiter writes nothing to the response writer it
// is given when it sets no headers and its in-memory counter cannot fail, so it is given none.
func (t *applicationThrottle) AllowApplication(r *http.Request) bool {
	client, _ := t.client(r)
	return !t.limiter.OnLimit(nil, r, client)
}

// tooManyRequests answers a rate-limited request in the server's error shape; the limiter has set Retry-After
// and the X-RateLimit-* headers.
func tooManyRequests(w http.ResponseWriter, r *http.Request) {
	httperror.Write(w, string(directory.CodeRateLimited), "too many requests from your address; slow down and retry after the time in the Retry-After header")
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
