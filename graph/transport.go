package graph

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/iclei/directory/directory"
	"github.com/iclei/directory/httpcache"
)

// Codes of the errors the HTTP transport answers requests with that are not well-formed GraphQL-over-HTTP
// requests. Like every error code, they are in extensions.code.
const (
	CodeBadRequest           = "BAD_REQUEST"
	CodeMethodNotAllowed     = "METHOD_NOT_ALLOWED"
	CodeNotAcceptable        = "NOT_ACCEPTABLE"
	CodeUnsupportedMediaType = "UNSUPPORTED_MEDIA_TYPE"
	CodeRequestTooLarge      = "REQUEST_TOO_LARGE"
)

// MaxRequestBytes is the largest request body the GraphQL endpoint reads.
const MaxRequestBytes = 1 << 20

// The GraphQL response media types.
const (
	MediaTypeGraphQLResponse = "application/graphql-response+json"
	MediaTypeJSON            = "application/json"
)

// OperationObserver learns the outcome of every request to the GraphQL endpoint: the operation's name (empty
// for an anonymous operation or a request that names none), "ok", "not_modified", "cached" (answered from the
// response cache without running) or the code of the first error, and how long it took.
type OperationObserver interface {
	ObserveOperation(name, outcome string, took time.Duration)
}

// httpTransport serves GraphQL over HTTP as the GraphQL-over-HTTP specification
// (https://graphql.github.io/graphql-over-http/draft/) asks: POST with application/json bodies, GET for
// queries, both response media types with the status codes the specification gives each, Accept negotiation,
// and UTF-8 throughout. GET responses carry an entity tag of the snapshot revision and the request and the
// configured Cache-Control, so that browsers and CDNs can keep them; POST responses are not stored by HTTP
// caches. The transport keeps answers to anonymous queries itself, over GET and POST alike, in responses.
type httpTransport struct {
	rm *directory.ReadModel
	// fingerprint tells apart servers whose answers to the same request at the same revision may differ: the
	// schema, the build, the options.
	fingerprint  string
	cacheControl string
	observer     OperationObserver
	// responses, where set, keeps the answers to anonymous queries (respcache.go).
	responses *responseCache
}

var _ graphql.Transport = (*httpTransport)(nil)

// Supports takes every request to the endpoint, so that the transport answers unsupported methods and media
// types itself, as the specification asks.
func (t *httpTransport) Supports(*http.Request) bool { return true }

// allowedMethods is the Allow header of the endpoint.
const allowedMethods = "GET, HEAD, POST, OPTIONS"

func (t *httpTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	start := time.Now()
	x := &exchange{w: w, r: r, get: r.Method == http.MethodGet || r.Method == http.MethodHead}
	outcome := t.serve(x, exec)
	if t.observer != nil {
		t.observer.ObserveOperation(x.operation, outcome, time.Since(start))
	}
}

// exchange is one request to the endpoint and what the transport has learnt of it.
type exchange struct {
	w         http.ResponseWriter
	r         *http.Request
	get       bool   // GET or HEAD: a query that caches may keep
	mediaType string // the negotiated response media type
	operation string // the operation's name, as far as it is known
}

