package graph

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/iclei/directory/directory"
	"github.com/iclei/directory/httpcache"
	"github.com/iclei/directory/httperror"
)

// The transport is split by concern: this file runs a request from start to end; request.go reads it,
// negotiate.go picks the response's media type, response.go writes the answer, httpcaching.go and respcache.go
// keep answers, snapshot.go picks the snapshot the request reads, and batch.go answers batches.

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
// caches. The transport keeps answers to anonymous queries itself, over GET and POST alike, in responses. A
// POST may carry several operations as a JSON array, where batchMax allows (batch.go).
type httpTransport struct {
	rm *directory.ReadModel
	// fingerprint tells apart servers whose answers to the same request at the same revision may differ: the
	// schema, the build, the options.
	fingerprint  string
	cacheControl string
	observer     OperationObserver
	// responses, where set, keeps the answers to anonymous queries (respcache.go).
	responses *responseCache
	// sse streams the subscriptions of requests that accept Server-Sent Events besides JSON (stream.go).
	sse *sseTransport
	// batchMax is the most operations a batch may carry, 0 when batches are refused; limits holds a batch's
	// operations to the document and cost limits in total, and requests to the request rate limit (batch.go).
	batchMax int
	limits   Limits
	requests RequestThrottle
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
	if t.observer != nil && !x.observed {
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
	observed  bool   // the observer has learnt the request's outcome, operation by operation (a batch)
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
		return x.fail(httperror.CodeMethodNotAllowed,
			fmt.Sprintf("the GraphQL endpoint does not support %s; send queries with GET or POST and mutations with POST", x.r.Method))
	}
	if x.get {
		x.w.Header().Add("Vary", "Accept, Authorization")
	}
	if !acceptable {
		return x.fail(httperror.CodeNotAcceptable,
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
		return x.fail(req.err.code, req.err.message)
	}
	if isBatch(req.body) {
		return t.serveBatch(x, req.body, exec)
	}

	// One snapshot answers the whole request: the entity tag and the response cache's key name its revision,
	// and the resolvers read it.
	snap := requestSnapshot(t.rm)
	if snap == nil {
		x.w.Header().Set("Retry-After", "5")
		return x.respondError(directory.CodeUnavailable, "the directory is still loading; try again shortly")
	}
	// A caller with credentials may be answered differently, or refused; only anonymous answers are shared.
	caching := t.responses != nil && x.r.Header.Get("Authorization") == ""
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
		return x.fail(req.err.code, req.err.message)
	}
	switch operationKind(req.params.Query, req.params.OperationName) {
	case ast.Subscription:
		if t.sse != nil && acceptsEventStream(x.r) {
			return t.sse.run(x, req, exec)
		}
		return x.refuseSubscription()
	case ast.Mutation:
		if x.get {
			return x.refuseMutation()
		}
	}
	// Asked before execution, which puts the persisted document into the parameters of a request without one.
	registers := req.registersPersistedQuery()
	dryRun := req.costOnly()

	ctx := withSnapshot(x.r.Context(), snap)
	etag := ""
	if x.get && !dryRun {
		etag = httpcache.ETag(snap.PublicRevision, t.fingerprint, x.mediaType, credentials(x.r), req.query,
			req.params.OperationName, req.variables, req.extensions)
		if httpcache.NotModified(x.r, etag) {
			t.setCacheable(x, etag)
			httpcache.WriteNotModified(x.w)
			return "not_modified"
		}
	}

	opCtx, refusal := prepare(ctx, x.r, req, exec)
	x.operation = nameOf(req, opCtx, refusal != nil)
	if refusal != nil {
		return x.respond(refusal, true)
	}
	switch {
	case opCtx.Operation.Operation == ast.Subscription:
		return x.refuseSubscription()
	case x.get && opCtx.Operation.Operation != ast.Query:
		return x.refuseMutation()
	}
	if dryRun {
		resp := &graphql.Response{}
		reportCost(resp, opCtx)
		x.write(http.StatusOK, x.encode(resp, false))
		return "ok"
	}
	resp := execute(ctx, opCtx, exec)
	snapshotOnly := readsSnapshotOnly(opCtx.Operation.SelectionSet, map[string]bool{})
	if x.get && cacheable(resp) && snapshotOnly {
		t.setCacheable(x, etag)
	}
	status, body, outcome := x.render(resp, false)
	// Kept simple, and so safe: a query's complete answer with nothing but data and its cost, never a
	// mutation's.
	if caching && snapshotOnly && opCtx.Operation.Operation == ast.Query && !registers &&
		status == http.StatusOK && len(resp.Errors) == 0 && onlyCost(resp.Extensions) && len(resp.Data) > 0 &&
		len(body) <= maxCachedResponseBytes {
		t.responses.add(key, &cachedResponse{body: body, etag: etag, operation: x.operation}, snapshotIDOf(requestSnapshot(t.rm)))
	}
	x.write(status, body)
	return outcome
}

// prepare readies a decoded request's operation to run: the executor parses, measures, validates and costs its
// document and coerces its variables, through the extensions (the document gate, the cost limit). It returns
// the operation, or the answer to a request refused on the way, which has no data.
func prepare(ctx context.Context, r *http.Request, req *request, exec graphql.GraphExecutor) (*graphql.OperationContext, *graphql.Response) {
	req.params.Headers = r.Header
	req.params.ReadTime.End = graphql.Now()
	opCtx, errs := exec.CreateOperationContext(ctx, &req.params)
	if errs == nil {
		return opCtx, nil
	}
	for _, e := range errs {
		describeRequestError(e, req.params.OperationName)
	}
	resp := exec.DispatchError(graphql.WithOperationContext(ctx, opCtx), errs)
	reportCost(resp, opCtx)
	return opCtx, resp
}

// nameOf returns the name of the operation a request runs, as far as it is known: the executor's, or for a
// refused request the document's as far as it parses.
func nameOf(req *request, opCtx *graphql.OperationContext, refused bool) string {
	name := req.params.OperationName
	if opCtx != nil && opCtx.Operation != nil {
		name = opCtx.Operation.Name
	} else if refused {
		name = operationName(req.params.Query, req.params.OperationName)
	}
	return name
}

// execute runs a prepared operation and returns its answer, with its cost.
func execute(ctx context.Context, opCtx *graphql.OperationContext, exec graphql.GraphExecutor) *graphql.Response {
	responses, ctx := exec.DispatchOperation(ctx, opCtx)
	resp := responses(ctx)
	if resp == nil {
		resp = &graphql.Response{Errors: gqlerror.List{{Message: internalMessage,
			Extensions: map[string]any{"code": string(directory.CodeInternal)}}}}
	}
	reportCost(resp, opCtx)
	return resp
}
