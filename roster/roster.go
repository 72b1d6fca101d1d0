// Package roster reads a member roster from CSV, in the shape ICLEI publishes in its member search, into the
// rows of the directory's import (directory.Writer.ImportMembers), and writes the import's report for people.
//
// The first record is the header; its columns, in any order, are named in Columns. Lines starting with # are
// comments. A line that cannot be read as a row is refused with its line number and does not stop the others;
// a file without the required columns, larger than MaxBytes, with more than directory.MaxImportRows rows or not
// in UTF-8 is refused whole, before anything is imported.
package roster

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/iclei/directory/directory"
)

// MaxBytes bounds the size of a roster file: a thousand rows take a small part of it.
const MaxBytes = 1 << 20

// Column is a column of a roster file.
type Column struct {
	// Name is the column's name in the header row.
	Name string
	// Field is the field of directory.RosterRow (and of the importMembers mutation's MemberRowInput) it fills.
	Field    string
	Required bool
	// About says what the column holds, for the documentation and the help.
	About string
}

// Columns are the columns of a roster file. A header names them in any order, in any case, with spaces or
// underscores between words; the optional ones may be left out.
var Columns = []Column{
	{"local_government", "name", true, "the local government's name, such as Exampleville"},
	{"country", "country", true, "an ISO 3166-1 code such as DE, or the country's English name such as Germany"},
	{"region", "region", false, "the ICLEI region serving the country, by code or name (europe, ICLEI Europe); checked against the country"},
	{"population", "population", false, "a whole number (1200000 or 1,200,000); empty keeps the city's"},
	{"member_since", "memberSince", true, "when the membership began: a date such as 2004-05-01, or a year (2004 is 2004-01-01)"},
	{"category", "category", true, "FULL or ASSOCIATE (\"Full member\" reads as FULL)"},
	{"status", "status", false, "ACTIVE (the default when empty) or SUSPENDED"},
	{"representative_title", "representativeTitle", false, "the title of the member's representative in ICLEI, such as Mayor; empty keeps it"},
	{"city_key", "city", false, "the key of the city the row is about, such as seoul; empty finds the city by name in its country, or makes a new key from the name"},
}

// ColumnOf returns the column that fills the row's field, or the field itself where no column does.
func ColumnOf(field string) string {
	for _, c := range Columns {
		if c.Field == field {
			return c.Name
		}
	}
	return field
}

// Parse reads a roster. It returns the rows to import, each with its line in the file, and the lines it could
// not read as a row, refused; an error means the file as a whole cannot be imported.
func Parse(r io.Reader) (rows []directory.RosterRow, refused []directory.ImportResult, err error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxBytes+1))
	if err != nil {
		return nil, nil, fmt.Errorf("read the roster: %w", err)
	}
	if len(b) > MaxBytes {
		return nil, nil, fmt.Errorf("the roster is larger than %d bytes; split it into several files", MaxBytes)
	}
	// Spreadsheets often save CSV as UTF-8 with a byte order mark.
	b = bytes.TrimPrefix(b, []byte("\uFEFF"))
	if err := checkUTF8(b); err != nil {
		return nil, nil, err
	}
	cr := csv.NewReader(bytes.NewReader(b))
	cr.Comment = '#'
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	switch {
	case errors.Is(err, io.EOF):
		return nil, nil, errors.New("the roster is empty: its first line must be the header, " + headerHint())
	case err != nil:
		return nil, nil, fmt.Errorf("read the header: %w", err)
	}
	at, err := readHeader(header)
	if err != nil {
		return nil, nil, err
	}
	for {
		record, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if n := len(rows) + len(refused); n >= directory.MaxImportRows {
			return nil, nil, fmt.Errorf("the roster has more than %d rows, as many as one import takes; split it into several files", directory.MaxImportRows)
		}
		var pe *csv.ParseError
		switch {
		case errors.As(err, &pe):
			refused = append(refused, refusal(pe.StartLine, "", "the line is not valid CSV (%v); check its quotes", pe.Err))
			continue
		case err != nil:
			return nil, nil, fmt.Errorf("read the roster: %w", err)
		}
		line, _ := cr.FieldPos(0)
		if len(record) != len(header) {
			refused = append(refused, refusal(line, "", "the line has %d fields and the header %d; quote a field that holds a comma", len(record), len(header)))
			continue
		}
		row, bad := readRow(line, record, at)
		if bad != nil {
			refused = append(refused, *bad)
			continue
		}
		rows = append(rows, row)
	}
	if len(rows)+len(refused) == 0 {
		return nil, nil, errors.New("the roster has a header and no rows")
	}
	return rows, refused, nil
}

// checkUTF8 refuses a file that is not UTF-8 text, as a whole: one saved in another encoding (a spreadsheet's
// "Unicode text", which is UTF-16, or a legacy one such as Windows-1252) would otherwise have its rows with
// accented names refused and the others imported, the roster half in.
func checkUTF8(b []byte) error {
	if utf8.Valid(b) {
		return nil
	}
	const save = "save it as CSV UTF-8 (spreadsheets offer it under Save As) and import it again"
	if bytes.HasPrefix(b, []byte{0xFF, 0xFE}) || bytes.HasPrefix(b, []byte{0xFE, 0xFF}) {
		return errors.New("the roster is UTF-16 text; " + save)
	}
	bad := 0
	for bad < len(b) {
		r, n := utf8.DecodeRune(b[bad:])
		if r == utf8.RuneError && n <= 1 {
			break
		}
		bad += n
	}
	return fmt.Errorf("the roster is not UTF-8 text (line %d is not); %s", 1+bytes.Count(b[:bad], []byte("\n")), save)
}

