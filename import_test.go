package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/iclei/directory/directory"
)

// The roster import on the whole server: the importMembers mutation and the import command write through the
// change log on the real database. The rules of a row are tested in directory/roster_test.go, reading a file in
// roster/roster_test.go.

const importMembersQ = `mutation($input: MemberImportInput!, $apply: Boolean!) {
  importMembers(input: $input, apply: $apply) {
    source applied revision created updated unchanged refused
    rows { line outcome cityKey changes revision city { key version membership { category status representativeTitle } }
      refusal { code field message validChoices } }
  }
}`

type importReport struct {
	Source, Revision                     string
	Applied                              bool
	Created, Updated, Unchanged, Refused int
	Rows                                 []struct {
		Line             int
		Outcome, CityKey string
		Changes          []string
		Revision         *string
		City             *struct {
			Key        string
			Version    int
			Membership struct{ Category, Status, RepresentativeTitle string }
		}
		Refusal *struct {
			Code, Field, Message string
			ValidChoices         []string
		}
	}
}

func importVars(apply bool, rows ...map[string]any) map[string]any {
	return map[string]any{"apply": apply, "input": map[string]any{"source": "partner-roster.csv", "rows": rows}}
}

func TestImportMembersOverHTTP(t *testing.T) {
	t.Parallel()
	s := startServer(t, writeEnv())
	admin := signedJWT(t, "e2e-admin", directory.RoleAdmin)
	st := openStore(t, s.MongoURI, s.Database)
	ctx := context.Background()
	rows := []map[string]any{
		{"line": 2, "name": "Exampleville (example)", "country": "Germany", "region": "europe", "population": 48000,
			"memberSince": "2004-05-01", "category": "FULL", "representativeTitle": "Mayor"},
		{"line": 3, "name": "Nowhere (example)", "country": "Atlantis", "memberSince": "2004-05-01", "category": "FULL"},
		{"line": 4, "name": "Sampleton (example)", "country": "BR", "memberSince": "2012-01-01", "category": "ASSOCIATE",
			"status": "SUSPENDED"},
	}

	t.Run("a caller who is not an admin is refused, and nothing changes", func(t *testing.T) {
		for _, c := range []struct{ token, code string }{
			{"", "UNAUTHENTICATED"},
			{signedJWT(t, "e2e-editor", directory.RoleEditor, "europe"), "FORBIDDEN"},
		} {
			before := readState(t, s, st)
			wantError(t, gql(t, s, request{Query: importMembersQ, Variables: importVars(true, rows...), Token: c.token}), c.code, "")
			checkUnchanged(t, s, st, before)
		}
	})
	t.Run("more rows than one call takes are refused", func(t *testing.T) {
		many := make([]map[string]any, directory.MaxImportRows+1)
		for i := range many {
			many[i] = rows[0]
		}
		before := readState(t, s, st)
		wantError(t, gql(t, s, request{Query: importMembersQ, Variables: importVars(true, many...), Token: admin}), "BAD_USER_INPUT", "input.rows")
		checkUnchanged(t, s, st, before)
	})

	before := readState(t, s, st)
	var dry struct{ ImportMembers importReport }
	mustGQL(t, s, admin, `mutation($input: MemberImportInput!) { importMembers(input: $input) {
		applied revision created refused rows { outcome city { key } revision } } }`, map[string]any{"input": importVars(false, rows...)["input"]}, &dry)
	r := dry.ImportMembers
	if r.Applied || r.Created != 2 || r.Refused != 1 || r.Revision != fmt.Sprint(before.Revision) || r.Rows[0].City != nil || r.Rows[0].Revision != nil {
		t.Errorf("dry run = %+v", r)
	}
	checkUnchanged(t, s, st, before)

	var applied struct{ ImportMembers importReport }
	mustGQL(t, s, admin, importMembersQ, importVars(true, rows...), &applied)
	r = applied.ImportMembers
	if !r.Applied || r.Source != "partner-roster.csv" || r.Created != 2 || r.Refused != 1 || r.Revision != fmt.Sprint(before.Revision+2) {
		t.Fatalf("import = %+v", r)
	}
	if x := r.Rows[0]; x.Outcome != "CREATE" || x.City == nil || x.City.Key != "exampleville-example" ||
		x.City.Membership != (struct{ Category, Status, RepresentativeTitle string }{"FULL", "ACTIVE", "Mayor"}) || x.Revision == nil {
		t.Errorf("line 2 = %+v", x)
	}
	if x := r.Rows[1]; x.Outcome != "REFUSED" || x.Refusal == nil || x.Refusal.Code != "BAD_USER_INPUT" || x.Refusal.Field != "country" ||
		!strings.Contains(x.Refusal.Message, "Atlantis") || x.Revision != nil {
		t.Errorf("line 3 = %+v", x)
	}
	for i, line := range []int{2, 4} {
		e, err := st.Entry(ctx, before.Revision+int64(i)+1)
		if err != nil || e == nil {
			t.Fatalf("entry %d: %v", before.Revision+int64(i)+1, err)
		}
		if want := fmt.Sprintf("importMembers partner-roster.csv:%d", line); e.Actor != "jwt:e2e-admin" || e.Reason != want || len(e.Changes) != 1 {
			t.Errorf("entry of line %d: actor %s, reason %q, %d changes", line, e.Actor, e.Reason, len(e.Changes))
		}
	}
	var city struct {
		City struct {
			Provenance struct {
				Origin  string
				Sources []struct {
					File      string
					StartLine int
				}
			}
		}
	}
	mustGQL(t, s, "", `{ city(key: "exampleville-example") { provenance { origin sources { file startLine } } } }`, nil, &city)
	if p := city.City.Provenance; p.Origin != "IMPORT" || len(p.Sources) != 1 || p.Sources[0].File != "partner-roster.csv" || p.Sources[0].StartLine != 2 {
		t.Errorf("provenance = %+v", p)
	}

	before = readState(t, s, st)
	var again struct{ ImportMembers importReport }
	mustGQL(t, s, admin, importMembersQ, importVars(true, rows...), &again)
	if r := again.ImportMembers; r.Unchanged != 2 || r.Refused != 1 || r.Created+r.Updated != 0 {
		t.Errorf("a second import = %+v", r)
	}
	checkUnchanged(t, s, st, before)
}

