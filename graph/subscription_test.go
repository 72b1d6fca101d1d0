package graph_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"github.com/iclei/directory/directory"
	"github.com/iclei/directory/graph"
)

// sseEvent is one event of a Server-Sent Events stream; a comment line (a heartbeat) is an event with the
// name ":".
type sseEvent struct {
	name string
	data string
}

// sseStream reads the events of a response.
type sseStream struct {
	resp   *http.Response
	events chan sseEvent
}

// openSSE posts the GraphQL parameters to the server asking for an event stream, and returns the response and,
// when it is one, its stream of events.
func openSSE(t *testing.T, ctx context.Context, url string, params map[string]any, header ...string) *sseStream {
	t.Helper()
	body, _ := json.Marshal(params)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", graph.MediaTypeEventStream)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	s := &sseStream{resp: resp, events: make(chan sseEvent, 100)}
	t.Cleanup(func() { resp.Body.Close() })
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), graph.MediaTypeEventStream) {
		close(s.events)
		return s
	}
	go func() {
		defer close(s.events)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.name != "" {
					s.events <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, ":"):
				s.events <- sseEvent{name: ":", data: line}
			case strings.HasPrefix(line, "event: "):
				ev.name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data:"):
				ev.data = strings.TrimSpace(strings.TrimPrefix(line, "data:"))
			}
		}
	}()
	return s
}

// next returns the next event that is not a heartbeat; ok is false when the stream ended.
func (s *sseStream) next(t *testing.T) (ev sseEvent, ok bool) {
	t.Helper()
	for {
		select {
		case ev, ok := <-s.events:
			if !ok || ev.name != ":" {
				return ev, ok
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no event within 10s")
		}
	}
}

// response decodes a "next" event's GraphQL response.
func (ev sseEvent) response(t *testing.T) *gqlResponse {
	t.Helper()
	if ev.name != "next" {
		t.Fatalf("event %q (%s), want next", ev.name, ev.data)
	}
	var r gqlResponse
	if err := json.Unmarshal([]byte(ev.data), &r); err != nil {
		t.Fatalf("event data %q: %v", ev.data, err)
	}
	return &r
}

type entryEvent struct {
	DirectoryChanged struct {
		Revision string
		Actor    *string
		Changes  []struct{ Kind, Key string }
	}
}

const entrySubscription = `subscription($after: String, $filter: ChangeFilter) {
  directoryChanged(after: $after, filter: $filter) { revision actor changes { kind key } }
}`

func decodeEntry(t *testing.T, r *gqlResponse) entryEvent {
	t.Helper()
	if len(r.Errors) > 0 {
		t.Fatalf("errors: %+v", r.Errors)
	}
	var e entryEvent
	if err := json.Unmarshal(r.Data, &e); err != nil {
		t.Fatal(err)
	}
	return e
}

func TestSubscriptionsOverServerSentEvents(t *testing.T) {
	t.Parallel()
	l := newLive(t)
	srv := httptest.NewServer(l.handler(t, graph.Options{Heartbeat: 50 * time.Millisecond}))
	t.Cleanup(srv.Close)
	head := l.rm.Snapshot().Revision

	t.Run("events come as writes happen, after a replay of those since after", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		s := openSSE(t, ctx, srv.URL, map[string]any{"query": entrySubscription,
			"variables": map[string]any{"after": strconv.FormatInt(head-1, 10)}})
		if s.resp.StatusCode != http.StatusOK || s.resp.Header.Get("Content-Encoding") != "" {
			t.Fatalf("status %d, encoding %q", s.resp.StatusCode, s.resp.Header.Get("Content-Encoding"))
		}
		ev, _ := s.next(t)
		if e := decodeEntry(t, ev.response(t)); e.DirectoryChanged.Revision != strconv.FormatInt(head, 10) {
			t.Fatalf("first event at revision %s, want the replayed %d", e.DirectoryChanged.Revision, head)
		}
		l.grant(t, "seoul")
		ev, _ = s.next(t)
		e := decodeEntry(t, ev.response(t))
		if e.DirectoryChanged.Revision != strconv.FormatInt(head+1, 10) || e.DirectoryChanged.Actor != nil ||
			e.DirectoryChanged.Changes[0].Key != "seoul" {
			t.Errorf("event %+v, want Seoul's membership at %d without its actor", e, head+1)
		}
		heartbeats := 0
		for heartbeats < 2 {
			select {
			case ev := <-s.events:
				if ev.name == ":" {
					heartbeats++
				}
			case <-time.After(5 * time.Second):
				t.Fatal("no heartbeat")
			}
		}
	})
	t.Run("a query streams its answer and completes", func(t *testing.T) {
		s := openSSE(t, context.Background(), srv.URL, map[string]any{"query": `{ region(code: "europe") { name } }`})
		ev, _ := s.next(t)
		if r := ev.response(t); !strings.Contains(string(r.Data), "Europe") {
			t.Errorf("answer %s", r.Data)
		}
		if ev, ok := s.next(t); !ok || ev.name != "complete" {
			t.Errorf("after the answer: %+v %v, want complete", ev, ok)
		}
	})
	t.Run("a request refused before it runs is answered with its status", func(t *testing.T) {
		for _, c := range []struct {
			params map[string]any
			status int
			code   string
		}{
			{map[string]any{"query": `subscription { directoryChanged(filter: {kinds: ["Town"]}) { revision } }`}, http.StatusOK, string(directory.CodeInvalidInput)},
			{map[string]any{"query": `subscription { noSuchField }`}, http.StatusBadRequest, "GRAPHQL_VALIDATION_FAILED"},
			{map[string]any{"query": `subscription { directoryChanged(after: "0") { revision } }`}, http.StatusOK, ""},
		} {
			s := openSSE(t, context.Background(), srv.URL, c.params)
			if s.resp.StatusCode != c.status {
				t.Errorf("%s: status %d, want %d", c.params["query"], s.resp.StatusCode, c.status)
				continue
			}
			if c.status != http.StatusOK {
				var r gqlResponse
				_ = json.NewDecoder(s.resp.Body).Decode(&r)
				if r.code() != c.code {
					t.Errorf("%s: %+v, want %s", c.params["query"], r.Errors, c.code)
				}
				continue
			}
			ev, _ := s.next(t)
			if r := ev.response(t); r.code() != c.code {
				t.Errorf("%s: first event %s, want the code %q", c.params["query"], ev.data, c.code)
			}
		}
	})
	t.Run("a subscription over plain HTTP is refused with NOT_ACCEPTABLE", func(t *testing.T) {
		rec, resp := post(t, srv.Config.Handler, map[string]any{"query": entrySubscription})
		if rec.Code != http.StatusNotAcceptable || resp.code() != "NOT_ACCEPTABLE" {
			t.Errorf("status %d, %+v", rec.Code, resp.Errors)
		}
	})
	t.Run("a subscription that also accepts JSON streams", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		s := openSSE(t, ctx, srv.URL, map[string]any{"query": entrySubscription}, "Accept", "text/event-stream, application/json")
		if s.resp.StatusCode != http.StatusOK || !strings.HasPrefix(s.resp.Header.Get("Content-Type"), "text/event-stream") {
			t.Errorf("status %d, type %s", s.resp.StatusCode, s.resp.Header.Get("Content-Type"))
		}
	})
}