// serve answers the request and returns its outcome for the observer.
func (t *httpTransport) serve(x *exchange, exec graphql.GraphExecutor) string {
	x.w.Header().Set("Cache-Control", httpcache.NoStore)
	mediaType, acceptable := negotiate(x.r.Header.Values("Accept"))
	if acceptable {
		x.mediaType = mediaType
	}
	switch x.r.Method {
	case http.MethodGet, http.MethodHead, http.MethodPost:
	case http.MethodOptions:
		x.w.Header().Set("Allow", allowedMethods)
		x.w.WriteHeader(http.StatusNoContent)
		return "ok"
	default:
		x.w.Header().Set("Allow", allowedMethods)
		return x.fail(http.StatusMethodNotAllowed, CodeMethodNotAllowed,
			fmt.Sprintf("the GraphQL endpoint does not support %s; send queries with GET or POST and mutations with POST", x.r.Method))
	}
	if x.get {
		x.w.Header().Add("Vary", "Accept, Authorization")
	}
	if !acceptable {
		return x.fail(http.StatusNotAcceptable, CodeNotAcceptable,
			"the GraphQL endpoint responds with "+MediaTypeGraphQLResponse+" or "+MediaTypeJSON+" in UTF-8; accept one of them")
	}

	var req *request
	if x.get {
		req = parseGET(x.r)
	} else {
		req = parsePOST(x.w, x.r)
	}
	x.operation = req.params.OperationName
	if req.err != nil {
		return x.fail(req.err.status, req.err.code, req.err.message)
	}

	// One snapshot answers the whole request: the entity tag and the response cache's key name its revision,
	// and the resolvers read it.
	ctx := x.r.Context()
	snap := t.rm.Snapshot()
	// A caller with credentials may be answered differently, or refused; only anonymous answers are shared.
	caching := t.responses != nil && snap != nil && x.r.Header.Get("Authorization") == ""
	var key responseKey
	if caching {
		// Looked up before the parameters are decoded: a request found here was decoded, and ran, before.
		key = responseKeyOf(snap, x, req)
		if cached, ok := t.responses.get(key); ok {
			return t.replay(x, cached)
		}
	}
	req.decode()
	x.operation = req.params.OperationName
	if req.err != nil {
		return x.fail(req.err.status, req.err.code, req.err.message)
	}
	if x.get && isMutation(req.params.Query, req.params.OperationName) {
		return x.refuseMutation()
	}
	// Asked before execution, which puts the persisted document into the parameters of a request without one.
	registers := req.registersPersistedQuery()

	etag := ""
	if snap != nil {
		ctx = WithSnapshot(ctx, snap)
		if x.get {
			etag = httpcache.ETag(snap.Revision, t.fingerprint, x.mediaType, credentials(x.r), req.query,
				req.params.OperationName, req.variables, req.extensions)
			if httpcache.NotModified(x.r, etag) {
				t.setCacheable(x, etag)
				httpcache.WriteNotModified(x.w)
				return "not_modified"
			}
		}
	}

	req.params.Headers = x.r.Header
	req.params.ReadTime.End = graphql.Now()
	opCtx, errs := exec.CreateOperationContext(ctx, &req.params)
	if opCtx != nil && opCtx.Operation != nil {
		x.operation = opCtx.Operation.Name
	}
	if errs != nil {
		if x.operation == "" {
			x.operation = operationName(req.params.Query, req.params.OperationName)
		}
		for _, e := range errs {
			describeRequestError(e, req.params.OperationName)
		}
		resp := exec.DispatchError(graphql.WithOperationContext(ctx, opCtx), errs)
		return x.respond(resp, true)
	}
	if x.get && opCtx.Operation.Operation != ast.Query {
		return x.refuseMutation()
	}
	responses, ctx := exec.DispatchOperation(ctx, opCtx)
	resp := responses(ctx)
	if resp == nil {
		resp = &graphql.Response{Errors: gqlerror.List{{Message: internalMessage,
			Extensions: map[string]any{"code": string(directory.CodeInternal)}}}}
	}
	snapshotOnly := readsSnapshotOnly(opCtx.Operation.SelectionSet, opCtx.Doc.Fragments)
	if x.get && etag != "" && cacheable(resp) && snapshotOnly {
		t.setCacheable(x, etag)
	}
	status, body, outcome := x.render(resp, false)
	// Kept simple, and so safe: a query's complete answer with nothing but data, never a mutation's.
	if caching && snapshotOnly && opCtx.Operation.Operation == ast.Query && !registers &&
		status == http.StatusOK && len(resp.Errors) == 0 && len(resp.Extensions) == 0 && len(resp.Data) > 0 &&
		len(body) <= maxCachedResponseBytes {
		t.responses.add(key, &cachedResponse{body: body, etag: etag, operation: x.operation}, snapshotIDOf(t.rm.Snapshot()))
	}
	x.write(status, body)
	return outcome
}

