package directory_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/iclei/directory/directory"
)

// rosterRows are a roster of illustrative members: two new cities and Seoul, found by its government's name.
func rosterRows(t *testing.T) []directory.RosterRow {
	return []directory.RosterRow{
		{Line: 2, Name: "Exampleville", Country: "Germany", Region: "europe", Population: 48000,
			MemberSince: day(t, "2004-05-01"), Category: directory.MembershipFull, RepresentativeTitle: "Mayor"},
		{Line: 3, Name: "Sampleton", Country: "BR", Region: "ICLEI South America", Population: 120500,
			MemberSince: day(t, "2012-01-01"), Category: directory.MembershipAssociate, Status: directory.MembershipSuspended},
		{Line: 5, Name: "Seoul Metropolitan Government", Country: "KR", Region: "East Asia", Population: 9400000,
			MemberSince: day(t, "2010-03-01"), Category: directory.MembershipFull, RepresentativeTitle: "Mayor"},
	}
}

func outcomes(r *directory.ImportReport) []string {
	var out []string
	for _, x := range r.Rows {
		s := x.CityKey + " " + string(x.Outcome)
		if x.Refusal != nil {
			s += " " + string(x.Refusal.Code) + " " + x.Refusal.Field
		}
		out = append(out, s)
	}
	return out
}

