package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/iclei/directory/checkpoint"
	"github.com/iclei/directory/directory"
	"github.com/iclei/directory/internal/apitest"
)

// Several directory servers on one database, each a process of the built binary with a DATA_DIR of its own: the
// change log's one winner for writes that race across processes, how soon a write through one server is served
// by the others, and what survives a server killed in the middle of writes, a server restarted while another
// writes, and the engine restarted under reads and writes. They run on the engine the suite runs on: the
// embedded FerretDB of the first process, which the others reach through MONGODB_URI, or the external engine
// TEST_MONGODB_URI names.

// raceRounds is how many rounds each race runs.
const raceRounds = 30

// startServers starts n server processes on one database, the first with its engine's database and the others
// pointed at it, and returns them with an admin API key every one of them takes.
func startServers(t testing.TB, n int, env map[string]string) ([]*serverProcess, string) {
	t.Helper()
	first := startProcess(t, "a", env)
	servers := []*serverProcess{first}
	shared := maps.Clone(env)
	if shared == nil {
		shared = map[string]string{}
	}
	shared["MONGODB_URI"], shared["MONGODB_DATABASE"] = first.MongoURI, first.Database
	for i := 1; i < n; i++ {
		servers = append(servers, startProcess(t, string(rune('a'+i)), shared))
	}
	admin := mintAPIKey(t, first.testServer, "multi-server", "admin")
	for _, s := range servers[1:] {
		s.waitForKey(t, admin)
	}
	return servers, admin
}

// call is one request of a race, to one server.
type call struct {
	s   *serverProcess
	req request
	// losing lists the codes this request may answer when the other wins.
	losing []string
}

// raceOnce sends the requests to their servers at the same instant and checks that exactly one succeeds and
// every other answers one of its losing codes. It returns the winner's index.
func raceOnce(t *testing.T, calls ...call) int {
	t.Helper()
	rs := make([]*gqlResponse, len(calls))
	errs := make([]error, len(calls))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, c := range calls {
		wg.Go(func() {
			<-start
			rs[i], errs[i] = c.s.post(context.Background(), c.req)
		})
	}
	close(start)
	wg.Wait()
	winner := -1
	for i, r := range rs {
		if errs[i] != nil {
			t.Fatalf("request %d to server %s: %v", i, calls[i].s.name, errs[i])
		}
		checkNoLeak(t, r.Errors)
		switch {
		case len(r.Errors) == 0 && winner >= 0:
			t.Fatalf("both won: server %s and server %s", calls[winner].s.name, calls[i].s.name)
		case len(r.Errors) == 0:
			winner = i
		case !slices.Contains(calls[i].losing, r.Errors[0].Code()):
			t.Errorf("the loser through server %s answered %s (%s), want one of %v", calls[i].s.name, r.Errors[0].Code(),
				r.Errors[0].Message, calls[i].losing)
		}
	}
	if winner < 0 {
		t.Fatal("no request won")
	}
	return winner
}

// waitServed waits until every server answers the query with want at path (nil for null).
func waitServed(t *testing.T, servers []*serverProcess, query, path string, want any) {
	t.Helper()
	w := fmt.Sprint(want)
	eventually(t, 10*time.Second, func() error {
		for _, s := range servers {
			var got map[string]any
			mustGQL(t, s.testServer, "", query, nil, &got)
			if g := at(got, path); fmt.Sprint(g) != w {
				return fmt.Errorf("server %s answers %s = %v, want %v", s.name, path, g, w)
			}
		}
		return nil
	})
}

