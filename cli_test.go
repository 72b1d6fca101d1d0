package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"strings"
	"testing"
)

func TestBusyPortIsFoundBeforeTheDatabaseOpens(t *testing.T) {
	t.Parallel()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	dir := t.TempDir()
	env := map[string]string{"LISTEN_ADDR": busy.Addr().String(), "DATA_DIR": dir}
	var stdout, stderr bytes.Buffer
	err = run(context.Background(), []string{"directory"}, func(k string) string { return env[k] }, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "listen on "+busy.Addr().String()) {
		t.Fatalf("err = %v, want a listen error", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) > 0 {
		t.Errorf("the data folder was used before the port was checked: %v", entries)
	}
}

func TestHealthcheck(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	addr := strings.TrimPrefix(s.URL, "http://")
	out, _, err := invoke(t, map[string]string{"LISTEN_ADDR": addr}, "healthcheck")
	if err != nil || !strings.Contains(out, "200 OK") {
		t.Errorf("out %q, err %v", out, err)
	}
	_, port, _ := net.SplitHostPort(addr)
	if _, _, err := invoke(t, map[string]string{"PORT": port}, "healthcheck"); err != nil {
		t.Errorf("by PORT: %v", err)
	}

	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed.Close()
	if _, _, err := invoke(t, map[string]string{"LISTEN_ADDR": closed.Addr().String()}, "healthcheck", "-timeout", "2s"); err == nil {
		t.Error("a healthcheck of a closed port passed")
	}
	if _, _, err := invoke(t, nil, "healthcheck", "-url", s.URL+"/nowhere"); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("a 404 passed: %v", err)
	}
}