func TestImportMembersDryRunThenApplyThenAgain(t *testing.T) {
	t.Parallel()
	log, s := seededLog(t)
	ctx := context.Background()
	seoulBefore := s.rm.Snapshot().City("seoul")

	entries, before := log.Len(), s.rm.Snapshot()
	dry, err := s.w.ImportMembers(ctx, admin, directory.MemberImportInput{Source: "roster.csv", Rows: rosterRows(t)}, false)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"exampleville CREATE", "sampleton CREATE", "seoul UPDATE"}
	if got := outcomes(dry); !slices.Equal(got, want) || dry.Applied || dry.Revision != before.Revision {
		t.Fatalf("dry run = %q at %d (applied %v), want %q at %d", got, dry.Revision, dry.Applied, want, before.Revision)
	}
	if log.Len() != entries || s.rm.Snapshot() != before {
		t.Fatal("a dry run wrote to the log")
	}
	if dry.Rows[0].City != nil || dry.Rows[2].City != seoulBefore || dry.Rows[0].Revision != 0 {
		t.Errorf("a dry run reports the city as it is: %+v", dry.Rows)
	}
	if got := strings.Join(dry.Rows[2].Changes, "; "); got != "population 0 → 9400000; grant membership m1: FULL, ACTIVE, since 2010-03-01, representative's title \"Mayor\"" {
		t.Errorf("Seoul's changes = %s", got)
	}

	applied, err := s.w.ImportMembers(ctx, admin, directory.MemberImportInput{Source: "roster.csv", Rows: rosterRows(t)}, true)
	if err != nil {
		t.Fatal(err)
	}
	if got := outcomes(applied); !slices.Equal(got, want) || !applied.Applied {
		t.Fatalf("import = %q, want %q", got, want)
	}
	if log.Len() != entries+3 {
		t.Fatalf("the import appended %d entries, want one per row: 3", log.Len()-entries)
	}
	for i, row := range applied.Rows {
		e, err := log.Entry(ctx, row.Revision)
		if err != nil || e == nil {
			t.Fatalf("entry %d: %v", row.Revision, err)
		}
		if e.Revision != before.Revision+int64(i)+1 || e.Actor != admin.Subject || len(e.Changes) != 1 ||
			e.Reason != "importMembers roster.csv:"+[]string{"2", "3", "5"}[i] {
			t.Errorf("entry of line %d = %d %s %q with %d changes", row.Line, e.Revision, e.Actor, e.Reason, len(e.Changes))
		}
	}
	snap := s.rm.Snapshot()
	ex := snap.City("exampleville")
	if ex == nil || ex.Name != "Exampleville" || ex.Country != "DE" || ex.Region != "europe" || ex.Population != 48000 || ex.Version != 1 {
		t.Fatalf("exampleville = %+v", ex)
	}
	if m := ex.CurrentMembership(); m == nil || m.Category != directory.MembershipFull || m.Status != directory.MembershipActive ||
		!m.Since.Equal(day(t, "2004-05-01")) || m.RepresentativeTitle != "Mayor" || m.Secretariat != "european-secretariat" {
		t.Errorf("exampleville's membership = %+v", m)
	}
	if p := ex.Provenance; p.Origin != directory.OriginImport ||
		!slices.Equal(p.Sources, []directory.SourceRef{{File: "roster.csv", StartLine: 2, EndLine: 2}}) {
		t.Errorf("exampleville's provenance = %+v", p)
	}
	if m := snap.City("sampleton").CurrentMembership(); m == nil || m.Status != directory.MembershipSuspended || m.Category != directory.MembershipAssociate {
		t.Errorf("sampleton's membership = %+v", m)
	}
	seoul := snap.City("seoul")
	if seoul.Version != seoulBefore.Version+1 || seoul.Population != 9400000 || *seoul.Location != *seoulBefore.Location ||
		!slices.Equal(seoul.Provenance.Curated, seoulBefore.Provenance.Curated) ||
		seoul.Name != seoulBefore.Name || seoul.CurrentMembership() == nil || applied.Rows[2].City != seoul {
		t.Errorf("seoul = %+v, before %+v", seoul, seoulBefore)
	}
	if srcs := seoul.Provenance.Sources; len(srcs) != len(seoulBefore.Provenance.Sources)+1 || srcs[len(srcs)-1].File != "roster.csv" {
		t.Errorf("seoul keeps its sources and adds the roster's line: %+v", srcs)
	}

	entries, before = log.Len(), s.rm.Snapshot()
	again, err := s.w.ImportMembers(ctx, admin, directory.MemberImportInput{Source: "roster.csv", Rows: rosterRows(t)}, true)
	if err != nil {
		t.Fatal(err)
	}
	if got := outcomes(again); !slices.Equal(got, []string{"exampleville UNCHANGED", "sampleton UNCHANGED", "seoul UNCHANGED"}) {
		t.Errorf("a second import = %q, want every row unchanged", got)
	}
	if log.Len() != entries || s.rm.Snapshot() != before {
		t.Error("a second import of the same roster wrote to the log")
	}

	// A changed roster changes what it says differently, and keeps the title an empty cell leaves out.
	rows := rosterRows(t)
	rows[0].Population, rows[0].Category, rows[0].RepresentativeTitle = 49000, directory.MembershipAssociate, ""
	rows[1].Status = directory.MembershipActive
	changed, err := s.w.ImportMembers(ctx, admin, directory.MemberImportInput{Source: "roster-2027.csv", Rows: rows}, true)
	if err != nil {
		t.Fatal(err)
	}
	if got := outcomes(changed); !slices.Equal(got, []string{"exampleville UPDATE", "sampleton UPDATE", "seoul UNCHANGED"}) {
		t.Fatalf("changed roster = %q", got)
	}
	if got := strings.Join(changed.Rows[0].Changes, "; "); got != "population 48000 → 49000; membership m1: category FULL → ASSOCIATE" {
		t.Errorf("exampleville's changes = %s", got)
	}
	ex = s.rm.Snapshot().City("exampleville")
	if m := ex.CurrentMembership(); ex.Version != 2 || ex.Population != 49000 || m.Category != directory.MembershipAssociate ||
		m.RepresentativeTitle != "Mayor" || len(ex.Memberships) != 1 {
		t.Errorf("exampleville after the change = %+v", ex)
	}
	if srcs := ex.Provenance.Sources; len(srcs) != 2 || srcs[1] != (directory.SourceRef{File: "roster-2027.csv", StartLine: 2, EndLine: 2}) {
		t.Errorf("exampleville's sources = %+v", srcs)
	}
}

