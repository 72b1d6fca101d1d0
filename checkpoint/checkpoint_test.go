package checkpoint_test

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/iclei/directory/checkpoint"
	"github.com/iclei/directory/directory"
	"github.com/iclei/directory/seed"
)

func TestACheckpointHoldsTheSnapshot(t *testing.T) {
	t.Parallel()
	d, _, err := seed.Build()
	if err != nil {
		t.Fatal(err)
	}
	d.Revision = 7
	d.History = []directory.RecordHistory{{Kind: directory.KindCity, Key: "seoul", Revisions: []int64{1, 7}}}
	want := directory.NewSnapshot(*d, time.Now()).Data()
	path := filepath.Join(t.TempDir(), "sub", "checkpoint.gob")
	if err := checkpoint.Save(path, &checkpoint.Checkpoint{WriteID: "w7", Data: want}); err != nil {
		t.Fatal(err)
	}
	got, err := checkpoint.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.WriteID != "w7" || got.Data.Revision != 7 {
		t.Errorf("loaded WriteID %q at revision %d", got.WriteID, got.Data.Revision)
	}
	// The snapshot built from the checkpoint holds what the saved one did.
	again := directory.NewSnapshot(got.Data, time.Now()).Data()
	if !reflect.DeepEqual(again, want) {
		t.Error("a snapshot loaded from the checkpoint differs from the one saved")
	}
	if files, _ := os.ReadDir(filepath.Dir(path)); len(files) != 1 {
		t.Errorf("the checkpoint's folder holds %d files, want the checkpoint alone", len(files))
	}
}

func TestNoCheckpointAndBrokenOnes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if c, err := checkpoint.Load(filepath.Join(dir, "none.gob")); c != nil || err != nil {
		t.Errorf("no file: %v, %v; want nothing and no error", c, err)
	}
	broken := filepath.Join(dir, "broken.gob")
	if err := os.WriteFile(broken, []byte("not a checkpoint"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := checkpoint.Load(broken); err == nil {
		t.Error("a file that is no checkpoint loaded")
	}
}