func TestImportCommand(t *testing.T) {
	t.Parallel()
	s := startServer(t, writeEnv())
	st := openStore(t, s.MongoURI, s.Database)
	example := filepath.Join("examples", "roster", "example-roster.csv")
	importing := func(args ...string) (string, error) {
		t.Helper()
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), append([]string{"directory", "import"}, args...), commandEnv(s), &stdout, &stderr)
		return stdout.String(), err
	}

	before := readState(t, s, st)
	out, err := importing(example)
	if err != nil {
		t.Fatalf("dry run: %v\n%s", err, out)
	}
	if !strings.Contains(out, "example-roster.csv: dry run against revision") || strings.Count(out, ": would create ") != 4 ||
		!strings.HasSuffix(out, "4 rows: 4 would create, 0 would update, 0 unchanged, 0 refused\n") {
		t.Errorf("dry run printed:\n%s", out)
	}
	checkUnchanged(t, s, st, before)

	out, err = importing(example, "-apply")
	if err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	if !strings.Contains(out, "line 4: created exampleville-example (revision ") || !strings.HasSuffix(out, "4 rows: 4 created, 0 updated, 0 unchanged, 0 refused\n") {
		t.Errorf("import printed:\n%s", out)
	}
	e, err := st.Entry(context.Background(), before.Revision+1)
	if err != nil || e == nil || e.Actor != "import" || e.Reason != "importMembers example-roster.csv:4" {
		t.Errorf("the first entry of the import = %+v, %v", e, err)
	}
	// The running server follows the change log the command wrote to, up to the import's last entry.
	eventually(t, 10*time.Second, func() error {
		var got struct {
			Directory struct{ Revision string }
			City      *struct{ Membership struct{ Status string } }
		}
		mustGQL(t, s, "", `{ directory { revision } city(key: "sampleton-example") { membership { status } } }`, nil, &got)
		if got.City == nil || got.City.Membership.Status != "SUSPENDED" || got.Directory.Revision != strconv.FormatInt(before.Revision+4, 10) {
			return fmt.Errorf("the server serves revision %s, %+v", got.Directory.Revision, got.City)
		}
		return nil
	})

	before = readState(t, s, st)
	out, err = importing("-apply", example)
	if err != nil || !strings.HasSuffix(out, "4 rows: 0 created, 0 updated, 4 unchanged, 0 refused\n") {
		t.Errorf("a second import: %v\n%s", err, out)
	}
	checkUnchanged(t, s, st, before)

	bad := filepath.Join(t.TempDir(), "bad.csv")
	if err := os.WriteFile(bad, []byte("local_government,country,member_since,category\nNowhere (example),Atlantis,2004,FULL\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err = importing("-apply", bad)
	if err == nil || !strings.Contains(err.Error(), "1 of 1 rows") || !strings.Contains(out, `line 2: refused: BAD_USER_INPUT in country: unknown country "Atlantis"`) {
		t.Errorf("a refused row: %v\n%s", err, out)
	}
	if _, err := importing(filepath.Join(t.TempDir(), "missing.csv")); err == nil || !strings.Contains(err.Error(), "open the roster") {
		t.Errorf("a missing file: %v", err)
	}
}

func TestImportCommandArguments(t *testing.T) {
	t.Parallel()
	header := filepath.Join(t.TempDir(), "roster.csv")
	if err := os.WriteFile(header, []byte("local_government,country,member_since,category,mayor\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "name the roster file to import"},
		{[]string{"a.csv", "b.csv"}, "import takes one file, got 2"},
		{[]string{"a.csv", "-aply"}, "flag provided but not defined: -aply"},
		// The file is read, and refused, before any database is opened.
		{[]string{"-apply", header}, "the column \"mayor\", which a roster does not have"},
	} {
		if _, _, err := invoke(t, map[string]string{"DATA_DIR": t.TempDir()}, append([]string{"import"}, c.args...)...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("import %q: %v, want an error saying %q", c.args, err, c.want)
		}
	}
}
