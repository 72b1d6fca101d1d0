package graph

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/iclei/directory/directory"
	"github.com/iclei/directory/graph/cost"
	"github.com/iclei/directory/httperror"
	"github.com/iclei/directory/requestlog"
)

// This file serves batches: several operations in one POST, whose body is a JSON array of requests, answered
// with a JSON array of their responses in the same order. It is the shape Apollo Client's BatchHttpLink and
// graphql-request's batchRequests send. Batches are off unless Options.BatchMax allows them, and a batch may not
// buy a client more than the requests it stands for:
//
//   - the body, the whole batch, is bounded by MaxRequestBytes, as any body;
//   - it counts as one request per operation against the request rate limit (RequestThrottle);
//   - each operation passes the document and cost limits on its own, and the batch's operations together are
//     held to the same limits on complexity, fields and aliases as one request; depth, tokens and repeats bound
//     the shape of one document, which sending several does not change;
//   - all of that is settled before any operation runs: a batch refused as a whole runs nothing.
//
// The operations then run one after another, in order, each reading the directory as it is when it starts, so
// that a query after a mutation sees its write. Queries could run concurrently, but each is answered from the
// in-memory snapshot in well under a millisecond (docs/performance.md): a batch would gain little, and lose the
// simple rule that a batch means what its operations sent one after another mean. Batches are never kept by
// the response cache, and, being POSTs, never by HTTP caches.

// RequestThrottle holds a client to the request rate limit. The server counts each request as it arrives; the
// transport asks for a batch's further operations, so that a batch of n operations counts as n requests.
type RequestThrottle interface {
	// AllowRequests counts n more requests of r's client and reports whether its limit allows them. When it
	// does not, it counts none of them and has set Retry-After on w.
	AllowRequests(w http.ResponseWriter, r *http.Request, n int) bool
}

// isBatch reports whether a POST body is a batch: a JSON array rather than an object.
func isBatch(body []byte) bool {
	body = bytes.TrimLeft(body, " \t\r\n")
	return len(body) > 0 && body[0] == '['
}

// splitBatch returns the requests of a batch body, as sent, refusing an empty batch, a malformed one, and one
// of more than max requests, which it reads no further than the first too many.
func splitBatch(body []byte, max int) ([]json.RawMessage, *requestError) {
	malformed := func() *requestError {
		return badRequest(`the request body is not a well-formed JSON array of requests; send one such as [{"query": "{ regions { name } }"}, {"query": "{ directory { revision } }"}]`)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		return nil, malformed()
	}
	var requests []json.RawMessage
	for dec.More() {
		if len(requests) == max {
			return nil, &requestError{httperror.CodeBatchLimit, fmt.Sprintf(
				"the batch has more than %d operations, the most this server takes in one request; split it into several batches", max)}
		}
		var r json.RawMessage
		if err := dec.Decode(&r); err != nil {
			return nil, malformed()
		}
		requests = append(requests, r)
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim(']') {
		return nil, malformed()
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, malformed()
	}
	if len(requests) == 0 {
		return nil, badRequest("the batch is empty; send at least one request in the array")
	}
	return requests, nil
}

// batched is one operation of a batch and what became of it.
type batched struct {
	req   *request
	opCtx *graphql.OperationContext // set once it is prepared, until it is answered
	name  string
	// answer is the operation's response, encoded as it would be on its own; outcome is what the observer
	// learns of it.
	answer  []byte
	outcome string
	took    time.Duration
}

// serveBatch answers a batch (see the top of this file).
func (t *httpTransport) serveBatch(x *exchange, body []byte, exec graphql.GraphExecutor) string {
	if t.batchMax == 0 {
		return x.fail(httperror.CodeBatchingDisabled,
			"this server does not take batches (several operations in one request, as a JSON array); send each operation in a request of its own, or ask the server's operator to allow batches with GRAPHQL_BATCH_MAX")
	}
	requests, rerr := splitBatch(body, t.batchMax)
	if rerr != nil {
		return x.fail(rerr.code, rerr.message)
	}
	requestlog.SetBatch(x.r.Context(), len(requests))
	if n := len(requests); n > 1 && t.requests != nil && !t.requests.AllowRequests(x.w, x.r, n-1) {
		return x.fail(string(directory.CodeRateLimited), fmt.Sprintf(
			"this batch of %d operations counts as %d requests, more than your address has left this minute; send fewer operations, or retry after the time in the Retry-After header", n, n))
	}
	if requestSnapshot(t.rm) == nil {
		x.w.Header().Set("Retry-After", "5")
		return x.respondError(directory.CodeUnavailable, "the directory is still loading; try again shortly")
	}

	ops := make([]*batched, len(requests))
	for i, raw := range requests {
		ops[i] = t.prepareBatched(x, raw, exec)
	}
	if code, message := t.checkBatch(ops); code != "" {
		return x.fail(code, message)
	}
	for _, op := range ops {
		if op.opCtx == nil {
			continue
		}
		start := time.Now()
		// Each operation reads the directory as it is when it starts: one after a mutation sees its write.
		ctx := withSnapshot(x.r.Context(), requestSnapshot(t.rm))
		op.respond(x, execute(ctx, op.opCtx, exec), false)
		op.took += time.Since(start)
	}

	size := 2 + len(ops) - 1
	for _, op := range ops {
		size += len(op.answer)
	}
	out := make([]byte, 0, size)
	out = append(out, '[')
	for i, op := range ops {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, op.answer...)
	}
	out = append(out, ']')
	// 200 whatever the operations' outcomes: one status cannot describe several; each answer carries its own
	// errors and codes.
	x.write(http.StatusOK, out)

	if t.observer != nil {
		for _, op := range ops {
			t.observer.ObserveOperation(op.name, op.outcome, op.took)
		}
		x.observed = true
	}
	return "ok"
}

