package directory_test

import (
	"strings"
	"testing"

	"github.com/iclei/directory/directory"
)

func TestResolveReference(t *testing.T) {
	t.Parallel()
	_, s := seededLog(t)
	snap := s.rm.Snapshot()
	seoul, eastAsia := snap.City("seoul"), snap.Region("east-asia")
	if seoul == nil || eastAsia == nil {
		t.Fatal("the seed has no seoul or east-asia")
	}
	t.Run("by key or code", func(t *testing.T) {
		if got, err := directory.Resolve(directory.KindCity, directory.Ref{Key: "seoul"}, snap.City); got != seoul || err != nil {
			t.Errorf("city seoul = %v, %v", got, err)
		}
		if got, err := directory.Resolve(directory.KindRegion, directory.Ref{Key: "east-asia"}, snap.Region); got != eastAsia || err != nil {
			t.Errorf("region east-asia = %v, %v", got, err)
		}
	})
	t.Run("by global ID, which wins over a key", func(t *testing.T) {
		ref := directory.Ref{ID: seoul.ID(), Key: "beijing"}
		if got, err := directory.Resolve(directory.KindCity, ref, snap.City); got != seoul || err != nil {
			t.Errorf("city %s = %v, %v", seoul.ID(), got, err)
		}
	})
	for _, c := range []struct {
		name, kind string
		ref        directory.Ref
		code       directory.Code
		message    string
	}{
		{"an unknown key", directory.KindCity, directory.Ref{Key: "atlantis"}, directory.CodeNotFound, `no city with the key "atlantis"`},
		{"an unknown code", directory.KindRegion, directory.Ref{Key: "atlantis"}, directory.CodeNotFound, `no region with the code "atlantis"`},
		{"an ID of no record", directory.KindCity, directory.Ref{ID: directory.GlobalID(directory.KindCity, "atlantis")}, directory.CodeNotFound,
			`no city with the ID "` + directory.GlobalID(directory.KindCity, "atlantis") + `"`},
		// The key is a city's: an ID names a record of its own kind only.
		{"an ID of another kind", directory.KindOffice, directory.Ref{ID: seoul.ID()}, directory.CodeNotFound, `no office with the ID "` + seoul.ID() + `"`},
		{"an application's ID", directory.KindCity, directory.Ref{ID: directory.GlobalID(directory.KindApplication, "seoul")}, directory.CodeNotFound,
			`no city with the ID "` + directory.GlobalID(directory.KindApplication, "seoul") + `"`},
		{"an ID this directory did not issue", directory.KindCity, directory.Ref{ID: "not an id"}, directory.CodeInvalidInput, `"not an id" is not an ID this directory issued`},
	} {
		t.Run(c.name, func(t *testing.T) {
			var got any
			var err error
			if c.kind == directory.KindRegion {
				got, err = directory.Resolve(c.kind, c.ref, snap.Region)
			} else if c.kind == directory.KindOffice {
				got, err = directory.Resolve(c.kind, c.ref, snap.Office)
			} else {
				got, err = directory.Resolve(c.kind, c.ref, snap.City)
			}
			if code(err) != c.code || err == nil || err.Error() != c.message {
				t.Errorf("Resolve(%s, %+v) = %v, %v; want %s %q", c.kind, c.ref, got, err, c.code, c.message)
			}
		})
	}
}

// An error quotes the key or ID it was given only in part when it is long: answers listing many such errors
// stay linear in the request.
func TestErrorsQuoteLongKeysInPart(t *testing.T) {
	t.Parallel()
	_, s := seededLog(t)
	snap := s.rm.Snapshot()
	long := strings.Repeat("ö", 10_000)
	for name, err := range map[string]error{
		"by key": func() error {
			_, err := directory.Resolve(directory.KindCity, directory.Ref{Key: long}, snap.City)
			return err
		}(),
		"by ID": func() error {
			_, err := directory.Resolve(directory.KindCity, directory.Ref{ID: long}, snap.City)
			return err
		}(),
		"node":      func() error { _, err := snap.Node(long); return err }(),
		"not found": directory.NotFound(directory.KindOffice, long),
	} {
		if err == nil || len(err.Error()) > 500 || !strings.Contains(err.Error(), strings.Repeat("ö", 160)+`…"`) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := directory.Resolve(directory.KindCity, directory.Ref{Key: "atlantis"}, snap.City); err == nil || err.Error() != `no city with the key "atlantis"` {
		t.Errorf("a short key: %v", err)
	}
}
