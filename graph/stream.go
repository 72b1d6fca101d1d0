package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/coder/websocket"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/iclei/directory/directory"
	"github.com/iclei/directory/httpcache"
	"github.com/iclei/directory/httperror"
)

// This file serves subscriptions: over a WebSocket with the graphql-transport-ws protocol (gqlgen's transport,
// which also speaks the older subscriptions-transport-ws), and as Server-Sent Events in graphql-sse's distinct
// connections mode (sseTransport). Both run operations through the same executor as the HTTP transport, so the
// document limits, the cost limit and the error presenter apply to them alike; the response cache does not,
// as a stream is never answered twice. Every subscriber is fed by the read model's one poller
// (directory.ReadModel.Follow), bounded per client address (subscriberLimit), kept alive by heartbeats, and
// ended when the server shuts down (Options.Streams).

// MediaTypeEventStream is the media type of Server-Sent Events.
const MediaTypeEventStream = "text/event-stream"

// DefaultSubscriptionsPerClient and DefaultHeartbeat apply where Options leave them zero.
const (
	DefaultSubscriptionsPerClient = 20
	DefaultHeartbeat              = 15 * time.Second
)

// IsStream reports whether a request opens a stream (a WebSocket, or Server-Sent Events) rather than asking
// for one answer: the server exempts streams from its per-request deadline, and bounds them otherwise.
func IsStream(r *http.Request) bool {
	return isWebSocket(r) || acceptsEventStream(r)
}

func isWebSocket(r *http.Request) bool {
	return r.Header.Get("Upgrade") != ""
}

func acceptsEventStream(r *http.Request) bool {
	for _, v := range r.Header.Values("Accept") {
		if strings.Contains(strings.ToLower(v), MediaTypeEventStream) {
			return true
		}
	}
	return false
}

// subscriberLimit bounds the subscriptions one client address holds open at once, over every transport.
type subscriberLimit struct {
	max    int
	client func(*http.Request) string
	mu     sync.Mutex
	open   map[string]int
}

func newSubscriberLimit(max int, client func(*http.Request) string) *subscriberLimit {
	if client == nil {
		client = func(r *http.Request) string {
			host, _, err := net.SplitHostPort(r.RemoteAddr)
			if err != nil {
				return r.RemoteAddr
			}
			return host
		}
	}
	return &subscriberLimit{max: max, client: client, open: map[string]int{}}
}

// acquire takes one of the client's subscriptions, or refuses with RATE_LIMITED when it holds them all.
func (l *subscriberLimit) acquire(ctx context.Context) (release func(), err error) {
	req, _ := ctx.Value(httpRequestKey{}).(*http.Request)
	if req == nil {
		return nil, errors.New("subscription: the operation carries no HTTP request to name its client")
	}
	key := l.client(req)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[key] >= l.max {
		return nil, directory.Errorf(directory.CodeRateLimited,
			"your address holds %d subscriptions (or operations running over WebSockets) already, the most one client may; end one before starting another", l.max)
	}
	l.open[key]++
	var once sync.Once
	return func() {
		once.Do(func() {
			l.mu.Lock()
			defer l.mu.Unlock()
			if l.open[key]--; l.open[key] <= 0 {
				delete(l.open, key)
			}
		})
	}, nil
}

// webSocketKey marks the context of an operation sent over a WebSocket.
type webSocketKey struct{}

