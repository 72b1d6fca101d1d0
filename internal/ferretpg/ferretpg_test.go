package ferretpg_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/iclei/directory/internal/ferretpg"
	"github.com/iclei/directory/internal/testengine"
)

// A lookup by _id through FerretDB is an index scan in PostgreSQL, however often it is repeated: the server
// indexes each table's _ids for the filter FerretDB sends. The test counts the index's scans: every lookup, of a
// document that is there or of one that is not yet (a poll of the change log), is one.
func TestLookupsByIDUseAnIndex(t *testing.T) {
	t.Parallel()
	pgURL := testengine.PostgreSQL(t)
	ctx := context.Background()
	s, err := ferretpg.Start(ctx, ferretpg.Config{PostgreSQLURL: pgURL, ListenAddr: "127.0.0.1:0", ReadyTimeout: 30 * time.Second,
		IndexInterval: 50 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	client, err := mongo.Connect(options.Client().ApplyURI(s.URI))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Disconnect(ctx)
	col := client.Database("lookups").Collection("changes")
	// Like the change log: a thousand entries too large to be stored in the table's own pages (PostgreSQL moves
	// them aside), which makes reading the whole table look cheap to the planner, though each document has to be
	// fetched and unpacked to find its _id.
	docs := make([]any, 1000)
	for i := range docs {
		payload := make([]byte, 6000)
		_, _ = rand.Read(payload)
		docs[i] = bson.D{{Key: "_id", Value: fmt.Sprintf("%016d", i+1)}, {Key: "actor", Value: "seed"},
			{Key: "changes", Value: hex.EncodeToString(payload)}}
	}
	if _, err := col.InsertMany(ctx, docs); err != nil {
		t.Fatal(err)
	}

	conn, err := pgx.Connect(ctx, pgURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var index, table string
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := conn.QueryRow(ctx, `SELECT indexname, tablename FROM pg_indexes WHERE schemaname = 'lookups'
			AND tablename LIKE 'changes%' AND indexdef LIKE '%USING gin%'`).Scan(&index, &table)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no GIN index on the _ids of the changes table within 30s: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, err := conn.Exec(ctx, "ANALYZE "+pgx.Identifier{"lookups", table}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	scans := func() int64 {
		t.Helper()
		var n int64
		if err := conn.QueryRow(ctx, `SELECT idx_scan FROM pg_stat_user_indexes WHERE schemaname = 'lookups' AND indexrelname = $1`,
			index).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := scans()
	// Many more than the five executions after which PostgreSQL may settle on one plan for every value, with
	// found and missing _ids as a server's reads of the log and its polls are.
	const lookups = 40
	for i := range lookups {
		id := fmt.Sprintf("%016d", 1+i*20)
		if i%2 == 1 {
			id = fmt.Sprintf("%016d", 5000+i)
		}
		err := col.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Err()
		if err != nil && err != mongo.ErrNoDocuments {
			t.Fatal(err)
		}
	}
	// PostgreSQL publishes its counters a moment after the transactions that count.
	for deadline := time.Now().Add(10 * time.Second); scans()-before < lookups && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
	}
	if n := scans() - before; n < lookups {
		t.Errorf("%d lookups by _id scanned the index %d times", lookups, n)
	}
}
