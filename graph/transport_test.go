package graph_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/iclei/directory/graph"
	"github.com/iclei/directory/httperror"
)

// TestATricklingBodyIsCutOff sends a body a byte at a time to a server with a read timeout: the endpoint
// answers 408 REQUEST_TIMEOUT while the body is still incomplete, rather than wait for it.
func TestATricklingBodyIsCutOff(t *testing.T) {
	t.Parallel()
	srv := httptest.NewUnstartedServer(newHandler(t, graph.Options{}))
	srv.Config.ReadTimeout = 300 * time.Millisecond
	srv.Start()
	t.Cleanup(srv.Close)

	c, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	body := `{"query":"{ regions { code } }"}` + string(make([]byte, 200))
	if _, err := fmt.Fprintf(c, "POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", len(body)); err != nil {
		t.Fatal(err)
	}
	sent := make(chan int, 1)
	go func() {
		n := 0
		for n < len(body) {
			if _, err := c.Write([]byte{body[n]}); err != nil {
				break
			}
			n++
			time.Sleep(20 * time.Millisecond)
		}
		sent <- n
	}()
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	var answer gqlResponse
	if err := json.Unmarshal(b, &answer); err != nil || resp.StatusCode != http.StatusRequestTimeout || answer.code() != httperror.CodeRequestTimeout {
		t.Fatalf("status %d: %s; want 408 %s", resp.StatusCode, b, httperror.CodeRequestTimeout)
	}
	_ = c.SetDeadline(time.Now()) // stop the trickle
	if n := <-sent; n >= len(body) {
		t.Errorf("the answer came after the whole body (%d bytes) was sent", n)
	}
}
