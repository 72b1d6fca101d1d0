package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/iclei/directory/auth"
	"github.com/iclei/directory/directory"
	"github.com/iclei/directory/internal/apitest"
)

// Requests of the write path, and what a test reads of the directory besides them.

// testJWTSecret signs the JWTs of these tests.
const testJWTSecret = "test-secret-of-at-least-32-bytes-for-hs256"

// writeEnv configures a server that takes writes: no request rate limit and a generous application limit, so
// that a test is not throttled, and JWTs signed with testJWTSecret.
func writeEnv() map[string]string {
	return map[string]string{"RATE_LIMIT_PER_MINUTE": "0", "APPLICATION_LIMIT_PER_HOUR": "1000",
		"JWT_SECRET": testJWTSecret}
}

// commandEnv is the environment of a command run against the server's database.
func commandEnv(s *testServer) func(string) string {
	env := map[string]string{"MONGODB_URI": s.MongoURI, "MONGODB_DATABASE": s.Database, "LOG_LEVEL": "warn",
		"JWT_SECRET": testJWTSecret}
	return func(k string) string { return env[k] }
}

// runCommand runs a command of the server binary and returns the last line it printed.
func runCommand(t testing.TB, s *testServer, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), append([]string{"directory"}, args...), commandEnv(s), &stdout, &stderr); err != nil {
		t.Fatalf("directory %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// mintAPIKey creates an API key with the mint-key command and returns it.
func mintAPIKey(t testing.TB, s *testServer, name, role string, regions ...string) string {
	t.Helper()
	args := []string{"mint-key", "-name", name, "-role", role}
	if len(regions) > 0 {
		args = append(args, "-regions", strings.Join(regions, ","))
	}
	key := runCommand(t, s, args...)
	if !strings.HasPrefix(key, "icd_") {
		t.Fatalf("mint-key printed %q, not a key", key)
	}
	s.waitForKey(t, key)
	return key
}

// signedJWT returns a JWT of the role for the subject, signed with the secret of writeEnv's servers: a credential
// the server takes at once, with no write to the change log. TestCredentialsFromTheCommandLine covers the keys
// and JWTs the commands mint.
func signedJWT(t *testing.T, subject string, role directory.Role, regions ...string) string {
	t.Helper()
	token, err := auth.MintJWT(auth.Config{Secret: []byte(testJWTSecret)}, subject, role, regions, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return token
}

// checkNoLeak fails the test if an error message shows Go or database error text.
func checkNoLeak(t testing.TB, errs []gqlError) {
	t.Helper()
	for _, e := range errs {
		for _, w := range apitest.LeakWords {
			if strings.Contains(strings.ToLower(e.Message), w) {
				t.Errorf("error message shows internal text %q: %s", w, e.Message)
			}
		}
		if e.Code() == string(directory.CodeInternal) {
			t.Errorf("internal error: %s (path %v)", e.Message, e.Path)
		}
	}
}

// gql runs a GraphQL request and checks that no error message leaks internal text.
func gql(t testing.TB, s *testServer, req request) *gqlResponse {
	t.Helper()
	r := s.do(t, req)
	checkNoLeak(t, r.Errors)
	return r
}

// mustGQL runs a request that must succeed and decodes its data into out.
func mustGQL(t testing.TB, s *testServer, token, query string, vars map[string]any, out any) {
	t.Helper()
	r := gql(t, s, request{Query: query, Variables: vars, Token: token})
	if len(r.Errors) > 0 {
		t.Fatalf("request failed: %s: %s (field %v)\nquery: %s\nvariables: %v", r.Errors[0].Code(), r.Errors[0].Message,
			r.Errors[0].Extensions["field"], query, vars)
	}
	if out != nil {
		if err := json.Unmarshal(r.Data, out); err != nil {
			t.Fatalf("decode data: %v\n%s", err, r.Data)
		}
	}
}

// wantError checks that a response is one error with the code and, where field is given, extensions.field.
func wantError(t *testing.T, r *gqlResponse, code, field string) {
	t.Helper()
	if len(r.Errors) == 0 {
		t.Fatalf("want a %s error, got data %s", code, r.Data)
	}
	e := r.Errors[0]
	if len(r.Errors) > 1 {
		t.Errorf("want one error, got %d: %+v", len(r.Errors), r.Errors)
	}
	if e.Code() != code {
		t.Fatalf("want a %s error, got %s: %s", code, e.Code(), e.Message)
	}
	got, _ := e.Extensions["field"].(string)
	if field != "" && got != field {
		t.Errorf("%s error is about field %q, want %q (message: %s)", code, got, field, e.Message)
	}
	if code == string(directory.CodeInvalidInput) && got == "" {
		t.Errorf("BAD_USER_INPUT error names no field: %s", e.Message)
	}
	if strings.TrimSpace(e.Message) == "" {
		t.Error("error has no message")
	}
}

// directoryState is everything a write could change: the stored data and revision, the stored applications,
// and the directory as the API serves it.
type directoryState struct {
	Revision int64
	Data     *directory.Data
	API      string
}

// stateQuery reads, through the API, the parts of every record a write changes.
const stateQuery = `{
  directory { revision counts { offices cities memberships programs organizations people } }
  offices(first: 100) { nodes { key version name kind region { code } phone { e164 } website } }
  cities(first: 100) { nodes { key version name country { code } parent { key }
    memberships { id status category since until secretariat { key } note } } }
  programs(first: 10) { totalCount nodes { key version title startDate endDate participants(first: 100) { nodes { key } } } }
  organizations(first: 100) { nodes { key version name country { code } } }
  people(first: 100) { nodes { key version name } }
}`

// readState reads the directory's state behind the API's back and through it. Every write is an entry of the
// change log, so a head that did not move shows that nothing was written; the API's answer shows what the server
// serves.
func readState(t *testing.T, s *testServer, st storeView) directoryState {
	t.Helper()
	var state directoryState
	var err error
	if state.Revision, err = st.Revision(context.Background()); err != nil {
		t.Fatal(err)
	}
	r := gql(t, s, request{Query: stateQuery})
	if len(r.Errors) > 0 {
		t.Fatalf("read state: %s", r.Errors[0].Message)
	}
	state.API = string(r.Data)
	return state
}

// readStoredState is readState with the whole directory as a server starting now would load it.
func readStoredState(t *testing.T, s *testServer, st storeView) directoryState {
	t.Helper()
	state := readState(t, s, st)
	var err error
	if state.Data, err = st.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	apitest.SortData(state.Data)
	return state
}

// checkUnchanged fails the test unless the state is still before.
func checkUnchanged(t *testing.T, s *testServer, st storeView, before directoryState) {
	t.Helper()
	after := readState(t, s, st)
	if after.Revision != before.Revision {
		t.Errorf("the change log moved from revision %d to %d", before.Revision, after.Revision)
	}
	if after.API != before.API {
		t.Errorf("the API serves other data:\nbefore: %s\nafter:  %s", before.API, after.API)
	}
}

// The mutations, selecting what the tests read of their results.
const (
	createOfficeQ       = `mutation($input: OfficeInput!) { createOffice(input: $input) { id key version } }`
	updateOfficeQ       = `mutation($key: String!, $version: Int!, $input: OfficeInput!) { updateOffice(key: $key, version: $version, input: $input) { id key version } }`
	deleteOfficeQ       = `mutation($key: String!, $version: Int!) { deleteOffice(key: $key, version: $version) { id key } }`
	createOrganizationQ = `mutation($input: OrganizationInput!) { createOrganization(input: $input) { id key version } }`
	updateOrganizationQ = `mutation($key: String!, $version: Int!, $input: OrganizationInput!) { updateOrganization(key: $key, version: $version, input: $input) { id key version } }`
	deleteOrganizationQ = `mutation($key: String!, $version: Int!) { deleteOrganization(key: $key, version: $version) { id key } }`
	createPersonQ       = `mutation($input: PersonInput!) { createPerson(input: $input) { id key version } }`
	applyQ              = `mutation($input: MembershipApplicationInput!) { applyForMembership(input: $input) { reference status submittedAt region { code } secretariat { key name } decidedAt note city { key } } }`
	reviewQ             = `mutation($reference: String!, $version: Int!, $decision: ApplicationDecision!, $note: String, $cityKey: String) {
  reviewMembershipApplication(reference: $reference, version: $version, input: { decision: $decision, note: $note, cityKey: $cityKey }) {
    reference status decidedAt decidedBy decisionNote version
    city { key name country { code } region { code } }
    membership { id category status since secretariat { key } }
  }
}`
)

// Valid inputs, which tests edit into the inputs they need.
func officeInput() map[string]any {
	return map[string]any{"name": "Bad Input Office", "kind": "COUNTRY_OFFICE", "region": "europe",
		"address": map[string]any{"street": []any{"Rue Haute 1"}, "locality": "Brussels", "country": "BE"}}
}

func applicationInput() map[string]any {
	return map[string]any{"name": "Hoi An", "country": "VN", "population": 152160, "category": "FULL",
		"contactName": "Lan Nguyen", "email": "lan.nguyen@example.vn", "phone": "0235 3861 234",
		"motivation": "Hoi An wants to share its heritage conservation and climate adaptation work."}
}

func review(reference string, version int, decision string, extra ...any) map[string]any {
	v := map[string]any{"reference": reference, "version": version, "decision": decision}
	for i := 0; i+1 < len(extra); i += 2 {
		v[extra[i].(string)] = extra[i+1]
	}
	return v
}

// postGraphQL posts a GraphQL request body with the headers; it is safe to call from any goroutine.
func postGraphQL(ctx context.Context, s *testServer, body []byte, header map[string]string) (*gqlResponse, error) {
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL+"/graphql", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	hreq.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		hreq.Header.Set(k, v)
	}
	resp, err := graphQLClient.Do(hreq)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	var r gqlResponse
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("response is not JSON (status %d): %s", resp.StatusCode, raw)
	}
	r.Status, r.Header = resp.StatusCode, resp.Header
	return &r, nil
}

// auditEntryFields select an audit entry.
const auditTrailQ = `query($id: ID!) { auditTrail(id: $id) { id kind key action actor at version before after } }`

type apiAuditEntry struct {
	ID, Kind, Key, Action, Actor, At string
	Version                          int
	Before, After                    map[string]any
}

func auditTrail(t *testing.T, s *testServer, admin, id string) []apiAuditEntry {
	t.Helper()
	var out struct{ AuditTrail []apiAuditEntry }
	mustGQL(t, s, admin, auditTrailQ, map[string]any{"id": id}, &out)
	return out.AuditTrail
}

// race runs the requests at once and returns their responses in order.
func race(t *testing.T, s *testServer, reqs []request) []*gqlResponse {
	t.Helper()
	out := make([]*gqlResponse, len(reqs))
	errs := make([]error, len(reqs))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, req := range reqs {
		body, err := json.Marshal(req)
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			<-start
			out[i], errs[i] = postGraphQL(context.Background(), s, body, map[string]string{"Authorization": "Bearer " + req.Token})
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		checkNoLeak(t, out[i].Errors)
	}
	return out
}

// oneWins checks that exactly one response has data and every other is a CONFLICT (about field, where given),
// and returns the winner's index.
func oneWins(t *testing.T, rs []*gqlResponse, field string) int {
	t.Helper()
	winner := -1
	for i, r := range rs {
		switch {
		case len(r.Errors) == 0:
			if winner >= 0 {
				t.Errorf("requests %d and %d both succeeded", winner, i)
			}
			winner = i
		case r.Errors[0].Code() != "CONFLICT":
			t.Errorf("request %d: want CONFLICT, got %s: %s", i, r.Errors[0].Code(), r.Errors[0].Message)
		case field != "" && r.Errors[0].Extensions["field"] != field:
			t.Errorf("request %d: CONFLICT about %v, want %q", i, r.Errors[0].Extensions["field"], field)
		}
	}
	if winner < 0 {
		t.Fatal("no request succeeded")
	}
	return winner
}
