package roster_test

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/iclei/directory/directory"
	"github.com/iclei/directory/roster"
)

func date(t *testing.T, s string) time.Time {
	t.Helper()
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestParseReadsRowsWithTheirLines(t *testing.T) {
	t.Parallel()
	const file = "\uFEFFLocal Government,Country,Region,Population,Member Since,Category,Status,Representative Title,city_key\n" +
		"# Illustrative rows.\n" +
		"Exampleville,DE,europe,\"48,000\",2004-05-01,Full member,,Mayor,\n" +
		"\n" +
		"\"Sampleton, Lower\",Brazil,, ,2012,associate,suspended,,sampleton-lower\n" +
		"Bad Count,DE\n" +
		"Bad Population,DE,,about 5000,2004,FULL,,,\n" +
		"Bad Date,DE,,,May 2004,FULL,,,\n" +
		"Bad \"Quote,DE,,,2004,FULL,,,\n" +
		"Last,DE,,,2004,FULL,,,\n"
	rows, refused, err := roster.Parse(strings.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	want := []directory.RosterRow{
		{Line: 3, Name: "Exampleville", Country: "DE", Region: "europe", Population: 48000, MemberSince: date(t, "2004-05-01"),
			Category: directory.MembershipFull, RepresentativeTitle: "Mayor"},
		{Line: 5, City: "sampleton-lower", Name: "Sampleton, Lower", Country: "Brazil", MemberSince: date(t, "2012-01-01"),
			Category: directory.MembershipAssociate, Status: directory.MembershipSuspended},
		{Line: 10, Name: "Last", Country: "DE", MemberSince: date(t, "2004-01-01"), Category: directory.MembershipFull},
	}
	if got, want := fmt.Sprintf("%+v", rows), fmt.Sprintf("%+v", want); got != want {
		t.Errorf("rows:\n%s\nwant:\n%s", got, want)
	}
	var got []string
	for _, r := range refused {
		got = append(got, fmt.Sprintf("%d %s %s %s", r.Line, r.Outcome, r.Refusal.Code, r.Refusal.Field))
	}
	if want := []string{"6 REFUSED BAD_USER_INPUT ", "7 REFUSED BAD_USER_INPUT population", "8 REFUSED BAD_USER_INPUT member_since",
		"9 REFUSED BAD_USER_INPUT "}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("refused = %q, want %q", got, want)
	}
}

func TestParseRefusesAFileItCannotImport(t *testing.T) {
	t.Parallel()
	const header = "local_government,country,member_since,category\n"
	many := header + strings.Repeat("Exampleville,DE,2004,FULL\n", directory.MaxImportRows+1)
	cases := []struct {
		name, file, want string
	}{
		{"an empty file", "", "the roster is empty"},
		{"a header only", header, "no rows"},
		{"a header without a required column", "local_government,country,category\nX,DE,FULL\n", "lacks the column member_since"},
		{"an unknown column", "local_government,country,member_since,category,mayor\n", `the column "mayor"`},
		{"a column twice", "local_government,country,member_since,category,Country\n", "twice"},
		{"more rows than one import takes", many, "more than 1000 rows"},
		{"a file in Windows-1252", header + "Exampleville,DE,2004,FULL\nM\xfcnster,DE,2004,FULL\n", "not UTF-8 text (line 3 is not)"},
		{"a file in UTF-16", "\xff\xfel\x00o\x00c\x00", "the roster is UTF-16 text; save it as CSV UTF-8"},
		{"a file larger than the limit", header + strings.Repeat("#"+strings.Repeat("x", 1000)+"\n", roster.MaxBytes/1000), "larger than"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := roster.Parse(strings.NewReader(c.file))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want one saying %q", err, c.want)
			}
		})
	}
	exactly := header + strings.Repeat("Exampleville,DE,2004,FULL\n", directory.MaxImportRows)
	if rows, _, err := roster.Parse(strings.NewReader(exactly)); err != nil || len(rows) != directory.MaxImportRows {
		t.Errorf("a roster of exactly %d rows: %d rows, %v", directory.MaxImportRows, len(rows), err)
	}
}

func TestTheExampleRosterParses(t *testing.T) {
	t.Parallel()
	f, err := os.Open("../examples/roster/example-roster.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, refused, err := roster.Parse(f)
	if err != nil || len(refused) > 0 || len(rows) == 0 {
		t.Fatalf("%d rows, refused %+v, err %v", len(rows), refused, err)
	}
}

func TestWriteReport(t *testing.T) {
	t.Parallel()
	r := &directory.ImportReport{Source: "roster.csv", Revision: 41, Rows: []directory.ImportResult{
		{Line: 3, CityKey: "exampleville", Outcome: directory.ImportCreate, Changes: []string{"create the city", "grant membership m1"}},
		{Line: 5, CityKey: "seoul", Outcome: directory.ImportUnchanged},
		{Line: 6, Outcome: directory.ImportRefused, Refusal: &directory.Error{Code: directory.CodeInvalidInput, Field: "memberSince", Message: "since must not be in the future"}},
	}}
	var b bytes.Buffer
	if err := roster.WriteReport(&b, r); err != nil {
		t.Fatal(err)
	}
	want := `roster.csv: dry run against revision 41; nothing is written (-apply writes)
line 3: would create exampleville
    create the city
    grant membership m1
line 5: unchanged seoul
line 6: refused: BAD_USER_INPUT in member_since: since must not be in the future
3 rows: 1 would create, 0 would update, 1 unchanged, 1 refused
`
	if b.String() != want {
		t.Errorf("dry run report:\n%s\nwant:\n%s", b.String(), want)
	}
	r.Applied, r.Revision, r.Rows[0].Revision = true, 42, 42
	b.Reset()
	if err := roster.WriteReport(&b, r); err != nil {
		t.Fatal(err)
	}
	if got := b.String(); !strings.HasPrefix(got, "roster.csv: imported at revision 42\nline 3: created exampleville (revision 42)\n") ||
		!strings.HasSuffix(got, "3 rows: 1 created, 0 updated, 1 unchanged, 1 refused\n") {
		t.Errorf("applied report:\n%s", got)
	}
}

func TestTheREADMEDocumentsEveryColumn(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range roster.Columns {
		required := "no"
		if c.Required {
			required = "yes"
		}
		if row := fmt.Sprintf("| `%s` | %s | `%s` |", c.Name, required, c.Field); !strings.Contains(string(readme), row) {
			t.Errorf("README.md's table of roster columns has no row starting %s", row)
		}
	}
}