// prepareBatched reads one request of a batch and readies its operation as a request of its own would be
// readied (prepare); a request refused on the way has its answer, and leaves the others to run.
func (t *httpTransport) prepareBatched(x *exchange, raw json.RawMessage, exec graphql.GraphExecutor) *batched {
	start := time.Now()
	op := &batched{req: &request{body: raw}}
	defer func() { op.took += time.Since(start) }()
	req := op.req
	req.params.ReadTime.Start = graphql.Now()
	if trimmed := bytes.TrimLeft(raw, " \t\r\n"); len(trimmed) == 0 || trimmed[0] != '{' {
		op.refuse(httperror.CodeBadRequest, `each request of a batch is a JSON object such as {"query": "{ regions { name } }"}`)
		return op
	}
	req.decode()
	op.name = req.params.OperationName
	if req.err != nil {
		op.refuse(req.err.code, req.err.message)
		return op
	}
	if operationKind(req.params.Query, req.params.OperationName) == ast.Subscription {
		op.refuseSubscription()
		return op
	}
	dryRun := req.costOnly()
	opCtx, refusal := prepare(x.r.Context(), x.r, req, exec)
	op.name = nameOf(req, opCtx, refusal != nil)
	switch {
	case refusal != nil:
		op.respond(x, refusal, true)
	case opCtx.Operation.Operation == ast.Subscription:
		op.refuseSubscription()
	case dryRun:
		resp := &graphql.Response{}
		reportCost(resp, opCtx)
		op.respond(x, resp, false)
	default:
		op.opCtx = opCtx
	}
	return op
}

func (op *batched) refuse(code, message string) {
	op.answer, op.outcome = httperror.Body(code, message), code
}

func (op *batched) refuseSubscription() {
	op.refuse(httperror.CodeBadRequest,
		"a subscription cannot be part of a batch; send it on its own with Accept: text/event-stream, or over a WebSocket")
}

// respond encodes the operation's response as it would be encoded on its own.
func (op *batched) respond(x *exchange, resp *graphql.Response, requestError bool) {
	op.opCtx = nil
	op.outcome = "ok"
	if len(resp.Errors) > 0 {
		op.outcome = errorCode(resp.Errors[0])
	}
	if op.answer = x.encode(resp, requestError); op.answer == nil {
		op.refuse(string(directory.CodeInternal), internalMessage)
	}
}

// checkBatch holds the operations that are to run to the limits of one request, together; it returns the code
// and message of the first limit they exceed, or "".
func (t *httpTransport) checkBatch(ops []*batched) (code, message string) {
	var complexity, fields, aliases, running int
	for _, op := range ops {
		if op.opCtx == nil {
			continue
		}
		running++
		if c, ok := op.opCtx.Stats.GetExtension(costExtension).(*Cost); ok {
			complexity = cost.Add(complexity, c.Complexity)
		}
		shape := cost.Measure(op.opCtx.Doc)
		fields, aliases = cost.Add(fields, shape.Fields), cost.Add(aliases, shape.Aliases)
	}
	l := t.limits
	switch {
	case l.MaxComplexity > 0 && complexity > l.MaxComplexity:
		return httperror.CodeComplexityLimit, fmt.Sprintf(
			"the batch's %d operations have complexity %s together, which exceeds the limit of %d a request may have; send fewer operations in one batch, or ask for smaller pages",
			running, countOf(complexity), l.MaxComplexity)
	case l.MaxFields > 0 && fields > l.MaxFields:
		return httperror.CodeFieldLimit, fmt.Sprintf(
			"the batch's %d operations select %s fields together once their fragment spreads are expanded, which exceeds the limit of %d a request may have; send fewer operations in one batch",
			running, countOf(fields), l.MaxFields)
	case l.MaxAliases > 0 && aliases > l.MaxAliases:
		return httperror.CodeAliasLimit, fmt.Sprintf(
			"the batch's %d operations use %s aliases together, which exceeds the limit of %d a request may have; send fewer operations in one batch",
			running, countOf(aliases), l.MaxAliases)
	}
	return "", ""
}