// readHeader returns the position of each column in the header, by column name.
func readHeader(header []string) (map[string]int, error) {
	at := map[string]int{}
	for i, h := range header {
		name := strings.ToLower(strings.Join(strings.FieldsFunc(h, func(r rune) bool { return r == ' ' || r == '_' || r == '-' }), "_"))
		if !known(name) {
			return nil, fmt.Errorf("the header names the column %q, which a roster does not have; %s", h, headerHint())
		}
		if _, dup := at[name]; dup {
			return nil, fmt.Errorf("the header names the column %q twice", h)
		}
		at[name] = i
	}
	var missing []string
	for _, c := range Columns {
		if _, ok := at[c.Name]; c.Required && !ok {
			missing = append(missing, c.Name)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("the header lacks the column %s; %s", strings.Join(missing, ", "), headerHint())
	}
	return at, nil
}

func known(name string) bool {
	for _, c := range Columns {
		if c.Name == name {
			return true
		}
	}
	return false
}

func headerHint() string {
	var req, opt []string
	for _, c := range Columns {
		if c.Required {
			req = append(req, c.Name)
		} else {
			opt = append(opt, c.Name)
		}
	}
	return "the columns are " + strings.Join(req, ", ") + " and, optionally, " + strings.Join(opt, ", ")
}

// readRow reads the cells of a record into a row; the domain checks what they say.
func readRow(line int, record []string, at map[string]int) (directory.RosterRow, *directory.ImportResult) {
	cell := func(name string) string {
		if i, ok := at[name]; ok {
			return strings.TrimSpace(record[i])
		}
		return ""
	}
	row := directory.RosterRow{Line: line, City: cell("city_key"), Name: cell("local_government"), Country: cell("country"),
		Region: cell("region"), RepresentativeTitle: cell("representative_title"),
		Category: directory.MembershipCategory(enum(cell("category"), " MEMBER")),
		Status:   directory.MembershipStatus(enum(cell("status"), ""))}
	if p := cell("population"); p != "" {
		n, err := strconv.Atoi(strings.NewReplacer(",", "", " ", "", "_", "").Replace(p))
		if err != nil || n < 0 {
			r := refusal(line, "population", "population %q is not a whole number such as 1200000", p)
			return row, &r
		}
		row.Population = n
	}
	if s := cell("member_since"); s != "" {
		t, err := time.Parse(time.DateOnly, s)
		if err != nil {
			t, err = time.Parse("2006", s)
		}
		if err != nil {
			r := refusal(line, "member_since", "member_since %q is not a date such as 2004-05-01 or a year such as 2004", s)
			return row, &r
		}
		row.MemberSince = t
	}
	return row, nil
}

// enum reads an enum value as a person may write it: "Full member" is FULL.
func enum(s, suffix string) string {
	return strings.TrimSuffix(strings.ToUpper(strings.Join(strings.Fields(s), " ")), suffix)
}

func refusal(line int, column, format string, args ...any) directory.ImportResult {
	return directory.ImportResult{Line: line, Outcome: directory.ImportRefused,
		Refusal: &directory.Error{Code: directory.CodeInvalidInput, Field: column, Message: fmt.Sprintf(format, args...)}}
}

// WriteReport writes the report of an import for a person: a line per row with what it changes, or why it was
// refused, and a summary.
func WriteReport(w io.Writer, r *directory.ImportReport) error {
	bw := &errWriter{w: w}
	if r.Applied {
		bw.printf("%s: imported at revision %d\n", r.Source, r.Revision)
	} else {
		bw.printf("%s: dry run against revision %d; nothing is written (-apply writes)\n", r.Source, r.Revision)
	}
	verbs := map[directory.ImportOutcome][2]string{
		directory.ImportCreate:    {"would create", "created"},
		directory.ImportUpdate:    {"would update", "updated"},
		directory.ImportUnchanged: {"unchanged", "unchanged"},
		directory.ImportRefused:   {"refused", "refused"},
	}
	tense := 0
	if r.Applied {
		tense = 1
	}
	for _, x := range r.Rows {
		bw.printf("line %d: %s", x.Line, verbs[x.Outcome][tense])
		if x.CityKey != "" {
			bw.printf(" %s", x.CityKey)
		}
		if x.Revision != 0 {
			bw.printf(" (revision %d)", x.Revision)
		}
		if e := x.Refusal; e != nil {
			bw.printf(": %s", e.Code)
			if e.Field != "" {
				bw.printf(" in %s", ColumnOf(e.Field))
			}
			bw.printf(": %s", e.Message)
		}
		bw.printf("\n")
		for _, c := range x.Changes {
			bw.printf("    %s\n", c)
		}
	}
	bw.printf("%d rows: %d %s, %d %s, %d unchanged, %d refused\n", len(r.Rows),
		r.Count(directory.ImportCreate), verbs[directory.ImportCreate][tense],
		r.Count(directory.ImportUpdate), verbs[directory.ImportUpdate][tense],
		r.Count(directory.ImportUnchanged), r.Count(directory.ImportRefused))
	return bw.err
}

// errWriter keeps the first error of a series of writes.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}