// responseKeyOf names the request's answer at snap in the response cache.
func responseKeyOf(snap *directory.Snapshot, x *exchange, req *request) responseKey {
	k := responseKey{snapshot: snapshotIDOf(snap), mediaType: x.mediaType, post: !x.get}
	if x.get {
		k.request = getRequestDigest(req.query, req.params.OperationName, req.variables, req.extensions)
	} else {
		k.request = sha256.Sum256(req.body)
	}
	return k
}

// replay answers a request from the response cache, with the headers running it would have given: the same
// status, media type and, for a GET, entity tag and Cache-Control, and 304 to a conditional GET.
func (t *httpTransport) replay(x *exchange, cached *cachedResponse) string {
	x.operation = cached.operation
	if x.get {
		t.setCacheable(x, cached.etag)
		if httpcache.NotModified(x.r, cached.etag) {
			httpcache.WriteNotModified(x.w)
			return "not_modified"
		}
	}
	x.write(http.StatusOK, cached.body)
	return "cached"
}

// setCacheable lets caches keep the response to a GET request. A request with credentials is answered for its
// caller alone.
func (t *httpTransport) setCacheable(x *exchange, etag string) {
	h := x.w.Header()
	h.Set("ETag", etag)
	if x.r.Header.Get("Authorization") != "" {
		h.Set("Cache-Control", "private, no-store")
	} else {
		h.Set("Cache-Control", t.cacheControl)
	}
}

// cacheable reports whether a response may be kept until the directory changes: it has data, and none of its
// errors is a passing one.
func cacheable(resp *graphql.Response) bool {
	if len(resp.Data) == 0 {
		return false
	}
	for _, e := range resp.Errors {
		switch errorCode(e) {
		case string(directory.CodeInternal), string(directory.CodeUnavailable):
			return false
		}
	}
	return true
}

func (x *exchange) refuseMutation() string {
	x.w.Header().Set("Allow", http.MethodPost)
	return x.fail(http.StatusMethodNotAllowed, CodeMethodNotAllowed,
		"GET requests may only run queries; send mutations with POST")
}

// respond writes a GraphQL response. requestError is set for a request that failed before execution.
func (x *exchange) respond(resp *graphql.Response, requestError bool) string {
	status, body, outcome := x.render(resp, requestError)
	x.write(status, body)
	return outcome
}

// render encodes a GraphQL response and picks its status; it sets the headers that go with an error status.
func (x *exchange) render(resp *graphql.Response, requestError bool) (status int, body []byte, outcome string) {
	status = http.StatusOK
	if x.mediaType == MediaTypeGraphQLResponse && (requestError || len(resp.Data) == 0) {
		// Without data the specification asks for a 4xx or 5xx status; with application/json, 200 tells the
		// client that the body is a GraphQL response and not some intermediary's.
		status = http.StatusBadRequest
		if len(resp.Errors) > 0 {
			switch directory.Code(errorCode(resp.Errors[0])) {
			case directory.CodeUnauthenticated:
				status = http.StatusUnauthorized
				x.w.Header().Set("WWW-Authenticate", "Bearer")
			case directory.CodeForbidden:
				status = http.StatusForbidden
			case directory.CodeRateLimited:
				status = http.StatusTooManyRequests
			case directory.CodeUnavailable:
				status = http.StatusServiceUnavailable
			case directory.CodeInternal:
				status = http.StatusInternalServerError
			}
		}
	}
	b := struct {
		Errors     gqlerror.List   `json:"errors,omitempty"`
		Data       json.RawMessage `json:"data,omitempty"` // absent, not null, after a request error
		Extensions map[string]any  `json:"extensions,omitempty"`
	}{resp.Errors, resp.Data, resp.Extensions}
	if requestError {
		b.Data = nil
	}
	body, err := marshal(b)
	if err != nil {
		body, _ = marshal(errorBody(string(directory.CodeInternal), internalMessage))
		status = http.StatusInternalServerError
	}
	outcome = "ok"
	if len(resp.Errors) > 0 {
		outcome = errorCode(resp.Errors[0])
	}
	return status, body, outcome
}

