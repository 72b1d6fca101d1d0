// Package checkpoint saves the directory's read model to a file and loads it again, so that a server starts from
// its last checkpoint and the change log's entries after it instead of reading every record from the database.
package checkpoint

import (
	"bufio"
	"encoding/gob"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/iclei/directory/directory"
)

// format names the file format; a file of another format is not loaded.
const format = "iclei-directory checkpoint 1"

// Checkpoint is the directory at one revision of the change log.
type Checkpoint struct {
	Format string
	// WriteID is the write ID of the log's entry at Data.Revision: a checkpoint belongs to a log only if that
	// log holds the same entry there (a database dropped and made anew does not).
	WriteID string
	Data    directory.Data
}

// Save writes the checkpoint to path, atomically: a reader finds the old file or the new one, never a part.
func Save(path string, c *Checkpoint) error {
	c.Format = format
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("save checkpoint: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("save checkpoint: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	w := bufio.NewWriterSize(f, 1<<20)
	err = gob.NewEncoder(w).Encode(c)
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		return fmt.Errorf("save checkpoint: %w", err)
	}
	return nil
}

// Load reads the checkpoint at path. It returns nil and no error when there is no file.
func Load(path string) (*Checkpoint, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load checkpoint: %w", err)
	}
	defer f.Close()
	var c Checkpoint
	if err := gob.NewDecoder(bufio.NewReaderSize(f, 1<<20)).Decode(&c); err != nil {
		return nil, fmt.Errorf("load checkpoint %s: %w", path, err)
	}
	if c.Format != format {
		return nil, fmt.Errorf("load checkpoint %s: format %q is not %q", path, c.Format, format)
	}
	return &c, nil
}
