package mongodb_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/iclei/directory/directory"
	"github.com/iclei/directory/internal/testengine"
	"github.com/iclei/directory/mongodb"
	"github.com/iclei/directory/seed"
)

// newStore returns a store on a database of the test's own: on TEST_MONGODB_URI's engine when it is set, else on
// an embedded FerretDB in a temporary folder.
func newStore(t *testing.T) *mongodb.Store {
	t.Helper()
	ctx := context.Background()
	uri := testengine.ExternalURI()
	var embedded *mongodb.Embedded
	if uri == "" {
		var err error
		if embedded, err = mongodb.StartEmbedded(ctx, t.TempDir(), slog.New(slog.DiscardHandler)); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = embedded.Stop() })
		uri = embedded.URI
	}
	s, err := mongodb.Connect(ctx, mongodb.Config{URI: uri, Database: testengine.Name(t), ConnectTimeout: 10 * time.Second}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = s.DropDatabase(context.Background())
		_ = s.Close(context.Background())
	})
	if err := s.EnsureIndexes(ctx); err != nil {
		t.Fatal(err)
	}
	// As the server prepares its embedded database.
	if embedded != nil {
		if err := embedded.IndexIDs(ctx, testengine.Name(t)); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// The embedded engine finds a document by _id through an index. FerretDB's SQLite backend looks a document up,
// updates and deletes it by the expression _ferretdb_sjson->'$._id', which its own _id index does not serve:
// without the index IndexIDs adds, every read of the change log scanned the log's whole table.
func TestEmbeddedFindsDocumentsByIDThroughAnIndex(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	e, err := mongodb.StartEmbedded(ctx, dir, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Stop()
	s, err := mongodb.Connect(ctx, mongodb.Config{URI: e.URI, Database: "indexed", ConnectTimeout: 10 * time.Second}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(ctx)
	// Twice, as every start of a server does it.
	for range 2 {
		if err := s.EnsureIndexes(ctx); err != nil {
			t.Fatal(err)
		}
		if err := e.IndexIDs(ctx, "indexed"); err != nil {
			t.Fatal(err)
		}
	}
	entry := seedEntry(t)
	if _, err := s.Append(ctx, entry); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(ctx, entry); !directory.IsRevisionTaken(err) {
		t.Errorf("a second entry at revision 1: %v, want the revision taken", err)
	}
	if got, err := s.Entry(ctx, 1); err != nil || got == nil || got.WriteID != entry.WriteID {
		t.Fatalf("Entry(1) = %+v, %v", got, err)
	}

	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "indexed.sqlite")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query("SELECT name, table_name FROM _ferretdb_collections")
	if err != nil {
		t.Fatal(err)
	}
	tables := map[string]string{}
	for rows.Next() {
		var name, table string
		if err := rows.Scan(&name, &table); err != nil {
			t.Fatal(err)
		}
		tables[name] = table
	}
	rows.Close()
	for _, name := range []string{"changes", "meta", "offices", "cities", "people", "apiKeys"} {
		table, ok := tables[name]
		if !ok {
			t.Errorf("no table for the collection %s", name)
			continue
		}
		// The query FerretDB v1.24 makes for a filter of one _id (internal/backends/sqlite/collection.go).
		var id, parent, notUsed int
		var plan string
		q := fmt.Sprintf(`EXPLAIN QUERY PLAN SELECT _ferretdb_sjson FROM %q WHERE _ferretdb_sjson->'$._id' = ?`, table)
		if err := db.QueryRow(q, `"0000000000000001"`).Scan(&id, &parent, &notUsed, &plan); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(plan, "USING INDEX") {
			t.Errorf("SQLite finds a document of %s by _id with %q, not through an index", name, plan)
		}
	}
}

// seedEntry is an entry that creates every record of the seed data, as seeding an empty directory does, with
// an application and an API key besides.
func seedEntry(t *testing.T) *directory.Entry {
	t.Helper()
	d, _, err := seed.Build()
	if err != nil {
		t.Fatal(err)
	}
	e := &directory.Entry{Revision: 1, At: time.Date(2026, 11, 27, 9, 0, 0, 123e6, time.UTC), Actor: "seed", Reason: "seed", WriteID: "w1"}
	add := func(kind, key string, x any) {
		e.Changes = append(e.Changes, directory.Change{Kind: kind, Key: key, Action: directory.ActionSeed, After: x})
	}
	for i := range d.Regions {
		add(directory.KindRegion, d.Regions[i].Code, &d.Regions[i])
	}
	for i := range d.Secretariats {
		add(directory.KindSecretariat, d.Secretariats[i].Key, &d.Secretariats[i])
	}
	for i := range d.Offices {
		d.Offices[i].Version = 1
		add(directory.KindOffice, d.Offices[i].Key, &d.Offices[i])
	}
	for i := range d.Cities {
		d.Cities[i].Version = 1
		add(directory.KindCity, d.Cities[i].Key, &d.Cities[i])
	}
	// A city as a roster import writes it: its membership names the representative's title.
	add(directory.KindCity, "exampleville", &directory.City{Key: "exampleville", Name: "Exampleville", Kind: directory.CityMunicipality,
		Country: "DE", Region: "europe", Population: 48000, Version: 1,
		Memberships: []directory.Membership{{ID: "m1", City: "exampleville", Category: directory.MembershipFull,
			Status: directory.MembershipActive, Since: time.Date(2004, 5, 1, 0, 0, 0, 0, time.UTC), Secretariat: "european-secretariat",
			RepresentativeTitle: "Mayor"}},
		Provenance: directory.Provenance{Origin: directory.OriginImport, Note: "Imported.",
			Sources: []directory.SourceRef{{File: "roster.csv", StartLine: 4, EndLine: 4}}}})
	for i := range d.Programs {
		d.Programs[i].Version = 1
		add(directory.KindProgram, d.Programs[i].Key, &d.Programs[i])
	}
	for i := range d.Organizations {
		d.Organizations[i].Version = 1
		add(directory.KindOrganization, d.Organizations[i].Key, &d.Organizations[i])
	}
	for i := range d.People {
		d.People[i].Version = 1
		add(directory.KindPerson, d.People[i].Key, &d.People[i])
	}
	add(directory.KindApplication, "ICLEI-AAAAA-BBBBB-CCCCC", &directory.Application{Reference: "ICLEI-AAAAA-BBBBB-CCCCC",
		Status: directory.ApplicationSubmitted, Name: "Hoi An", Country: "VN", Category: directory.MembershipFull,
		ContactName: "Lan", Email: "lan@example.vn", Motivation: "Heritage.", Region: "southeast-asia",
		SubmittedAt: time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC), Version: 1})
	add(directory.KindAPIKey, "alice", &directory.APIKey{Name: "alice", Hash: fmt.Sprintf("%064x", 7), Role: directory.RoleAdmin,
		CreatedAt: time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)})
	return e
}