// boundWebSocketOperations holds the operations a client sends over a WebSocket to the bounds its HTTP requests
// have. gqlgen runs every operation of a connection, queries and mutations too, on a goroutine of its own, as
// soon as it is read: unbounded, one connection could run any number of them at once, and send them as fast as
// it writes, past the request rate limit, which counted the connection's upgrade request only. So each
// operation counts as one request against the rate limit, and a query or mutation takes one of the client's
// places (subscriberLimit) while it runs, as a subscription does while it is open.
func (r *Resolver) boundWebSocketOperations(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	req, _ := ctx.Value(httpRequestKey{}).(*http.Request)
	if ctx.Value(webSocketKey{}) == nil || req == nil {
		return next(ctx)
	}
	if r.requests != nil && !r.requests.AllowRequests(discardHeaders{}, req, 1) {
		return r.errorResponse(ctx, directory.Errorf(directory.CodeRateLimited,
			"too many requests from your address, operations sent over WebSockets included; slow down and retry in a minute"))
	}
	if op := graphql.GetOperationContext(ctx).Operation; op != nil && op.Operation != ast.Subscription {
		release, err := r.subscribers.acquire(ctx)
		if err != nil {
			return r.errorResponse(ctx, err)
		}
		// The transport ends an operation's context once its answer is sent.
		context.AfterFunc(ctx, release)
	}
	return next(ctx)
}

// discardHeaders is the response writer the rate limit writes its headers to for an operation sent over a
// WebSocket, whose upgrade response has long been sent.
type discardHeaders struct{}

func (discardHeaders) Header() http.Header         { return http.Header{} }
func (discardHeaders) Write(b []byte) (int, error) { return len(b), nil }
func (discardHeaders) WriteHeader(int)             {}

// follow starts a subscription to the change log: view turns each entry into the event the caller sees, or
// nil for none. Events start after the revision after names, or with the next write. The stream ends when the
// client leaves; a failure ends it with an error event (streamEnd).
func follow[T any](ctx context.Context, r *Resolver, after *string, view func(e *directory.Entry, p *directory.Principal, s *directory.Snapshot) *T) (<-chan *T, error) {
	snap := r.ReadModel.Snapshot()
	if snap == nil {
		return nil, directory.Errorf(directory.CodeUnavailable, "the directory is still loading; try again shortly")
	}
	from := snap.Revision
	if after != nil {
		var err error
		if from, err = directory.ParseRevision("after", *after); err != nil {
			return nil, err
		}
		if err := r.ReadModel.CanFollow(from); err != nil {
			return nil, err
		}
	}
	release, err := r.subscribers.acquire(ctx)
	if err != nil {
		return nil, err
	}
	who := callerOf(ctx)
	// Unbuffered: an event is read from the log only once the client took the one before, so a slow client
	// holds one event, not a queue of them; one that falls too far behind is told so (ReadModel.Follow).
	events := make(chan *T)
	go func() {
		defer release()
		defer close(events)
		err := r.ReadModel.Follow(ctx, from, func(e *directory.Entry) error {
			p := who.principal
			if p != nil {
				// The token is checked again for every event: a revoked key or an expired JWT ends the stream.
				var err error
				if p, err = r.Auth.Authenticate(ctx, who.token); err != nil {
					return err
				}
			}
			ev := view(e, p, r.ReadModel.Snapshot())
			if ev == nil {
				return nil
			}
			select {
			case events <- ev:
				return nil
			case <-ctx.Done():
				return nil
			}
		})
		if err != nil && ctx.Err() == nil {
			endStream(ctx, err)
		}
	}()
	return events, nil
}

// streamEndKey carries a subscription's streamEnd.
type streamEndKey struct{}

// streamEnd holds the error that ends a subscription's stream, which the stream's last response carries.
type streamEnd struct {
	mu  sync.Mutex
	err error
}

// endStream records why the subscription in ctx ends; its resolver then closes its channel.
func endStream(ctx context.Context, err error) {
	if s, ok := ctx.Value(streamEndKey{}).(*streamEnd); ok {
		s.mu.Lock()
		s.err = err
		s.mu.Unlock()
	}
}

