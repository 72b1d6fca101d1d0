package graph_test

import (
	"context"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/iclei/directory/directory"
	"github.com/iclei/directory/graph"
)

// live is a directory whose read model follows a change log in memory, seeded through the write path, so that
// the change feed and subscriptions have entries to show.
type live struct {
	log    *directory.MemoryLog
	rm     *directory.ReadModel
	writer *directory.Writer
}

var (
	adminPrincipal  = &directory.Principal{Subject: "apikey:admin", Role: directory.RoleAdmin}
	editorPrincipal = &directory.Principal{Subject: "apikey:editor", Role: directory.RoleEditor, Regions: []string{directory.RegionEastAsia}}
)

// tokens authenticates the token "admin" as an admin and "editor" as an editor of East Asia; any other token
// is refused.
type tokens struct{}

func (tokens) Authenticate(_ context.Context, token string) (*directory.Principal, error) {
	switch token {
	case "admin":
		return adminPrincipal, nil
	case "editor":
		return editorPrincipal, nil
	}
	return nil, directory.ErrUnauthenticated("the API key is not known")
}

func newLive(t testing.TB) *live {
	t.Helper()
	data, err := shipped()
	if err != nil {
		t.Fatal(err)
	}
	log := directory.NewMemoryLog()
	rm := directory.NewReadModel(log, directory.NewSnapshot(directory.Data{}, time.Now()), slog.New(slog.DiscardHandler))
	w := directory.NewWriter(log, rm)
	seedData := *data
	seedData.Revision = 0
	if _, err := w.Seed(context.Background(), directory.SeedActor, &seedData, 100); err != nil {
		t.Fatal(err)
	}
	return &live{log: log, rm: rm, writer: w}
}

// handler returns the GraphQL endpoint over the live directory, with tokens for authentication.
func (l *live) handler(t testing.TB, opts graph.Options) http.Handler {
	t.Helper()
	return l.handlerWithAuth(t, opts, tokens{})
}

// handlerWithAuth returns the GraphQL endpoint over the live directory with the authenticator.
func (l *live) handlerWithAuth(t testing.TB, opts graph.Options, auth directory.Authenticator) http.Handler {
	t.Helper()
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Applications == nil {
		opts.Applications = allowApplications{}
	}
	if opts.Limits == (graph.Limits{}) {
		opts.Limits = serverLimits
	}
	opts.QueryCacheSize = max(opts.QueryCacheSize, 100)
	opts.Writer, opts.Auth = l.writer, auth
	h, err := graph.NewHandler(l.rm, opts)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// grant gives the city a full membership through the write path, as an admin.
func (l *live) grant(t testing.TB, city string) *directory.Membership {
	t.Helper()
	c := l.rm.Snapshot().City(city)
	m, err := l.writer.GrantMembership(context.Background(), adminPrincipal, directory.GrantMembershipInput{City: city,
		CityVersion: c.Version, Category: directory.MembershipFull, Since: time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	return m
}
