package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"testing"
	"time"
)

func TestSecondServerSeesWriteThroughFirst(t *testing.T) {
	t.Parallel()
	first := startServer(t, nil)
	second := startServer(t, map[string]string{"MONGODB_URI": first.MongoURI, "MONGODB_DATABASE": first.Database})
	ctx := context.Background()

	t.Run("the first server is ready at the database's revision", func(t *testing.T) {
		rev, err := openStore(t, first.MongoURI, first.Database).Revision(ctx)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.Get(first.URL + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if want := fmt.Sprintf("ready: revision %d\n", rev); resp.StatusCode != http.StatusOK || string(body) != want {
			t.Errorf("/readyz: %d %q, want 200 %q", resp.StatusCode, body, want)
		}
	})

	// The write goes through the first server's API: the first serves it at once, the second once its poll
	// sees the new revision.
	key := first.mintKey(t, "writer", "admin")
	var written struct {
		UpdateOffice struct{ Name string }
	}
	r := first.do(t, request{Token: key, Query: `mutation {
		updateOffice(key: "korea-office", version: 1, input: {
			name: "ICLEI Korea Office", kind: COUNTRY_OFFICE, region: "east-asia", secretariat: "east-asia-secretariat",
			address: { street: ["3F, Suwon Research Institute", "126, Suin-ro, Gwonseon-gu"], locality: "Suwon-si",
				province: "Gyeonggi-do", postalCode: "16429", country: "KR" },
			location: { latitude: 37.2636, longitude: 127.0286, precision: CITY } }) { name } }`})
	if len(r.Errors) > 0 {
		t.Fatalf("updateOffice: %+v", r.Errors)
	}
	if err := json.Unmarshal(r.Data, &written); err != nil || written.UpdateOffice.Name != "ICLEI Korea Office" {
		t.Fatalf("updateOffice answered %s", r.Data)
	}
	rev, err := openStore(t, first.MongoURI, first.Database).Revision(ctx)
	if err != nil {
		t.Fatal(err)
	}
	report := struct{ Revision int64 }{rev}

	for name, s := range map[string]*testServer{"first": first, "second": second} {
		t.Run("the "+name+" server serves the write", func(t *testing.T) {
			eventually(t, 10*time.Second, func() error {
				var got struct {
					Directory struct{ Revision string }
					Office    struct{ Name string }
					Search    struct{ TotalCount int }
				}
				s.query(t, `{ directory { revision } office(key: "korea-office") { name }
					search(query: "ICLEI Korea Office", types: [OFFICE]) { totalCount } }`, nil, &got)
				if got.Directory.Revision != strconv.FormatInt(report.Revision, 10) || got.Office.Name != "ICLEI Korea Office" ||
					got.Search.TotalCount != 1 {
					return fmt.Errorf("revision %s, office named %q, found %d times by its new name; want revision %d, \"ICLEI Korea Office\", once",
						got.Directory.Revision, got.Office.Name, got.Search.TotalCount, report.Revision)
				}
				return nil
			})
		})
	}
}