// endWithError makes a subscription's stream end with a response carrying the error, where one ended it: the
// executor would end it silently when the resolver closes its channel. Both transports send that response as
// their last event.
func (r *Resolver) endWithError(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	if op := graphql.GetOperationContext(ctx).Operation; op == nil || op.Operation != ast.Subscription {
		return next(ctx)
	}
	end := &streamEnd{}
	responses := next(context.WithValue(ctx, streamEndKey{}, end))
	ended := false
	return func(ctx context.Context) *graphql.Response {
		if ended {
			return nil
		}
		if resp := responses(ctx); resp != nil {
			return resp
		}
		ended = true
		end.mu.Lock()
		err := end.err
		end.mu.Unlock()
		if err == nil {
			return nil
		}
		return &graphql.Response{Errors: gqlerror.List{r.present(ctx, err)}}
	}
}

// wsTransport serves GraphQL over a WebSocket: gqlgen's transport, with the connection freed of the server's
// per-request deadlines (heartbeats bound it instead) and ended when the server shuts down.
type wsTransport struct {
	ws      transport.Websocket
	streams context.Context
}

func newWSTransport(r *Resolver, opts Options, heartbeat time.Duration, streams context.Context) *wsTransport {
	origins := opts.Origins
	if len(origins) == 0 {
		origins = []string{"*"}
	}
	readLimit := int64(MaxRequestBytes)
	return &wsTransport{streams: streams, ws: transport.Websocket{
		Implementation: boundedWrites{
			CoderWebsocketImplementation: transport.CoderWebsocketImplementation{AcceptOptions: websocket.AcceptOptions{OriginPatterns: origins}},
			timeout:                      2 * heartbeat,
		},
		InitFunc:    r.initWebSocket,
		InitTimeout: 10 * time.Second,
		// graphql-transport-ws: the server pings, and a client that does not answer within two intervals is
		// cut off. The older protocol gets its keep-alive messages instead.
		PingPongInterval:      heartbeat,
		KeepAlivePingInterval: heartbeat,
		PayloadReadLimit:      &readLimit,
		ErrorFunc: func(ctx context.Context, err error) {
			opts.Log.DebugContext(ctx, "websocket", "err", err)
		},
	}}
}

// boundedWrites accepts WebSockets whose every write must be taken by the client within timeout, or the
// connection is cut off, and that hold graphql-transport-ws clients to unique operation IDs (wsConn). gqlgen writes without a deadline, under a lock of the connection: a client that stops
// reading (its socket's buffers full) would otherwise hold that write, every subscription of the connection
// and its pings forever, as long as it keeps its side open. A pong deadline alone does not catch it: a
// graphql-transport-ws client may send pongs unprompted, and the older protocol has none.
type boundedWrites struct {
	transport.CoderWebsocketImplementation
	timeout time.Duration
}

func (b boundedWrites) Accept(w http.ResponseWriter, r *http.Request, opts transport.WebsocketAcceptOptions) (transport.WebsocketConn, error) {
	c, err := b.CoderWebsocketImplementation.Accept(w, r, opts)
	if err != nil {
		return nil, err
	}
	ws := &wsConn{WebsocketConn: c, timeout: b.timeout}
	if c.Subprotocol() == graphqlTransportWS {
		ws.running = map[string]bool{}
	}
	return ws, nil
}

const graphqlTransportWS = "graphql-transport-ws"

// wsConn closes its connection when a write outlasts timeout, which ends the write with an error, and with
// the connection every subscription on it.
//
// Over graphql-transport-ws, it also closes the connection with 4409 when a client starts an operation under
// the ID of one still running, as the protocol asks: gqlgen would run both, sending their events under one
// ID, and the first could no longer be ended by the client. running holds the IDs of the operations started
// and not yet completed, by the client or the server.
type wsConn struct {
	transport.WebsocketConn
	timeout time.Duration
	mu      sync.Mutex
	running map[string]bool // nil for the older protocol
}

// closeDuplicateID is graphql-transport-ws's close code for an operation ID already running.
const closeDuplicateID = 4409

