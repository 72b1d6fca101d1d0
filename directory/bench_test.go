package directory_test

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/iclei/directory/directory"
	"github.com/iclei/directory/internal/benchdata"
)

// BenchmarkSnapshotBuild measures what a reload costs the server: the time to index a directory, and the heap
// a snapshot keeps. snapshot-B/city counts the records with their indexes; index-B/city the indexes alone,
// what a snapshot costs beyond the data it was loaded from. cpu-ns/op is the process's CPU time per build,
// steadier than ns/op on a busy machine.
func BenchmarkSnapshotBuild(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000} {
		b.Run(fmt.Sprintf("cities=%d", n), func(b *testing.B) {
			data, err := benchdata.Directory(n)
			if err != nil {
				b.Fatal(err)
			}
			whole := retainedHeap(func() any {
				d, err := benchdata.Directory(n)
				if err != nil {
					b.Fatal(err)
				}
				return directory.NewSnapshot(*d, time.Time{})
			})
			clone := cloneData(data)
			index := retainedHeap(func() any { return directory.NewSnapshot(clone, time.Time{}) })

			b.ReportAllocs()
			var cpu time.Duration
			for b.Loop() {
				// NewSnapshot sorts the slices it is given; each build starts from the order the store gave.
				b.StopTimer()
				d := cloneData(data)
				b.StartTimer()
				start := benchdata.CPUTime()
				directory.NewSnapshot(d, time.Time{})
				cpu += benchdata.CPUTime() - start
			}
			if cpu > 0 {
				b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
			}
			b.ReportMetric(float64(whole)/float64(n), "snapshot-B/city")
			b.ReportMetric(float64(index)/float64(n), "index-B/city")
		})
	}
}

// retainedHeap returns how many bytes of heap what build returns keeps alive.
func retainedHeap(build func() any) int64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	x := build()
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(x)
	return int64(after.HeapAlloc) - int64(before.HeapAlloc)
}

// cloneData copies the slices NewSnapshot takes ownership of; the records' own contents are shared.
func cloneData(d *directory.Data) directory.Data {
	c := *d
	c.Regions = slices.Clone(d.Regions)
	c.Secretariats = slices.Clone(d.Secretariats)
	c.Offices = slices.Clone(d.Offices)
	c.Cities = slices.Clone(d.Cities)
	c.Programs = slices.Clone(d.Programs)
	c.Organizations = slices.Clone(d.Organizations)
	c.People = slices.Clone(d.People)
	return c
}

// BenchmarkApply measures applying one entry of the change log to a snapshot: a city's membership granted. It
// is what every server does for every write; it should not grow with the directory.
func BenchmarkApply(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000} {
		b.Run(fmt.Sprintf("cities=%d", n), func(b *testing.B) {
			data, err := benchdata.Directory(n)
			if err != nil {
				b.Fatal(err)
			}
			snap := directory.NewSnapshot(*data, time.Time{})
			c := snap.City("seoul")
			granted := *c
			granted.Version++
			granted.Memberships = []directory.Membership{{ID: "m1", City: "seoul", Category: directory.MembershipFull,
				Status: directory.MembershipActive, Since: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), Secretariat: "east-asia-secretariat"}}
			e := &directory.Entry{Revision: snap.Revision + 1, Actor: "bench", Changes: []directory.Change{{Kind: directory.KindCity,
				Key: "seoul", Action: directory.ActionUpdate, Version: c.Version, Before: c, After: &granted}}}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := snap.Apply(e, time.Time{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkImportDryRun measures planning a roster of 100 new cities in China, which holds about 28 % of a
// generated directory's cities: finding a row's city by name scans the cities of its country, so a row costs
// more in a larger directory. ns/row is the cost of one row.
func BenchmarkImportDryRun(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000} {
		b.Run(fmt.Sprintf("cities=%d", n), func(b *testing.B) {
			data, err := benchdata.Directory(n)
			if err != nil {
				b.Fatal(err)
			}
			rm := directory.NewReadModel(directory.NewMemoryLog(), directory.NewSnapshot(*data, time.Now()), slog.New(slog.DiscardHandler))
			w := directory.NewWriter(directory.NewMemoryLog(), rm)
			rows := make([]directory.RosterRow, 100)
			for i := range rows {
				rows[i] = directory.RosterRow{Name: fmt.Sprintf("Benchmark Town %d", i), Country: "CN", Region: "east-asia",
					Population: 10_000 + i, MemberSince: time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC), Category: directory.MembershipFull}
			}
			in := directory.MemberImportInput{Source: "bench.csv", Rows: rows}
			admin := &directory.Principal{Subject: "bench", Role: directory.RoleAdmin}
			ctx := context.Background()
			for b.Loop() {
				r, err := w.ImportMembers(ctx, admin, in, false)
				if err != nil || r.Count(directory.ImportCreate) != len(rows) {
					b.Fatalf("%v %+v", err, r)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(rows)), "ns/row")
		})
	}
}