func TestImportMembersRefusesBadRowsAndWritesTheGoodOnes(t *testing.T) {
	t.Parallel()
	log, s := seededLog(t)
	writeFixtures(t, s)
	ctx := context.Background()
	good := func(line int, name string) directory.RosterRow {
		return directory.RosterRow{Line: line, Name: name, Country: "DE", MemberSince: day(t, "2015-06-01"), Category: directory.MembershipFull}
	}
	edit := func(line int, f func(r *directory.RosterRow)) directory.RosterRow {
		r := good(line, "Row "+string(rune('A'+line)))
		f(&r)
		return r
	}
	for _, key := range []string{"twin-town-north", "twin-town-south"} {
		if _, err := s.w.CreateCity(ctx, admin, directory.CityInput{Key: key, Name: "Twin Town", Country: "DE"}); err != nil {
			t.Fatal(err)
		}
	}
	tomorrow := time.Now().UTC().AddDate(0, 0, 2)
	rows := []directory.RosterRow{
		good(2, "Goodtown"),
		edit(3, func(r *directory.RosterRow) { r.Country = "Atlantis" }),
		edit(4, func(r *directory.RosterRow) { r.Region = "antarctica" }),
		edit(5, func(r *directory.RosterRow) { r.Region = "east-asia" }),
		edit(6, func(r *directory.RosterRow) { r.Status = directory.MembershipEnded }),
		edit(7, func(r *directory.RosterRow) { r.Category = "" }),
		edit(8, func(r *directory.RosterRow) { r.MemberSince = tomorrow }),
		edit(9, func(r *directory.RosterRow) { r.Population = -5 }),
		edit(10, func(r *directory.RosterRow) { r.Name = "" }),
		// The fixture member's membership began on 2020-01-01.
		edit(11, func(r *directory.RosterRow) { r.Name, r.Country = "Fixture Member", "VN" }),
		// fixture-city is in Germany.
		edit(12, func(r *directory.RosterRow) { r.City, r.Country = fixCity, "FR" }),
		good(13, "Goodtown"),
		edit(14, func(r *directory.RosterRow) { r.RepresentativeTitle = strings.Repeat("x", 201) }),
		edit(15, func(r *directory.RosterRow) { r.City = "Not A Key" }),
		edit(16, func(r *directory.RosterRow) { r.Status = "RETIRED" }),
		good(17, "Second Goodtown"),
		// fixture-ended's membership ended: the roster grants it a new one.
		edit(18, func(r *directory.RosterRow) { r.Name = "Fixture Ended" }),
		// Two cities of Germany go by this name.
		edit(19, func(r *directory.RosterRow) { r.Name = "twin town" }),
		edit(20, func(r *directory.RosterRow) { r.Name, r.City = "Twin Town", "twin-town-south" }),
		// The seed's city is found by its name, whatever the key.
		edit(21, func(r *directory.RosterRow) { r.Name, r.Country = "GUILIN LIN'GUI NEW DISTRICT", "China" }),
	}
	entries := log.Len()
	r, err := s.w.ImportMembers(ctx, admin, directory.MemberImportInput{Source: "bad.csv", Rows: rows}, true)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"goodtown CREATE",
		" REFUSED BAD_USER_INPUT country",
		" REFUSED BAD_USER_INPUT region",
		" REFUSED BAD_USER_INPUT region",
		" REFUSED BAD_USER_INPUT status",
		" REFUSED BAD_USER_INPUT category",
		"row-i REFUSED BAD_USER_INPUT memberSince",
		"row-j REFUSED BAD_USER_INPUT population",
		" REFUSED BAD_USER_INPUT name",
		"fixture-member REFUSED CONFLICT ",
		"fixture-city REFUSED BAD_USER_INPUT city",
		"goodtown REFUSED CONFLICT city",
		"row-o REFUSED BAD_USER_INPUT representativeTitle",
		" REFUSED BAD_USER_INPUT city",
		" REFUSED BAD_USER_INPUT status",
		"second-goodtown CREATE",
		"fixture-ended UPDATE",
		" REFUSED BAD_USER_INPUT city",
		"twin-town-south UPDATE",
		"guilin-lingui-new-district UPDATE",
	}
	if got := outcomes(r); !slices.Equal(got, want) {
		t.Errorf("outcomes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, row := range r.Rows {
		if row.Refusal != nil && (row.Refusal.Message == "" || strings.Contains(row.Refusal.Message, "input.")) {
			t.Errorf("line %d's refusal says %q; want a message about the row", row.Line, row.Refusal.Message)
		}
	}
	if log.Len() != entries+5 || r.Count(directory.ImportRefused) != 15 {
		t.Errorf("the import appended %d entries and refused %d rows, want 5 and 15", log.Len()-entries, r.Count(directory.ImportRefused))
	}
	if choices := r.Rows[17].Refusal.Choices; !slices.Equal(choices, []string{"twin-town-north", "twin-town-south"}) {
		t.Errorf("an ambiguous name lists %q, want both cities' keys", choices)
	}
	if c := s.rm.Snapshot().City("fixture-ended"); len(c.Memberships) != 2 || c.CurrentMembership().ID != "m2" {
		t.Errorf("fixture-ended = %+v", c)
	}
	if m := s.rm.Snapshot().City(fixMember).CurrentMembership(); !m.Since.Equal(day(t, "2020-01-01")) {
		t.Errorf("a refused row changed a membership: %+v", m)
	}
}