// fail answers a request that is not a well-formed GraphQL-over-HTTP request, or not one this endpoint
// takes. The body is a GraphQL response with one error and no data.
func (x *exchange) fail(status int, code, message string) string {
	b, _ := marshal(errorBody(code, message))
	x.write(status, b)
	return code
}

func (x *exchange) write(status int, body []byte) {
	mediaType := x.mediaType
	if mediaType == "" {
		mediaType = MediaTypeJSON
	}
	h := x.w.Header()
	h.Set("Content-Type", mediaType+"; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	x.w.WriteHeader(status)
	_, _ = x.w.Write(body)
}

// marshal encodes a response body, leaving <, > and & as they are: the body is JSON, not HTML.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func errorBody(code, message string) any {
	return struct {
		Errors gqlerror.List `json:"errors"`
	}{gqlerror.List{{Message: message, Extensions: map[string]any{"code": code}}}}
}

func errorCode(e *gqlerror.Error) string {
	code, _ := e.Extensions["code"].(string)
	if code == "" {
		return string(directory.CodeInternal)
	}
	return code
}

// describeRequestError gives an error raised before execution a code and, where gqlgen's message would leave
// the client guessing, a message that says what to do.
func describeRequestError(e *gqlerror.Error, operationName string) {
	if e.Extensions["code"] == nil {
		// Such as a persisted query whose hash does not match its text.
		errcode.Set(e, CodeBadRequest)
	}
	if e.Message == fmt.Sprintf("operation %s not found", operationName) {
		if operationName == "" {
			e.Message = "the document has several operations; name the one to run in operationName"
		} else {
			e.Message = fmt.Sprintf("the document has no operation named %q", operationName)
		}
	}
}

// credentials returns a digest of the request's Authorization header, so that callers with different
// credentials never share an entity tag.
func credentials(r *http.Request) string {
	a := r.Header.Get("Authorization")
	if a == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(a))
	return hex.EncodeToString(sum[:])
}

