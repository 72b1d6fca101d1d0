// Package httperror gives every error answer of the server one shape and one status. The shape is a GraphQL
// response with one error and no data, {"errors":[{"message":…,"extensions":{"code":…}}]}, on every endpoint,
// so that a client reads every failure the same way; the status is the one Status gives the error's code.
package httperror

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"

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

// CodeOfStatus returns the code of an HTTP error status that the server answers without a code of its own
// (the router's 404 and 405, net/http's 400 and 431), and false for a status no code stands for.
func CodeOfStatus(status int) (string, bool) {
	switch status {
	case http.StatusBadRequest:
		return CodeBadRequest, true
	case http.StatusNotFound:
		return CodeNotFound, true
	case http.StatusMethodNotAllowed:
		return CodeMethodNotAllowed, true
	case http.StatusRequestHeaderFieldsTooLarge:
		return CodeHeadersTooLarge, true
	case http.StatusNotImplemented:
		return CodeNotImplemented, true
	case http.StatusHTTPVersionNotSupported:
		return CodeBadRequest, true
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