func TestSubscriptionLimitsAndShutdown(t *testing.T) {
	t.Parallel()
	l := newLive(t)
	streams, endStreams := context.WithCancel(context.Background())
	srv := httptest.NewServer(l.handler(t, graph.Options{SubscriptionsPerClient: 2, Streams: streams,
		Limits: graph.Limits{MaxDepth: 3, MaxComplexity: 20000}}))
	t.Cleanup(srv.Close)
	replay := map[string]any{"query": entrySubscription, "variables": map[string]any{"after": strconv.FormatInt(l.rm.Snapshot().Revision-1, 10)}}

	var open []*sseStream
	var cancels []context.CancelFunc
	for range 2 {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		s := openSSE(t, ctx, srv.URL, map[string]any{"query": `subscription { membershipChanged { revision } }`})
		if s.resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d", s.resp.StatusCode)
		}
		open, cancels = append(open, s), append(cancels, cancel)
	}
	t.Run("a client holds a bounded number of subscriptions", func(t *testing.T) {
		s := openSSE(t, context.Background(), srv.URL, replay)
		ev, _ := s.next(t)
		if r := ev.response(t); r.code() != string(directory.CodeRateLimited) {
			t.Errorf("third subscription: %s, want RATE_LIMITED", ev.data)
		}
	})
	t.Run("a subscription the client ends frees its place", func(t *testing.T) {
		cancels[0]()
		eventually(t, func() error {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			s := openSSE(t, ctx, srv.URL, replay)
			ev, _ := s.next(t)
			if r := ev.response(t); r.code() != "" {
				return fmt.Errorf("subscription refused: %s", ev.data)
			}
			return nil
		})
	})
	t.Run("the document limits apply", func(t *testing.T) {
		s := openSSE(t, context.Background(), srv.URL, map[string]any{"query": `subscription { membershipChanged { changes { city { region { secretariat { name } } } } } }`})
		var r gqlResponse
		_ = json.NewDecoder(s.resp.Body).Decode(&r)
		if s.resp.StatusCode != http.StatusBadRequest || r.code() != "QUERY_DEPTH_LIMIT_EXCEEDED" {
			t.Errorf("status %d, %+v", s.resp.StatusCode, r.Errors)
		}
	})
	t.Run("shutting down ends every stream without completing it", func(t *testing.T) {
		endStreams()
		for {
			ev, ok := open[1].next(t)
			if !ok {
				break
			}
			if ev.name == "complete" {
				t.Error("a stream ended by the server's shutdown sent complete")
			}
		}
	})
}

