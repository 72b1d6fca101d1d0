package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/iclei/directory/internal/testengine"
)

// The tests of several servers on one database run the directory as operators do: separate processes of the
// built binary, each with its own DATA_DIR, on one engine. A process can be stopped as an orchestrator stops it
// (SIGTERM) or killed (SIGKILL), and started again on the same DATA_DIR.

// serverBinary is the directory binary, built once per run: by TestMain in the background when the run has
// every test, else by the first test that needs it.
var serverBinary struct {
	once sync.Once
	// wanted is set once a test, or TestMain, asks for the binary.
	wanted atomic.Bool
	dir    string
	path   string
	err    error
}

// buildServerBinary builds the server with go build, once per run.
func buildServerBinary() {
	serverBinary.wanted.Store(true)
	serverBinary.once.Do(func() {
		dir, err := os.MkdirTemp("", "icleibin")
		if err != nil {
			serverBinary.err = err
			return
		}
		serverBinary.dir = dir
		path := filepath.Join(dir, "directory")
		// go test puts its own Go first on PATH, so the binary is built by the toolchain that builds the tests.
		out, err := exec.Command("go", "build", "-o", path, ".").CombinedOutput()
		if err != nil {
			serverBinary.err = fmt.Errorf("go build: %w\n%s", err, out)
			return
		}
		serverBinary.path = path
	})
}

// directoryBinary returns the path of the server binary, once it is built.
func directoryBinary(t testing.TB) string {
	t.Helper()
	buildServerBinary()
	if serverBinary.err != nil {
		t.Fatalf("build the server binary: %v", serverBinary.err)
	}
	return serverBinary.path
}

// removeServerBinary removes the binary built for the run; TestMain calls it once the tests are done.
func removeServerBinary() {
	if !serverBinary.wanted.Load() {
		return
	}
	buildServerBinary() // waits for a build under way
	if serverBinary.dir != "" {
		os.RemoveAll(serverBinary.dir)
	}
}

// serverProcess is the directory running as a process of its own. The embedded testServer gives the tests'
// request helpers its URL and database; they change when the process starts again.
type serverProcess struct {
	*testServer
	name string
	env  map[string]string
	// logs is what the process wrote to stderr, across every start.
	logs *lockedBuffer

	cmd    *exec.Cmd
	exited chan struct{}
	err    error // how the process ended, once exited is closed
}

// startProcess starts the server binary with env on top of the tests' configuration: port 0, a DATA_DIR of its
// own, a database named after the test, a short poll interval and no rate limits (every request of a test comes
// from one address). With TEST_MONGODB_URI set it uses that engine, and the first process on the test's
// database drops it at the end; otherwise it starts the embedded engine in its DATA_DIR, and further processes
// reach it with MONGODB_URI set to that process's MongoURI.
func startProcess(t testing.TB, name string, env map[string]string) *serverProcess {
	t.Helper()
	// A short folder keeps the embedded database's Unix socket path within the OS limit.
	dir, err := os.MkdirTemp("", "icleiproc")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	vars := map[string]string{
		"PORT": "0", "DATA_DIR": dir, "MONGODB_DATABASE": testengine.Name(t), "MONGODB_URI": testengine.ExternalURI(),
		"POLL_INTERVAL": "100ms", "LOG_LEVEL": "warn", "RATE_LIMIT_PER_MINUTE": "0",
	}
	for k, v := range env {
		vars[k] = v
	}
	_, ownURI := env["MONGODB_URI"]
	_, ownDatabase := env["MONGODB_DATABASE"]
	if vars["MONGODB_URI"] != "" && !ownURI && !ownDatabase {
		// Registered before the process's own cleanup, so that it runs after every process has stopped.
		uri, database := vars["MONGODB_URI"], vars["MONGODB_DATABASE"]
		t.Cleanup(func() { dropDatabase(t, uri, database) })
	}
	p := &serverProcess{name: name, env: vars, logs: &lockedBuffer{},
		testServer: &testServer{DataDir: dir, Database: vars["MONGODB_DATABASE"], MongoURI: vars["MONGODB_URI"]}}
	engines.used(t, vars["MONGODB_URI"])
	t.Cleanup(func() {
		p.stop(t)
		if t.Failed() {
			t.Logf("server %s logged:\n%s", p.name, tail(p.logs.String(), 4000))
		}
	})
	p.start(t)
	return p
}

