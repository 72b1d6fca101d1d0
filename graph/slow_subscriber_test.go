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
	srv := httptest.NewServer(l.handler(t, graph.Options{SubscriptionsPerClient: places, Heartbeat: 100 * time.Millisecond,
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
		HTTPClient:   &http.Client{Transport: &http.Transport{DialContext: dialer.DialContext}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()
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
	eventually(t, func() error {
		if !held() {
			return errorString("the client's subscriptions have not started")
		}
		return nil
	})
	eventually(t, func() error {
		if held() {
			return errStillHeld
		}
		return nil
	})
}

var errStillHeld = errorString("the client that stopped reading still holds its subscriptions")

type errorString string

func (e errorString) Error() string { return string(e) }
