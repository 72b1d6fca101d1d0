package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/iclei/directory/directory"
	"github.com/iclei/directory/seed"
)

// TestExportsServeTheServersDirectory shows that the export routes are mounted on the server's read model:
// the CSV lists the offices the GraphQL API lists and follows a write, and a vCard's SOURCE is the server's own
// address, not the Host header a client sends. package export tests the formats, filters and caching.
func TestExportsServeTheServersDirectory(t *testing.T) {
	t.Parallel()
	s := startServer(t, nil)
	seedMemberships(t, s)

	var got struct {
		Offices struct{ Nodes []struct{ Key, Name string } }
		City    struct{ Memberships []struct{ Category string } }
	}
	s.query(t, `{ offices(first: 100) { nodes { key name } } city(key: "beijing") { memberships { category } } }`, nil, &got)
	rows := csvRows(t, s.send(t, "GET", "/export/offices.csv", nil, ""))
	var keys, want []string
	for _, row := range rows[1:] {
		keys = append(keys, row[0])
	}
	for _, o := range got.Offices.Nodes {
		want = append(want, o.Key)
	}
	if len(want) == 0 || !slices.Equal(keys, want) {
		t.Errorf("offices.csv lists %v, the API %v", keys, want)
	}

	rows = csvRows(t, s.send(t, "GET", "/export/cities.csv?country=CN", nil, ""))
	col := slices.Index(rows[0], "membership_count")
	i := slices.IndexFunc(rows, func(row []string) bool { return row[0] == "beijing" })
	if i < 0 || rows[i][col] != strconv.Itoa(len(got.City.Memberships)) || len(got.City.Memberships) != 2 {
		t.Errorf("cities.csv does not show the memberships written: %v", rows)
	}

	r := s.send(t, "GET", "/export/offices/korea-office.vcf", map[string]string{"Host": "evil.example"}, "")
	if !slices.Contains(unfold(string(r.Body)), "SOURCE:"+s.URL+"/export/offices/korea-office.vcf") {
		t.Errorf("SOURCE is not the server's address %s:\n%s", s.URL, r.Body)
	}
}

func TestVCardSourceUsesThePublicURL(t *testing.T) {
	t.Parallel()
	s := startServer(t, map[string]string{"PUBLIC_URL": "https://directory.example.org/"})
	r := s.send(t, "GET", "/export/offices/korea-office.vcf", nil, "")
	if !slices.Contains(unfold(string(r.Body)), "SOURCE:https://directory.example.org/export/offices/korea-office.vcf") {
		t.Errorf("no SOURCE at the public URL in\n%s", r.Body)
	}
}

// unfold returns the content lines of a vCard, continuation lines joined (RFC 6350, section 3.2).
func unfold(card string) []string {
	return strings.Split(strings.TrimSuffix(strings.ReplaceAll(card, "\r\n ", ""), "\r\n"), "\r\n")
}

func csvRows(t *testing.T, r *reply) [][]string {
	t.Helper()
	if mt, cs := r.mediaType(t); r.Status != http.StatusOK || mt != "text/csv" || cs != "utf-8" {
		t.Fatalf("status %d, Content-Type %q: %s", r.Status, r.Header.Get("Content-Type"), r.Body)
	}
	rows, err := csv.NewReader(bytes.NewReader(r.Body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 {
		t.Fatal("no header row")
	}
	return rows
}

// seedMemberships gives Beijing two memberships, an ended one and a current one (the seed has none), through
// the store behind the server's back, and waits until the server serves them.
func seedMemberships(t *testing.T, s *testServer) {
	t.Helper()
	data, _, err := seed.Build()
	if err != nil {
		t.Fatal(err)
	}
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	i := slices.IndexFunc(data.Cities, func(c directory.City) bool { return c.Key == "beijing" })
	data.Cities[i].Memberships = []directory.Membership{
		{ID: "m1", City: "beijing", Category: directory.MembershipAssociate, Status: directory.MembershipEnded,
			Since: day(2010, 3, 1), Until: day(2014, 12, 31), Secretariat: "east-asia-secretariat"},
		{ID: "m2", City: "beijing", Category: directory.MembershipFull, Status: directory.MembershipActive,
			Since: day(2015, 1, 1), Secretariat: "east-asia-secretariat"},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := openStore(t, s.MongoURI, s.Database).Seed(ctx, data); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, func() error {
		var got struct {
			City struct{ Memberships []struct{ ID string } }
		}
		s.query(t, `{ city(key: "beijing") { memberships { id } } }`, nil, &got)
		if len(got.City.Memberships) != 2 {
			return fmt.Errorf("beijing has %d memberships", len(got.City.Memberships))
		}
		return nil
	})
}
