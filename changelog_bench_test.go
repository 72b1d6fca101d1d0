package main

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/iclei/directory/directory"
	"github.com/iclei/directory/internal/benchdata"
)

// The change log's benchmarks run on the embedded FerretDB, as `go run .` does. Each size is loaded through the
// log first (as load-bench does), which takes a while at 100,000 cities:
//
//	go test -run '^$' -bench 'BenchmarkWrite|BenchmarkStart' -benchtime 200x .

var changelogSizes = []int{0, 1_000, 10_000, 100_000} // 0: the seed alone

// loadedDirectory is a database holding a directory of the size, with a server's view of it.
type loadedDirectory struct {
	dir   string
	cfg   *config
	db    *database
	state *liveDirectory
}

func loadDirectory(b *testing.B, cities int) *loadedDirectory {
	b.Helper()
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	dir := b.TempDir()
	cfg := &config{DataDir: dir, MongoDatabase: "bench", ConnectTimeout: 10 * time.Second, OperationTimeout: time.Minute}
	db, err := openDatabase(ctx, cfg, log, false)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.close(ctx, log) })
	state, err := openDirectory(ctx, cfg, log, db.store)
	if err != nil {
		b.Fatal(err)
	}
	if cities == 0 {
		_, err = seedDirectory(ctx, state.writer, log)
	} else {
		var data *directory.Data
		if data, err = benchdata.Directory(cities); err == nil {
			_, err = state.writer.Seed(ctx, loadBenchActor, data, entryBatch)
		}
	}
	if err != nil {
		b.Fatal(err)
	}
	return &loadedDirectory{dir: dir, cfg: cfg, db: db, state: state}
}

// BenchmarkWrite measures one write as a client waits for it: validated against the snapshot, appended to the
// log, applied to the snapshot. Each write changes a membership of one city, alternately granting and ending.
func BenchmarkWrite(b *testing.B) {
	admin := &directory.Principal{Subject: "apikey:bench", Role: directory.RoleAdmin}
	for _, n := range changelogSizes {
		b.Run(sizeName(n), func(b *testing.B) {
			d := loadDirectory(b, n)
			ctx := context.Background()
			w := d.state.writer
			since := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
			b.ResetTimer()
			// The process's CPU time (the server and the embedded FerretDB in it) is steadier than the wall time
			// on a shared machine, where a write waits for a core.
			cpu := benchdata.CPUTime()
			for i := 0; b.Loop(); i++ {
				c := d.state.rm.Snapshot().City("seoul")
				var err error
				if m := c.CurrentMembership(); m == nil || m.Status == directory.MembershipEnded {
					_, err = w.GrantMembership(ctx, admin, directory.GrantMembershipInput{City: "seoul", CityVersion: c.Version,
						Category: directory.MembershipFull, Since: since})
				} else {
					_, err = w.EndMembership(ctx, admin, directory.EndMembershipInput{City: "seoul", CityVersion: c.Version,
						Membership: m.ID, Until: since.AddDate(0, 0, i%365)})
				}
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(benchdata.CPUTime()-cpu)/float64(b.N), "cpu-ns/op")
		})
	}
}

// BenchmarkStart measures a server's start on a warm data folder: the embedded database opened, the directory
// loaded from its checkpoint and brought up to the log's head.
func BenchmarkStart(b *testing.B) {
	for _, n := range changelogSizes {
		b.Run(sizeName(n), func(b *testing.B) {
			d := loadDirectory(b, n)
			ctx := context.Background()
			if _, err := d.state.saveCheckpoint(ctx, -1); err != nil {
				b.Fatal(err)
			}
			d.db.close(ctx, slog.New(slog.DiscardHandler))
			log := slog.New(slog.DiscardHandler)
			b.ResetTimer()
			var cpu time.Duration
			for b.Loop() {
				before := benchdata.CPUTime()
				db, err := openDatabase(ctx, d.cfg, log, false)
				if err != nil {
					b.Fatal(err)
				}
				state, err := openDirectory(ctx, d.cfg, log, db.store)
				if err != nil {
					b.Fatal(err)
				}
				if state.rm.Snapshot().Counts().Cities < n {
					b.Fatalf("started with %d cities, want %d", state.rm.Snapshot().Counts().Cities, n)
				}
				cpu += benchdata.CPUTime() - before
				b.StopTimer()
				db.close(ctx, log)
				b.StartTimer()
			}
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
		})
	}
}

func sizeName(cities int) string {
	if cities == 0 {
		return "seed"
	}
	return fmt.Sprintf("%dk", cities/1000)
}
