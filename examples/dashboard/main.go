// Command dashboard prints a region's member cities and their ICLEI memberships, read from a running directory
// server through the typed client in directoryclient, which genqlient generates from the published schema.
// With -watch it then subscribes to the region's membership changes over a WebSocket and prints each as it
// happens, until interrupted.
//
// Usage:
//
//	go run ./examples/dashboard -url http://localhost:8080/graphql -region east-asia [-city beijing] [-watch]
//
// It queries over GET, so that a CDN in front of the server can answer repeated runs.
package main

//go:generate go tool genqlient

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/Khan/genqlient/graphql"

	"github.com/iclei/directory/examples/dashboard/directoryclient"
)

func main() {
	url := flag.String("url", "http://localhost:8080/graphql", "the directory's GraphQL endpoint")
	region := flag.String("region", "east-asia", "region code, such as east-asia or europe")
	city := flag.String("city", "", "a city key, such as beijing: also print its memberships and programs")
	watch := flag.Bool("watch", false, "then print the region's membership changes as they happen, until interrupted")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// docs:begin client
	// GET requests, so that HTTP caches and a CDN can answer repeated queries (mutations need NewClient: POST).
	client := graphql.NewClientUsingGet(*url, &http.Client{Timeout: 10 * time.Second})
	// docs:end client
	// The revision the listing was read at, so that watching starts right after it and misses nothing.
	info, err := directoryclient.Revision(ctx, client)
	if err == nil {
		err = run(ctx, client, *region, *city, os.Stdout)
	}
	if err == nil && *watch {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
		defer stop()
		err = watchMemberships(ctx, *url, *region, info.Directory.Revision, os.Stdout)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "dashboard:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, client graphql.Client, region, city string, w io.Writer) error {
	// docs:begin pages
	after := ""
	for first := true; ; first = false {
		resp, err := directoryclient.RegionCities(ctx, client, region, 100, after)
		if err != nil {
			return err // an error in the answer (its extensions.code, such as BAD_USER_INPUT) is an error here
		}
		r := resp.Region
		if r.Code == "" {
			return fmt.Errorf("no region %q", region)
		}
		if first {
			fmt.Fprintf(w, "%s: %d cities\n", r.Name, r.Cities.TotalCount)
		}
		for _, c := range r.Cities.Nodes {
			m := c.Membership
			current := "never a member"
			if m.Status != "" {
				current = fmt.Sprintf("%s %s since %s, served by %s", m.Category, m.Status, m.Since, m.Secretariat.Name)
			}
			fmt.Fprintf(w, "  %-28s %-3s %s%s\n", c.Name, c.Country.Code, current, count(len(c.Memberships)))
		}
		if !r.Cities.PageInfo.HasNextPage {
			break
		}
		after = r.Cities.PageInfo.EndCursor
	}
	// docs:end pages
	if city == "" {
		return nil
	}
	resp, err := directoryclient.CityMemberships(ctx, client, city, 20)
	if err != nil {
		return err
	}
	c := resp.City
	if c.Key == "" {
		return fmt.Errorf("no city %q", city)
	}
	fmt.Fprintf(w, "\n%s (%s)\n", c.Name, c.Region.Name)
	for _, m := range c.Memberships {
		until := "today"
		if m.Until != "" {
			until = m.Until
		}
		fmt.Fprintf(w, "  %s %s, %s – %s, %s\n", m.Category, m.Status, m.Since, until, m.Secretariat.Name)
	}
	fmt.Fprintf(w, "  programs: %d\n", c.Programs.TotalCount)
	for _, p := range c.Programs.Nodes {
		fmt.Fprintf(w, "    %s (%s, %s)\n", p.Title, strings.ToLower(string(p.Kind)), p.StartDate)
	}
	return nil
}

// count says how many memberships a city has had, where it has had any.
func count(memberships int) string {
	switch memberships {
	case 0:
		return ""
	case 1:
		return " (1 membership)"
	}
	return fmt.Sprintf(" (%d memberships)", memberships)
}
