package main

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/iclei/directory/internal/testengine"
)

// engines records which engine each test's servers ran on, for the report at the end of the run: CI runs the
// suite on the embedded engine and again on FerretDB + PostgreSQL, and says which test used which.
var engines = &engineLog{names: map[string]string{}, tests: map[string]map[string]bool{}}

type engineLog struct {
	mu    sync.Mutex
	names map[string]string          // connection string -> what the engine is
	tests map[string]map[string]bool // top-level test -> the engines its servers used
}

// name says what the engine at uri is, unless something already did.
func (l *engineLog) name(uri, name string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.names[uri]; !ok {
		l.names[uri] = name
	}
}

// used records that one of t's servers runs on the engine at uri ("" for the server's own embedded engine).
func (l *engineLog) used(t testing.TB, uri string) {
	t.Helper()
	l.mu.Lock()
	name, ok := l.names[uri]
	switch {
	case uri == "":
		name = testengine.Embedded
	case !ok:
		name = "the engine at " + testengine.Redact(uri)
	}
	test, _, _ := strings.Cut(t.Name(), "/")
	if l.tests[test] == nil {
		l.tests[test] = map[string]bool{}
	}
	l.tests[test][name] = true
	l.mu.Unlock()
	t.Logf("engine: %s", name)
}

// report writes which engines the tests used to stderr (shown with -v and on failure) and to the file
// TEST_ENGINE_REPORT names, which CI prints.
func (l *engineLog) report(code int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	byEngines := map[string][]string{}
	for test, used := range l.tests {
		var names []string
		for n := range used {
			names = append(names, n)
		}
		sort.Strings(names)
		key := strings.Join(names, " + ")
		byEngines[key] = append(byEngines[key], test)
	}
	keys := make([]string, 0, len(byEngines))
	for k := range byEngines {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return len(byEngines[keys[i]]) > len(byEngines[keys[j]]) })

	var b strings.Builder
	outcome := "passed"
	if code != 0 {
		outcome = "failed"
	}
	fmt.Fprintf(&b, "integration tests %s; the engines their servers ran on:\n", outcome)
	for _, k := range keys {
		tests := byEngines[k]
		sort.Strings(tests)
		if len(tests) <= 3 {
			fmt.Fprintf(&b, "  %s: %s\n", k, strings.Join(tests, ", "))
		} else {
			fmt.Fprintf(&b, "  %s: %d tests\n", k, len(tests))
		}
	}
	if path := os.Getenv("TEST_ENGINE_REPORT"); path != "" {
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			fmt.Fprintf(os.Stderr, "TEST_ENGINE_REPORT: %v\n", err)
		}
	}
	fmt.Fprint(os.Stderr, b.String())
}

// startEngine starts a database engine the test may stop and start again, and names it in the report.
func startEngine(t *testing.T) *testengine.Engine {
	t.Helper()
	e := testengine.Restartable(t)
	engines.name(e.URI, e.Name)
	return e
}
