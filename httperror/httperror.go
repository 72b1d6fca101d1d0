// Package httperror gives every error answer of the server one shape and one status. The shape is a GraphQL
// response with one error and no data, {"errors":[{"message":…,"extensions":{"code":…}}]}, on every endpoint,
// so that a client reads every failure the same way; the status is the one Status gives the error's code.
package httperror

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"path"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/iclei/directory/directory"
)

// The codes of errors outside the domain's own (directory.Code): the HTTP layer's, and the GraphQL layer's
// refusals of documents. Like every error code, they are in extensions.code.
const (
	CodeBadRequest           = "BAD_REQUEST"
	CodeNotFound             = string(directory.CodeNotFound)
	CodeMethodNotAllowed     = "METHOD_NOT_ALLOWED"
	CodeNotAcceptable        = "NOT_ACCEPTABLE"
	CodeRequestTimeout       = "REQUEST_TIMEOUT"
	CodeRequestTooLarge      = "REQUEST_TOO_LARGE"
	CodeUnsupportedMediaType = "UNSUPPORTED_MEDIA_TYPE"
	CodeHeadersTooLarge      = "REQUEST_HEADERS_TOO_LARGE"
	CodeNotImplemented       = "NOT_IMPLEMENTED"

	CodeParseFailed            = "GRAPHQL_PARSE_FAILED"
	CodeValidationFailed       = "GRAPHQL_VALIDATION_FAILED"
	CodePersistedQueryNotFound = "PERSISTED_QUERY_NOT_FOUND"
	CodeDepthLimit             = "QUERY_DEPTH_LIMIT_EXCEEDED"
	CodeAliasLimit             = "ALIAS_LIMIT_EXCEEDED"
	CodeComplexityLimit        = "COMPLEXITY_LIMIT_EXCEEDED"
	CodeFieldLimit             = "FIELD_LIMIT_EXCEEDED"
	CodeRepeatLimit            = "REPEAT_LIMIT_EXCEEDED"
	CodeDeferUnsupported       = "INCREMENTAL_DELIVERY_UNSUPPORTED"
	// A batch (several operations in one POST, as a JSON array) sent to a server that takes none, or one with
	// more operations than it takes.
	CodeBatchingDisabled = "BATCHING_DISABLED"
	CodeBatchLimit       = "BATCH_LIMIT_EXCEEDED"
)

// statuses is the one table from error codes to HTTP statuses. Every answer of the server that carries an
// error takes its status from here: the GraphQL endpoint (within what the GraphQL-over-HTTP specification
// allows for the response's media type), the exports, the rate limits, the router's own answers.
var statuses = map[string]int{
	string(directory.CodeNotFound):        http.StatusNotFound,
	string(directory.CodeInvalidInput):    http.StatusBadRequest,
	string(directory.CodeConflict):        http.StatusConflict,
	string(directory.CodeUnauthenticated): http.StatusUnauthorized,
	string(directory.CodeForbidden):       http.StatusForbidden,
	string(directory.CodeUnavailable):     http.StatusServiceUnavailable,
	string(directory.CodeRateLimited):     http.StatusTooManyRequests,
	string(directory.CodeInternal):        http.StatusInternalServerError,

	CodeBadRequest:           http.StatusBadRequest,
	CodeMethodNotAllowed:     http.StatusMethodNotAllowed,
	CodeNotAcceptable:        http.StatusNotAcceptable,
	CodeRequestTimeout:       http.StatusRequestTimeout,
	CodeRequestTooLarge:      http.StatusRequestEntityTooLarge,
	CodeUnsupportedMediaType: http.StatusUnsupportedMediaType,
	CodeHeadersTooLarge:      http.StatusRequestHeaderFieldsTooLarge,
	CodeNotImplemented:       http.StatusNotImplemented,

	CodeParseFailed:            http.StatusBadRequest,
	CodeValidationFailed:       http.StatusBadRequest,
	CodePersistedQueryNotFound: http.StatusBadRequest,
	CodeDepthLimit:             http.StatusBadRequest,
	CodeAliasLimit:             http.StatusBadRequest,
	CodeComplexityLimit:        http.StatusBadRequest,
	CodeFieldLimit:             http.StatusBadRequest,
	CodeRepeatLimit:            http.StatusBadRequest,
	CodeDeferUnsupported:       http.StatusBadRequest,
	CodeBatchingDisabled:       http.StatusBadRequest,
	CodeBatchLimit:             http.StatusBadRequest,
}

