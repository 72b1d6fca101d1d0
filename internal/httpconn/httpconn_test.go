package httpconn_test

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/iclei/directory/internal/httpconn"
)

// serve runs an HTTP server on a loopback listener wrapped by wrap, with handler h, until the test ends.
func serve(t *testing.T, wrap func(net.Listener) net.Listener, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, MaxHeaderBytes: 4 << 10}
	go func() { _ = srv.Serve(wrap(ln)) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().String()
}

// dial connects to addr from the loopback address from (Linux routes all of 127.0.0.0/8 to lo).
func dial(t *testing.T, from, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Skipf("cannot dial from %s (the test needs the loopback range 127.0.0.0/8): %v", from, err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	return c
}

// errorAnswer reads an HTTP answer and returns its status and the code of its error.
func errorAnswer(t *testing.T, c net.Conn) (int, string, *http.Response) {
	t.Helper()
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("read the answer: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var body struct {
		Errors []struct {
			Message    string
			Extensions struct{ Code string }
		}
	}
	if err := json.Unmarshal(b, &body); err != nil || len(body.Errors) != 1 || body.Errors[0].Message == "" {
		t.Fatalf("status %d, %s: the body %q is not one error in the server's shape", resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Errorf("Content-Type %q", resp.Header.Get("Content-Type"))
	}
	return resp.StatusCode, body.Errors[0].Extensions.Code, resp
}

func TestConnectionsPerClient(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	// Each request holds its connection until the test ends or the client goes.
	addr := serve(t, func(ln net.Listener) net.Listener { return httpconn.LimitPerClient(ln, 2, nil) },
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusOK)
			w.(http.Flusher).Flush()
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}))
	held := func(from string) net.Conn {
		c := dial(t, from, addr)
		if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		line, err := bufio.NewReader(c).ReadString('\n')
		if err != nil || !strings.HasPrefix(line, "HTTP/1.1 200") {
			t.Fatalf("from %s: %q, %v; want 200", from, line, err)
		}
		return c
	}
	first := held("127.0.0.1")
	held("127.0.0.1")

	t.Run("an address past its bound is refused", func(t *testing.T) {
		c := dial(t, "127.0.0.1", addr)
		status, code, resp := errorAnswer(t, c)
		if status != http.StatusTooManyRequests || code != "RATE_LIMITED" || resp.Header.Get("Retry-After") == "" {
			t.Errorf("status %d, code %q, Retry-After %q; want 429 RATE_LIMITED with Retry-After", status, code, resp.Header.Get("Retry-After"))
		}
	})
	t.Run("while another address is served", func(t *testing.T) {
		held("127.0.0.2")
	})
	t.Run("a closed connection gives its place back", func(t *testing.T) {
		first.Close()
		deadline := time.Now().Add(5 * time.Second)
		for {
			c := dial(t, "127.0.0.1", addr)
			_, _ = io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
			line, _ := bufio.NewReader(c).ReadString('\n')
			if strings.HasPrefix(line, "HTTP/1.1 200") {
				return
			}
			c.Close()
			if time.Now().After(deadline) {
				t.Fatalf("still refused after a connection closed: %q", line)
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}

func TestExemptPeersAreNotCounted(t *testing.T) {
	t.Parallel()
	proxy := netip.MustParseAddr("127.0.0.1")
	addr := serve(t, func(ln net.Listener) net.Listener {
		return httpconn.LimitPerClient(ln, 1, func(a netip.Addr) bool { return a == proxy })
	}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	for range 3 {
		c := dial(t, "127.0.0.1", addr)
		_, _ = io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		if line, _ := bufio.NewReader(c).ReadString('\n'); !strings.HasPrefix(line, "HTTP/1.1 200") {
			t.Fatalf("a proxy's connection was refused: %q", line)
		}
	}
}

func TestClientOfGroupsIPv6By64(t *testing.T) {
	t.Parallel()
	a, _ := httpconn.ClientOf(&net.TCPAddr{IP: net.ParseIP("2001:db8:1:2:aaaa::1"), Port: 1})
	b, _ := httpconn.ClientOf(&net.TCPAddr{IP: net.ParseIP("2001:db8:1:2:bbbb::2"), Port: 2})
	c, _ := httpconn.ClientOf(&net.TCPAddr{IP: net.ParseIP("2001:db8:1:3::1"), Port: 3})
	v4, _ := httpconn.ClientOf(&net.TCPAddr{IP: net.ParseIP("::ffff:192.0.2.1"), Port: 4})
	if a != b || a == c || v4 != netip.MustParsePrefix("192.0.2.1/32") {
		t.Errorf("%v %v %v %v", a, b, c, v4)
	}
}

func TestNetHTTPErrorsInTheServersShape(t *testing.T) {
	t.Parallel()
	addr := serve(t, httpconn.JSONErrors, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "handled")
	}))
	for _, c := range []struct {
		name, request string
		status        int
		code          string
	}{
		{"a request line that is not HTTP", "NONSENSE\r\n\r\n", http.StatusBadRequest, "BAD_REQUEST"},
		{"no Host header", "GET / HTTP/1.1\r\n\r\n", http.StatusBadRequest, "BAD_REQUEST"},
		{"headers over the limit", "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", 16<<10) + "\r\n\r\n", http.StatusRequestHeaderFieldsTooLarge, "REQUEST_HEADERS_TOO_LARGE"},
		{"an unknown transfer coding", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", http.StatusNotImplemented, "NOT_IMPLEMENTED"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			conn := dial(t, "127.0.0.1", addr)
			if _, err := io.WriteString(conn, c.request); err != nil {
				t.Fatal(err)
			}
			status, code, _ := errorAnswer(t, conn)
			if status != c.status || code != c.code {
				t.Errorf("status %d, code %q; want %d %s", status, code, c.status, c.code)
			}
		})
	}
	t.Run("a handler's answers are left alone", func(t *testing.T) {
		t.Parallel()
		conn := dial(t, "127.0.0.1", addr)
		_, _ = io.WriteString(conn, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK || string(b) != "handled" {
			t.Errorf("status %d, body %q", resp.StatusCode, b)
		}
	})
}
