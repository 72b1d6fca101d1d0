package main

import (
	"bytes"
	"context"
	"fmt"
	"reflect"
	"strconv"
	"testing"

	"github.com/iclei/directory/internal/apitest"
)

const programKey = "2016-low-carbon-capacity-program-chinese-local-governments"

func TestSeedingTwiceChangesNothing(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	ctx := context.Background()
	store := openStore(t, s.MongoURI, s.Database)
	revision := func(t *testing.T) (int64, string) {
		t.Helper()
		rev, err := store.Revision(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var got struct{ Directory struct{ Revision string } }
		s.query(t, `{ directory { revision } }`, nil, &got)
		return rev, got.Directory.Revision
	}
	revBefore, apiBefore := revision(t)
	if revBefore == 0 || apiBefore != strconv.FormatInt(revBefore, 10) {
		t.Fatalf("after the server seeded: store revision %d, API revision %q", revBefore, apiBefore)
	}
	before, err := store.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}

	var out, errOut bytes.Buffer
	env := map[string]string{"MONGODB_URI": s.MongoURI, "MONGODB_DATABASE": s.Database, "DATA_DIR": t.TempDir(), "LOG_LEVEL": "warn"}
	if err := run(ctx, []string{"directory", "seed"}, func(k string) string { return env[k] }, &out, &errOut); err != nil {
		t.Fatalf("seed: %v\n%s", err, errOut.String())
	}

	t.Run("the seed command reports every record unchanged", func(t *testing.T) {
		// 10 regions, 9 secretariats, 15 offices, 14 cities, 1 organization, 3 people and 1 program.
		want := fmt.Sprintf("seeded: 0 inserted, 0 updated, 53 unchanged, 0 kept as edited; revision %d\n", revBefore)
		if out.String() != want {
			t.Errorf("seed printed %q, want %q", out.String(), want)
		}
	})

	t.Run("the revision does not move", func(t *testing.T) {
		rev, api := revision(t)
		if rev != revBefore || api != apiBefore {
			t.Errorf("revision: store %d, API %s; before seeding: store %d, API %s", rev, api, revBefore, apiBefore)
		}
	})

	t.Run("the stored directory is identical", func(t *testing.T) {
		after, err := store.Load(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(before, after) {
			t.Errorf("store.Load returns different data after seeding again:\n%s", apitest.DiffJSON(before, after))
		}
	})

	t.Run("seeded records are at their first version", func(t *testing.T) {
		var got map[string]struct{ Version int }
		s.query(t, `{
			office: office(key: "korea-office") { version }
			city: city(key: "seoul") { version }
			program: program(key: "`+programKey+`") { version }
			organization: organization(key: "shrdc") { version }
			person: person(key: "shu-zhu") { version }
		}`, nil, &got)
		for kind, v := range got {
			if v.Version != 1 {
				t.Errorf("%s: version %d, want 1", kind, v.Version)
			}
		}
	})
}