// isMutation reports whether the operation the document and name select is not a query. A document that does
// not parse is left to the executor to report.
func isMutation(query, operationName string) bool {
	// Without either keyword every operation of the document is a query (a selection set alone is one), so
	// the document need not be parsed here; the executor parses it once and caches it.
	if !strings.Contains(query, "mutation") && !strings.Contains(query, "subscription") {
		return false
	}
	op := selectOperation(query, operationName)
	return op != nil && op.Operation != ast.Query
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

// negotiate picks the response media type by the Accept header fields (RFC 9110, section 12.5.1): the one of
// the two GraphQL media types the client gives the highest quality, a more specific media range overriding a
// less specific one. Ties go to the type the client names more specifically, then earlier; a bare wildcard
// gets application/json, which every client understands. Without an Accept header the specification asks
// for application/graphql-response+json. It reports false when the client accepts neither.
func negotiate(accept []string) (string, bool) {
	header := strings.TrimSpace(strings.Join(accept, ","))
	if header == "" {
		return MediaTypeGraphQLResponse, true
	}
	type mediaRange struct {
		typ, subtype string
		q            float64
	}
	var ranges []mediaRange
	for part := range strings.SplitSeq(header, ",") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		mt, params, err := mime.ParseMediaType(part)
		if err != nil {
			continue
		}
		typ, subtype, _ := strings.Cut(mt, "/")
		q := 1.0
		if v, ok := params["q"]; ok {
			if q, err = strconv.ParseFloat(v, 64); err != nil || q < 0 || q > 1 {
				continue
			}
		}
		if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "utf8") {
			q = 0 // we only speak UTF-8
		}
		ranges = append(ranges, mediaRange{typ, subtype, q})
	}
	// The quality the client gives an offer is that of the most specific range matching it.
	type match struct {
		q           float64
		specificity int // 2 for the type itself, 1 for type/*, 0 for */*, -1 for no match
		position    int
	}
	matchOf := func(offer string) match {
		typ, subtype, _ := strings.Cut(offer, "/")
		m := match{specificity: -1}
		for i, r := range ranges {
			s := -1
			switch {
			case r.typ == typ && r.subtype == subtype:
				s = 2
			case r.typ == typ && r.subtype == "*":
				s = 1
			case r.typ == "*" && r.subtype == "*":
				s = 0
			}
			if s > m.specificity {
				m = match{q: r.q, specificity: s, position: i}
			}
		}
		return m
	}
	gr, js := matchOf(MediaTypeGraphQLResponse), matchOf(MediaTypeJSON)
	grOK, jsOK := gr.specificity >= 0 && gr.q > 0, js.specificity >= 0 && js.q > 0
	switch {
	case !grOK && !jsOK:
		return "", false
	case !jsOK:
		return MediaTypeGraphQLResponse, true
	case !grOK:
		return MediaTypeJSON, true
	case gr.q > js.q,
		gr.q == js.q && gr.specificity > js.specificity,
		gr.q == js.q && gr.specificity == 2 && js.specificity == 2 && gr.position < js.position:
		return MediaTypeGraphQLResponse, true
	}
	return MediaTypeJSON, true
}

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

type requestError struct {
	status  int
	code    string
	message string
}

func badRequest(format string, args ...any) *requestError {
	return &requestError{http.StatusBadRequest, CodeBadRequest, fmt.Sprintf(format, args...)}
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
		req.err = &requestError{http.StatusUnsupportedMediaType, CodeUnsupportedMediaType,
			"compressed request bodies are not supported; " + sendJSON}
		return req
	}
	if req.err = checkContentType(r.Header.Get("Content-Type")); req.err != nil {
		w.Header().Set("Accept-Post", MediaTypeJSON+"; charset=utf-8")
		return req
	}

	tooLarge := func() *requestError {
		return &requestError{http.StatusRequestEntityTooLarge, CodeRequestTooLarge,
			fmt.Sprintf("the request body is larger than %d bytes", MaxRequestBytes)}
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
		if maxBytes := (*http.MaxBytesError)(nil); errors.As(err, &maxBytes) {
			req.err = tooLarge()
		} else {
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
		return &requestError{http.StatusUnsupportedMediaType, CodeUnsupportedMediaType, "the request has no Content-Type; " + sendJSON}
	}
	mt, params, err := mime.ParseMediaType(ct)
	switch {
	case err != nil || mt != MediaTypeJSON:
		return &requestError{http.StatusUnsupportedMediaType, CodeUnsupportedMediaType,
			fmt.Sprintf("the GraphQL endpoint does not accept %q; %s", ct, sendJSON)}
	case params["charset"] != "" && !strings.EqualFold(params["charset"], "utf-8") && !strings.EqualFold(params["charset"], "utf8"):
		return &requestError{http.StatusUnsupportedMediaType, CodeUnsupportedMediaType,
			fmt.Sprintf("the GraphQL endpoint does not accept the charset %q; send the request in UTF-8", params["charset"])}
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

// snapshotFrom returns the snapshot the transport put in ctx for the operation to read.
func snapshotFrom(ctx context.Context) (*directory.Snapshot, bool) {
	s, ok := ctx.Value(snapshotKey{}).(*directory.Snapshot)
	return s, ok && s != nil
}
