// Package requestlog gives every HTTP request an ID and logs it: the ID is returned in the X-Request-Id
// response header, attached to every log record made while serving the request, and written with one access-log
// line per request.
package requestlog

import (
	"bufio"
	"context"
	"crypto/rand"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Header is the request and response header that carries the request ID.
const Header = "X-Request-Id"

// Attr is the name of the log attribute that holds the request ID.
const Attr = "requestId"

type idKey struct{}

// ID returns the ID of the request ctx belongs to, or "".
func ID(ctx context.Context) string {
	if rec, ok := ctx.Value(idKey{}).(*recorder); ok {
		return rec.id
	}
	return ""
}

// saneID reports whether an incoming request ID is worth keeping: what proxies and tracing systems use (UUIDs,
// hex and base32 strings, AWS trace IDs), short and free of anything that could garble a log line. It is
// [A-Za-z0-9._:=+/-]{1,128}.
func saneID(id string) bool {
	if len(id) == 0 || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		switch c := id[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '.' || c == '_' || c == ':' || c == '=' || c == '+' || c == '/' || c == '-':
		default:
			return false
		}
	}
	return true
}

// Middleware gives each request an ID, the caller's X-Request-Id when it is sane and a random one otherwise,
// and logs one line per request once it has been answered.
//
// It runs for every request, so it allocates little: the ID, the recorder (which is also what the request's
// context carries, so the ID is not boxed again), the request's copy with that context, and the log record.
func Middleware(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get(Header)
		if !saneID(id) {
			id = rand.Text()
		}
		w.Header()[Header] = []string{id} // Header is in canonical form
		rec := &recorder{ResponseWriter: w, id: id}
		outer := r.Context()
		r = r.WithContext(context.WithValue(outer, idKey{}, rec))
		next.ServeHTTP(rec, r)
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		route := r.Pattern // set by the ServeMux on the request it was given
		if route == "" {
			route = "unmatched"
		}
		// An empty attribute, which handlers leave out, unless the request carried a batch.
		var batch slog.Attr
		if rec.batch > 0 {
			batch = slog.Int("batch", rec.batch)
		}
		// Logged under the context from outside, with the ID as the last attribute, where Handler would add it:
		// the same line, without Handler copying the record to add it.
		log.LogAttrs(outer, slog.LevelInfo, "request",
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.String("route", route),
			slog.Int("status", rec.status),
			slog.Int64("bytes", rec.bytes),
			slog.Float64("durationMs", float64(time.Since(start).Microseconds())/1000),
			slog.String("remote", r.RemoteAddr),
			slog.String("userAgent", r.UserAgent()),
			batch,
			slog.String(Attr, id),
		)
	})
}

// SetBatch records that the request carries a batch of n GraphQL operations: its access-log line says so, as
// batch=n, since the line stands for all of them.
func SetBatch(ctx context.Context, n int) {
	if rec, ok := ctx.Value(idKey{}).(*recorder); ok {
		rec.batch = n
	}
}

// recorder remembers the status and size of a response, and the request's ID.
type recorder struct {
	http.ResponseWriter
	id     string
	status int
	bytes  int64
	batch  int // the operations of a GraphQL batch, if the request is one
}

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer (to flush, or set deadlines).
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// Flush and Hijack serve the writers wrapped around this one that look for them by type assertion, as
// gzhttp's does, rather than through http.ResponseController: an event stream flushes each event, and a
// WebSocket takes over the connection.
func (r *recorder) Flush() { _ = http.NewResponseController(r.ResponseWriter).Flush() }

func (r *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(r.ResponseWriter).Hijack()
}

// Handler wraps a slog.Handler so that every record logged with a request's context carries the request's ID.
type Handler struct {
	slog.Handler
}

// NewHandler returns h adding request IDs.
func NewHandler(h slog.Handler) *Handler { return &Handler{Handler: h} }

func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	if id := ID(ctx); id != "" {
		r = r.Clone()
		r.AddAttrs(slog.String(Attr, id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h *Handler) WithAttrs(as []slog.Attr) slog.Handler { return &Handler{h.Handler.WithAttrs(as)} }

func (h *Handler) WithGroup(name string) slog.Handler { return &Handler{h.Handler.WithGroup(name)} }