func (c *wsConn) NextReader() (int, io.Reader, error) {
	kind, r, err := c.WebsocketConn.NextReader()
	if err != nil || c.running == nil {
		return kind, r, err
	}
	data, err := io.ReadAll(r) // the message is in memory already, within the read limit
	if err != nil {
		return kind, nil, err
	}
	var m struct{ Type, ID string }
	if json.Unmarshal(data, &m) == nil {
		c.mu.Lock()
		duplicate := m.Type == "subscribe" && c.running[m.ID]
		switch m.Type {
		case "subscribe":
			c.running[m.ID] = true
		case "complete":
			delete(c.running, m.ID)
		}
		c.mu.Unlock()
		if duplicate {
			id := m.ID
			if len(id) > 80 { // a close reason holds at most 123 bytes
				id = id[:80]
			}
			_ = c.WebsocketConn.WriteClose(closeDuplicateID, "Subscriber for "+id+" already exists")
			return kind, nil, transport.ErrWebsocketClosed
		}
	}
	return kind, bytes.NewReader(data), nil
}

func (c *wsConn) WriteJSON(v any) error {
	if c.running != nil {
		// The server ends an operation with "complete" or "error": its ID is free again.
		if m := reflect.Indirect(reflect.ValueOf(v)); m.Kind() == reflect.Struct {
			if t, id := m.FieldByName("Type"), m.FieldByName("ID"); t.Kind() == reflect.String && id.Kind() == reflect.String &&
				(t.String() == "complete" || t.String() == "error") {
				c.mu.Lock()
				delete(c.running, id.String())
				c.mu.Unlock()
			}
		}
	}
	cut := time.AfterFunc(c.timeout, func() { _ = c.WebsocketConn.Close() })
	defer cut.Stop()
	return c.WebsocketConn.WriteJSON(v)
}

// The transport enforces its read limit and pong deadline through these, where the connection has them.

func (c *wsConn) SetReadLimit(limit int64) {
	if l, ok := c.WebsocketConn.(transport.WebsocketReadLimiter); ok {
		l.SetReadLimit(limit)
	}
}

func (c *wsConn) SetReadDeadline(t time.Time) error {
	if d, ok := c.WebsocketConn.(transport.WebsocketReadDeadliner); ok {
		return d.SetReadDeadline(t)
	}
	return nil
}

func (t *wsTransport) Supports(r *http.Request) bool { return isWebSocket(r) }

func (t *wsTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	if r.Method != http.MethodGet || !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		x := &exchange{w: w, r: r}
		x.fail(httperror.CodeBadRequest, "a WebSocket is opened with a GET request that asks to upgrade to websocket, with the graphql-transport-ws subprotocol")
		return
	}
	// The connection outlives the server's read and write timeouts, which bound one request: heartbeats bound
	// an idle connection instead.
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
	ctx, cancel := context.WithCancel(context.WithValue(r.Context(), webSocketKey{}, true))
	defer cancel()
	defer context.AfterFunc(t.streams, cancel)()
	t.ws.Do(w, r.WithContext(ctx), exec)
}

// closeForbidden is the close code of graphql-transport-ws for a connection whose init payload is refused.
const closeForbidden = 4403

// initWebSocket authenticates a WebSocket connection by the token in its init payload, {"Authorization":
// "Bearer <token>"}: browsers cannot set headers on a WebSocket. Without one, the connection's operations run
// as the upgrade request's Authorization header says, or anonymously.
func (r *Resolver) initWebSocket(ctx context.Context, payload transport.InitPayload) (context.Context, *transport.InitPayload, error) {
	var auth any
	for _, k := range []string{"Authorization", "authorization"} {
		if v, ok := payload[k]; ok {
			auth = v
		}
	}
	if auth == nil {
		return ctx, nil, nil
	}
	refuse := func(err error) (context.Context, *transport.InitPayload, error) {
		msg := string(directory.CodeUnauthenticated) + ": " + errorMessage(err)
		if len(msg) > 120 { // a WebSocket close reason holds at most 123 bytes
			msg = msg[:120]
		}
		ctx = transport.WithWebsocketCloseCode(transport.AppendCloseReason(ctx, msg), closeForbidden)
		return ctx, nil, errors.New(msg)
	}
	h, _ := auth.(string)
	scheme, token, _ := strings.Cut(strings.TrimSpace(h), " ")
	if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return refuse(directory.ErrUnauthenticated("the init payload's Authorization is not a bearer token"))
	}
	token = strings.TrimSpace(token)
	p, err := r.Auth.Authenticate(ctx, token)
	if err != nil {
		return refuse(err)
	}
	return withCaller(ctx, p, token), nil, nil
}

