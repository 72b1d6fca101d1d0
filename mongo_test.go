package main

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/iclei/directory/mongodb"
)

// openStore connects a test to a database directly, for set-up and for checks behind the API's back.
func openStore(t *testing.T, uri, database string) *mongodb.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := mongodb.Connect(ctx, mongodb.Config{URI: uri, Database: database, ConnectTimeout: 5 * time.Second}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	return s
}

func dropDatabase(t *testing.T, uri, database string) {
	t.Helper()
	if err := openStore(t, uri, database).DropDatabase(context.Background()); err != nil {
		t.Errorf("drop test database: %v", err)
	}
}
