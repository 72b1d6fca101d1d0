package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/iclei/directory/internal/testengine"
)

// update rewrites golden files instead of comparing with them.
var update = flag.Bool("update", false, "rewrite golden files and generated artifacts")

// testServer is the directory server started by a test through run, on port 0, with its own database.
type testServer struct {
	URL      string
	DataDir  string
	MongoURI string
	Database string
	stdout   *lockedBuffer
	stderr   *lockedBuffer
	cancel   context.CancelFunc
	done     chan error
	// dropsDatabase is set on a server on an external engine that owns the test's database.
	dropsDatabase bool
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var listening = regexp.MustCompile(`listening on (http://\S+)`)

// startServer runs the server with env on top of a test configuration: port 0, a fresh data folder, and a
// database named after the test. With TEST_MONGODB_URI set, it uses that engine instead of the embedded one.
// A server on an external engine whose database startServer named drops that database when it stops; servers
// the test points at the same database with MONGODB_DATABASE leave it to that one.
func startServer(t *testing.T, env map[string]string) *testServer {
	t.Helper()
	// A short folder keeps the embedded database's Unix socket path within the OS limit.
	dir, err := os.MkdirTemp("", "icleidir")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	vars := map[string]string{
		"PORT": "0", "DATA_DIR": dir, "MONGODB_DATABASE": testengine.Name(t), "POLL_INTERVAL": "100ms",
		"LOG_LEVEL": "warn", "MONGODB_URI": testengine.ExternalURI(),
	}
	for k, v := range env {
		vars[k] = v
	}
	_, shared := env["MONGODB_DATABASE"]
	s := &testServer{DataDir: dir, Database: vars["MONGODB_DATABASE"], stdout: &lockedBuffer{}, stderr: &lockedBuffer{}, done: make(chan error, 1),
		dropsDatabase: vars["MONGODB_URI"] != "" && !shared}
	engines.used(t, vars["MONGODB_URI"])
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	go func() {
		s.done <- run(ctx, []string{"directory"}, func(k string) string { return vars[k] }, s.stdout, s.stderr)
	}()
	t.Cleanup(func() { s.stop(t) })

	deadline := time.Now().Add(60 * time.Second)
	for s.URL == "" {
		if m := listening.FindStringSubmatch(s.stdout.String()); m != nil {
			s.URL = m[1]
			break
		}
		select {
		case err := <-s.done:
			s.done <- err
			t.Fatalf("server exited before listening: %v\nstderr:\n%s", err, s.stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not start; stderr:\n%s", s.stderr.String())
		}
	}
	for {
		resp, err := http.Get(s.URL + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("server not healthy: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.MongoURI = vars["MONGODB_URI"]
	if s.MongoURI == "" {
		b, err := os.ReadFile(filepath.Join(dir, uriFile))
		if err != nil {
			t.Fatalf("read the embedded database's URI: %v", err)
		}
		s.MongoURI = strings.TrimSpace(string(b))
		engines.name(s.MongoURI, testengine.Embedded)
	}
	return s
}

// stop shuts the server down and checks that it stopped cleanly.
func (s *testServer) stop(t *testing.T) {
	t.Helper()
	if s.cancel == nil {
		return
	}
	s.cancel()
	s.cancel = nil
	select {
	case err := <-s.done:
		if err != nil {
			t.Errorf("server stopped with error: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Error("server did not stop within 30s")
	}
	if s.dropsDatabase {
		dropDatabase(t, s.MongoURI, s.Database)
	}
}

// gqlResponse is a GraphQL response.
type gqlResponse struct {
	Data       json.RawMessage `json:"data"`
	Errors     []gqlError      `json:"errors"`
	Extensions map[string]any  `json:"extensions"`
	Status     int             `json:"-"`
	Header     http.Header     `json:"-"`
}

type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// Code returns the error's extensions.code.
func (e gqlError) Code() string {
	c, _ := e.Extensions["code"].(string)
	return c
}

// request is a GraphQL request; Token, if set, is sent as a bearer token.
type request struct {
	Query     string         `json:"query"`
	Variables map[string]any `json:"variables,omitempty"`
	Token     string         `json:"-"`
}

// do posts a GraphQL request and decodes the response.
func (s *testServer) do(t testing.TB, req request) *gqlResponse {
	t.Helper()
	body, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	hreq, err := http.NewRequest(http.MethodPost, s.URL+"/graphql", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	hreq.Header.Set("Content-Type", "application/json")
	if req.Token != "" {
		hreq.Header.Set("Authorization", "Bearer "+req.Token)
	}
	resp, err := http.DefaultClient.Do(hreq)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var r gqlResponse
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("response is not JSON (status %d): %s", resp.StatusCode, raw)
	}
	r.Status, r.Header = resp.StatusCode, resp.Header
	return &r
}

// query runs a query that must succeed and decodes its data into out.
func (s *testServer) query(t *testing.T, query string, vars map[string]any, out any) {
	t.Helper()
	r := s.do(t, request{Query: query, Variables: vars})
	if len(r.Errors) > 0 {
		t.Fatalf("query failed: %+v\nquery: %s", r.Errors, query)
	}
	if out != nil {
		if err := json.Unmarshal(r.Data, out); err != nil {
			t.Fatalf("decode data: %v\n%s", err, r.Data)
		}
	}
}

// queryError runs a query that must fail with one error of the code, and returns that error.
func (s *testServer) queryError(t *testing.T, req request, code string) gqlError {
	t.Helper()
	r := s.do(t, req)
	if len(r.Errors) == 0 {
		t.Fatalf("want a %s error, got data %s", code, r.Data)
	}
	if got := r.Errors[0].Code(); got != code {
		t.Fatalf("want a %s error, got %s: %s", code, got, r.Errors[0].Message)
	}
	return r.Errors[0]
}

// eventually retries check until it passes or the timeout runs out.
func eventually(t testing.TB, timeout time.Duration, check func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %v", timeout, err)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

func TestMain(m *testing.M) {
	flag.Parse()
	if uri := testengine.ExternalURI(); uri != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		name, err := testengine.Describe(ctx, uri)
		cancel()
		if err != nil {
			fmt.Fprintf(os.Stderr, "TEST_MONGODB_URI: %v\n", err)
			os.Exit(2)
		}
		engines.name(uri, name)
	}
	// A run of every test builds the server binary for the tests of several processes while the tests before
	// them run; a run of some tests builds it only if one of them needs it.
	if flag.Lookup("test.run").Value.String() == "" {
		serverBinary.wanted.Store(true)
		go buildServerBinary()
	}
	code := m.Run()
	removeServerBinary()
	engines.report(code)
	os.Exit(code)
}

// mintKey creates an API key for the server's database with the mint-key command and returns the key.
func (s *testServer) mintKey(t *testing.T, name, role string, regions ...string) string {
	t.Helper()
	args := []string{"directory", "mint-key", "-name", name, "-role", role}
	if len(regions) > 0 {
		args = append(args, "-regions", strings.Join(regions, ","))
	}
	env := map[string]string{"MONGODB_URI": s.MongoURI, "MONGODB_DATABASE": s.Database, "LOG_LEVEL": "warn"}
	var out, errOut bytes.Buffer
	if err := run(context.Background(), args, func(k string) string { return env[k] }, &out, &errOut); err != nil {
		t.Fatalf("mint-key: %v\n%s", err, errOut.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	key := lines[len(lines)-1]
	s.waitForKey(t, key)
	return key
}

// waitForKey waits until the server takes the API key: a key minted by the command line reaches a server with
// the change log, within its poll interval.
func (s *testServer) waitForKey(t testing.TB, key string) {
	t.Helper()
	eventually(t, 10*time.Second, func() error {
		r := s.do(t, request{Token: key, Query: `{ viewer { subject } }`})
		if len(r.Errors) > 0 {
			return fmt.Errorf("the server does not take the new key yet: %s", r.Errors[0].Message)
		}
		return nil
	})
}
