package main

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/iclei/directory/internal/testengine"
)

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

// What a MongoDB client writes through the command lands in PostgreSQL, and the command stops cleanly.
func TestServesMongoDBClientsFromPostgreSQL(t *testing.T) {
	pgURL := testengine.PostgreSQL(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr lockedBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-listen-addr", "127.0.0.1:0"}, func(k string) string {
			return map[string]string{"FERRETDB_POSTGRESQL_URL": pgURL}[k]
		}, &stdout, &stderr)
	}()
	var uri string
	for deadline := time.Now().Add(time.Minute); uri == ""; {
		if line, ok := strings.CutPrefix(strings.TrimSpace(stdout.String()), "ready: MONGODB_URI="); ok {
			uri = line
			break
		}
		select {
		case err := <-done:
			t.Fatalf("exited before it was ready: %v\n%s", err, stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready within a minute; stderr:\n%s", stderr.String())
		}
	}

	client, err := mongo.Connect(options.Client().ApplyURI(uri))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Disconnect(context.Background())
	if _, err := client.Database("directory").Collection("offices").InsertOne(ctx, bson.D{{Key: "_id", Value: "korea-office"}}); err != nil {
		t.Fatalf("insert through FerretDB: %v", err)
	}

	conn, err := pgx.Connect(ctx, pgURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	// FerretDB keeps each MongoDB database in a schema of that name, with a table per collection.
	var tables int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM information_schema.tables WHERE table_schema = 'directory' AND table_name LIKE 'offices%'`).Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables != 1 {
		t.Errorf("PostgreSQL has %d tables for the offices collection, want 1", tables)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("stopped with %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("did not stop within 30s of its signal")
	}
}

func TestRefusesToStart(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"without a reachable PostgreSQL", []string{"-postgresql-url", "postgres://ferretdb:secret@127.0.0.1:1/ferretdb",
			"-listen-addr", "127.0.0.1:0", "-ready-timeout", "1s"}, "cannot use PostgreSQL at postgres://ferretdb:xxxxx@127.0.0.1:1/ferretdb"},
		{"with an unknown log level", []string{"-log-level", "loud"}, `-log-level: "loud" is not one of`},
		{"with an argument it does not take", []string{"serve"}, `unexpected argument "serve"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), tt.args, func(string) string { return "" }, &stdout, &stderr)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want one containing %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("the error shows the password: %v", err)
			}
			if stdout.Len() > 0 {
				t.Errorf("said %q on stdout though it did not start", stdout.String())
			}
		})
	}
}
