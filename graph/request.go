package graph

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/iclei/directory/httperror"
)

// This file reads GraphQL-over-HTTP requests: the parameters of a GET, the body of a POST.

// MaxRequestBytes is the largest request body the GraphQL endpoint reads.
const MaxRequestBytes = 1 << 20

// request is a GraphQL-over-HTTP request, read in two steps: parseGET or parsePOST take the parameters as sent
// and check their encoding, which is all the response cache needs to name the request; decode then decodes
// them for the executor.
type request struct {
	params graphql.RawParams
	// The parameters of a GET as sent, which name the request in its entity tag.
	query, variables, extensions string
	// The body of a POST.
	body []byte
	err  *requestError
}

// requestError refuses a request that is not a well-formed GraphQL-over-HTTP request; its code gives the
// status.
type requestError struct {
	code    string
	message string
}

func badRequest(format string, args ...any) *requestError {
	return &requestError{httperror.CodeBadRequest, fmt.Sprintf(format, args...)}
}

func unsupportedMediaType(format string, args ...any) *requestError {
	return &requestError{httperror.CodeUnsupportedMediaType, fmt.Sprintf(format, args...)}
}

// parseGET reads the parameters from the URL's query string.
func parseGET(r *http.Request) *request {
	req := &request{}
	req.params.ReadTime.Start = graphql.Now()
	values, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		req.err = badRequest("the URL's query string is not valid URL encoding")
		return req
	}
	for _, name := range []string{"query", "operationName", "variables", "extensions"} {
		if len(values[name]) > 1 {
			req.err = badRequest("give the %s parameter at most once", name)
			if name == "query" {
				// A GET carries one operation: batches (Options.BatchMax) are POSTs.
				req.err = badRequest("give the query parameter at most once: a GET request carries one operation; to send several in one request, POST them as a JSON array (a batch), where the server allows batches")
			}
			return req
		}
	}
	req.query, req.variables, req.extensions = values.Get("query"), values.Get("variables"), values.Get("extensions")
	req.params.OperationName = values.Get("operationName")
	for _, p := range [...]string{req.query, req.params.OperationName, req.variables, req.extensions} {
		if !utf8.ValidString(p) {
			req.err = badRequest("the URL's parameters are not valid UTF-8")
			return req
		}
	}
	return req
}

// sendJSON tells the client how to send a POST request.
const sendJSON = "send the request as a JSON object with Content-Type: application/json"

// parsePOST reads the body of a POST request.
func parsePOST(w http.ResponseWriter, r *http.Request) *request {
	req := &request{}
	req.params.ReadTime.Start = graphql.Now()
	if ce := r.Header.Get("Content-Encoding"); ce != "" && !strings.EqualFold(ce, "identity") {
		req.err = unsupportedMediaType("compressed request bodies are not supported; %s", sendJSON)
		return req
	}
	if req.err = checkContentType(r.Header.Get("Content-Type")); req.err != nil {
		w.Header().Set("Accept-Post", MediaTypeJSON+"; charset=utf-8")
		return req
	}

	tooLarge := func() *requestError {
		return &requestError{httperror.CodeRequestTooLarge, fmt.Sprintf("the request body is larger than %d bytes", MaxRequestBytes)}
	}
	if r.ContentLength > MaxRequestBytes {
		req.err = tooLarge() // refused unread
		return req
	}
	// Sized by Content-Length where the client gave it, so that the body is read into one allocation; the
	// spare MinRead bytes let ReadFrom see the end without growing the buffer.
	var buf bytes.Buffer
	buf.Grow(int(max(r.ContentLength, 0)) + bytes.MinRead)
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, MaxRequestBytes))
	body := buf.Bytes()
	switch {
	case err != nil:
		var maxBytes *http.MaxBytesError
		switch {
		case errors.As(err, &maxBytes):
			req.err = tooLarge()
		case errors.Is(err, os.ErrDeadlineExceeded):
			// The server's read timeout (HTTP_READ_TIMEOUT) ended a body sent too slowly.
			req.err = &requestError{httperror.CodeRequestTimeout, "the request body was not sent in time; send it at once"}
		default:
			req.err = badRequest("the request body could not be read")
		}
	case len(bytes.TrimSpace(body)) == 0:
		req.err = badRequest("the request body is empty; %s", sendJSON)
	case !utf8.Valid(body):
		req.err = badRequest("the request body is not valid UTF-8")
	default:
		req.body = body
	}
	return req
}

// checkContentType refuses a POST body that is not JSON in UTF-8.
func checkContentType(ct string) *requestError {
	switch ct {
	case MediaTypeJSON, MediaTypeJSON + "; charset=utf-8":
		return nil // what nearly every client sends, without parsing it each time
	case "":
		return unsupportedMediaType("the request has no Content-Type; %s", sendJSON)
	}
	mt, params, err := mime.ParseMediaType(ct)
	switch {
	case err != nil || mt != MediaTypeJSON:
		return unsupportedMediaType("the GraphQL endpoint does not accept %q; %s", ct, sendJSON)
	case params["charset"] != "" && !strings.EqualFold(params["charset"], "utf-8") && !strings.EqualFold(params["charset"], "utf8"):
		return unsupportedMediaType("the GraphQL endpoint does not accept the charset %q; send the request in UTF-8", params["charset"])
	}
	return nil
}

