package main

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// serveConfig reads the serve command's configuration from env alone.
func serveConfig(env map[string]string) (*config, error) {
	c, err := find(commands(), "serve")
	if err != nil {
		return nil, err
	}
	return c.parse(nil, func(k string) string { return env[k] })
}

// startGuarded serves h the way serve does (newServer, guardListener) with the configuration env gives, on a
// loopback port, without a database: what is under test is the HTTP server's own bounds.
func startGuarded(t *testing.T, env map[string]string, h http.Handler) string {
	t.Helper()
	cfg, err := serveConfig(env)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := newServer(cfg, slog.New(slog.DiscardHandler), h)
	go func() { _ = srv.Serve(guardListener(cfg, ln)) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().String()
}

func dialFrom(t *testing.T, from, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Skipf("cannot dial from %s (the test needs the loopback range 127.0.0.0/8): %v", from, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestSlowAndGreedyClients(t *testing.T) {
	t.Parallel()
	// Reads the whole body, as the GraphQL endpoint does, and says how much it got.
	addr := startGuarded(t, map[string]string{"HTTP_READ_TIMEOUT": "300ms", "MAX_CONNECTIONS_PER_CLIENT": "2"},
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, err := io.ReadAll(r.Body)
			if err != nil {
				w.WriteHeader(http.StatusRequestTimeout)
				return
			}
			fmt.Fprintf(w, "%d bytes", len(b))
		}))

	t.Run("a trickling body is cut off", func(t *testing.T) {
		c := dialFrom(t, "127.0.0.3", addr)
		const size = 500
		fmt.Fprintf(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", size)
		sent := make(chan int, 1)
		go func() {
			n := 0
			for ; n < size; n++ {
				if _, err := c.Write([]byte("x")); err != nil {
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			sent <- n
		}()
		// The server ends the exchange, with an answer or by closing, before the body is complete.
		_, err := http.ReadResponse(bufio.NewReader(c), nil)
		_ = c.SetDeadline(time.Now())
		if n := <-sent; n >= size {
			t.Errorf("the server waited for all %d bytes of the trickled body (%v)", size, err)
		}
	})

	t.Run("an address past its connection bound is refused while others are served", func(t *testing.T) {
		// Two kept-alive connections from one address, each having been answered once.
		for range 2 {
			c := dialFrom(t, "127.0.0.4", addr)
			fmt.Fprint(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
			if line, _ := bufio.NewReader(c).ReadString('\n'); !strings.HasPrefix(line, "HTTP/1.1 200") {
				t.Fatalf("%q", line)
			}
		}
		c := dialFrom(t, "127.0.0.4", addr)
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(string(b), `"RATE_LIMITED"`) {
			t.Errorf("a third connection: %d %s; want 429 RATE_LIMITED", resp.StatusCode, b)
		}
		other := dialFrom(t, "127.0.0.5", addr)
		fmt.Fprint(other, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		if line, _ := bufio.NewReader(other).ReadString('\n'); !strings.HasPrefix(line, "HTTP/1.1 200") {
			t.Errorf("another address: %q; want 200", line)
		}
	})

	t.Run("net/http's own refusals are in the server's error shape", func(t *testing.T) {
		c := dialFrom(t, "127.0.0.6", addr)
		fmt.Fprint(c, "GET / HTTP/1.1\r\n\r\n") // no Host
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusBadRequest || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") || !strings.Contains(string(b), `"BAD_REQUEST"`) {
			t.Errorf("%d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), b)
		}
	})
}

func TestServerTimeoutsAreConfigured(t *testing.T) {
	t.Parallel()
	cfg, err := serveConfig(nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := newServer(cfg, slog.New(slog.DiscardHandler), http.NotFoundHandler())
	if srv.ReadTimeout != 10*time.Second || srv.ReadHeaderTimeout != 10*time.Second || srv.WriteTimeout != 30*time.Second ||
		srv.IdleTimeout != 60*time.Second || srv.MaxHeaderBytes != 1<<20 || cfg.MaxConnsPerClient != 100 {
		t.Errorf("defaults: read %s, header %s, write %s, idle %s, header bytes %d, connections %d",
			srv.ReadTimeout, srv.ReadHeaderTimeout, srv.WriteTimeout, srv.IdleTimeout, srv.MaxHeaderBytes, cfg.MaxConnsPerClient)
	}
	if _, err := serveConfig(map[string]string{"HTTP_WRITE_TIMEOUT": "10s", "REQUEST_TIMEOUT": "15s"}); err == nil || !strings.Contains(err.Error(), "HTTP_WRITE_TIMEOUT") {
		t.Errorf("a write timeout shorter than the request timeout: %v", err)
	}
}