func TestImportMembersCallBounds(t *testing.T) {
	t.Parallel()
	log, s := seededLog(t)
	ctx := context.Background()
	row := directory.RosterRow{Name: "Exampleville", Country: "DE", MemberSince: day(t, "2015-06-01"), Category: directory.MembershipFull}
	tooMany := make([]directory.RosterRow, directory.MaxImportRows+1)
	for i := range tooMany {
		tooMany[i] = row
	}
	cases := []struct {
		name   string
		p      *directory.Principal
		source string
		rows   []directory.RosterRow
		want   directory.Code
		field  string
	}{
		{"an anonymous caller", nil, "r.csv", []directory.RosterRow{row}, directory.CodeUnauthenticated, ""},
		{"an editor, even of the row's region", editor("eve", "europe"), "r.csv", []directory.RosterRow{row}, directory.CodeForbidden, ""},
		{"more rows than one import takes", admin, "r.csv", tooMany, directory.CodeInvalidInput, "input.rows"},
		{"no rows", admin, "r.csv", nil, directory.CodeInvalidInput, "input.rows"},
		{"no source", admin, " ", []directory.RosterRow{row}, directory.CodeInvalidInput, "input.source"},
		{"a negative line", admin, "r.csv", []directory.RosterRow{{Line: -1}}, directory.CodeInvalidInput, "input.rows[0].line"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before, entries := s.rm.Snapshot(), log.Len()
			_, err := s.w.ImportMembers(ctx, c.p, directory.MemberImportInput{Source: c.source, Rows: c.rows}, true)
			wantRefused(t, log, s, before, entries, err, c.want, c.field)
		})
	}

	// Rows without a line are numbered by their position.
	r, err := s.w.ImportMembers(ctx, admin, directory.MemberImportInput{Source: "r.csv", Rows: []directory.RosterRow{row, row}}, false)
	if err != nil {
		t.Fatal(err)
	}
	if r.Rows[0].Line != 1 || r.Rows[1].Line != 2 || r.Rows[1].Outcome != directory.ImportRefused {
		t.Errorf("rows = %+v", r.Rows)
	}
}

func TestTwoServersImportingOneRosterWriteEachRowOnce(t *testing.T) {
	t.Parallel()
	log, a := seededLog(t)
	b := newServer(t, log)
	ctx := context.Background()
	var rows []directory.RosterRow
	for i := range 20 {
		rows = append(rows, directory.RosterRow{Name: fmt.Sprintf("Race Town %d", i), Country: "DE",
			MemberSince: day(t, "2015-06-01"), Category: directory.MembershipFull})
	}
	entries := log.Len()
	reports := make([]*directory.ImportReport, 2)
	var wg sync.WaitGroup
	for i, s := range []*server{a, b} {
		wg.Go(func() {
			r, err := s.w.ImportMembers(ctx, admin, directory.MemberImportInput{Source: "race.csv", Rows: rows}, true)
			if err != nil {
				t.Error(err)
			}
			reports[i] = r
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	for i := range rows {
		got := []directory.ImportOutcome{reports[0].Rows[i].Outcome, reports[1].Rows[i].Outcome}
		slices.Sort(got)
		if !slices.Equal(got, []directory.ImportOutcome{directory.ImportCreate, directory.ImportUnchanged}) {
			t.Errorf("line %d: %v, want one server to create the city and the other to find it unchanged", i+1, got)
		}
	}
	if log.Len() != entries+len(rows) {
		t.Errorf("the two imports appended %d entries, want one per row: %d", log.Len()-entries, len(rows))
	}
}
