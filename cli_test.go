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
