package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// quoteBlock is a code block of docs/clients.md that quotes a file, or the region of a file between the lines
// "docs:begin NAME" and "docs:end NAME".
var quoteBlock = regexp.MustCompile("(?s)<!-- quote: ([^ #]+)(?:#(\\S+))? -->\n```(\\w+)\n(.*?)```")

// quote returns the text a quote block shows.
func quote(t *testing.T, path, region string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.FromSlash(path))
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	if region == "" {
		return text
	}
	var lines []string
	in := false
	for _, line := range strings.Split(text, "\n") {
		switch {
		case strings.Contains(line, "docs:begin "+region):
			in = true
		case strings.Contains(line, "docs:end "+region):
			in = false
		case in:
			lines = append(lines, line)
		}
	}
	if len(lines) == 0 {
		t.Fatalf("%s has no region %s", path, region)
	}
	indent := len(lines[0]) - len(strings.TrimLeft(lines[0], "\t"))
	for i, l := range lines {
		lines[i] = strings.TrimPrefix(l, strings.Repeat("\t", indent))
	}
	return strings.Join(lines, "\n") + "\n"
}

// TestClientDocsQuoteTheExamples fails when a snippet in docs/clients.md differs from the example file it
// quotes, which the tests run: run `go generate ./...` (or this test with -update) after changing an example.
func TestClientDocsQuoteTheExamples(t *testing.T) {
	t.Parallel()
	const doc = "docs/clients.md"
	b, err := os.ReadFile(doc)
	if err != nil {
		t.Fatal(err)
	}
	quotes := 0
	want := quoteBlock.ReplaceAllStringFunc(string(b), func(block string) string {
		m := quoteBlock.FindStringSubmatch(block)
		quotes++
		region := ""
		if m[2] != "" {
			region = "#" + m[2]
		}
		return "<!-- quote: " + m[1] + region + " -->\n```" + m[3] + "\n" + quote(t, m[1], m[2]) + "```"
	})
	if quotes < 5 {
		t.Fatalf("%s quotes %d examples, want the Apollo, urql and genqlient ones", doc, quotes)
	}
	if *update {
		if err := os.WriteFile(doc, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if want != string(b) {
		t.Errorf("%s does not quote the examples as they are; run go generate ./... or go test -run %s -update", doc, t.Name())
	}
}

// TestClientSnippets runs the Apollo Client and urql setups of docs/clients.md against a real server
// (examples/clients/check.mjs). It needs Node.js and the examples' npm packages; CI installs both.
func TestClientSnippets(t *testing.T) {
	t.Parallel()
	node := nodeForExamples(t)
	s := startServer(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, node, "examples/clients/check.mjs", s.URL).CombinedOutput()
	if err != nil {
		t.Fatalf("check.mjs: %v\n%s", err, out)
	}
	for _, want := range []string{"ok Apollo Client", "ok urql"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("no %q in\n%s", want, out)
		}
	}
}

// TestSubscriptionClients runs the graphql-ws and graphql-sse clients of docs/clients.md against a real server
// (examples/clients/subscriptions.mjs) while an admin grants a membership. It needs Node.js and the examples'
// npm packages; CI installs both.
func TestSubscriptionClients(t *testing.T) {
	t.Parallel()
	node := nodeForExamples(t)
	s := startServer(t, nil)
	key := s.mintKey(t, "dashboard-admin", "admin")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, node, "examples/clients/subscriptions.mjs", s.URL, key).CombinedOutput()
	if err != nil {
		t.Fatalf("subscriptions.mjs: %v\n%s", err, out)
	}
	for _, want := range []string{"ok graphql-ws and graphql-sse receive", "ok private events", "ok errors carry extensions.code"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("no %q in\n%s", want, out)
		}
	}
}

// TestBatchingClient runs Apollo Client's BatchHttpLink of docs/clients.md against a real server that allows
// batches (examples/clients/check-batch.mjs). It needs Node.js and the examples' npm packages; CI installs both.
func TestBatchingClient(t *testing.T) {
	t.Parallel()
	node := nodeForExamples(t)
	s := startServer(t, map[string]string{"GRAPHQL_BATCH_MAX": "5"})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, node, "examples/clients/check-batch.mjs", s.URL).CombinedOutput()
	if err != nil {
		t.Fatalf("check-batch.mjs: %v\n%s", err, out)
	}
	for _, want := range []string{"ok Apollo BatchHttpLink sends one POST", "ok Apollo BatchHttpLink keeps to batchMax"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("no %q in\n%s", want, out)
		}
	}
}

// TestSupergraphComposition composes the subgraph SDL a real server publishes (_service { sdl }) with a small
// partner subgraph that extends City and refers to Office by key, with a real composition library
// (@theguild/federation-composition, examples/clients/supergraph.mjs). It needs Node.js and the examples' npm
// packages; CI installs both.
func TestSupergraphComposition(t *testing.T) {
	t.Parallel()
	node := nodeForExamples(t)
	s := startServer(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, node, "examples/clients/supergraph.mjs", s.URL).CombinedOutput()
	if err != nil {
		t.Fatalf("supergraph.mjs: %v\n%s", err, out)
	}
	for _, want := range []string{"ok the directory composes with a partner subgraph", "ok composition refuses a contradicting partner"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("no %q in\n%s", want, out)
		}
	}
	t.Logf("%s", out)
}

// nodeForExamples returns the path of Node.js for a test that runs the examples' scripts, or skips the test,
// saying why, where Node.js or the examples' npm packages are missing. CI installs both and may not skip.
func nodeForExamples(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	why := ""
	switch {
	case err != nil:
		why = "Node.js (node) is not installed"
	case func() bool { _, err := os.Stat("examples/clients/node_modules"); return err != nil }():
		why = "the examples' npm packages are not installed; run npm ci --prefix examples/clients"
	}
	if why != "" {
		if os.Getenv("CI") != "" {
			t.Fatal("CI must run the examples' scripts: " + why)
		}
		t.Skip("skipping: " + why)
	}
	return node
}
