package graph_test

import (
	"context"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/iclei/directory/directory"
	"github.com/iclei/directory/graph"
	"github.com/iclei/directory/httperror"
)

// editorOfEurope authenticates every token as an editor of Europe, and the token "bad" as no one.
type editorOfEurope struct{}

func (editorOfEurope) Authenticate(_ context.Context, token string) (*directory.Principal, error) {
	if token == "bad" {
		return nil, directory.ErrUnauthenticated("the API key is not known")
	}
	return &directory.Principal{Subject: "jwt:editor", Role: directory.RoleEditor, Regions: []string{"europe"}}, nil
}

// TestStatusesFollowTheOneTable pins the HTTP status of GraphQL answers: with application/json every
// GraphQL response is 200; with application/graphql-response+json a request error, and data that is null
// because the caller was refused, take the status of their code from httperror's table.
func TestStatusesFollowTheOneTable(t *testing.T) {
	t.Parallel()
	data, err := shipped()
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	rm := directory.NewReadModel(directory.NewMemoryLog(), directory.NewSnapshot(*data, time.Now()), log)
	// The refusals below come before the Writer needs its store.
	h := newHandler(t, graph.Options{Auth: editorOfEurope{}, Writer: directory.NewWriter(directory.NewMemoryLog(), rm)})
	const forbidden = `{ membershipApplications(filter: {region: "east-asia"}) { totalCount } }`
	for _, c := range []struct {
		name, query, token, accept string
		status                     int
		code                       string
	}{
		{"a refused read of another region's records is 403", forbidden, "good", graph.MediaTypeGraphQLResponse, http.StatusForbidden, string(directory.CodeForbidden)},
		{"the same with application/json is 200", forbidden, "good", graph.MediaTypeJSON, http.StatusOK, string(directory.CodeForbidden)},
		{"a rejected token is 401", `{ regions { code } }`, "bad", graph.MediaTypeGraphQLResponse, http.StatusUnauthorized, string(directory.CodeUnauthenticated)},
		{"the same with application/json is 200", `{ regions { code } }`, "bad", graph.MediaTypeJSON, http.StatusOK, string(directory.CodeUnauthenticated)},
		{"an authenticated read is 200", `{ regions { code } viewer { role } }`, "good", graph.MediaTypeGraphQLResponse, http.StatusOK, ""},
		{"partial data with a field error is 200", `{ regions { code } region(code: "east-asia") { offices(first: 500) { totalCount } } }`, "", graph.MediaTypeGraphQLResponse, http.StatusOK, string(directory.CodeInvalidInput)},
		{"an error that is not the caller's refusal, with data null, is 200", `{ nearestOffices(latitude: 100, longitude: 0) { distanceKm } }`, "", graph.MediaTypeGraphQLResponse, http.StatusOK, string(directory.CodeInvalidInput)},
		{"a document that does not validate is 400", `{ noSuchField }`, "", graph.MediaTypeGraphQLResponse, http.StatusBadRequest, httperror.CodeValidationFailed},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			header := []string{"Accept", c.accept}
			if c.token != "" {
				header = append(header, "Authorization", "Bearer "+c.token)
			}
			rec, resp := post(t, h, map[string]any{"query": c.query}, header...)
			if rec.Code != c.status || resp.code() != c.code {
				t.Fatalf("status %d, code %q, want %d %q: %s", rec.Code, resp.code(), c.status, c.code, rec.Body)
			}
			if want := httperror.Status(c.code); c.code != "" && rec.Code != http.StatusOK && rec.Code != want {
				t.Errorf("status %d, but the table gives %s %d", rec.Code, c.code, want)
			}
			if (rec.Code == http.StatusUnauthorized) != (rec.Header().Get("WWW-Authenticate") != "") {
				t.Errorf("status %d with WWW-Authenticate %q", rec.Code, rec.Header().Get("WWW-Authenticate"))
			}
		})
	}
}

func TestAnswersWhileTheDirectoryLoads(t *testing.T) {
	t.Parallel()
	log := slog.New(slog.DiscardHandler)
	// Never refreshed: there is no snapshot yet.
	rm := directory.NewReadModel(directory.NewMemoryLog(), nil, log)
	h, err := graph.NewHandler(rm, graph.Options{Log: log, Applications: allowApplications{}})
	if err != nil {
		t.Fatal(err)
	}
	for accept, status := range map[string]int{graph.MediaTypeGraphQLResponse: http.StatusServiceUnavailable, graph.MediaTypeJSON: http.StatusOK} {
		rec, resp := post(t, h, map[string]any{"query": `{ regions { code } }`}, "Accept", accept)
		if rec.Code != status || resp.code() != string(directory.CodeUnavailable) || resp.Data != nil {
			t.Errorf("%s: status %d, code %q, data %s; want %d %s without data", accept, rec.Code, resp.code(), resp.Data, status, directory.CodeUnavailable)
		}
		if rec.Header().Get("Retry-After") == "" {
			t.Errorf("%s: no Retry-After", accept)
		}
	}
}