// errorMessage is the message a client may read of err: a domain error's own, else that it is internal.
func errorMessage(err error) string {
	var derr *directory.Error
	if errors.As(err, &derr) && derr.Code != directory.CodeInternal {
		return derr.Message
	}
	return internalMessage
}

// sseTransport serves GraphQL over Server-Sent Events, as the graphql-sse protocol's distinct connections mode
// asks (https://github.com/enisdenjo/graphql-sse/blob/master/PROTOCOL.md): a GET or POST that accepts
// text/event-stream is answered with a stream of "next" events, each a GraphQL response, and a "complete"
// event when the operation is done. A request refused before it runs is answered as the HTTP transport would
// answer it, with its status, so that the client sees it fail rather than a stream that ends at once.
type sseTransport struct {
	rm        *directory.ReadModel
	heartbeat time.Duration
	streams   context.Context
	observer  OperationObserver
}

// Supports takes the requests that accept an event stream and no GraphQL response media type. A subscription
// that accepts both comes through the HTTP transport, which hands it to run.
func (t *sseTransport) Supports(r *http.Request) bool {
	if !acceptsEventStream(r) || isWebSocket(r) || r.Method != http.MethodGet && r.Method != http.MethodPost {
		return false
	}
	_, json := negotiate(r.Header.Values("Accept"))
	return !json
}

func (t *sseTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	start := time.Now()
	// Refusals are GraphQL responses with the status of their code.
	x := &exchange{w: w, r: r, get: r.Method == http.MethodGet, mediaType: MediaTypeGraphQLResponse}
	outcome := t.serve(x, exec)
	if t.observer != nil {
		t.observer.ObserveOperation(x.operation, outcome, time.Since(start))
	}
}

// serve reads the request, runs the operation and returns its outcome once its stream has ended, or its
// refusal.
func (t *sseTransport) serve(x *exchange, exec graphql.GraphExecutor) string {
	x.w.Header().Set("Cache-Control", httpcache.NoStore)
	var req *request
	if x.get {
		req = parseGET(x.r)
	} else {
		req = parsePOST(x.w, x.r)
	}
	if req.err == nil {
		req.decode()
	}
	x.operation = req.params.OperationName
	if req.err != nil && isBatch(req.body) {
		return x.fail(httperror.CodeBadRequest, "a batch is answered as one JSON array, not as a stream of events; send it with Accept: application/json")
	}
	if req.err != nil {
		return x.fail(req.err.code, req.err.message)
	}
	return t.run(x, req, exec)
}

