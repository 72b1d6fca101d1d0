package main

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/Khan/genqlient/graphql"

	"github.com/iclei/directory/examples/dashboard/directoryclient"
)

// TestDashboardClient runs the generated client of examples/dashboard against a running server, over POST and
// over GET.
func TestDashboardClient(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	seedMemberships(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	clients := map[string]graphql.Client{
		"POST": graphql.NewClient(s.URL+"/graphql", http.DefaultClient),
		"GET":  graphql.NewClientUsingGet(s.URL+"/graphql", http.DefaultClient),
	}
	for method, client := range clients {
		t.Run(method+": a region's cities with their memberships, page by page", func(t *testing.T) {
			var keys []string
			after := ""
			for {
				resp, err := directoryclient.RegionCities(ctx, client, "east-asia", 5, after)
				if err != nil {
					t.Fatal(err)
				}
				cities := resp.Region.Cities
				for _, c := range cities.Nodes {
					keys = append(keys, c.Key)
					if c.Key == "beijing" && (c.Country.Code != "CN" || len(c.Memberships) != 2 || c.Membership.Status != "ACTIVE" ||
						c.Membership.Since != "2015-01-01" || c.Membership.Secretariat.Key != "east-asia-secretariat") {
						t.Errorf("beijing: %+v", c)
					}
				}
				if !cities.PageInfo.HasNextPage {
					if len(keys) != cities.TotalCount {
						t.Errorf("%d cities over the pages, want %d", len(keys), cities.TotalCount)
					}
					break
				}
				after = cities.PageInfo.EndCursor
			}
			if !slices.Contains(keys, "beijing") || !slices.Contains(keys, "seoul") {
				t.Errorf("east-asia's cities %v lack beijing or seoul", keys)
			}
		})

		t.Run(method+": a city's memberships and programs", func(t *testing.T) {
			resp, err := directoryclient.CityMemberships(ctx, client, "beijing", 20)
			if err != nil {
				t.Fatal(err)
			}
			c := resp.City
			if c.Name != "Beijing" || c.Region.Code != "east-asia" || len(c.Memberships) != 2 ||
				c.Memberships[0].Status != "ENDED" || c.Memberships[0].Until != "2014-12-31" || c.Memberships[1].Secretariat.Name == "" {
				t.Errorf("beijing: %+v", c)
			}
			if c.Programs.TotalCount == 0 || len(c.Programs.Nodes) == 0 || c.Programs.Nodes[0].Title == "" {
				t.Errorf("beijing's programs: %+v", c.Programs)
			}
		})
	}

	t.Run("a request error is an error", func(t *testing.T) {
		if _, err := directoryclient.RegionCities(ctx, clients["GET"], "east-asia", 1000, ""); err == nil {
			t.Error("want an error for first: 1000")
		}
	})
}