// at returns the value at the dotted path of a decoded JSON object.
func at(v any, path string) any {
	for _, p := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

// servedRevision returns the revision the server answers from.
func servedRevision(t testing.TB, s *serverProcess) int64 {
	t.Helper()
	var got struct{ Directory struct{ Revision string } }
	mustGQL(t, s.testServer, "", `{ directory { revision } }`, nil, &got)
	rev, err := strconv.ParseInt(got.Directory.Revision, 10, 64)
	if err != nil {
		t.Fatalf("server %s answers revision %q", s.name, got.Directory.Revision)
	}
	return rev
}

// waitRevision waits until every server answers from the revision or a later one.
func waitRevision(t testing.TB, servers []*serverProcess, revision int64) {
	t.Helper()
	eventually(t, 10*time.Second, func() error {
		for _, s := range servers {
			if got := servedRevision(t, s); got < revision {
				return fmt.Errorf("server %s answers from revision %d, want %d or later", s.name, got, revision)
			}
		}
		return nil
	})
}

// trailActions returns the actions of a record's audit trail, newest first, with the version after each.
func trailActions(t *testing.T, s *serverProcess, admin, kind, key string) []string {
	t.Helper()
	var out []string
	for _, e := range auditTrail(t, s.testServer, admin, directory.GlobalID(kind, key)) {
		out = append(out, fmt.Sprintf("%s v%d", e.Action, e.Version))
	}
	return out
}

// publicQueries are queries any client may send; after a race none of them may fail on any server.
var publicQueries = []string{
	stateQuery,
	`{ directory { revision counts { offices cities organizations people programs memberships } } }`,
	`{ search(query: "contested", first: 50) { totalCount } }`,
}

// checkPublicQueries pages through every public list, affiliations and references included, and runs
// publicQueries on each server, failing on any error.
func checkPublicQueries(t *testing.T, servers []*serverProcess) {
	t.Helper()
	for _, s := range servers {
		for _, q := range publicQueries {
			mustGQL(t, s.testServer, "", q, nil, nil)
		}
		every(t, s, "people", `key affiliations { title institution { __typename ... on Organization { key name }
			... on City { key name } ... on Secretariat { key name } } }`)
		every(t, s, "organizations", "key name city { key } country { code }")
		every(t, s, "offices", "key name region { code }")
		every(t, s, "cities", "key name parent { key } memberships { id status }")
		every(t, s, "programs", "key title participants(first: 10) { nodes { key } }")
	}
}

// every returns every node of a public list, page by page.
func every(t *testing.T, s *serverProcess, list, selection string) []map[string]any {
	t.Helper()
	q := `query($after: String) { ` + list + `(first: 100, after: $after) { pageInfo { hasNextPage endCursor } nodes { ` +
		selection + ` } } }`
	var out []map[string]any
	var after any
	for {
		var page map[string]struct {
			PageInfo struct {
				HasNextPage bool
				EndCursor   string
			}
			Nodes []map[string]any
		}
		mustGQL(t, s.testServer, "", q, map[string]any{"after": after}, &page)
		out = append(out, page[list].Nodes...)
		if !page[list].PageInfo.HasNextPage {
			return out
		}
		after = page[list].PageInfo.EndCursor
	}
}

// Races across two server processes on one database: in every round exactly one write wins, the public queries
// answer without error afterwards, and the audit trail shows one write per version.
func TestRacesAcrossServerProcesses(t *testing.T) {
	t.Parallel()
	servers, admin := startServers(t, 2, nil)
	a, b := servers[0], servers[1]

	t.Run("races", func(t *testing.T) {
		t.Run("same-version updates of one office through each server", func(t *testing.T) {
			t.Parallel()
			const key = "contested-office"
			mustGQL(t, a.testServer, admin, createOfficeQ, apitest.Input(apitest.Edit(officeInput(), "key", key)), nil)
			won := map[string]int{}
			for v := 1; v <= raceRounds; v++ {
				waitServed(t, servers, fmt.Sprintf(`{ office(key: %q) { version } }`, key), "office.version", v)
				rename := func(s *serverProcess) call {
					return call{s: s, losing: []string{"CONFLICT"}, req: request{Token: admin, Query: updateOfficeQ,
						Variables: apitest.Keyed(key, v, apitest.Edit(officeInput(), "name", fmt.Sprintf("Contested Office %d by %s", v+1, s.name)))}}
				}
				won[servers[raceOnce(t, rename(a), rename(b))].name]++
			}
			t.Logf("%d rounds, one winner each: %d through server a, %d through server b", raceRounds, won["a"], won["b"])

			want := []string{}
			for v := raceRounds + 1; v >= 2; v-- {
				want = append(want, fmt.Sprintf("UPDATE v%d", v))
			}
			want = append(want, "CREATE v1")
			if got := trailActions(t, b, admin, directory.KindOffice, key); !slices.Equal(got, want) {
				t.Errorf("audit trail = %v, want one update per version: %v", got, want)
			}
		})

		t.Run("delete on one server against update on the other", func(t *testing.T) {
			t.Parallel()
			deleted := map[string]bool{}
			won := map[string]int{}
			for i := range raceRounds {
				key := fmt.Sprintf("contested-office-%d", i)
				x, y := servers[i%2], servers[(i+1)%2]
				mustGQL(t, x.testServer, admin, createOfficeQ, apitest.Input(apitest.Edit(officeInput(), "key", key)), nil)
				waitServed(t, servers, fmt.Sprintf(`{ office(key: %q) { version } }`, key), "office.version", 1)
				w := raceOnce(t,
					call{s: x, losing: []string{"CONFLICT"}, req: request{Token: admin, Query: deleteOfficeQ, Variables: apitest.Keyed(key, 1, nil)}},
					call{s: y, losing: []string{"NOT_FOUND"}, req: request{Token: admin, Query: updateOfficeQ,
						Variables: apitest.Keyed(key, 1, apitest.Edit(officeInput(), "name", "Updated Office "+strconv.Itoa(i)))}})
				deleted[key] = w == 0
				won[map[bool]string{true: "delete", false: "update"}[w == 0]]++
			}
			t.Logf("%d rounds, one winner each: the delete %d times, the update %d times", raceRounds, won["delete"], won["update"])

			for key, del := range deleted {
				want, trail := any(2), []string{"UPDATE v2", "CREATE v1"}
				if del {
					want, trail = nil, []string{"DELETE v1", "CREATE v1"}
				}
				waitServed(t, servers, fmt.Sprintf(`{ office(key: %q) { version } }`, key), "office.version", want)
				if got := trailActions(t, a, admin, directory.KindOffice, key); !slices.Equal(got, trail) {
					t.Errorf("%s: audit trail = %v, want %v", key, got, trail)
				}
			}
		})

		t.Run("deleteOrganization on one server against createPerson affiliated with it on the other", func(t *testing.T) {
			t.Parallel()
			deleted := map[int]bool{}
			won := map[string]int{}
			for i := range raceRounds {
				org, person := fmt.Sprintf("contested-organization-%d", i), fmt.Sprintf("affiliated-person-%d", i)
				x, y := servers[i%2], servers[(i+1)%2]
				mustGQL(t, x.testServer, admin, createOrganizationQ, apitest.Input(map[string]any{"key": org,
					"name": "Contested Organization " + strconv.Itoa(i), "country": "DE"}), nil)
				waitServed(t, servers, fmt.Sprintf(`{ organization(key: %q) { version } }`, org), "organization.version", 1)
				w := raceOnce(t,
					call{s: x, losing: []string{"CONFLICT"}, req: request{Token: admin, Query: deleteOrganizationQ, Variables: apitest.Keyed(org, 1, nil)}},
					call{s: y, losing: []string{"BAD_USER_INPUT"}, req: request{Token: admin, Query: createPersonQ, Variables: apitest.Input(map[string]any{
						"key": person, "name": "Affiliated Person " + strconv.Itoa(i),
						"affiliations": []any{map[string]any{"title": "Director", "institution": map[string]any{"kind": "ORGANIZATION", "key": org}}}})}})
				deleted[i] = w == 0
				won[map[bool]string{true: "deleteOrganization", false: "createPerson"}[w == 0]]++
			}
			t.Logf("%d rounds, one winner each: deleteOrganization %d times, createPerson %d times", raceRounds,
				won["deleteOrganization"], won["createPerson"])

			for i, del := range deleted {
				org, person := fmt.Sprintf("contested-organization-%d", i), fmt.Sprintf("affiliated-person-%d", i)
				orgWant, personWant := any(1), any(org)
				orgTrail, personTrail := []string{"CREATE v1"}, []string{"CREATE v1"}
				if del {
					orgWant, personWant, orgTrail, personTrail = nil, nil, []string{"DELETE v1", "CREATE v1"}, nil
				}
				waitServed(t, servers, fmt.Sprintf(`{ organization(key: %q) { version } }`, org), "organization.version", orgWant)
				waitServed(t, servers, fmt.Sprintf(`{ person(key: %q) { affiliations { institution { ... on Organization { key } } } } }`, person),
					"person.affiliations", map[bool]any{true: nil, false: []any{map[string]any{"institution": map[string]any{"key": personWant}}}}[del])
				if got := trailActions(t, a, admin, directory.KindOrganization, org); !slices.Equal(got, orgTrail) {
					t.Errorf("%s: audit trail = %v, want %v", org, got, orgTrail)
				}
				if got := trailActions(t, b, admin, directory.KindPerson, person); !slices.Equal(got, personTrail) {
					t.Errorf("%s: audit trail = %v, want %v", person, got, personTrail)
				}
			}
		})
	})

	// Both servers end at the log's head and answer every public query, every reference resolved.
	head, err := openStore(t, a.MongoURI, a.Database).Revision(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	waitServed(t, servers, `{ directory { revision } }`, "directory.revision", head)
	checkPublicQueries(t, servers)
}

// A write through one server is served by the others within their poll interval. The test measures how long
// after the write's answer each other server serves it, and asserts only a generous bound.
func TestWritesConvergeAcrossServerProcesses(t *testing.T) {
	t.Parallel()
	const poll = 500 * time.Millisecond // the default POLL_INTERVAL
	servers, admin := startServers(t, 3, map[string]string{"POLL_INTERVAL": poll.String()})
	const key = "converging-office"
	mustGQL(t, servers[0].testServer, admin, createOfficeQ, apitest.Input(apitest.Edit(officeInput(), "key", key)), nil)

	const writes = 12
	var lags []time.Duration
	for v := 1; v <= writes; v++ {
		// Each write comes at a random moment of the servers' poll intervals, as a client's write does: right
		// after the previous write was served everywhere, it would come when the last server had just polled.
		time.Sleep(rand.N(poll))
		writer := servers[v%len(servers)]
		var got struct{ UpdateOffice struct{ Version int } }
		mustGQL(t, writer.testServer, admin, updateOfficeQ, apitest.Keyed(key, v, apitest.Edit(officeInput(), "name", fmt.Sprintf("Converging Office %d", v))), &got)
		acked := time.Now()
		if got.UpdateOffice.Version != v+1 {
			t.Fatalf("server %s answered version %d, want %d", writer.name, got.UpdateOffice.Version, v+1)
		}
		var mu sync.Mutex
		var wg sync.WaitGroup
		for _, s := range servers {
			wg.Go(func() {
				lag, asks, err := untilServed(s, key, v+1, acked)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					t.Errorf("server %s: %v", s.name, err)
					return
				}
				if s == writer {
					if asks > 1 {
						t.Errorf("server %s did not serve its own write at once", s.name)
					}
					return
				}
				lags = append(lags, lag)
			})
		}
		wg.Wait()
		if t.Failed() {
			return
		}
	}
	t.Logf("a write through one of %d servers was served by each other server after (POLL_INTERVAL %v, %d samples): %s",
		len(servers), poll, len(lags), distribution(lags))
}

// untilServed polls the server until it serves the office at the version, and returns how long after since it
// did and how many times it was asked.
func untilServed(s *serverProcess, key string, version int, since time.Time) (time.Duration, int, error) {
	q := request{Query: fmt.Sprintf(`{ office(key: %q) { version } }`, key)}
	for asks := 1; ; asks++ {
		r, err := s.post(context.Background(), q)
		if err != nil {
			return 0, asks, err
		}
		if len(r.Errors) > 0 {
			return 0, asks, fmt.Errorf("%s: %s", r.Errors[0].Code(), r.Errors[0].Message)
		}
		var got struct{ Office struct{ Version int } }
		if err := json.Unmarshal(r.Data, &got); err != nil {
			return 0, asks, err
		}
		if got.Office.Version >= version {
			return time.Since(since), asks, nil
		}
		if time.Since(since) > 10*time.Second {
			return 0, asks, fmt.Errorf("serves version %d 10s after version %d was written", got.Office.Version, version)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// distribution describes durations: how many, and their minimum, median, 90th percentile and maximum.
func distribution(ds []time.Duration) string {
	if len(ds) == 0 {
		return "no samples"
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	q := func(p float64) time.Duration { return s[int(p*float64(len(s)-1)+0.5)].Round(time.Millisecond) }
	return fmt.Sprintf("min %v, median %v, p90 %v, max %v", q(0), q(0.5), q(0.9), q(1))
}

// writeLoad creates organizations through a server and renames each once created, from several writers at
// once, and keeps account of every answer.
type writeLoad struct {
	mu sync.Mutex
	// acked is the version each write acknowledged left the organization at, by key.
	acked map[string]int
	// unanswered is the version a write that got no answer (the server went away) would have left, by key.
	unanswered map[string]int
	// refused counts the writes answered with an error, by code; notSent those no server took.
	refused map[string]int
	notSent int
	acks    atomic.Int64
	// ackTimes is when each acknowledgement came, to tell those before and after an event.
	ackTimes []time.Time
	// pause is how long each writer waits after each write: none for a burst, a few milliseconds for a steady
	// stream of writes that leaves the machine's cores to the servers.
	pause time.Duration
}

// run writes through s from writers goroutines, with keys starting with prefix, until ctx ends. A writer whose
// request gets no answer stops when stopOnNoAnswer is set (the server is gone).
func (l *writeLoad) run(ctx context.Context, wg *sync.WaitGroup, s *testServer, admin, prefix string, writers int, stopOnNoAnswer bool) {
	l.mu.Lock()
	if l.acked == nil {
		l.acked, l.unanswered, l.refused = map[string]int{}, map[string]int{}, map[string]int{}
	}
	l.mu.Unlock()
	for g := range writers {
		wg.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				key := fmt.Sprintf("%s-%d-%d", prefix, g, i)
				name := fmt.Sprintf("Load %s %d %d", prefix, g, i)
				reqs := []request{
					{Token: admin, Query: createOrganizationQ, Variables: apitest.Input(map[string]any{"key": key, "name": name, "country": "FR"})},
					{Token: admin, Query: updateOrganizationQ, Variables: apitest.Keyed(key, 1, map[string]any{"name": name + " renamed", "country": "FR"})},
				}
				for v, req := range reqs {
					r, err := s.post(ctx, req)
					l.mu.Lock()
					switch {
					case err != nil && ctx.Err() != nil:
					case errors.Is(err, syscall.ECONNREFUSED):
						l.notSent++
					case err != nil:
						l.unanswered[key] = v + 1
					case len(r.Errors) > 0:
						l.refused[r.Errors[0].Code()]++
					default:
						l.acked[key] = v + 1
						l.ackTimes = append(l.ackTimes, time.Now())
						l.acks.Add(1)
					}
					l.mu.Unlock()
					if err != nil && stopOnNoAnswer {
						return
					}
					if err != nil || len(r.Errors) > 0 {
						// The rename needs the create; and a refused write is not retried at once.
						time.Sleep(max(l.pause, 10*time.Millisecond))
						break
					}
					time.Sleep(l.pause)
				}
			}
		})
	}
}

// acksSince counts the acknowledgements after the instant.
func (l *writeLoad) acksSince(since time.Time) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, at := range l.ackTimes {
		if at.After(since) {
			n++
		}
	}
	return n
}

// waitFor waits until cond holds, checking every few milliseconds, and fails the test after the timeout.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// accounts returns copies of the versions acknowledged writes left, and of those writes without an answer would
// have left, by key.
func (l *writeLoad) accounts() (acked, unanswered map[string]int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return maps.Clone(l.acked), maps.Clone(l.unanswered)
}

// checkAcknowledged checks that the server serves every write acknowledged before the call, provided it serves
// the log's head as of the call: each organization at the version its last acknowledged write left it, or at a
// later one a write without an answer made. It returns how many of the writes without an answer took effect.
func (l *writeLoad) checkAcknowledged(t *testing.T, s *serverProcess) (applied int) {
	t.Helper()
	acked, unanswered := l.accounts()
	head, err := openStore(t, s.MongoURI, s.Database).Revision(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	waitRevision(t, []*serverProcess{s}, head)
	served := map[string]int{}
	for _, o := range every(t, s, "organizations", "key version") {
		served[o["key"].(string)] = int(o["version"].(float64))
	}
	for key, v := range acked {
		if served[key] < v {
			t.Errorf("server %s serves %s at version %d, but version %d was acknowledged", s.name, key, served[key], v)
		}
	}
	for key, v := range unanswered {
		if served[key] >= v {
			applied++
		}
	}
	return applied
}

// checkTrails checks that every record the server serves has its entries in the audit trail: the newest at the
// record's version.
func checkTrails(t *testing.T, s *serverProcess, admin string) int {
	t.Helper()
	type record struct {
		id      string
		version int
	}
	var records []record
	for _, list := range []string{"offices", "cities", "programs", "organizations", "people", "secretariats"} {
		sel := "id version"
		if list == "secretariats" {
			sel = "id"
		}
		for _, n := range every(t, s, list, sel) {
			v, _ := n["version"].(float64)
			records = append(records, record{n["id"].(string), int(v)})
		}
	}
	var regions struct{ Regions []struct{ ID string } }
	mustGQL(t, s.testServer, "", `{ regions { id } }`, nil, &regions)
	for _, r := range regions.Regions {
		records = append(records, record{id: r.ID})
	}
	// Twenty-five trails a request keeps within the limit on aliases.
	for batch := range slices.Chunk(records, 25) {
		var q strings.Builder
		q.WriteString("{")
		for i, r := range batch {
			fmt.Fprintf(&q, " t%d: auditTrail(id: %q) { action version }", i, r.id)
		}
		q.WriteString(" }")
		var trails map[string][]struct {
			Action  string
			Version int
		}
		mustGQL(t, s.testServer, admin, q.String(), nil, &trails)
		for i, r := range batch {
			trail := trails["t"+strconv.Itoa(i)]
			switch {
			case len(trail) == 0:
				t.Errorf("%s is served but has no audit trail", r.id)
			case trail[0].Action == "DELETE":
				t.Errorf("%s is served but its audit trail ends with its delete", r.id)
			case r.version > 0 && trail[0].Version != r.version:
				t.Errorf("%s is served at version %d, but its audit trail's newest entry is of version %d", r.id, r.version, trail[0].Version)
			}
		}
	}
	return len(records)
}

// kill -9 in the middle of a burst of writes from several writers: after a restart on the same DATA_DIR and
// database, every acknowledged write is there, and every record has its audit trail.
func TestAcknowledgedWritesSurviveKill9(t *testing.T) {
	t.Parallel()
	// Checkpoints every few writes, so that a kill may also find one being written.
	s := startProcess(t, "a", map[string]string{"CHECKPOINT_INTERVAL": "100ms"})
	admin := mintAPIKey(t, s.testServer, "burst", "admin")
	const cycles, writers, acksBeforeKill = 2, 6, 40
	load := &writeLoad{}
	for cycle := range cycles {
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		target := load.acks.Load() + acksBeforeKill
		load.run(ctx, &wg, s.testServer, admin, fmt.Sprintf("burst-%d", cycle), writers, true)
		waitFor(t, 60*time.Second, "the burst's writes are acknowledged", func() bool { return load.acks.Load() >= target })
		s.kill(t)
		wg.Wait()
		cancel()

		s.start(t)
		applied := load.checkAcknowledged(t, s)
		records := checkTrails(t, s, admin)
		load.mu.Lock()
		t.Logf("kill -9 %d of %d, %d writers: %d writes acknowledged so far, all present after the restart; %d in flight at the kill "+
			"got no answer, %d of them took effect; %d records served, each with its audit trail; refused: %v",
			cycle+1, cycles, writers, len(load.ackTimes), len(load.unanswered), applied, records, load.refused)
		if len(load.refused) > 0 {
			t.Errorf("writes were refused before the kill: %v", load.refused)
		}
		load.mu.Unlock()
	}

	// The record collections, materialized from the log, catch up too: a crash between appending an entry and
	// materializing it loses nothing.
	st := openStore(t, s.MongoURI, s.Database)
	ctx := context.Background()
	head, err := st.Revision(ctx)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, func() error {
		if m, err := st.Materialized(ctx); err != nil || m != head {
			return fmt.Errorf("materialized up to revision %d (%v), the log's head is %d", m, err, head)
		}
		return nil
	})
	data, err := st.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]int{}
	for _, o := range data.Organizations {
		stored[o.Key] = o.Version
	}
	served := map[string]int{}
	for _, o := range every(t, s, "organizations", "key version") {
		served[o["key"].(string)] = int(o["version"].(float64))
	}
	if !maps.Equal(stored, served) {
		t.Errorf("the organizations stored differ from those served:\nstored: %v\nserved: %v", stored, served)
	}
}