// decode decodes the parameters for the executor, setting err if they are not valid.
func (req *request) decode() {
	if req.body != nil {
		req.err = decodeBody(req.body, &req.params)
		req.query = req.params.Query
	} else {
		req.params.Query = req.query
		if req.params.Variables, req.err = jsonObject("variables", req.variables); req.err != nil {
			return
		}
		if req.params.Extensions, req.err = jsonObject("extensions", req.extensions); req.err != nil {
			return
		}
	}
	if req.err == nil {
		req.err = requireQuery(&req.params)
	}
}

// registersPersistedQuery reports whether the request sends a document with its persisted-query hash, which
// stores the document for requests that send the hash alone.
func (req *request) registersPersistedQuery() bool {
	return req.params.Query != "" && req.params.Extensions["persistedQuery"] != nil
}

// costOnly reports whether the client asks for the operation's cost without running it, with the request
// extension {"cost": {"dryRun": true}}.
func (req *request) costOnly() bool {
	c, _ := req.params.Extensions["cost"].(map[string]any)
	dry, _ := c["dryRun"].(bool)
	return dry
}

// decodeBody decodes a POST body into p in one pass. The body must be one JSON object; its members query and
// operationName, if present and not null, must be strings, and variables and extensions objects. The first of
// those problems, in that order, is the one reported, and of a member given twice the last counts. The body is
// never echoed back: it may be large, and it is the client's own.
func decodeBody(body []byte, p *graphql.RawParams) *requestError {
	notObject := func() *requestError {
		return badRequest(`the request body is not a JSON object; send one such as {"query": "{ regions { name } }"}`)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber() // numbers in variables stay json.Number, as the executor expects
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return notObject()
	}
	var (
		query, operationName        *string
		variables, extensions       map[string]any
		badQuery, badName           bool
		badVariables, badExtensions bool
	)
	// decode decodes the next member's value into v. It reports whether the value had the wrong type, and
	// fails on anything else, after which the decoder cannot go on.
	decode := func(v any) (wrongType, ok bool) {
		err := dec.Decode(v)
		if err == nil {
			return false, true
		}
		var typeErr *json.UnmarshalTypeError
		wrongType = errors.As(err, &typeErr)
		return wrongType, wrongType
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return notObject()
		}
		ok := true
		// Each value is decoded into a variable of its own, so that a member given twice counts only the last
		// time, and a member not given costs nothing.
		switch tok {
		case "query":
			var v *string
			badQuery, ok = decode(&v)
			query = v
		case "operationName":
			var v *string
			badName, ok = decode(&v)
			operationName = v
		case "variables":
			var v map[string]any
			badVariables, ok = decode(&v)
			variables = v
		case "extensions":
			var v map[string]any
			badExtensions, ok = decode(&v)
			extensions = v
		default:
			var skip json.RawMessage
			_, ok = decode(&skip)
		}
		if !ok {
			return notObject()
		}
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return notObject()
	}
	if _, err := dec.Token(); err != io.EOF {
		return notObject()
	}
	switch {
	case badQuery:
		return badRequest("query must be a string")
	case badName:
		p.Query = valueOf(query)
		return badRequest("operationName must be a string")
	}
	p.Query, p.OperationName = valueOf(query), valueOf(operationName)
	switch {
	case badVariables:
		return badRequest("variables must be a JSON object")
	case badExtensions:
		p.Variables = variables
		return badRequest("extensions must be a JSON object")
	}
	p.Variables, p.Extensions = variables, extensions
	return nil
}

// requireQuery refuses a request without a document, unless it names an automatic persisted query.
func requireQuery(p *graphql.RawParams) *requestError {
	if p.Query == "" && p.Extensions["persistedQuery"] == nil {
		return badRequest("the request has no query; give the GraphQL document in the query parameter")
	}
	return nil
}

// jsonObject decodes an optional map parameter of a GET; null is the same as absent. Numbers stay json.Number,
// as the executor expects.
func jsonObject(name string, raw string) (map[string]any, *requestError) {
	if len(strings.TrimSpace(raw)) == 0 {
		return nil, nil
	}
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, badRequest("%s must be a JSON object", name)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, badRequest("%s must be a JSON object", name)
	}
	return m, nil
}

// operationKind returns the kind of the operation the document and name select. A document that does not
// parse is reported as a query and left to the executor to report.
func operationKind(query, operationName string) ast.Operation {
	// Without either keyword every operation of the document is a query (a selection set alone is one), so
	// the document need not be parsed here; the executor parses it once and caches it.
	if !strings.Contains(query, "mutation") && !strings.Contains(query, "subscription") {
		return ast.Query
	}
	if op := selectOperation(query, operationName); op != nil {
		return op.Operation
	}
	return ast.Query
}

// operationName returns the name of the operation the document and name select, as far as the document
// parses; it names the requests the executor refuses.
func operationName(query, operationName string) string {
	if op := selectOperation(query, operationName); op != nil {
		return op.Name
	}
	return operationName
}

func selectOperation(query, operationName string) *ast.OperationDefinition {
	if query == "" {
		return nil
	}
	doc, err := parser.ParseQuery(&ast.Source{Input: query})
	if err != nil {
		return nil
	}
	return doc.Operations.ForName(operationName)
}