// eventually retries check until it passes, for up to 10 seconds.
func eventually(t *testing.T, check func() error) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// wsMessage is a message of the graphql-transport-ws protocol.
type wsMessage struct {
	Type    string          `json:"type"`
	ID      string          `json:"id,omitempty"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// wsClient is a graphql-transport-ws client, as small as the tests need.
type wsClient struct {
	conn *websocket.Conn
	in   chan wsMessage
	// closed holds the close status the server ended the connection with.
	mu     sync.Mutex
	closed error
}

func dialWS(t *testing.T, ctx context.Context, url string, init map[string]any) (*wsClient, error) {
	t.Helper()
	conn, _, err := websocket.Dial(ctx, strings.Replace(url, "http://", "ws://", 1), &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		t.Fatal(err)
	}
	c := &wsClient{conn: conn, in: make(chan wsMessage, 100)}
	t.Cleanup(func() { conn.CloseNow() })
	go func() {
		defer close(c.in)
		for {
			var m wsMessage
			if err := wsjson.Read(context.Background(), conn, &m); err != nil {
				c.mu.Lock()
				c.closed = err
				c.mu.Unlock()
				return
			}
			if m.Type == "ping" {
				_ = wsjson.Write(context.Background(), conn, wsMessage{Type: "pong"})
			}
			c.in <- m
		}
	}()
	payload, _ := json.Marshal(init)
	if err := wsjson.Write(ctx, conn, wsMessage{Type: "connection_init", Payload: payload}); err != nil {
		return nil, err
	}
	m, ok := c.next(t)
	if !ok {
		return c, c.closeErr()
	}
	if m.Type != "connection_ack" {
		t.Fatalf("first message %+v, want connection_ack", m)
	}
	return c, nil
}

func (c *wsClient) closeErr() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// next returns the next message that is not a ping; ok is false when the connection ended.
func (c *wsClient) next(t *testing.T) (wsMessage, bool) {
	t.Helper()
	for {
		select {
		case m, ok := <-c.in:
			if ok && m.Type == "ping" {
				continue
			}
			return m, ok
		case <-time.After(10 * time.Second):
			t.Fatal("no message within 10s")
		}
	}
}

func (c *wsClient) subscribe(t *testing.T, id, query string, vars map[string]any) {
	t.Helper()
	payload, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err := wsjson.Write(context.Background(), c.conn, wsMessage{Type: "subscribe", ID: id, Payload: payload}); err != nil {
		t.Fatal(err)
	}
}

func TestSubscriptionsOverWebSocket(t *testing.T) {
	t.Parallel()
	l := newLive(t)
	revocable := &revocableTokens{valid: map[string]bool{"admin": true}}
	h := l.handler(t, graph.Options{Heartbeat: 50 * time.Millisecond})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	// A second endpoint whose admin token can be revoked.
	opts := graph.Options{Heartbeat: time.Minute}
	revocableSrv := httptest.NewServer(l.handlerWithAuth(t, opts, revocable))
	t.Cleanup(revocableSrv.Close)
	ctx := context.Background()

	t.Run("an admin authenticated by the init payload gets private events", func(t *testing.T) {
		admin, err := dialWS(t, ctx, srv.URL, map[string]any{"Authorization": "Bearer admin"})
		if err != nil {
			t.Fatal(err)
		}
		anonymous, err := dialWS(t, ctx, srv.URL, nil)
		if err != nil {
			t.Fatal(err)
		}
		filter := map[string]any{"filter": map[string]any{"kinds": []string{directory.KindApplication, directory.KindCity}}}
		admin.subscribe(t, "a", entrySubscription, filter)
		anonymous.subscribe(t, "b", entrySubscription, filter)
		time.Sleep(100 * time.Millisecond) // let both subscriptions start before the writes
		if _, err := l.writer.SubmitApplication(ctx, directory.ApplicationInput{Name: "Hoi An", Country: "VN",
			Category: directory.MembershipFull, ContactName: "Lan", Email: "lan@example.vn", Motivation: "Heritage."}); err != nil {
			t.Fatal(err)
		}
		l.grant(t, "beijing")
		m, _ := admin.next(t)
		var r gqlResponse
		_ = json.Unmarshal(m.Payload, &r)
		if e := decodeEntry(t, &r); m.Type != "next" || m.ID != "a" || e.DirectoryChanged.Changes[0].Kind != directory.KindApplication ||
			e.DirectoryChanged.Actor == nil {
			t.Errorf("admin's first event: %s %s", m.Type, m.Payload)
		}
		m, _ = anonymous.next(t)
		_ = json.Unmarshal(m.Payload, &r)
		if e := decodeEntry(t, &r); e.DirectoryChanged.Changes[0].Key != "beijing" || e.DirectoryChanged.Actor != nil {
			t.Errorf("anonymous first event: %s, want Beijing's membership", m.Payload)
		}
	})
	t.Run("the server pings", func(t *testing.T) {
		c, err := dialWS(t, ctx, srv.URL, nil)
		if err != nil {
			t.Fatal(err)
		}
		select {
		case m := <-c.in:
			if m.Type != "ping" {
				t.Errorf("message %+v, want a ping", m)
			}
		case <-time.After(5 * time.Second):
			t.Error("no ping")
		}
	})
	t.Run("a refused token closes the connection with 4403", func(t *testing.T) {
		_, err := dialWS(t, ctx, srv.URL, map[string]any{"Authorization": "Bearer stolen"})
		if status := websocket.CloseStatus(err); status != 4403 {
			t.Errorf("close status %d (%v), want 4403", status, err)
		}
	})
	t.Run("errors before the subscription starts carry their code", func(t *testing.T) {
		c, err := dialWS(t, ctx, srv.URL, nil)
		if err != nil {
			t.Fatal(err)
		}
		c.subscribe(t, "x", `subscription { membershipChanged(region: "atlantis") { revision } }`, nil)
		m, _ := c.next(t)
		var r gqlResponse
		_ = json.Unmarshal(m.Payload, &r)
		if m.Type != "next" || r.code() != string(directory.CodeInvalidInput) {
			t.Errorf("message %s %s, want BAD_USER_INPUT", m.Type, m.Payload)
		}
		if m, _ := c.next(t); m.Type != "complete" {
			t.Errorf("then %s, want complete", m.Type)
		}
	})
	t.Run("a revoked token ends the subscription with UNAUTHENTICATED", func(t *testing.T) {
		c, err := dialWS(t, ctx, revocableSrv.URL, map[string]any{"Authorization": "Bearer admin"})
		if err != nil {
			t.Fatal(err)
		}
		c.subscribe(t, "r", `subscription { membershipChanged { revision } }`, nil)
		time.Sleep(100 * time.Millisecond)
		revocable.revoke("admin")
		l.grant(t, "chengdu")
		m, _ := c.next(t)
		var r gqlResponse
		_ = json.Unmarshal(m.Payload, &r)
		if r.code() != string(directory.CodeUnauthenticated) {
			t.Errorf("message %s %s, want UNAUTHENTICATED", m.Type, m.Payload)
		}
		if m, _ := c.next(t); m.Type != "complete" {
			t.Errorf("then %s, want complete", m.Type)
		}
	})
}

// revocableTokens authenticates the tokens it holds as admins, until they are revoked.
type revocableTokens struct {
	mu    sync.Mutex
	valid map[string]bool
}

func (r *revocableTokens) Authenticate(_ context.Context, token string) (*directory.Principal, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.valid[token] {
		return nil, directory.ErrUnauthenticated("the API key is not known")
	}
	return adminPrincipal, nil
}

func (r *revocableTokens) revoke(token string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.valid, token)
}