// loadedLine is the line a server logs once it has loaded the directory, saying from where and at which revision.
var loadedLine = regexp.MustCompile(`msg="directory loaded" from="?([^"]*?)"? revision=(\d+) took=(\S+)`)

// A server stopped, or killed, while another server takes writes starts again from its checkpoint and catches
// up with the log's tail: it serves every write acknowledged meanwhile.
func TestServerRestartCatchesUpWhileAnotherWrites(t *testing.T) {
	t.Parallel()
	a := startProcess(t, "a", nil)
	b := startProcess(t, "b", map[string]string{"MONGODB_URI": a.MongoURI, "MONGODB_DATABASE": a.Database,
		"CHECKPOINT_INTERVAL": "100ms", "LOG_LEVEL": "info"})
	admin := mintAPIKey(t, a.testServer, "steady", "admin")
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	load := &writeLoad{pause: 10 * time.Millisecond}
	load.run(ctx, &wg, a.testServer, admin, "steady", 1, false)
	st := openStore(t, a.MongoURI, a.Database)

	for _, how := range []string{"SIGTERM", "SIGKILL"} {
		n := load.acks.Load()
		waitFor(t, 30*time.Second, "writes through server a", func() bool { return load.acks.Load() >= n+10 })
		served := servedRevision(t, b)
		if how == "SIGTERM" {
			b.stop(t)
		} else {
			b.kill(t)
		}
		down := time.Now()
		waitFor(t, 30*time.Second, "writes through server a while b is down", func() bool { return load.acksSince(down) >= 10 })
		saved, err := checkpoint.Load(checkpointPath(&config{DataDir: b.DataDir, MongoDatabase: b.Database}))
		if err != nil || saved == nil {
			t.Fatalf("server b's checkpoint: %v", err)
		}
		b.start(t)
		restarted := time.Now()
		head, err := st.Revision(ctx)
		if err != nil {
			t.Fatal(err)
		}
		lines := loadedLine.FindAllStringSubmatch(b.logs.String(), -1)
		if len(lines) == 0 {
			t.Fatalf("server b did not log where it loaded the directory from:\n%s", tail(b.logs.String(), 3000))
		}
		from, rev, took := lines[len(lines)-1][1], lines[len(lines)-1][2], lines[len(lines)-1][3]
		if !strings.HasPrefix(from, "checkpoint ") {
			t.Errorf("after %s server b loaded the directory from %s, not from its checkpoint", how, from)
		}
		// b serves what a acknowledged while it was down, and keeps following a's writes.
		waitRevision(t, []*serverProcess{b}, head)
		caughtUp := time.Since(restarted)
		applied := load.checkAcknowledged(t, b)
		t.Logf("%s: server b served revision %d when it was stopped, its checkpoint held revision %d; %d writes went through server a "+
			"until b listened again, having loaded its checkpoint and the log up to revision %s in %s; it served the log's head then, %d, "+
			"%v after it listened (%d writes without an answer took effect)", how, served, saved.Data.Revision,
			load.acksSince(down)-load.acksSince(restarted), rev, took, head, caughtUp.Round(time.Millisecond), applied)
	}
	cancel()
	wg.Wait()

	head, err := st.Revision(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	waitRevision(t, []*serverProcess{a, b}, head)
	load.checkAcknowledged(t, a)
	load.checkAcknowledged(t, b)
	load.mu.Lock()
	defer load.mu.Unlock()
	if len(load.refused) > 0 || len(load.unanswered) > 0 {
		t.Errorf("writes through server a failed while server b restarted: refused %v, unanswered %d", load.refused, len(load.unanswered))
	}
}

// The engine restarts under reads and writes through two servers: reads go on being served throughout, writes
// answer UNAVAILABLE while the engine is away and succeed once it is back, and nothing acknowledged is lost.
// The test runs an engine it can stop and start: FerretDB on a PostgreSQL database of its own on the external
// engine, the embedded FerretDB otherwise.
func TestEngineRestartUnderReadsAndWrites(t *testing.T) {
	t.Parallel()
	engine := startEngine(t)
	env := map[string]string{"MONGODB_URI": engine.URI, "MONGODB_TIMEOUT": "1s", "MONGODB_CONNECT_TIMEOUT": "1s"}
	servers, admin := startServers(t, 2, env)

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	loads := make([]*writeLoad, len(servers))
	for i, s := range servers {
		loads[i] = &writeLoad{pause: 20 * time.Millisecond}
		loads[i].run(ctx, &wg, s.testServer, admin, "engine-"+s.name, 1, false)
	}
	// Readers on each server, counting what they were answered while the engine was up and while it was away.
	var outage atomic.Bool
	var readsOK, readsDuringOutage, readsFailed atomic.Int64
	var readFailure atomic.Value
	reads := []string{`{ directory { revision } }`, `{ office(key: "korea-office") { name region { name } } }`,
		`{ organizations(first: 100) { totalCount nodes { key name } } }`, `{ cities(first: 20) { nodes { key memberships { status } } } }`}
	for _, s := range servers {
		for g := range 2 {
			wg.Go(func() {
				for i := g; ctx.Err() == nil; i++ {
					r, err := s.post(ctx, request{Query: reads[i%len(reads)]})
					switch {
					case ctx.Err() != nil:
					case err != nil || len(r.Errors) > 0 || r.Status != 200:
						readsFailed.Add(1)
						readFailure.Store(fmt.Sprintf("server %s: %v %+v", s.name, err, r))
					case outage.Load():
						readsDuringOutage.Add(1)
						readsOK.Add(1)
					default:
						readsOK.Add(1)
					}
					time.Sleep(20 * time.Millisecond)
				}
			})
		}
	}

	for _, l := range loads {
		waitFor(t, 30*time.Second, "writes before the outage", func() bool { return l.acks.Load() >= 5 })
	}
	outage.Store(true)
	engine.Stop(t)
	stopped := time.Now()
	unavailable := func(l *writeLoad) int {
		l.mu.Lock()
		defer l.mu.Unlock()
		return l.refused["UNAVAILABLE"]
	}
	for _, l := range loads {
		waitFor(t, 30*time.Second, "writes refused during the outage", func() bool { return unavailable(l) >= 1 })
	}
	if d := time.Since(stopped); d < time.Second {
		time.Sleep(time.Second - d)
	}
	outageReads := readsDuringOutage.Load()
	engine.Start(t)
	outage.Store(false)
	started := time.Now()
	var firstWrite []string
	for i, l := range loads {
		waitFor(t, 60*time.Second, "writes after the engine is back", func() bool { return l.acksSince(started) >= 2 })
		l.mu.Lock()
		for _, at := range l.ackTimes {
			if at.After(started) {
				firstWrite = append(firstWrite, fmt.Sprintf("server %s %v", servers[i].name, at.Sub(started).Round(time.Millisecond)))
				break
			}
		}
		l.mu.Unlock()
	}
	cancel()
	wg.Wait()

	if n := readsFailed.Load(); n > 0 {
		t.Errorf("%d reads failed, the last: %v", n, readFailure.Load())
	}
	if outageReads == 0 {
		t.Error("no read was served while the engine was away")
	}
	var refused []string
	for i, l := range loads {
		for code, n := range l.refused {
			if code != "UNAVAILABLE" {
				t.Errorf("server %s refused %d writes with %s, want UNAVAILABLE only", servers[i].name, n, code)
			}
			refused = append(refused, fmt.Sprintf("server %s %d %s", servers[i].name, n, code))
		}
	}
	head, err := openStore(t, engine.URI, servers[0].Database).Revision(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	waitServed(t, servers, `{ directory { revision } }`, "directory.revision", head)
	applied := 0
	for _, s := range servers {
		for _, l := range loads {
			applied += l.checkAcknowledged(t, s)
		}
	}
	t.Logf("engine away for %v: %d reads served during the outage, %d in all, none failed; writes refused: %s; "+
		"first write acknowledged after the engine was back: %s; every acknowledged write served by both servers "+
		"(and %d of the refused took effect, their answer lost with the engine)",
		started.Sub(stopped).Round(time.Millisecond), outageReads, readsOK.Load(), strings.Join(refused, ", "), strings.Join(firstWrite, ", "),
		applied/len(servers))
}

// BenchmarkWritesThroughServers measures how many writes a second the directory takes through server processes
// on one database, on the engine the suite runs on: b.N creates of organizations from eight clients at once,
// spread evenly over one or three servers. Every write goes through the one change log, so more servers do not
// write faster; with three, writers on different servers take each other's revisions and validate again. It
// reports writes/s, and the writes refused as busy (UNAVAILABLE after ten lost revisions) per write.
//
//	go test -run '^$' -bench BenchmarkWritesThroughServers -benchtime 400x .
func BenchmarkWritesThroughServers(b *testing.B) {
	const clients = 8
	for _, n := range []int{1, 3} {
		b.Run(fmt.Sprintf("servers=%d", n), func(b *testing.B) {
			servers, admin := startServers(b, n, nil)
			var next, busy atomic.Int64
			var failure atomic.Value
			b.ResetTimer()
			var wg sync.WaitGroup
			for range clients {
				wg.Go(func() {
					for i := next.Add(1); i <= int64(b.N); i = next.Add(1) {
						r, err := servers[int(i)%n].post(context.Background(), request{Token: admin, Query: createOrganizationQ,
							Variables: apitest.Input(map[string]any{"key": fmt.Sprintf("bench-%d", i), "name": fmt.Sprintf("Bench %d", i), "country": "FR"})})
						switch {
						case err != nil:
							failure.Store(err.Error())
						case len(r.Errors) > 0 && r.Errors[0].Code() == "UNAVAILABLE":
							busy.Add(1)
						case len(r.Errors) > 0:
							failure.Store(r.Errors[0].Code() + ": " + r.Errors[0].Message)
						}
					}
				})
			}
			wg.Wait()
			b.StopTimer()
			if f := failure.Load(); f != nil {
				b.Fatal(f)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "writes/s")
			b.ReportMetric(float64(busy.Load())/float64(b.N), "busy/op")
		})
	}
}
