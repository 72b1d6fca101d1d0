package main

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/Khan/genqlient/graphql"

	"github.com/iclei/directory/directory"
	"github.com/iclei/directory/graph"
	"github.com/iclei/directory/seed"
)

type noApplications struct{}

func (noApplications) AllowApplication(*http.Request) bool { return false }

// directoryServer serves the GraphQL API over the seed data in process: Beijing with an ended and a current
// membership, Seoul with one.
func directoryServer(t *testing.T) *httptest.Server {
	t.Helper()
	data, _, err := seed.Build()
	if err != nil {
		t.Fatal(err)
	}
	data.Revision = 1
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	memberships := map[string][]directory.Membership{
		"beijing": {
			{ID: "m1", City: "beijing", Category: directory.MembershipAssociate, Status: directory.MembershipEnded,
				Since: day(2010, 3, 1), Until: day(2014, 12, 31), Secretariat: "east-asia-secretariat"},
			{ID: "m2", City: "beijing", Category: directory.MembershipFull, Status: directory.MembershipActive,
				Since: day(2015, 1, 1), Secretariat: "east-asia-secretariat"},
		},
		"seoul": {{ID: "m1", City: "seoul", Category: directory.MembershipFull, Status: directory.MembershipActive,
			Since: day(1993, 6, 1), Secretariat: "east-asia-secretariat"}},
	}
	for key, ms := range memberships {
		i := slices.IndexFunc(data.Cities, func(c directory.City) bool { return c.Key == key })
		data.Cities[i].Memberships = ms
	}
	log := slog.New(slog.DiscardHandler)
	rm := directory.NewReadModel(directory.NewMemoryLog(), directory.NewSnapshot(*data, time.Now()), log)
	h, err := graph.NewHandler(rm, graph.Options{Log: log, Applications: noApplications{}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func TestDashboard(t *testing.T) {
	srv := directoryServer(t)
	client := graphql.NewClientUsingGet(srv.URL, srv.Client())
	var out bytes.Buffer
	if err := run(context.Background(), client, "east-asia", "beijing", &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"East Asia: ", "FULL ACTIVE since 2015-01-01, served by", "(2 memberships)", "(1 membership)\n",
		"never a member\n", "Beijing (East Asia)", "ASSOCIATE ENDED, 2010-03-01 – 2014-12-31", "programs: 1",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("no %q in the output:\n%s", want, out.String())
		}
	}
	if err := run(context.Background(), client, "atlantis", "", &out); err == nil {
		t.Error("an unknown region is not an error")
	}
}
