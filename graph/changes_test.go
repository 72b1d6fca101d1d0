package graph_test

import (
	"encoding/json"
	"fmt"
	"strconv"
	"testing"

	"github.com/iclei/directory/directory"
	"github.com/iclei/directory/graph"
)

// feedPage is a page of the change feed as the tests read it.
type feedPage struct {
	Changes struct {
		PageInfo struct {
			HasNextPage     bool
			HasPreviousPage bool
			StartCursor     *string
			EndCursor       *string
		}
		Edges []struct {
			Cursor string
			Node   struct {
				Revision string
				Actor    *string
				Reason   *string
				Changes  []struct {
					Kind, Key, Action string
					ID                *string
					Version           int
					Regions           []struct{ Code string }
					Record            *struct {
						Typename string `json:"__typename"`
						Name     string
					}
				}
			}
		}
	}
}

const feedQuery = `query($after: String, $first: Int, $filter: ChangeFilter) {
  changes(after: $after, first: $first, filter: $filter) {
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { revision actor reason changes { kind key id action version regions { code } record { __typename ... on City { name } ... on Office { name } } } } }
  }
}`

func TestChangeFeedOverGraphQL(t *testing.T) {
	t.Parallel()
	l := newLive(t)
	h := l.handler(t, graph.Options{ResponseCacheBytes: 1 << 20})
	head := l.rm.Snapshot().Revision
	l.grant(t, "seoul")
	if _, err := l.writer.SubmitApplication(t.Context(), directory.ApplicationInput{Name: "Hoi An", Country: "VN",
		Category: directory.MembershipFull, ContactName: "Lan", Email: "lan@example.vn", Motivation: "Heritage."}); err != nil {
		t.Fatal(err)
	}
	after := strconv.FormatInt(head, 10)

	read := func(t *testing.T, vars map[string]any, token string) feedPage {
		t.Helper()
		header := []string{}
		if token != "" {
			header = append(header, "Authorization", "Bearer "+token)
		}
		_, resp := post(t, h, map[string]any{"query": feedQuery, "variables": vars}, header...)
		if len(resp.Errors) > 0 {
			t.Fatalf("errors: %+v", resp.Errors)
		}
		var p feedPage
		if err := json.Unmarshal(resp.Data, &p); err != nil {
			t.Fatal(err)
		}
		return p
	}

	t.Run("anonymous callers see public records without who wrote them", func(t *testing.T) {
		p := read(t, map[string]any{"after": after}, "")
		if len(p.Changes.Edges) != 1 {
			t.Fatalf("%d entries, want the membership's only", len(p.Changes.Edges))
		}
		e := p.Changes.Edges[0]
		c := e.Node.Changes[0]
		if e.Cursor != e.Node.Revision || e.Node.Revision != strconv.FormatInt(head+1, 10) || e.Node.Actor != nil || e.Node.Reason != nil {
			t.Errorf("entry %+v", e)
		}
		if c.Kind != "City" || c.Key != "seoul" || c.Action != "UPDATE" || c.ID == nil || c.Record == nil ||
			c.Record.Typename != "City" || c.Record.Name != "Seoul" || len(c.Regions) != 1 || c.Regions[0].Code != "east-asia" {
			t.Errorf("change %+v", c)
		}
		// The application after it left the public revision, where anonymous pages end.
		if want := strconv.FormatInt(head+1, 10); p.Changes.PageInfo.EndCursor == nil || *p.Changes.PageInfo.EndCursor != want ||
			p.Changes.PageInfo.HasNextPage || !p.Changes.PageInfo.HasPreviousPage {
			t.Errorf("page info %+v, want the end cursor %s and no next page", p.Changes.PageInfo, want)
		}
	})
	t.Run("admins see private records and who wrote each entry", func(t *testing.T) {
		p := read(t, map[string]any{"after": after}, "admin")
		if len(p.Changes.Edges) != 2 {
			t.Fatalf("%d entries, want 2", len(p.Changes.Edges))
		}
		grant, application := p.Changes.Edges[0].Node, p.Changes.Edges[1].Node
		if grant.Actor == nil || *grant.Actor != "apikey:admin" || grant.Reason == nil || *grant.Reason != "grantMembership" {
			t.Errorf("grant: actor %v reason %v", grant.Actor, grant.Reason)
		}
		if c := application.Changes[0]; c.Kind != directory.KindApplication || c.ID != nil || c.Record != nil {
			t.Errorf("application change %+v: want no ID and no record", c)
		}
	})
	t.Run("pages follow one another by their end cursor", func(t *testing.T) {
		seen := 0
		var cursor any
		for pages := 0; ; pages++ {
			p := read(t, map[string]any{"after": cursor, "first": 7}, "")
			for _, e := range p.Changes.Edges {
				seen++
				if e.Node.Revision != fmt.Sprint(seen) {
					t.Fatalf("entry %d has revision %s", seen, e.Node.Revision)
				}
			}
			if !p.Changes.PageInfo.HasNextPage {
				break
			}
			cursor = *p.Changes.PageInfo.EndCursor
			if pages > 100 {
				t.Fatal("the feed does not end")
			}
		}
		if int64(seen) != head+1 {
			t.Errorf("paged through %d public entries, want %d", seen, head+1)
		}
	})
	t.Run("bad arguments are BAD_USER_INPUT naming the field", func(t *testing.T) {
		for _, c := range []struct {
			vars  map[string]any
			field string
		}{
			{map[string]any{"after": "-1"}, "after"},
			{map[string]any{"after": "seven"}, "after"},
			{map[string]any{"first": 0}, "first"},
			{map[string]any{"filter": map[string]any{"kinds": []string{"Cities"}}}, "filter.kinds"},
			{map[string]any{"filter": map[string]any{"regions": []string{"atlantis"}}}, "filter.regions"},
		} {
			_, resp := post(t, h, map[string]any{"query": feedQuery, "variables": c.vars})
			if resp.code() != string(directory.CodeInvalidInput) || resp.Errors[0].Extensions["field"] != c.field {
				t.Errorf("%v: %+v, want BAD_USER_INPUT about %s", c.vars, resp.Errors, c.field)
			}
		}
	})
	t.Run("the cost counts a page's entries", func(t *testing.T) {
		_, resp := post(t, h, map[string]any{"query": `{ changes(first: 100) { nodes { changes { key } } } }`})
		var cost struct{ Complexity int }
		if err := json.Unmarshal(resp.Extensions["cost"], &cost); err != nil || cost.Complexity < 100 {
			t.Errorf("cost %s, want at least 100", resp.Extensions["cost"])
		}
	})
}