// start starts the process (again) on its DATA_DIR and waits until it serves.
func (p *serverProcess) start(t testing.TB) {
	t.Helper()
	if p.running() {
		t.Fatalf("server %s is already running", p.name)
	}
	var stdout lockedBuffer
	cmd := exec.Command(directoryBinary(t))
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "TMPDIR=" + os.TempDir()}
	for k, v := range p.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Stdout = &stdout
	cmd.Stderr = p.logs
	fmt.Fprintf(p.logs, "--- %s: start\n", time.Now().Format(time.TimeOnly))
	if err := cmd.Start(); err != nil {
		t.Fatalf("start server %s: %v", p.name, err)
	}
	p.cmd, p.exited, p.err = cmd, make(chan struct{}), nil
	exited := p.exited
	go func() {
		p.err = cmd.Wait()
		close(exited)
	}()

	// The server prints its address once it has loaded the directory and listens.
	p.URL = ""
	deadline := time.Now().Add(60 * time.Second)
	for p.URL == "" {
		if m := listening.FindStringSubmatch(stdout.String()); m != nil {
			p.URL = m[1]
			break
		}
		select {
		case <-exited:
			t.Fatalf("server %s exited before it listened: %v\n%s", p.name, p.err, tail(p.logs.String(), 4000))
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("server %s did not listen within a minute:\n%s", p.name, tail(p.logs.String(), 4000))
		}
	}
	for {
		resp, err := graphQLClient.Get(p.URL + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("server %s is not healthy: %v", p.name, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if p.env["MONGODB_URI"] == "" {
		b, err := os.ReadFile(filepath.Join(p.DataDir, uriFile))
		if err != nil {
			t.Fatalf("read the embedded database's URI of server %s: %v", p.name, err)
		}
		p.MongoURI = strings.TrimSpace(string(b))
		engines.name(p.MongoURI, testengine.Embedded)
	}
}

func (p *serverProcess) running() bool {
	if p.exited == nil {
		return false
	}
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// stop stops the process as an orchestrator does, with SIGTERM, and checks that it shut down cleanly.
func (p *serverProcess) stop(t testing.TB) {
	t.Helper()
	if !p.running() {
		return
	}
	fmt.Fprintf(p.logs, "--- %s: SIGTERM\n", time.Now().Format(time.TimeOnly))
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Errorf("signal server %s: %v", p.name, err)
	}
	select {
	case <-p.exited:
		if p.err != nil {
			t.Errorf("server %s stopped with %v:\n%s", p.name, p.err, tail(p.logs.String(), 4000))
		}
	case <-time.After(30 * time.Second):
		t.Errorf("server %s did not stop within 30s of SIGTERM", p.name)
		p.kill(t)
	}
}

// kill ends the process with SIGKILL: no shutdown, no final checkpoint, requests cut off where they are.
func (p *serverProcess) kill(t testing.TB) {
	t.Helper()
	if !p.running() {
		return
	}
	fmt.Fprintf(p.logs, "--- %s: SIGKILL\n", time.Now().Format(time.TimeOnly))
	if err := p.cmd.Process.Kill(); err != nil {
		t.Errorf("kill server %s: %v", p.name, err)
	}
	<-p.exited
}

// tail returns the last n bytes of s.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}

// graphQLClient sends the tests' GraphQL requests; it keeps enough idle connections for the concurrent writers and
// readers of a test.
var graphQLClient = &http.Client{
	Transport: &http.Transport{MaxIdleConnsPerHost: 32, IdleConnTimeout: 30 * time.Second},
	Timeout:   60 * time.Second,
}

// post sends a GraphQL request from any goroutine. A request that gets no answer (the server was killed, say) is
// an error, not a failed test.
func (s *testServer) post(ctx context.Context, req request) (*gqlResponse, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	header := map[string]string{}
	if req.Token != "" {
		header["Authorization"] = "Bearer " + req.Token
	}
	return postGraphQL(ctx, s, body, header)
}