// Status returns the HTTP status of an error code. A code missing from the table is a bug (a test makes sure
// every code the server gives is listed); it is answered as an internal error rather than guessed at.
func Status(code string) int {
	if s, ok := statuses[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// Codes returns every code the table knows, for tests and documentation.
func Codes() []string {
	codes := make([]string, 0, len(statuses))
	for c := range statuses {
		codes = append(codes, c)
	}
	return codes
}

// CodeOfStatus returns the code of an error status, for the answers the server's own code does not give a
// code (the router's 404 and 405, net/http's 400 and 431): the table's general code of the status, else
// BAD_REQUEST for a 4xx and INTERNAL for a 5xx. It reports false for a status that is not an error.
func CodeOfStatus(status int) (string, bool) {
	switch status {
	case http.StatusBadRequest:
		return CodeBadRequest, true
	case http.StatusUnauthorized:
		return string(directory.CodeUnauthenticated), true
	case http.StatusForbidden:
		return string(directory.CodeForbidden), true
	case http.StatusNotFound:
		return CodeNotFound, true
	case http.StatusMethodNotAllowed:
		return CodeMethodNotAllowed, true
	case http.StatusNotAcceptable:
		return CodeNotAcceptable, true
	case http.StatusRequestTimeout:
		return CodeRequestTimeout, true
	case http.StatusConflict:
		return string(directory.CodeConflict), true
	case http.StatusRequestEntityTooLarge:
		return CodeRequestTooLarge, true
	case http.StatusUnsupportedMediaType:
		return CodeUnsupportedMediaType, true
	case http.StatusTooManyRequests:
		return string(directory.CodeRateLimited), true
	case http.StatusRequestHeaderFieldsTooLarge:
		return CodeHeadersTooLarge, true
	case http.StatusNotImplemented:
		return CodeNotImplemented, true
	case http.StatusServiceUnavailable:
		return string(directory.CodeUnavailable), true
	}
	switch {
	case status >= 400 && status < 500:
		return CodeBadRequest, true
	case status >= 500 && status < 600:
		return string(directory.CodeInternal), true
	}
	return "", false
}

// SetHeaders sets the headers a response with the status must carry: a 401 names the scheme to authenticate
// with (RFC 9110, section 15.5.2).
func SetHeaders(h http.Header, status int) {
	if status == http.StatusUnauthorized {
		h.Set("WWW-Authenticate", "Bearer")
	}
}

// Body returns the error answer of the code with the message.
func Body(code, message string) []byte {
	type extensions struct {
		Code string `json:"code"`
	}
	type gqlError struct {
		Message    string     `json:"message"`
		Extensions extensions `json:"extensions"`
	}
	b, _ := Marshal(struct {
		Errors []gqlError `json:"errors"`
	}{[]gqlError{{message, extensions{code}}}})
	return b
}

// Write answers a request with the error: the status of its code, the body as application/json, never stored
// by caches.
func Write(w http.ResponseWriter, code, message string) {
	status := Status(code)
	body := Body(code, message)
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("Cache-Control", "no-store")
	h.Del("Content-Disposition")
	h.Del("ETag")
	SetHeaders(h, status)
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// Marshal encodes a response body, leaving <, > and & as they are: the body is JSON, not HTML.
func Marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// Shape gives every error answer of next the server's error shape. An answer with an error status whose body
// is not JSON (net/http's "404 page not found", http.Error's plain text) is answered instead as one error with
// the code of its status (CodeOfStatus), its text as the message or, for the router's own 404 and 405, a
// message naming what there is. A request for a path that is not in its canonical form (//graphql,
// /a/../graphql) is answered 404, naming the canonical path, rather than redirected: a client that builds
// such URLs has a bug worth seeing. Answers that are JSON already, and those that are not errors, pass
// through untouched.
func Shape(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := r.URL.EscapedPath(); r.Method != http.MethodConnect && p != cleanPath(p) {
			Write(w, CodeNotFound, fmt.Sprintf("there is no endpoint at %s; did you mean %s?", p, cleanPath(p)))
			return
		}
		sw := &shapingWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		sw.finish(r)
	})
}

// shapingWriter passes an answer through, unless its status is an error and its body not JSON: then it keeps
// the body's first bytes for the message and writes the error when the handler is done.
type shapingWriter struct {
	http.ResponseWriter
	status   int
	shaping  bool
	text     []byte
	wroteHdr bool
}

func (w *shapingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *shapingWriter) WriteHeader(status int) {
	if w.wroteHdr {
		return
	}
	w.wroteHdr, w.status = true, status
	ct := w.Header().Get("Content-Type")
	if status >= 400 && !strings.Contains(ct, "json") {
		w.shaping = true
		return
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *shapingWriter) Write(p []byte) (int, error) {
	if !w.wroteHdr {
		w.WriteHeader(http.StatusOK)
	}
	if w.shaping {
		if room := 1024 - len(w.text); room > 0 {
			w.text = append(w.text, p[:min(len(p), room)]...)
		}
		return len(p), nil
	}
	return w.ResponseWriter.Write(p)
}

func (w *shapingWriter) Flush() {
	if !w.shaping {
		if f, ok := w.ResponseWriter.(http.Flusher); ok {
			f.Flush()
		}
	}
}

// finish writes the error of an answer being shaped.
func (w *shapingWriter) finish(r *http.Request) {
	if !w.shaping {
		return
	}
	code, _ := CodeOfStatus(w.status)
	message := strings.TrimSpace(string(w.text))
	switch {
	case w.status == http.StatusNotFound && (message == "404 page not found" || message == ""):
		message = fmt.Sprintf("there is no endpoint at %s; docs/http.md lists the endpoints, and / is the playground", r.URL.Path)
	case w.status == http.StatusMethodNotAllowed && (message == http.StatusText(http.StatusMethodNotAllowed) || message == ""):
		message = fmt.Sprintf("%s does not answer %s", r.URL.Path, r.Method)
		if allow := w.Header().Get("Allow"); allow != "" {
			message += "; it answers " + allow
		}
	case message == "" || !utf8.ValidString(message):
		message = http.StatusText(w.status)
	}
	body := Body(code, message)
	h := w.Header()
	h.Del("X-Content-Type-Options")
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("Cache-Control", "no-store")
	h.Del("ETag")
	h.Del("Content-Disposition")
	SetHeaders(h, w.status)
	w.ResponseWriter.WriteHeader(w.status)
	if r.Method != http.MethodHead {
		_, _ = w.ResponseWriter.Write(body)
	}
}

// cleanPath is the canonical form of a URL path, as http.ServeMux cleans it: one slash between elements, no .
// or .. elements, a trailing slash kept.
func cleanPath(p string) string {
	if p == "" {
		return "/"
	}
	if p[0] != '/' {
		p = "/" + p
	}
	np := path.Clean(p)
	if p[len(p)-1] == '/' && np != "/" {
		np += "/"
	}
	return np
}
