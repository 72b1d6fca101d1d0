package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/iclei/directory/directory"
	"github.com/iclei/directory/roster"
)

// importActor names the entries the import command writes.
const importActor = "import"

type importFlags struct {
	apply bool
	path  string
}

func (f *importFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&f.apply, "apply", false, "write the changes; without it the command only reports what it would do")
}

func (f *importFlags) file(args []string) error {
	switch len(args) {
	case 0:
		return errors.New("name the roster file to import")
	case 1:
		f.path = args[0]
		return nil
	}
	return fmt.Errorf("import takes one file, got %d", len(args))
}

// rosterColumns names the columns of a roster file, the required ones first, for the help.
func rosterColumns() string {
	var required, optional []string
	for _, c := range roster.Columns {
		if c.Required {
			required = append(required, c.Name)
		} else {
			optional = append(optional, c.Name)
		}
	}
	last := len(required) - 1
	return strings.Join(required[:last], ", ") + " and " + required[last] + ", and optionally " + strings.Join(optional, ", ")
}

// importRoster imports the roster file through the change log, as an admin named import: a dry run unless
// -apply. The file is read and checked before the database is opened.
func importRoster(ctx context.Context, cfg *config, log *slog.Logger, f *importFlags, stdout io.Writer) error {
	file, err := os.Open(f.path)
	if err != nil {
		return fmt.Errorf("open the roster: %w", err)
	}
	rows, refused, err := roster.Parse(file)
	file.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", f.path, err)
	}
	report := &directory.ImportReport{Source: filepath.Base(f.path), Applied: f.apply}
	if len(rows) > 0 {
		d, closeDB, err := openForCommand(ctx, cfg, log)
		if err != nil {
			return err
		}
		defer closeDB()
		importer := &directory.Principal{Subject: importActor, Role: directory.RoleAdmin}
		if report, err = d.writer.ImportMembers(ctx, importer, directory.MemberImportInput{Source: report.Source, Rows: rows}, f.apply); err != nil {
			return err
		}
	}
	report.Refuse(refused...)
	if err := roster.WriteReport(stdout, report); err != nil {
		return err
	}
	if n := report.Count(directory.ImportRefused); n > 0 {
		return fmt.Errorf("%d of %d rows of %s refused; correct them and import the file again (the rows already imported stay unchanged)",
			n, len(report.Rows), f.path)
	}
	return nil
}
