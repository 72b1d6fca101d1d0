// Package httpconn guards the server's listener: it bounds the connections one client address may hold open,
// and gives the few answers net/http writes on a connection before any handler runs (a malformed request,
// headers over the limit) the server's one error shape.
package httpconn

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/iclei/directory/directory"
	"github.com/iclei/directory/httperror"
)

// ClientOf returns the key the connection limit counts a peer address under: the address itself, or for IPv6
// its /64, which one client usually holds whole. It reports false for an address that is not IP.
func ClientOf(addr net.Addr) (netip.Prefix, bool) {
	a, ok := peer(addr)
	if !ok {
		return netip.Prefix{}, false
	}
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p, true
	}
	return netip.PrefixFrom(a, a.BitLen()), true
}

func peer(addr net.Addr) (netip.Addr, bool) {
	ap, err := netip.ParseAddrPort(addr.String())
	if err != nil {
		return netip.Addr{}, false
	}
	return ap.Addr().Unmap(), true
}

// LimitPerClient returns a listener that lets each client address (ClientOf) hold at most max connections at
// once. A connection past the bound is answered 429 RATE_LIMITED at once and closed, while other addresses are
// served. exempt, if set, names peers whose connections are not counted: reverse proxies, which hold the
// connections of many clients. A max below 1 returns ln as it is.
func LimitPerClient(ln net.Listener, max int, exempt func(netip.Addr) bool) net.Listener {
	if max < 1 {
		return ln
	}
	return &limitListener{Listener: ln, max: max, exempt: exempt, open: map[netip.Prefix]int{}}
}

type limitListener struct {
	net.Listener
	max    int
	exempt func(netip.Addr) bool
	mu     sync.Mutex
	open   map[netip.Prefix]int
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		client, ok := ClientOf(c.RemoteAddr())
		if a, _ := peer(c.RemoteAddr()); !ok || l.exempt != nil && l.exempt(a) {
			return c, nil
		}
		l.mu.Lock()
		if l.open[client] >= l.max {
			l.mu.Unlock()
			go refuse(c, l.max)
			continue
		}
		l.open[client]++
		l.mu.Unlock()
		return &countedConn{Conn: c, release: func() { l.release(client) }}, nil
	}
}

func (l *limitListener) release(client netip.Prefix) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[client]--; l.open[client] <= 0 {
		delete(l.open, client)
	}
}

// countedConn gives its place back once, when it is closed.
type countedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *countedConn) Close() error {
	c.once.Do(c.release)
	return c.Conn.Close()
}

// refuse answers a connection past the bound with 429 and closes it. It stops writing first and reads what the
// client sent for a moment, so that closing does not reset the connection before the client reads the answer.
func refuse(c net.Conn, max int) {
	defer c.Close()
	body := httperror.Body(string(directory.CodeRateLimited), fmt.Sprintf("your address has %d connections open to this server, the most it may; reuse them, or close some", max))
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := fmt.Fprintf(c, "HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: %d\r\nRetry-After: 1\r\nConnection: close\r\n\r\n%s", len(body), body); err != nil {
		return
	}
	if tc, ok := c.(interface{ CloseWrite() error }); ok {
		_ = tc.CloseWrite()
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(c, 64<<10))
}

// JSONErrors returns a listener whose connections rewrite the plain-text answers net/http writes itself, before
// any handler runs, into the server's error shape: 400 for a request that is not HTTP, 431 for headers over
// the limit, 501 for a transfer coding it does not know. They are recognised by the exact form net/http writes
// them in (a status line, then "Content-Type: text/plain; charset=utf-8" and "Connection: close", and no other
// header), which no handler's answer has: those carry a Date header.
func JSONErrors(ln net.Listener) net.Listener {
	return jsonErrorListener{ln}
}

type jsonErrorListener struct{ net.Listener }

func (l jsonErrorListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &jsonErrorConn{Conn: c}, nil
}

type jsonErrorConn struct{ net.Conn }

// netHTTPErrorHeaders is what net/http writes between the status line and the body of its own error answers.
var netHTTPErrorHeaders = []byte("\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n")

func (c *jsonErrorConn) Write(p []byte) (int, error) {
	if out, ok := rewrite(p); ok {
		if _, err := c.Conn.Write(out); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	return c.Conn.Write(p)
}

// rewrite returns net/http's own error answer p in the server's error shape, and false for anything else.
func rewrite(p []byte) ([]byte, bool) {
	if !bytes.HasPrefix(p, []byte("HTTP/1.1 ")) {
		return nil, false
	}
	i := bytes.Index(p, netHTTPErrorHeaders)
	if i < 0 || bytes.Contains(p[:i], []byte("\r\n")) {
		return nil, false
	}
	status, err := strconv.Atoi(string(p[len("HTTP/1.1 "):min(len("HTTP/1.1 ")+3, i)]))
	if err != nil {
		return nil, false
	}
	code, ok := httperror.CodeOfStatus(status)
	if !ok {
		return nil, false
	}
	// net/http's body is "431 Request Header Fields Too Large", or "400 Bad Request: missing required Host
	// header": the reason after the colon, when there is one, is worth passing on.
	detail := ""
	if _, after, found := bytes.Cut(p[i+len(netHTTPErrorHeaders):], []byte(": ")); found {
		detail = " (" + string(after) + ")"
	}
	var message string
	switch status {
	case http.StatusRequestHeaderFieldsTooLarge:
		message = "the request's line and headers are larger than the server reads; send smaller headers, or a long query by POST"
	case http.StatusNotImplemented:
		message = "the request's Transfer-Encoding is not supported; send the body with Content-Length or chunked"
	default:
		message = "the request is not a valid HTTP/1.1 request" + detail
	}
	body := httperror.Body(code, message)
	var out bytes.Buffer
	fmt.Fprintf(&out, "HTTP/1.1 %d %s\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s",
		status, http.StatusText(status), len(body), body)
	return out.Bytes(), true
}
