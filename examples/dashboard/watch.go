package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/Khan/genqlient/graphql"
	"github.com/coder/websocket"

	"github.com/iclei/directory/examples/dashboard/directoryclient"
)

// watchMemberships prints the membership changes of the region's cities after the revision, as they happen,
// until ctx ends or the server ends the subscription. The directory's GraphQL endpoint takes WebSockets at the
// same URL as its queries.
func watchMemberships(ctx context.Context, endpoint, region, after string, w io.Writer) error {
	// docs:begin watch
	client := graphql.NewClientUsingWebSocket(strings.Replace(endpoint, "http", "ws", 1), dialer{})
	errs, err := client.Start(ctx)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer client.Close()
	events, _, err := directoryclient.MembershipChanges(ctx, client, region, after)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "\nwatching %s's memberships after revision %s\n", region, after)
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-errs:
			return fmt.Errorf("subscription: %w", err)
		case ev, ok := <-events:
			if !ok {
				return nil // the server ended the stream: subscribe again with the last revision as after
			}
			if len(ev.Errors) > 0 {
				return ev.Errors // with its extensions.code, such as RATE_LIMITED or UNAUTHENTICATED
			}
			e := ev.Data.MembershipChanged
			for _, c := range e.Changes {
				m := c.Membership
				fmt.Fprintf(w, "  revision %s: %s %s, %s %s since %s\n", e.Revision, c.Action, c.City.Name, m.Category, m.Status, m.Since)
			}
		}
	}
	// docs:end watch
}

// dialer opens genqlient's WebSockets with github.com/coder/websocket.
type dialer struct{}

func (dialer) DialContext(ctx context.Context, url string, header http.Header) (graphql.WSConn, error) {
	conn, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: header.Values("Sec-WebSocket-Protocol")})
	if err != nil {
		return nil, err
	}
	conn.SetReadLimit(1 << 20)
	return &wsConn{conn: conn}, nil
}

// wsConn adapts a coder/websocket connection to genqlient's WSConn. It also answers the server's pings: the
// graphql-transport-ws protocol has the server ping idle connections and close those that do not answer, and
// genqlient's client (v0.8.1) would take a ping for a message of an unknown subscription and stop.
type wsConn struct {
	conn *websocket.Conn
}

func (c *wsConn) ReadMessage() (int, []byte, error) {
	for {
		typ, b, err := c.conn.Read(context.Background())
		if err != nil {
			return 0, nil, err
		}
		var m struct{ Type string }
		if json.Unmarshal(b, &m) == nil && (m.Type == "ping" || m.Type == "pong") {
			if m.Type == "ping" {
				if err := c.write(websocket.MessageText, []byte(`{"type":"pong"}`)); err != nil {
					return 0, nil, err
				}
			}
			continue
		}
		return int(typ), b, nil
	}
}

// closeMessage is the type of the close message genqlient writes, as RFC 6455 numbers it.
const closeMessage = 8

func (c *wsConn) WriteMessage(messageType int, data []byte) error {
	if messageType == closeMessage {
		return c.conn.Close(websocket.StatusNormalClosure, "")
	}
	return c.write(websocket.MessageText, data)
}

func (c *wsConn) write(typ websocket.MessageType, data []byte) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return c.conn.Write(ctx, typ, data)
}

func (c *wsConn) Close() error { return c.conn.CloseNow() }