func TestTheLogKeepsEntriesAsWritten(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	e := seedEntry(t)
	stored, err := s.Append(ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	read, err := s.Entry(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(stored, read) {
		t.Error("the entry Append returns differs from the entry read back")
	}
	if len(read.Changes) != len(e.Changes) || read.Actor != "seed" || read.WriteID != "w1" || !read.At.Equal(e.At) {
		t.Errorf("read back %d changes by %q (%s) at %s", len(read.Changes), read.Actor, read.WriteID, read.At)
	}
	// Every record survives the trip with its content.
	for i, c := range read.Changes {
		want, got := content(t, e.Changes[i].After), content(t, c.After)
		if c.Kind != e.Changes[i].Kind || want != got {
			t.Errorf("change %d (%s %s):\n got %s\nwant %s", i, c.Kind, c.Key, got, want)
		}
	}
	if none, err := s.Entry(ctx, 2); none != nil || err != nil {
		t.Errorf("entry 2: %v %v, want none", none, err)
	}
}

func TestARevisionHasOneWriter(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	const writers = 8
	for rev := int64(1); rev <= 5; rev++ {
		var wg sync.WaitGroup
		errs := make([]error, writers)
		for i := range writers {
			wg.Go(func() {
				_, errs[i] = s.Append(ctx, &directory.Entry{Revision: rev, At: time.Now(), Actor: "racer", WriteID: fmt.Sprint(i),
					Changes: []directory.Change{{Kind: directory.KindOrganization, Key: "org", Action: directory.ActionUpdate,
						After: &directory.Organization{Key: "org", Name: fmt.Sprint("writer ", i), Version: int(rev)}}}})
			})
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			switch {
			case err == nil:
				won++
			case !directory.IsRevisionTaken(err):
				t.Fatalf("revision %d: %v", rev, err)
			}
		}
		if won != 1 {
			t.Fatalf("revision %d: %d writers won", rev, won)
		}
	}
	if head, err := s.Head(ctx); head != 5 || err != nil {
		t.Errorf("Head = %d, %v; want 5", head, err)
	}
}

func TestHeadFindsTheLastEntry(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	for n := int64(0); n <= 13; n++ {
		if head, err := s.Head(ctx); head != n || err != nil {
			t.Fatalf("after %d entries Head = %d, %v", n, head, err)
		}
		if _, err := s.Append(ctx, &directory.Entry{Revision: n + 1, At: time.Now(), Actor: "t", WriteID: "w",
			Changes: []directory.Change{{Kind: directory.KindPerson, Key: "p", Action: directory.ActionUpdate,
				After: &directory.Person{Key: "p", Name: "P", Version: int(n + 1)}}}}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestMaterializingIsIdempotentAndNeverGoesBack(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	person := func(rev int64, name string) *directory.Entry {
		return &directory.Entry{Revision: rev, At: time.Now(), Actor: "t", WriteID: fmt.Sprint(rev),
			Changes: []directory.Change{{Kind: directory.KindPerson, Key: "p", Action: directory.ActionUpdate,
				After: &directory.Person{Key: "p", Name: name, Version: int(rev)}}}}
	}
	gone := &directory.Entry{Revision: 3, At: time.Now(), Actor: "t", WriteID: "3",
		Changes: []directory.Change{{Kind: directory.KindPerson, Key: "p", Action: directory.ActionDelete, Version: 2,
			Before: &directory.Person{Key: "p", Name: "Two", Version: 2}}}}
	people := func() []directory.Person {
		d, err := s.LoadMaterialized(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return d.People
	}
	// The snapshot that holds every entry below knows which of them changed the person.
	snap := directory.NewSnapshot(directory.Data{Revision: 4, History: []directory.RecordHistory{
		{Kind: directory.KindPerson, Key: "p", Revisions: []int64{1, 2, 3, 4}}}}, time.Now())
	for _, e := range []*directory.Entry{person(1, "One"), person(2, "Two"), person(2, "Two"), person(1, "One")} {
		if err := s.Materialize(ctx, e, snap); err != nil {
			t.Fatal(err)
		}
	}
	if p := people(); len(p) != 1 || p[0].Name != "Two" || p[0].Version != 2 {
		t.Fatalf("after entries 1, 2, 2 and 1: %+v, want version 2", p)
	}
	for _, e := range []*directory.Entry{gone, person(2, "Two"), person(1, "One")} {
		if err := s.Materialize(ctx, e, snap); err != nil {
			t.Fatal(err)
		}
	}
	if p := people(); len(p) != 0 {
		t.Fatalf("a deleted record came back after older entries were written late: %+v", p)
	}
	if err := s.Materialize(ctx, person(4, "Four"), snap); err != nil {
		t.Fatal(err)
	}
	if p := people(); len(p) != 1 || p[0].Name != "Four" {
		t.Fatalf("after a new entry: %+v", p)
	}
	d, err := s.LoadMaterialized(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.History) != 1 || !slices.Equal(d.History[0].Revisions, []int64{1, 2, 3, 4}) {
		t.Errorf("the history the collections hand over: %+v, want the person's revisions 1 to 4", d.History)
	}

	t.Run("the mark never moves back", func(t *testing.T) {
		for _, rev := range []int64{3, 1, 4, 2} {
			if err := s.SetMaterialized(ctx, rev); err != nil {
				t.Fatal(err)
			}
		}
		if m, err := s.Materialized(ctx); m != 4 || err != nil {
			t.Errorf("Materialized = %d, %v; want 4", m, err)
		}
	})
}

// Every server materializes every entry, so several write a new record's document, and the first mark, at the
// same instant: the first inserts it, and the others find it there instead of failing on its _id.
func TestServersMaterializeOneEntryAtOnce(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	const servers = 4
	for rev := int64(1); rev <= 20; rev++ {
		key := fmt.Sprintf("p%d", rev)
		e := &directory.Entry{Revision: rev, At: time.Now(), Actor: "t", WriteID: fmt.Sprint(rev),
			Changes: []directory.Change{{Kind: directory.KindPerson, Key: key, Action: directory.ActionCreate,
				After: &directory.Person{Key: key, Name: "Person " + key, Version: 1}}}}
		snap := directory.NewSnapshot(directory.Data{Revision: rev, History: []directory.RecordHistory{
			{Kind: directory.KindPerson, Key: key, Revisions: []int64{rev}}}}, time.Now())
		start := make(chan struct{})
		errs := make([]error, servers)
		var wg sync.WaitGroup
		for i := range servers {
			wg.Go(func() {
				<-start
				if errs[i] = s.Materialize(ctx, e, snap); errs[i] == nil {
					errs[i] = s.SetMaterialized(ctx, rev)
				}
			})
		}
		close(start)
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatalf("revision %d: %v", rev, err)
			}
		}
	}
	d, err := s.LoadMaterialized(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.People) != 20 || d.Revision != 20 {
		t.Errorf("%d people materialized up to revision %d, want 20 and 20", len(d.People), d.Revision)
	}
}

func TestTheRecordCollectionsHoldWhatTheLogSays(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	stored, err := s.Append(ctx, seedEntry(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Materialize(ctx, stored, directory.NewSnapshot(directory.Data{Revision: 1}, time.Now())); err != nil {
		t.Fatal(err)
	}
	d, err := s.LoadMaterialized(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := directory.Data{}
	for _, c := range stored.Changes {
		switch x := c.After.(type) {
		case *directory.Region:
			want.Regions = append(want.Regions, *x)
		case *directory.Office:
			want.Offices = append(want.Offices, *x)
		case *directory.City:
			want.Cities = append(want.Cities, *x)
		case *directory.Application:
			want.Applications = append(want.Applications, *x)
		case *directory.APIKey:
			want.APIKeys = append(want.APIKeys, *x)
		}
	}
	for name, pair := range map[string][2]any{
		"regions": {want.Regions, d.Regions}, "offices": {want.Offices, d.Offices}, "cities": {want.Cities, d.Cities},
		"applications": {want.Applications, d.Applications}, "api keys": {want.APIKeys, d.APIKeys},
	} {
		if got, want := sortedByKey(t, pair[1]), sortedByKey(t, pair[0]); !slices.Equal(got, want) {
			t.Errorf("%s: the collections hold\n%v\nthe log says\n%v", name, got, want)
		}
	}
}

// sortedByKey renders records in a stable order for comparison.
func sortedByKey(t *testing.T, records any) []string {
	v := reflect.ValueOf(records)
	out := make([]string, v.Len())
	for i := range out {
		out[i] = content(t, v.Index(i).Interface())
	}
	slices.Sort(out)
	return out
}

// content renders a record as JSON without its empty values, so that a record compares equal to itself after
// a trip through the store, which keeps no empty lists.
func content(t *testing.T, x any) string {
	t.Helper()
	b, err := json.Marshal(x)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	b, _ = json.Marshal(prune(v))
	return string(b)
}

func prune(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if e = prune(e); e == nil {
				delete(x, k)
			} else {
				x[k] = e
			}
		}
		if len(x) == 0 {
			return nil
		}
	case []any:
		if len(x) == 0 {
			return nil
		}
		for i := range x {
			x[i] = prune(x[i])
		}
	case string:
		if x == "" {
			return nil
		}
	}
	return v
}

func TestTheAuditTrailFindsEveryChangeOfARecord(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	if _, err := s.Append(ctx, seedEntry(t)); err != nil {
		t.Fatal(err)
	}
	// Seoul is one change among many in the seed's entry; then it changes alone. The read model's index names
	// the entries; the store reads them.
	seoul := &directory.City{Key: "seoul", Name: "Seoul", Country: "KR", Region: "east-asia", Kind: directory.CityMunicipality, Version: 2}
	if _, err := s.Append(ctx, &directory.Entry{Revision: 2, At: time.Now(), Actor: "apikey:alice", WriteID: "w2",
		Changes: []directory.Change{{Kind: directory.KindCity, Key: "seoul", Action: directory.ActionUpdate, Version: 1, After: seoul}}}); err != nil {
		t.Fatal(err)
	}
	trail, err := s.AuditEntries(ctx, directory.KindCity, "seoul", []int64{2, 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(trail) != 2 || trail[0].ID != "2" || trail[0].Actor != "apikey:alice" || trail[1].ID != "1" || trail[1].Action != directory.ActionSeed {
		t.Fatalf("trail: %+v", trail)
	}
	if trail[0].After["name"] != "Seoul" || trail[0].Version != 2 {
		t.Errorf("the newest entry's record: %v (version %d)", trail[0].After, trail[0].Version)
	}
}
