package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
)

// TestSubscriptionsOutliveRequestTimeouts opens a subscription over each transport through the whole server
// (its compression, error shaping, access log, rate limit and timeouts), keeps it open past every per-request
// timeout, has an admin grant a membership, and then shuts the server down, which must end both streams.
func TestSubscriptionsOutliveRequestTimeouts(t *testing.T) {
	t.Parallel()
	s := startServer(t, map[string]string{"REQUEST_TIMEOUT": "1s", "HTTP_READ_TIMEOUT": "1s", "HTTP_WRITE_TIMEOUT": "2s",
		"SUBSCRIPTION_HEARTBEAT": "300ms", "SHUTDOWN_TIMEOUT": "5s"})
	key := s.mintKey(t, "stream-admin", "admin")
	const subscription = `subscription { membershipChanged(city: "seoul") { revision changes { action membership { category } } } }`
	ctx := context.Background()

	// Server-Sent Events, asking for compression, which an event stream does without.
	body, _ := json.Marshal(map[string]any{"query": subscription})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.URL+"/graphql", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Encoding") != "" || resp.Header.Get("No-Gzip-Compression") != "" {
		t.Fatalf("status %d, encoding %q, headers %v", resp.StatusCode, resp.Header.Get("Content-Encoding"), resp.Header)
	}
	sse := make(chan string, 100)
	go func() {
		defer close(sse)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			sse <- sc.Text()
		}
	}()

	// A WebSocket, authenticated in its init payload, through the same middleware with compression asked for.
	conn, _, err := websocket.Dial(ctx, strings.Replace(s.URL, "http", "ws", 1)+"/graphql", &websocket.DialOptions{
		Subprotocols: []string{"graphql-transport-ws"}, HTTPHeader: http.Header{"Accept-Encoding": {"gzip"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()
	type message struct {
		Type    string          `json:"type"`
		ID      string          `json:"id,omitempty"`
		Payload json.RawMessage `json:"payload,omitempty"`
	}
	init, _ := json.Marshal(map[string]string{"Authorization": "Bearer " + key})
	_ = wsjson.Write(ctx, conn, message{Type: "connection_init", Payload: init})
	ws := make(chan message, 100)
	wsErr := make(chan error, 1)
	go func() {
		defer close(ws)
		for {
			var m message
			if err := wsjson.Read(ctx, conn, &m); err != nil {
				wsErr <- err
				return
			}
			if m.Type == "ping" {
				_ = wsjson.Write(ctx, conn, message{Type: "pong"})
				continue
			}
			ws <- m
		}
	}()
	if m := <-ws; m.Type != "connection_ack" {
		t.Fatalf("first message %+v", m)
	}
	payload, _ := json.Marshal(map[string]any{"query": subscription})
	_ = wsjson.Write(ctx, conn, message{Type: "subscribe", ID: "1", Payload: payload})

	time.Sleep(3 * time.Second) // past the request, read and write timeouts
	var city struct{ City struct{ Version int } }
	s.query(t, `{ city(key: "seoul") { version } }`, nil, &city)
	r := s.do(t, request{Token: key, Query: `mutation($v: Int!) { grantMembership(input: {city: "seoul", cityVersion: $v, category: FULL, since: "2024-05-01"}) { id } }`,
		Variables: map[string]any{"v": city.City.Version}})
	if len(r.Errors) > 0 {
		t.Fatalf("grant: %+v", r.Errors)
	}

	waitFor := func(name string, next func() (string, bool)) {
		t.Helper()
		deadline := time.After(10 * time.Second)
		for {
			select {
			case <-deadline:
				t.Fatalf("%s: no membership event", name)
			default:
			}
			line, ok := next()
			if !ok {
				t.Fatalf("%s: the stream ended before the event", name)
			}
			if strings.Contains(line, `"action":"GRANTED"`) {
				return
			}
		}
	}
	heartbeats := 0
	waitFor("event stream", func() (string, bool) {
		line, ok := <-sse
		if strings.HasPrefix(line, ":") {
			heartbeats++
		}
		return line, ok
	})
	if heartbeats < 2 {
		t.Errorf("%d heartbeats in 3s at 300ms", heartbeats)
	}
	waitFor("WebSocket", func() (string, bool) {
		m, ok := <-ws
		return string(m.Payload), ok
	})

	// Shutting down ends both streams, within the shutdown timeout (stop fails the test otherwise).
	s.stop(t)
	for range sse {
	}
	for range ws {
	}
	if err := <-wsErr; websocket.CloseStatus(err) == -1 && !strings.Contains(err.Error(), "EOF") {
		t.Logf("the WebSocket ended with %v", err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
}
