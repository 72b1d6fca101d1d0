package main

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
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

// adminToken authenticates the token "admin-token" as an admin.
type adminToken struct{}

func (adminToken) Authenticate(_ context.Context, token string) (*directory.Principal, error) {
	if token != "admin-token" {
		return nil, directory.ErrUnauthenticated("unknown token")
	}
	return &directory.Principal{Subject: "apikey:admin", Role: directory.RoleAdmin}, nil
}

// syncBuffer is a bytes.Buffer safe for one writer and one reader at a time.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestDashboardWatchesMemberships runs the dashboard's watch against a directory served in process, whose
// change log an admin writes to through the API: the grant is printed as it happens.
func TestDashboardWatchesMemberships(t *testing.T) {
	data, _, err := seed.Build()
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	changes := directory.NewMemoryLog()
	rm := directory.NewReadModel(changes, directory.NewSnapshot(directory.Data{}, time.Now()), log)
	writer := directory.NewWriter(changes, rm)
	if _, err := writer.Seed(context.Background(), directory.SeedActor, data, 100); err != nil {
		t.Fatal(err)
	}
	// Heartbeats every 20ms: the server pings the watch's connection many times before the grant.
	h, err := graph.NewHandler(rm, graph.Options{Log: log, Applications: noApplications{}, Writer: writer, Auth: adminToken{},
		Heartbeat: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out syncBuffer
	done := make(chan error, 1)
	after := strconv.FormatInt(rm.Snapshot().Revision, 10)
	go func() { done <- watchMemberships(ctx, srv.URL, "east-asia", after, &out) }()

	time.Sleep(200 * time.Millisecond)
	// An admin grants Seoul a membership through the API.
	admin := graphql.NewClient(srv.URL, &http.Client{Transport: bearer{"admin-token"}})
	var grant struct{ GrantMembership struct{ ID string } }
	err = admin.MakeRequest(context.Background(), &graphql.Request{
		Query:     `mutation($v: Int!) { grantMembership(input: {city: "seoul", cityVersion: $v, category: FULL, since: "2024-05-01"}) { id } }`,
		Variables: map[string]any{"v": rm.Snapshot().City("seoul").Version}}, &graphql.Response{Data: &grant})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), "GRANTED Seoul, FULL ACTIVE since 2024-05-01") {
		if time.Now().After(deadline) {
			t.Fatalf("the grant was not printed:\n%s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("watch ended with %v", err)
	}
}

// bearer sends a bearer token with every request.
type bearer struct{ token string }

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return http.DefaultTransport.RoundTrip(r)
}
