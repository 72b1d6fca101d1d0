package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/iclei/directory/internal/benchdata"
)

// loadBenchActor names the entries load-bench writes.
const loadBenchActor = "load-bench"

type loadBenchFlags struct {
	cities int
}

func (f *loadBenchFlags) register(fs *flag.FlagSet) {
	fs.IntVar(&f.cities, "cities", 100_000, "how many cities the directory holds afterwards: the seed's and generated ones (1 to 1,000,000)")
}

// loadBench writes a large generated directory through the change log, as any write goes, for benchmarks and
// drills: the seed data plus generated cities and offices, the same for the same -cities. It is idempotent:
// running it again changes nothing, and records users edited are kept.
func loadBench(ctx context.Context, cfg *config, log *slog.Logger, f *loadBenchFlags, stdout io.Writer) error {
	if f.cities < 1 || f.cities > 1_000_000 {
		return fmt.Errorf("-cities must be between 1 and 1000000, got %d", f.cities)
	}
	data, err := benchdata.Directory(f.cities)
	if err != nil {
		return err
	}
	d, closeDB, err := openForCommand(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer closeDB()
	start := time.Now()
	r, err := d.writer.Seed(ctx, loadBenchActor, data, entryBatch)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "loaded %d cities: %d records inserted, %d updated, %d unchanged, %d kept as edited, in %s; revision %d\n",
		f.cities, r.Inserted, r.Updated, r.Unchanged, len(r.Kept), time.Since(start).Round(time.Millisecond), r.Revision)
	return nil
}
