package graph_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"github.com/iclei/directory/directory"
	"github.com/iclei/directory/graph"
)

// A WebSocket client that stops reading must not hold its subscriptions, and the server's writes to it,
// forever: the server cuts it off once a write has waited two heartbeats, and its places are free again. The
// client below speaks the older protocol, where the server sends keep-alives and expects no answer, so that
// only the unread writes can tell it is gone; and it reads through a small socket buffer, so that its
// subscriptions' replays fill the connection quickly.
func TestWebSocketClientThatStopsReadingIsCutOff(t *testing.T) {
	t.Parallel()
	l := newLive(t)
	const places = 3
	// The server names every client alike; it counts the slow client's attempts to take a place, so that the
	// test looks at the places only once all of them were taken by it.
	var slowAttempts atomic.Int32
	clientKey := func(r *http.Request) string {
		if r.Header.Get("X-Slow") != "" {
			slowAttempts.Add(1)
		}
		return "client"
	}
	srv := httptest.NewServer(l.handler(t, graph.Options{SubscriptionsPerClient: places, Heartbeat: 2 * time.Second, ClientKey: clientKey,
		Limits: graph.Limits{MaxDepth: 12, MaxComplexity: 1 << 30}}))
	t.Cleanup(srv.Close)

	dialer := &net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		var err error
		_ = c.Control(func(fd uintptr) { err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
		return err
	}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The older protocol (subscriptions-transport-ws) has no pongs at all.
	conn, _, err := websocket.Dial(ctx, "ws"+srv.URL[len("http"):], &websocket.DialOptions{
		Subprotocols: []string{"graphql-ws"},
		HTTPHeader:   http.Header{"X-Slow": {"1"}},
		HTTPClient:   &http.Client{Transport: &http.Transport{DialContext: dialer.DialContext}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()
	conn.SetReadLimit(64 << 20) // the replays are large
	if err := wsjson.Write(ctx, conn, wsMessage{Type: "connection_init"}); err != nil {
		t.Fatal(err)
	}
	var ack wsMessage
	if err := wsjson.Read(ctx, conn, &ack); err != nil || ack.Type != "connection_ack" && ack.Type != "ka" {
		t.Fatalf("first message %+v (%v), want connection_ack", ack, err)
	}
	// From here on the client reads nothing: every subscription replays the seeded log at it, each change many
	// times over, which is more than the sockets' buffers hold.
	var selection strings.Builder
	for i := range 300 {
		fmt.Fprintf(&selection, " c%d: changes { kind key id action version regions { code name } }", i)
	}
	replay, _ := json.Marshal(map[string]any{"variables": map[string]any{"after": "0"},
		"query": `subscription($after: String) { directoryChanged(after: $after) {` + selection.String() + ` } }`})
	for _, id := range []string{"1", "2", "3"} {
		if err := wsjson.Write(ctx, conn, wsMessage{Type: "start", ID: id, Payload: replay}); err != nil {
			t.Fatal(err)
		}
	}

	lastEntry := map[string]any{"query": entrySubscription, "variables": map[string]any{"after": strconv.FormatInt(l.rm.Snapshot().Revision-1, 10)}}
	// The client's places are taken while it is connected, and freed once the server cut it off.
	held := func() bool {
		sctx, stop := context.WithCancel(context.Background())
		defer stop()
		s := openSSE(t, sctx, srv.URL, lastEntry)
		ev, _ := s.next(t)
		r := ev.response(t)
		if c := r.code(); c != "" && c != string(directory.CodeRateLimited) {
			t.Fatalf("event %s, want the last entry or RATE_LIMITED", ev.data)
		}
		return r.code() == string(directory.CodeRateLimited)
	}
	// Held first (the write has waited less than two heartbeats), then freed.
	eventually(t, func() error {
		if slowAttempts.Load() < places {
			return errorString("the client's subscriptions have not started")
		}
		return nil
	})
	if !held() {
		t.Fatal("the client's subscriptions hold no place")
	}
	eventually(t, func() error {
		if held() {
			return errStillHeld
		}
		return nil
	})
	// And the places were free because the server cut the client off, its events untaken: reading now, the
	// client finds the connection ended before the replays did.
	rctx, stop := context.WithTimeout(ctx, 10*time.Second)
	defer stop()
	replays := 0
	for {
		var m wsMessage
		err := wsjson.Read(rctx, conn, &m)
		if rctx.Err() != nil {
			t.Fatal("the connection is still open")
		}
		if err != nil {
			break
		}
		if m.Type == "data" {
			replays++
		}
	}
	if replays == places {
		t.Errorf("the client was sent all %d replays before the connection ended", places)
	}
}

var errStillHeld = errorString("the client that stopped reading still holds its subscriptions")

type errorString string

func (e errorString) Error() string { return string(e) }

// Queries and mutations sent over a WebSocket run each on a goroutine of their own: they count against the
// client's request rate limit, as requests would, and take one of its places while they run, so that one
// connection cannot run any number of them at once.
func TestWebSocketOperationsAreBoundLikeRequests(t *testing.T) {
	t.Parallel()
	l := newLive(t)
	ctx := context.Background()
	query := `{ directory { revision } }`
	answer := func(t *testing.T, c *wsClient, id string) *gqlResponse {
		t.Helper()
		m, _ := c.next(t)
		var r gqlResponse
		if err := json.Unmarshal(m.Payload, &r); err != nil || m.Type != "next" || m.ID != id {
			t.Fatalf("message %s %s %s, want the answer to %s", m.Type, m.ID, m.Payload, id)
		}
		if m, _ := c.next(t); m.Type != "complete" || m.ID != id {
			t.Fatalf("then %s %s, want %s complete", m.Type, m.ID, id)
		}
		return &r
	}

	t.Run("each operation counts against the request rate limit", func(t *testing.T) {
		throttle := &batchThrottle{left: 3}
		srv := httptest.NewServer(l.handler(t, graph.Options{Requests: throttle}))
		t.Cleanup(srv.Close)
		c, err := dialWS(t, ctx, srv.URL, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 4 {
			id := strconv.Itoa(i)
			c.subscribe(t, id, query, nil)
			r := answer(t, c, id)
			if want := map[bool]string{true: string(directory.CodeRateLimited), false: ""}[i == 3]; r.code() != want {
				t.Errorf("operation %d: code %q, want %q (%+v)", i, r.code(), want, r.Errors)
			}
		}
	})
	t.Run("a query takes one of the client's places while it runs", func(t *testing.T) {
		srv := httptest.NewServer(l.handler(t, graph.Options{SubscriptionsPerClient: 2}))
		t.Cleanup(srv.Close)
		c, err := dialWS(t, ctx, srv.URL, nil)
		if err != nil {
			t.Fatal(err)
		}
		c.subscribe(t, "q", query, nil)
		if r := answer(t, c, "q"); r.code() != "" {
			t.Fatalf("query with places free: %+v", r.Errors)
		}
		// Two subscriptions take both places; each has replayed an event once it runs.
		replay := map[string]any{"after": strconv.FormatInt(l.rm.Snapshot().Revision-1, 10)}
		for _, id := range []string{"a", "b"} {
			c.subscribe(t, id, entrySubscription, replay)
			if m, _ := c.next(t); m.Type != "next" || m.ID != id {
				t.Fatalf("message %s %s %s, want %s's replay", m.Type, m.ID, m.Payload, id)
			}
		}
		c.subscribe(t, "q2", query, nil)
		if r := answer(t, c, "q2"); r.code() != string(directory.CodeRateLimited) {
			t.Errorf("query with no place free: %+v, want RATE_LIMITED", r.Errors)
		}
	})
}

// graphql-transport-ws: an operation's ID names it until it completes. A client that starts another under the
// ID of one still running has its connection closed with 4409, as the protocol asks, rather than two
// operations sending their events under one ID, the first of which it could no longer end.
func TestWebSocketOperationIDsAreUnique(t *testing.T) {
	t.Parallel()
	l := newLive(t)
	srv := httptest.NewServer(l.handler(t, graph.Options{}))
	t.Cleanup(srv.Close)
	ctx := context.Background()

	t.Run("an ID is free again once its operation completed", func(t *testing.T) {
		c, err := dialWS(t, ctx, srv.URL, nil)
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			c.subscribe(t, "q", `{ directory { revision } }`, nil)
			if m, _ := c.next(t); m.Type != "next" || m.ID != "q" {
				t.Fatalf("message %s %s %s, want the answer", m.Type, m.ID, m.Payload)
			}
			if m, _ := c.next(t); m.Type != "complete" || m.ID != "q" {
				t.Fatalf("then %s %s, want complete", m.Type, m.ID)
			}
		}
	})
	t.Run("a second operation under a running one's ID closes the connection with 4409", func(t *testing.T) {
		c, err := dialWS(t, ctx, srv.URL, nil)
		if err != nil {
			t.Fatal(err)
		}
		c.subscribe(t, "a", `subscription { membershipChanged { revision } }`, nil)
		c.subscribe(t, "a", `subscription { membershipChanged { revision } }`, nil)
		for {
			if _, ok := c.next(t); !ok {
				break
			}
		}
		if status := websocket.CloseStatus(c.closeErr()); status != 4409 {
			t.Errorf("close status %d (%v), want 4409", status, c.closeErr())
		}
	})
}