// run runs a decoded request's operation as a stream of events.
func (t *sseTransport) run(x *exchange, req *request, exec graphql.GraphExecutor) string {
	x.mediaType = MediaTypeGraphQLResponse
	if x.get && operationKind(req.params.Query, req.params.OperationName) == ast.Mutation {
		return x.refuseMutation()
	}
	snap := requestSnapshot(t.rm)
	if snap == nil {
		x.w.Header().Set("Retry-After", "5")
		return x.respondError(directory.CodeUnavailable, "the directory is still loading; try again shortly")
	}
	ctx, cancel := context.WithCancel(x.r.Context())
	defer cancel()
	defer context.AfterFunc(t.streams, cancel)()
	opCtx, refusal := prepare(ctx, x.r, req, exec)
	if opCtx != nil && opCtx.Operation != nil {
		x.operation = opCtx.Operation.Name
	}
	if refusal != nil {
		return x.respond(refusal, true)
	}
	if x.get && opCtx.Operation.Operation == ast.Mutation {
		return x.refuseMutation()
	}
	if opCtx.Operation.Operation != ast.Subscription {
		// A query or mutation streams its one answer; a query reads one snapshot, as over plain HTTP.
		ctx = withSnapshot(ctx, snap)
	}
	responses, ctx := exec.DispatchOperation(ctx, opCtx)

	// The stream outlives the server's read and write timeouts, which bound one request: heartbeats and a
	// deadline on every write bound it instead. It is not compressed, so that every event leaves at once.
	rc := http.NewResponseController(x.w)
	_ = rc.SetReadDeadline(time.Time{})
	h := x.w.Header()
	h.Set("Content-Type", MediaTypeEventStream+"; charset=utf-8")
	h.Set("X-Accel-Buffering", "no") // nor buffered by a proxy in front
	h.Set(noCompression, "1")
	write := func(b []byte) error {
		_ = rc.SetWriteDeadline(time.Now().Add(t.heartbeat + 10*time.Second))
		if _, err := x.w.Write(b); err != nil {
			return err
		}
		return rc.Flush()
	}
	x.w.WriteHeader(http.StatusOK)
	if err := write([]byte(":\n\n")); err != nil {
		return "ok"
	}

	// The executor's next response is awaited on a goroutine of its own, so that heartbeats go out meanwhile.
	next := make(chan *graphql.Response)
	go func() {
		defer close(next)
		for {
			resp := responses(ctx)
			if resp != nil {
				// The executor writes each response of a subscription into the same buffer.
				resp.Data = bytes.Clone(resp.Data)
			}
			select {
			case next <- resp:
			case <-ctx.Done():
				return
			}
			if resp == nil {
				return
			}
		}
	}()
	beat := time.NewTicker(t.heartbeat)
	defer beat.Stop()
	first := true
	for {
		select {
		case <-ctx.Done():
			// The client left, or the server shuts down: the stream ends without "complete", so that a client
			// reconnects (with after:, to resume).
			return "ok"
		case <-beat.C:
			if write([]byte(": heartbeat\n\n")) != nil {
				return "ok"
			}
		case resp, ok := <-next:
			if !ok || resp == nil {
				_ = write([]byte("event: complete\ndata:\n\n"))
				return "ok"
			}
			if first {
				reportCost(resp, opCtx)
				first = false
			}
			body := x.encode(resp, false)
			if body == nil {
				body = httperror.Body(string(directory.CodeInternal), internalMessage)
			}
			event := make([]byte, 0, len(body)+len("event: next\ndata: \n\n"))
			event = append(append(append(event, "event: next\ndata: "...), body...), "\n\n"...)
			if write(event) != nil {
				return "ok"
			}
			beat.Reset(t.heartbeat)
		}
	}
}

// noCompression asks the compression middleware (gzhttp's HeaderNoCompression) to leave a response as it is;
// the header itself is not sent.
const noCompression = "No-Gzip-Compression"

// refuseSubscription answers a subscription sent over plain HTTP, which cannot carry its events.
func (x *exchange) refuseSubscription() string {
	return x.fail(httperror.CodeNotAcceptable, "a subscription's events are sent as Server-Sent Events or over a WebSocket: "+
		"ask for "+MediaTypeEventStream+" in the Accept header (graphql-sse), or connect a WebSocket with the graphql-transport-ws protocol (graphql-ws)")
}

// heartbeatOf returns the heartbeat interval the options give.
func heartbeatOf(opts Options) time.Duration {
	if opts.Heartbeat > 0 {
		return opts.Heartbeat
	}
	return DefaultHeartbeat
}
