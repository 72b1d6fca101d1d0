package graph_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/iclei/directory/auth"
	"github.com/iclei/directory/directory"
	"github.com/iclei/directory/internal/apitest"
)

// The write path through the GraphQL API: what each mutation makes of its input and answers, bad input,
// conflicting updates, roles and scopes as clients meet them, the membership application flow. The rules
// themselves are the domain's (directory/validation_test.go, scopes_test.go, writes_test.go); these tests show
// that the arguments reach them and their answers reach the client.

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
func readState(t *testing.T, s *api) directoryState {
	t.Helper()
	var state directoryState
	var err error
	if state.Revision, err = s.Revision(context.Background()); err != nil {
		t.Fatal(err)
	}
	r := gql(t, s, request{Query: stateQuery})
	if len(r.Errors) > 0 {
		t.Fatalf("read state: %s", r.Errors[0].Message)
	}
	state.API = string(r.Data)
	return state
}

// readStoredState is readState with the whole directory the read model holds.
func readStoredState(t *testing.T, s *api) directoryState {
	t.Helper()
	state := readState(t, s)
	var err error
	if state.Data, err = s.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	apitest.SortData(state.Data)
	return state
}

// checkUnchanged fails the test unless the state is still before.
func checkUnchanged(t *testing.T, s *api, before directoryState) {
	t.Helper()
	after := readState(t, s)
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
	createCityQ         = `mutation($input: CityInput!) { createCity(input: $input) { id key version } }`
	updateCityQ         = `mutation($key: String!, $version: Int!, $input: CityInput!) { updateCity(key: $key, version: $version, input: $input) { id key version } }`
	deleteCityQ         = `mutation($key: String!, $version: Int!) { deleteCity(key: $key, version: $version) { id key } }`
	createProgramQ      = `mutation($input: ProgramInput!) { createProgram(input: $input) { id key version } }`
	updateProgramQ      = `mutation($key: String!, $version: Int!, $input: ProgramInput!) { updateProgram(key: $key, version: $version, input: $input) { id key version } }`
	deleteProgramQ      = `mutation($key: String!, $version: Int!) { deleteProgram(key: $key, version: $version) { id key } }`
	createOrganizationQ = `mutation($input: OrganizationInput!) { createOrganization(input: $input) { id key version } }`
	updateOrganizationQ = `mutation($key: String!, $version: Int!, $input: OrganizationInput!) { updateOrganization(key: $key, version: $version, input: $input) { id key version } }`
	deleteOrganizationQ = `mutation($key: String!, $version: Int!) { deleteOrganization(key: $key, version: $version) { id key } }`
	createPersonQ       = `mutation($input: PersonInput!) { createPerson(input: $input) { id key version } }`
	updatePersonQ       = `mutation($key: String!, $version: Int!, $input: PersonInput!) { updatePerson(key: $key, version: $version, input: $input) { id key version } }`
	deletePersonQ       = `mutation($key: String!, $version: Int!) { deletePerson(key: $key, version: $version) { id key } }`
	grantMembershipQ    = `mutation($input: GrantMembershipInput!) { grantMembership(input: $input) { id category status since until secretariat { key } note city { key version } } }`
	changeMembershipQ   = `mutation($input: ChangeMembershipInput!) { changeMembership(input: $input) { id category status since until secretariat { key } note city { key version } } }`
	endMembershipQ      = `mutation($input: EndMembershipInput!) { endMembership(input: $input) { id category status since until secretariat { key } note city { key version } } }`
	applyQ              = `mutation($input: MembershipApplicationInput!) { applyForMembership(input: $input) { reference status submittedAt region { code } secretariat { key name } decidedAt note city { key } } }`
	reviewQ             = `mutation($reference: String!, $version: Int!, $decision: ApplicationDecision!, $note: String, $cityKey: String) {
  reviewMembershipApplication(reference: $reference, version: $version, input: { decision: $decision, note: $note, cityKey: $cityKey }) {
    reference status decidedAt decidedBy decisionNote version
    city { key name country { code } region { code } }
    membership { id category status since secretariat { key } }
  }
}`
)

// Valid inputs the tables edit into bad ones.
func officeInput() map[string]any {
	return map[string]any{"name": "Bad Input Office", "kind": "COUNTRY_OFFICE", "region": "europe",
		"address": map[string]any{"street": []any{"Rue Haute 1"}, "locality": "Brussels", "country": "BE"}}
}

func cityInput() map[string]any { return map[string]any{"name": "Bad Input City", "country": "DE"} }

func programInput() map[string]any {
	return map[string]any{"title": "Bad Input Program", "kind": "PROJECT", "region": "europe"}
}

func organizationInput() map[string]any {
	return map[string]any{"name": "Bad Input Organization", "country": "DE"}
}

func personInput() map[string]any { return map[string]any{"name": "Bad Input Person"} }

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

func date(t time.Time) string { return t.Format(time.DateOnly) }

// fixtures are the records the tables write against, besides the seeded ones.
type fixtures struct {
	submitted, decided string // application references: one submitted, one already rejected
}

// The fixtures' keys and versions after writeFixtures.
const (
	fixOffice       = "fixture-office"       // europe, version 1
	fixCity         = "fixture-city"         // DE, no membership, version 1
	fixMember       = "fixture-member"       // VN, active membership m1 since 2020-01-01, version 2
	fixEnded        = "fixture-ended"        // DE, membership m1 ended, version 3
	fixProgram      = "fixture-program"      // europe, version 1
	fixOrganization = "fixture-organization" // DE, version 1
	fixPerson       = "fixture-person"       // no affiliation, version 1
)

// writeFixtures writes the fixtures as an admin.
func writeFixtures(t *testing.T, s *api, admin string) fixtures {
	t.Helper()
	mustGQL(t, s, admin, createOfficeQ, apitest.Input(apitest.Edit(officeInput(), "key", fixOffice)), nil)
	mustGQL(t, s, admin, createCityQ, apitest.Input(apitest.Edit(cityInput(), "key", fixCity)), nil)
	mustGQL(t, s, admin, createCityQ, apitest.Input(map[string]any{"key": fixMember, "name": "Fixture Member", "country": "VN"}), nil)
	mustGQL(t, s, admin, grantMembershipQ, apitest.Input(map[string]any{"city": fixMember, "cityVersion": 1, "category": "FULL", "since": "2020-01-01"}), nil)
	mustGQL(t, s, admin, createCityQ, apitest.Input(map[string]any{"key": fixEnded, "name": "Fixture Ended", "country": "DE"}), nil)
	mustGQL(t, s, admin, grantMembershipQ, apitest.Input(map[string]any{"city": fixEnded, "cityVersion": 1, "category": "FULL", "since": "2018-01-01"}), nil)
	mustGQL(t, s, admin, endMembershipQ, apitest.Input(map[string]any{"city": fixEnded, "cityVersion": 2, "membership": "m1", "until": "2021-06-30"}), nil)
	mustGQL(t, s, admin, createProgramQ, apitest.Input(apitest.Edit(programInput(), "key", fixProgram)), nil)
	mustGQL(t, s, admin, createOrganizationQ, apitest.Input(apitest.Edit(organizationInput(), "key", fixOrganization)), nil)
	mustGQL(t, s, admin, createPersonQ, apitest.Input(apitest.Edit(personInput(), "key", fixPerson)), nil)

	var f fixtures
	var a struct{ ApplyForMembership struct{ Reference string } }
	mustGQL(t, s, "", applyQ, apitest.Input(applicationInput()), &a)
	f.submitted = a.ApplyForMembership.Reference
	mustGQL(t, s, "", applyQ, apitest.Input(apitest.Edit(applicationInput(), "name", "Decided Town")), &a)
	f.decided = a.ApplyForMembership.Reference
	mustGQL(t, s, admin, reviewQ, review(f.decided, 1, "REJECT", "note", "Not a local government."), nil)
	return f
}

// writeCase is a write the API must refuse with the code (and, for invalid input, the field), changing nothing.
type writeCase struct {
	name  string
	token string // the caller's token; empty for none
	query string
	vars  map[string]any
	code  string
	field string
}

// checkRefused runs the case and checks its error and that the directory did not change.
func checkRefused(t *testing.T, s *api, c writeCase) {
	t.Helper()
	before := readState(t, s)
	r := gql(t, s, request{Query: c.query, Variables: c.vars, Token: c.token})
	wantError(t, r, c.code, c.field)
	if hasData(r) {
		t.Errorf("a refused request answered data %s", r.Data)
	}
	checkUnchanged(t, s, before)
}

func TestMutationBadInputChangesNothing(t *testing.T) {
	t.Parallel()
	s := writable(t)
	admin := s.mintKey(t, "bad-input-admin", directory.RoleAdmin)
	f := writeFixtures(t, s, admin)

	long := func(n int) string { return strings.Repeat("a", n) }
	future := date(time.Now().AddDate(0, 0, 3))
	today := date(time.Now().UTC())
	const (
		bad        = "BAD_USER_INPUT"
		validation = "GRAPHQL_VALIDATION_FAILED"
		conflict   = "CONFLICT"
		notFound   = "NOT_FOUND"
		unauth     = "UNAUTHENTICATED"
	)
	o, c, p, org, per := officeInput(), cityInput(), programInput(), organizationInput(), personInput()
	app := applicationInput()
	grant := map[string]any{"city": fixCity, "cityVersion": 1, "category": "FULL", "since": "2020-01-01"}
	change := map[string]any{"city": fixMember, "cityVersion": 2, "membership": "m1", "category": "ASSOCIATE"}
	end := map[string]any{"city": fixMember, "cityVersion": 2, "membership": "m1", "until": today}
	seoul := map[string]any{"name": "Seoul", "country": "KR"}

	cases := []writeCase{
		// createOffice
		{name: "createOffice/without a name", query: createOfficeQ, vars: apitest.Input(apitest.Edit(o, "name", apitest.Omit)), code: bad, field: "$input.name"},
		{name: "createOffice/with an empty name", query: createOfficeQ, vars: apitest.Input(apitest.Edit(o, "name", "  ")), code: bad, field: "input.name"},
		{name: "createOffice/with a name too long", query: createOfficeQ, vars: apitest.Input(apitest.Edit(o, "name", long(201))), code: bad, field: "input.name"},
		{name: "createOffice/with a control character in the name", query: createOfficeQ, vars: apitest.Input(apitest.Edit(o, "name", "Bad\u0007Office")), code: bad, field: "input.name"},
		{name: "createOffice/with a line break in the name", query: createOfficeQ, vars: apitest.Input(apitest.Edit(o, "name", "Bad\nOffice")), code: bad, field: "input.name"},
		{name: "createOffice/with a control character in a label", query: createOfficeQ, vars: apitest.Input(apitest.Edit(o, "labels", []any{"ok", "tab\there"})), code: bad, field: "input.labels"},
		{name: "createOffice/with an unknown kind", query: createOfficeQ, vars: apitest.Input(apitest.Edit(o, "kind", "CASTLE")), code: bad, field: "$input.kind"},
		{name: "createOffice/with an unknown region", query: createOfficeQ, vars: apitest.Input(apitest.Edit(o, "region", "atlantis")), code: bad, field: "input.region"},
		{name: "createOffice/with an unknown country", query: createOfficeQ, vars: apitest.Input(apitest.Edit(o, "address.country", "XX")), code: bad, field: "input.address.country"},
		{name: "createOffice/without a country", query: createOfficeQ, vars: apitest.Input(apitest.Edit(o, "address.country", "")), code: bad, field: "input.address.country"},
		{name: "createOffice/with an unknown postal country", query: createOfficeQ, vars: apitest.Input(apitest.Edit(o, "postalAddress", map[string]any{"street": []any{"PO Box 1"}, "country": "XX"})), code: bad, field: "input.postalAddress.country"},
		{name: "createOffice/with an address of neither street nor locality", query: createOfficeQ, vars: apitest.Input(apitest.Edit(o, "address", map[string]any{"country": "BE"})), code: bad, field: "input.address"},
		{name: "createOffice/with a postal code too long", query: createOfficeQ, vars: apitest.Input(apitest.Edit(o, "address.postalCode", long(21))), code: bad, field: "input.address.postalCode"},
		{name: "createOffice/with an unknown secretariat", query: createOfficeQ, vars: apitest.Input(apitest.Edit(o, "secretariat", "atlantis-secretariat")), code: bad, field: "input.secretariat"},
		{name: "createOffice/with a phone of letters", query: createOfficeQ, vars: apitest.Input(apitest.Edit(o, "phone", "abc")), code: bad, field: "input.phone"},
		{name: "createOffice/with a phone too short", query: createOfficeQ, vars: apitest.Input(apitest.Edit(o, "phone", "+1 555")), code: bad, field: "input.phone"},
		{name: "createOffice/with a phone too long", query: createOfficeQ, vars: apitest.Input(apitest.Edit(o, "phone", "+32 2 "+strings.Repeat("1", 40))), code: bad, field: "input.phone"},
		{name: "createOffice/with a bad fax", query: createOfficeQ, vars: apitest.Input(apitest.Edit(o, "fax", "fax me")), code: bad, field: "input.fax"},
		{name: "createOffice/with a bad email", query: createOfficeQ, vars: apitest.Input(apitest.Edit(o, "email", "office-at-example.org")), code: bad, field: "input.email"},
		{name: "createOffice/with an email with a display name", query: createOfficeQ, vars: apitest.Input(apitest.Edit(o, "email", "Office <office@example.org>")), code: bad, field: "input.email"},
		{name: "createOffice/with an ftp website", query: createOfficeQ, vars: apitest.Input(apitest.Edit(o, "website", "ftp://x")), code: bad, field: "input.website"},
		{name: "createOffice/with a website that is not a URL", query: createOfficeQ, vars: apitest.Input(apitest.Edit(o, "website", "not a url")), code: bad, field: "input.website"},
		{name: "createOffice/with a website with credentials", query: createOfficeQ, vars: apitest.Input(apitest.Edit(o, "website", "https://user:pw@example.org")), code: bad, field: "input.website"},
		{name: "createOffice/with latitude 91", query: createOfficeQ, vars: apitest.Input(apitest.Edit(o, "location", map[string]any{"latitude": 91, "longitude": 4.35})), code: bad, field: "input.location.latitude"},
		{name: "createOffice/with longitude 181", query: createOfficeQ, vars: apitest.Input(apitest.Edit(o, "location", map[string]any{"latitude": 50.85, "longitude": 181})), code: bad, field: "input.location.longitude"},
		{name: "createOffice/with a key that breaks the key rules", query: createOfficeQ, vars: apitest.Input(apitest.Edit(o, "key", "Bad_Key")), code: bad, field: "input.key"},
		{name: "createOffice/with a key with a double hyphen", query: createOfficeQ, vars: apitest.Input(apitest.Edit(o, "key", "bad--key")), code: bad, field: "input.key"},
		{name: "createOffice/with a key too long", query: createOfficeQ, vars: apitest.Input(apitest.Edit(o, "key", long(81))), code: bad, field: "input.key"},
		{name: "createOffice/with a name no key derives from", query: createOfficeQ, vars: apitest.Input(apitest.Edit(o, "name", "!!!")), code: bad, field: "input.key"},
		{name: "createOffice/with a key that is taken", query: createOfficeQ, vars: apitest.Input(apitest.Edit(o, "key", "korea-office")), code: conflict, field: "input.key"},
		{name: "createOffice/without a token, even with bad input", query: createOfficeQ, vars: apitest.Input(apitest.Edit(o, "region", "atlantis")), token: "-", code: unauth},
		// updateOffice
		{name: "updateOffice/changing the key", query: updateOfficeQ, vars: apitest.Keyed(fixOffice, 1, apitest.Edit(o, "key", "another-office")), code: bad, field: "input.key"},
		{name: "updateOffice/at version 0", query: updateOfficeQ, vars: apitest.Keyed(fixOffice, 0, o), code: bad, field: "version"},
		{name: "updateOffice/at a stale version", query: updateOfficeQ, vars: apitest.Keyed("korea-office", 7, apitest.Edit(o, "region", "east-asia")), code: conflict, field: "version"},
		{name: "updateOffice/of an unknown office", query: updateOfficeQ, vars: apitest.Keyed("atlantis-office", 1, o), code: notFound},
		{name: "updateOffice/with a bad phone", query: updateOfficeQ, vars: apitest.Keyed(fixOffice, 1, apitest.Edit(o, "phone", "abc")), code: bad, field: "input.phone"},
		{name: "updateOffice/with an unknown country", query: updateOfficeQ, vars: apitest.Keyed(fixOffice, 1, apitest.Edit(o, "address.country", "XX")), code: bad, field: "input.address.country"},
		{name: "updateOffice/changing the kind of a secretariat's head office", query: updateOfficeQ,
			vars: apitest.Keyed("east-asia-secretariat", 1, map[string]any{"name": "East Asia Secretariat", "kind": "COUNTRY_OFFICE", "region": "east-asia",
				"address": map[string]any{"locality": "Seoul", "country": "KR"}}), code: conflict},
		// deleteOffice
		{name: "deleteOffice/of an unknown office", query: deleteOfficeQ, vars: apitest.Keyed("atlantis-office", 1, nil), code: notFound},
		{name: "deleteOffice/at a stale version", query: deleteOfficeQ, vars: apitest.Keyed(fixOffice, 2, nil), code: conflict, field: "version"},
		{name: "deleteOffice/at version 0", query: deleteOfficeQ, vars: apitest.Keyed(fixOffice, 0, nil), code: bad, field: "version"},
		{name: "deleteOffice/of a secretariat's head office", query: deleteOfficeQ, vars: apitest.Keyed("east-asia-secretariat", 1, nil), code: conflict},
		// createCity
		{name: "createCity/with an empty name", query: createCityQ, vars: apitest.Input(apitest.Edit(c, "name", "")), code: bad, field: "input.name"},
		{name: "createCity/with a name too long", query: createCityQ, vars: apitest.Input(apitest.Edit(c, "name", long(201))), code: bad, field: "input.name"},
		{name: "createCity/with a control character in the government", query: createCityQ, vars: apitest.Input(apitest.Edit(c, "government", "City\u001bCouncil")), code: bad, field: "input.government"},
		{name: "createCity/with an unknown country", query: createCityQ, vars: apitest.Input(apitest.Edit(c, "country", "XX")), code: bad, field: "input.country"},
		{name: "createCity/with an empty country", query: createCityQ, vars: apitest.Input(apitest.Edit(c, "country", "")), code: bad, field: "input.country"},
		{name: "createCity/with an unknown kind", query: createCityQ, vars: apitest.Input(apitest.Edit(c, "kind", "VILLAGE")), code: bad, field: "$input.kind"},
		{name: "createCity/with an unknown parent", query: createCityQ, vars: apitest.Input(apitest.Edit(c, "parent", "atlantis")), code: bad, field: "input.parent"},
		{name: "createCity/as its own parent", query: createCityQ, vars: apitest.Input(apitest.Edit(apitest.Edit(c, "key", "self-parent"), "parent", "self-parent")), code: bad, field: "input.parent"},
		{name: "createCity/with a negative population", query: createCityQ, vars: apitest.Input(apitest.Edit(c, "population", -1)), code: bad, field: "input.population"},
		{name: "createCity/with a bad language tag", query: createCityQ, vars: apitest.Input(apitest.Edit(c, "localNames", []any{map[string]any{"lang": "not a tag", "name": "X"}})), code: bad, field: "input.localNames.lang"},
		{name: "createCity/with an empty local name", query: createCityQ, vars: apitest.Input(apitest.Edit(c, "localNames", []any{map[string]any{"lang": "de", "name": ""}})), code: bad, field: "input.localNames.name"},
		{name: "createCity/with longitude 181", query: createCityQ, vars: apitest.Input(apitest.Edit(c, "location", map[string]any{"latitude": 0, "longitude": 181})), code: bad, field: "input.location.longitude"},
		{name: "createCity/with latitude -91", query: createCityQ, vars: apitest.Input(apitest.Edit(c, "location", map[string]any{"latitude": -91, "longitude": 0})), code: bad, field: "input.location.latitude"},
		{name: "createCity/with a key that breaks the key rules", query: createCityQ, vars: apitest.Input(apitest.Edit(c, "key", "-bad-")), code: bad, field: "input.key"},
		{name: "createCity/with a key that is taken", query: createCityQ, vars: apitest.Input(apitest.Edit(c, "key", "seoul")), code: conflict, field: "input.key"},
		// updateCity
		{name: "updateCity/changing the key", query: updateCityQ, vars: apitest.Keyed(fixCity, 1, apitest.Edit(c, "key", "other-city")), code: bad, field: "input.key"},
		{name: "updateCity/at version 0", query: updateCityQ, vars: apitest.Keyed(fixCity, 0, c), code: bad, field: "version"},
		{name: "updateCity/at a stale version", query: updateCityQ, vars: apitest.Keyed("seoul", 4, seoul), code: conflict, field: "version"},
		{name: "updateCity/of an unknown city", query: updateCityQ, vars: apitest.Keyed("atlantis", 1, c), code: notFound},
		{name: "updateCity/under its own district", query: updateCityQ, vars: apitest.Keyed("tianjin", 1, map[string]any{"name": "Tianjin", "country": "CN", "parent": "tianjin-eco-city"}), code: bad, field: "input.parent"},
		{name: "updateCity/as its own parent", query: updateCityQ, vars: apitest.Keyed(fixCity, 1, apitest.Edit(c, "parent", fixCity)), code: bad, field: "input.parent"},
		{name: "updateCity/with an unknown country", query: updateCityQ, vars: apitest.Keyed(fixCity, 1, apitest.Edit(c, "country", "XX")), code: bad, field: "input.country"},
		// deleteCity
		{name: "deleteCity/of an unknown city", query: deleteCityQ, vars: apitest.Keyed("atlantis", 1, nil), code: notFound},
		{name: "deleteCity/at a stale version", query: deleteCityQ, vars: apitest.Keyed(fixCity, 3, nil), code: conflict, field: "version"},
		{name: "deleteCity/of a city that takes part in the program", query: deleteCityQ, vars: apitest.Keyed("beijing", 1, nil), code: conflict},
		{name: "deleteCity/of the program's host city", query: deleteCityQ, vars: apitest.Keyed("seoul", 1, nil), code: conflict},
		{name: "deleteCity/of a city with districts", query: deleteCityQ, vars: apitest.Keyed("shenzhen", 1, nil), code: conflict},
		// createProgram
		{name: "createProgram/with an empty title", query: createProgramQ, vars: apitest.Input(apitest.Edit(p, "title", " ")), code: bad, field: "input.title"},
		{name: "createProgram/with a title too long", query: createProgramQ, vars: apitest.Input(apitest.Edit(p, "title", long(301))), code: bad, field: "input.title"},
		{name: "createProgram/with a summary too long", query: createProgramQ, vars: apitest.Input(apitest.Edit(p, "summary", long(5001))), code: bad, field: "input.summary"},
		{name: "createProgram/with an escape character in the summary", query: createProgramQ, vars: apitest.Input(apitest.Edit(p, "summary", "red \u001b[31m text")), code: bad, field: "input.summary"},
		{name: "createProgram/with an unknown kind", query: createProgramQ, vars: apitest.Input(apitest.Edit(p, "kind", "PARTY")), code: bad, field: "$input.kind"},
		{name: "createProgram/with an unknown region", query: createProgramQ, vars: apitest.Input(apitest.Edit(p, "region", "atlantis")), code: bad, field: "input.region"},
		{name: "createProgram/with an unknown host city", query: createProgramQ, vars: apitest.Input(apitest.Edit(p, "hostCity", "atlantis")), code: bad, field: "input.hostCity"},
		{name: "createProgram/ending before it starts", query: createProgramQ, vars: apitest.Input(apitest.Edit(apitest.Edit(p, "startDate", "2016-04-29"), "endDate", "2016-04-20")), code: bad, field: "input.endDate"},
		{name: "createProgram/starting before 1990", query: createProgramQ, vars: apitest.Input(apitest.Edit(p, "startDate", "1989-12-31")), code: bad, field: "input.startDate"},
		{name: "createProgram/with a date that is not a date", query: createProgramQ, vars: apitest.Input(apitest.Edit(p, "startDate", "2016-13-45")), code: bad, field: "input.startDate"},
		{name: "createProgram/with a negative delegate count", query: createProgramQ, vars: apitest.Input(apitest.Edit(p, "delegateCount", -3)), code: bad, field: "input.delegateCount"},
		{name: "createProgram/with a participant twice", query: createProgramQ, vars: apitest.Input(apitest.Edit(p, "participants", []any{"beijing", "seoul", "beijing"})), code: bad, field: "input.participants"},
		{name: "createProgram/with an unknown participant", query: createProgramQ, vars: apitest.Input(apitest.Edit(p, "participants", []any{"beijing", "atlantis"})), code: bad, field: "input.participants"},
		{name: "createProgram/with an unknown organizer", query: createProgramQ, vars: apitest.Input(apitest.Edit(p, "organizers", []any{map[string]any{"kind": "SECRETARIAT", "key": "atlantis-secretariat"}})), code: bad, field: "input.organizers"},
		{name: "createProgram/with an organizer twice", query: createProgramQ, vars: apitest.Input(apitest.Edit(p, "organizers", []any{map[string]any{"kind": "ORGANIZATION", "key": "shrdc"}, map[string]any{"kind": "ORGANIZATION", "key": "shrdc"}})), code: bad, field: "input.organizers"},
		{name: "createProgram/with an organizer of an unknown kind", query: createProgramQ, vars: apitest.Input(apitest.Edit(p, "organizers", []any{map[string]any{"kind": "TRIBE", "key": "shrdc"}})), code: bad, field: "$input.organizers[0].kind"},
		{name: "createProgram/with an unknown activity organizer", query: createProgramQ, vars: apitest.Input(apitest.Edit(p, "activities", []any{map[string]any{"kind": "LECTURE", "title": "Opening", "organizers": []any{map[string]any{"kind": "ORGANIZATION", "key": "atlantis-institute"}}}})), code: bad, field: "input.activities.organizers"},
		{name: "createProgram/with an activity without a title", query: createProgramQ, vars: apitest.Input(apitest.Edit(p, "activities", []any{map[string]any{"kind": "LECTURE", "title": ""}})), code: bad, field: "input.activities.title"},
		{name: "createProgram/with a site visit in an unknown city", query: createProgramQ, vars: apitest.Input(apitest.Edit(p, "siteVisits", []any{map[string]any{"name": "Harbour", "city": "atlantis"}})), code: bad, field: "input.siteVisits.city"},
		{name: "createProgram/naming an unknown person", query: createProgramQ, vars: apitest.Input(apitest.Edit(p, "people", []any{map[string]any{"person": "nobody"}})), code: bad, field: "input.people.person"},
		{name: "createProgram/with a photo without a caption", query: createProgramQ, vars: apitest.Input(apitest.Edit(p, "photos", []any{map[string]any{"caption": ""}})), code: bad, field: "input.photos.caption"},
		{name: "createProgram/with a NUL in a highlight", query: createProgramQ, vars: apitest.Input(apitest.Edit(p, "highlights", []any{"a\u0000b"})), code: bad, field: "input.highlights"},
		{name: "createProgram/with a key that is taken", query: createProgramQ, vars: apitest.Input(apitest.Edit(p, "key", "2016-low-carbon-capacity-program-chinese-local-governments")), code: conflict, field: "input.key"},
		// updateProgram
		{name: "updateProgram/changing the key", query: updateProgramQ, vars: apitest.Keyed(fixProgram, 1, apitest.Edit(p, "key", "other-program")), code: bad, field: "input.key"},
		{name: "updateProgram/at version 0", query: updateProgramQ, vars: apitest.Keyed(fixProgram, 0, p), code: bad, field: "version"},
		{name: "updateProgram/at a stale version", query: updateProgramQ, vars: apitest.Keyed(fixProgram, 9, p), code: conflict, field: "version"},
		{name: "updateProgram/of an unknown program", query: updateProgramQ, vars: apitest.Keyed("atlantis-program", 1, p), code: notFound},
		{name: "updateProgram/ending before it starts", query: updateProgramQ, vars: apitest.Keyed(fixProgram, 1, apitest.Edit(apitest.Edit(p, "startDate", "2020-05-02"), "endDate", "2020-05-01")), code: bad, field: "input.endDate"},
		// deleteProgram
		{name: "deleteProgram/of an unknown program", query: deleteProgramQ, vars: apitest.Keyed("atlantis-program", 1, nil), code: notFound},
		{name: "deleteProgram/at a stale version", query: deleteProgramQ, vars: apitest.Keyed(fixProgram, 2, nil), code: conflict, field: "version"},
		// createOrganization
		{name: "createOrganization/with an empty name", query: createOrganizationQ, vars: apitest.Input(apitest.Edit(org, "name", "")), code: bad, field: "input.name"},
		{name: "createOrganization/with a short name too long", query: createOrganizationQ, vars: apitest.Input(apitest.Edit(org, "shortName", long(41))), code: bad, field: "input.shortName"},
		{name: "createOrganization/with an unknown country", query: createOrganizationQ, vars: apitest.Input(apitest.Edit(org, "country", "XX")), code: bad, field: "input.country"},
		{name: "createOrganization/in an unknown city", query: createOrganizationQ, vars: apitest.Input(apitest.Edit(org, "city", "atlantis")), code: bad, field: "input.city"},
		{name: "createOrganization/with an ftp website", query: createOrganizationQ, vars: apitest.Input(apitest.Edit(org, "website", "ftp://x")), code: bad, field: "input.website"},
		{name: "createOrganization/with a website that is not a URL", query: createOrganizationQ, vars: apitest.Input(apitest.Edit(org, "website", "not a url")), code: bad, field: "input.website"},
		{name: "createOrganization/with a key that is taken", query: createOrganizationQ, vars: apitest.Input(apitest.Edit(org, "key", "shrdc")), code: conflict, field: "input.key"},
		// updateOrganization
		{name: "updateOrganization/changing the key", query: updateOrganizationQ, vars: apitest.Keyed(fixOrganization, 1, apitest.Edit(org, "key", "other-organization")), code: bad, field: "input.key"},
		{name: "updateOrganization/at a stale version", query: updateOrganizationQ, vars: apitest.Keyed(fixOrganization, 5, org), code: conflict, field: "version"},
		{name: "updateOrganization/of an unknown organization", query: updateOrganizationQ, vars: apitest.Keyed("atlantis-institute", 1, org), code: notFound},
		// deleteOrganization
		{name: "deleteOrganization/of the program's organizer", query: deleteOrganizationQ, vars: apitest.Keyed("shrdc", 1, nil), code: conflict},
		{name: "deleteOrganization/of an unknown organization", query: deleteOrganizationQ, vars: apitest.Keyed("atlantis-institute", 1, nil), code: notFound},
		{name: "deleteOrganization/at a stale version", query: deleteOrganizationQ, vars: apitest.Keyed(fixOrganization, 2, nil), code: conflict, field: "version"},
		// createPerson
		{name: "createPerson/with an empty name", query: createPersonQ, vars: apitest.Input(apitest.Edit(per, "name", "")), code: bad, field: "input.name"},
		{name: "createPerson/with a control character in the name", query: createPersonQ, vars: apitest.Input(apitest.Edit(per, "name", "Ann\u0085Lee")), code: bad, field: "input.name"},
		{name: "createPerson/affiliated with an unknown institution", query: createPersonQ, vars: apitest.Input(apitest.Edit(per, "affiliations", []any{map[string]any{"title": "Director", "institution": map[string]any{"kind": "ORGANIZATION", "key": "atlantis-institute"}}})), code: bad, field: "input.affiliations.institution"},
		{name: "createPerson/with an affiliation without a title", query: createPersonQ, vars: apitest.Input(apitest.Edit(per, "affiliations", []any{map[string]any{"title": "", "institution": map[string]any{"kind": "ORGANIZATION", "key": "shrdc"}}})), code: bad, field: "input.affiliations.title"},
		{name: "createPerson/with a key that is taken", query: createPersonQ, vars: apitest.Input(apitest.Edit(per, "key", "shu-zhu")), code: conflict, field: "input.key"},
		// updatePerson
		{name: "updatePerson/changing the key", query: updatePersonQ, vars: apitest.Keyed(fixPerson, 1, apitest.Edit(per, "key", "other-person")), code: bad, field: "input.key"},
		{name: "updatePerson/at a stale version", query: updatePersonQ, vars: apitest.Keyed(fixPerson, 3, per), code: conflict, field: "version"},
		{name: "updatePerson/of an unknown person", query: updatePersonQ, vars: apitest.Keyed("nobody", 1, per), code: notFound},
		// deletePerson
		{name: "deletePerson/named by the program", query: deletePersonQ, vars: apitest.Keyed("joon-ho-ahn", 1, nil), code: conflict},
		{name: "deletePerson/of an unknown person", query: deletePersonQ, vars: apitest.Keyed("nobody", 1, nil), code: notFound},
		{name: "deletePerson/at a stale version", query: deletePersonQ, vars: apitest.Keyed(fixPerson, 2, nil), code: conflict, field: "version"},
		// grantMembership
		{name: "grantMembership/to an unknown city", query: grantMembershipQ, vars: apitest.Input(apitest.Edit(grant, "city", "atlantis")), code: bad, field: "input.city"},
		{name: "grantMembership/at city version 0", query: grantMembershipQ, vars: apitest.Input(apitest.Edit(grant, "cityVersion", 0)), code: bad, field: "input.cityVersion"},
		{name: "grantMembership/at a stale city version", query: grantMembershipQ, vars: apitest.Input(apitest.Edit(grant, "cityVersion", 2)), code: conflict, field: "version"},
		{name: "grantMembership/of an unknown category", query: grantMembershipQ, vars: apitest.Input(apitest.Edit(grant, "category", "GOLD")), code: bad, field: "$input.category"},
		{name: "grantMembership/since a day in the future", query: grantMembershipQ, vars: apitest.Input(apitest.Edit(grant, "since", future)), code: bad, field: "input.since"},
		{name: "grantMembership/since before 1990", query: grantMembershipQ, vars: apitest.Input(apitest.Edit(grant, "since", "1985-01-01")), code: bad, field: "input.since"},
		{name: "grantMembership/served by an unknown secretariat", query: grantMembershipQ, vars: apitest.Input(apitest.Edit(grant, "secretariat", "atlantis-secretariat")), code: bad, field: "input.secretariat"},
		{name: "grantMembership/with a control character in the note", query: grantMembershipQ, vars: apitest.Input(apitest.Edit(grant, "note", "note\u0007")), code: bad, field: "input.note"},
		{name: "grantMembership/beside an active membership", query: grantMembershipQ, vars: apitest.Input(apitest.Edit(apitest.Edit(grant, "city", fixMember), "cityVersion", 2)), code: conflict},
		// changeMembership
		{name: "changeMembership/of an unknown membership", query: changeMembershipQ, vars: apitest.Input(apitest.Edit(change, "membership", "m9")), code: bad, field: "input.membership"},
		{name: "changeMembership/of an unknown city", query: changeMembershipQ, vars: apitest.Input(apitest.Edit(change, "city", "atlantis")), code: bad, field: "input.city"},
		{name: "changeMembership/to ENDED", query: changeMembershipQ, vars: apitest.Input(apitest.Edit(change, "status", "ENDED")), code: bad, field: "input.status"},
		{name: "changeMembership/to an unknown status", query: changeMembershipQ, vars: apitest.Input(apitest.Edit(change, "status", "PAUSED")), code: bad, field: "$input.status"},
		{name: "changeMembership/to an unknown secretariat", query: changeMembershipQ, vars: apitest.Input(apitest.Edit(change, "secretariat", "atlantis-secretariat")), code: bad, field: "input.secretariat"},
		{name: "changeMembership/at a stale city version", query: changeMembershipQ, vars: apitest.Input(apitest.Edit(change, "cityVersion", 1)), code: conflict, field: "version"},
		{name: "changeMembership/of an ended membership", query: changeMembershipQ, vars: apitest.Input(map[string]any{"city": fixEnded, "cityVersion": 3, "membership": "m1", "category": "ASSOCIATE"}), code: conflict},
		// endMembership
		{name: "endMembership/until before since", query: endMembershipQ, vars: apitest.Input(apitest.Edit(end, "until", "2019-12-31")), code: bad, field: "input.until"},
		{name: "endMembership/until a day in the future", query: endMembershipQ, vars: apitest.Input(apitest.Edit(end, "until", future)), code: bad, field: "input.until"},
		{name: "endMembership/of an ended membership", query: endMembershipQ, vars: apitest.Input(map[string]any{"city": fixEnded, "cityVersion": 3, "membership": "m1", "until": today}), code: conflict},
		{name: "endMembership/of an unknown membership", query: endMembershipQ, vars: apitest.Input(apitest.Edit(end, "membership", "m2")), code: bad, field: "input.membership"},
		{name: "endMembership/at a stale city version", query: endMembershipQ, vars: apitest.Input(apitest.Edit(end, "cityVersion", 3)), code: conflict, field: "version"},
		{name: "endMembership/without until", query: endMembershipQ, vars: apitest.Input(apitest.Edit(end, "until", apitest.Omit)), code: bad, field: "$input.until"},
		// applyForMembership, which needs no token
		{name: "applyForMembership/with an empty name", query: applyQ, vars: apitest.Input(apitest.Edit(app, "name", "")), token: "-", code: bad, field: "input.name"},
		{name: "applyForMembership/with a name too long", query: applyQ, vars: apitest.Input(apitest.Edit(app, "name", long(201))), token: "-", code: bad, field: "input.name"},
		{name: "applyForMembership/with an unknown country", query: applyQ, vars: apitest.Input(apitest.Edit(app, "country", "XX")), token: "-", code: bad, field: "input.country"},
		{name: "applyForMembership/with a bad email", query: applyQ, vars: apitest.Input(apitest.Edit(app, "email", "lan at example.vn")), token: "-", code: bad, field: "input.email"},
		{name: "applyForMembership/with an empty email", query: applyQ, vars: apitest.Input(apitest.Edit(app, "email", "")), token: "-", code: bad, field: "input.email"},
		{name: "applyForMembership/with a bad phone", query: applyQ, vars: apitest.Input(apitest.Edit(app, "phone", "abc")), token: "-", code: bad, field: "input.phone"},
		{name: "applyForMembership/with an unknown category", query: applyQ, vars: apitest.Input(apitest.Edit(app, "category", "GOLD")), token: "-", code: bad, field: "$input.category"},
		{name: "applyForMembership/with a negative population", query: applyQ, vars: apitest.Input(apitest.Edit(app, "population", -5)), token: "-", code: bad, field: "input.population"},
		{name: "applyForMembership/with a motivation too long", query: applyQ, vars: apitest.Input(apitest.Edit(app, "motivation", long(5001))), token: "-", code: bad, field: "input.motivation"},
		{name: "applyForMembership/with a control character in the contact name", query: applyQ, vars: apitest.Input(apitest.Edit(app, "contactName", "Lan\u0000Nguyen")), token: "-", code: bad, field: "input.contactName"},
		// reviewMembershipApplication
		{name: "review/of an unknown reference", query: reviewQ, vars: review("ICLEI-AAAAA-BBBBB-CCCCC", 1, "APPROVE"), code: notFound},
		{name: "review/of a reference too long", query: reviewQ, vars: review(long(41), 1, "APPROVE"), code: bad, field: "reference"},
		{name: "review/at version 0", query: reviewQ, vars: review(f.submitted, 0, "APPROVE"), code: bad, field: "version"},
		{name: "review/at a stale version", query: reviewQ, vars: review(f.submitted, 2, "REJECT"), code: conflict},
		{name: "review/with an unknown decision", query: reviewQ, vars: review(f.submitted, 1, "MAYBE"), code: bad, field: "$decision"},
		{name: "review/with a control character in the note", query: reviewQ, vars: review(f.submitted, 1, "REJECT", "note", "no\u0007"), code: bad, field: "note"},
		{name: "review/approving onto a key that breaks the key rules", query: reviewQ, vars: review(f.submitted, 1, "APPROVE", "cityKey", "Hoi An"), code: bad, field: "cityKey"},
		{name: "review/approving onto a city in another country", query: reviewQ, vars: review(f.submitted, 1, "APPROVE", "cityKey", "seoul"), code: conflict, field: "cityKey"},
		{name: "review/approving onto a city with an active membership", query: reviewQ, vars: review(f.submitted, 1, "APPROVE", "cityKey", fixMember), code: conflict},
		{name: "review/of an application already decided", query: reviewQ, vars: review(f.decided, 2, "APPROVE"), code: conflict},
		{name: "review/without a token", query: reviewQ, vars: review(f.submitted, 1, "APPROVE"), token: "-", code: unauth},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			switch c.token {
			case "":
				c.token = admin
			case "-":
				c.token = ""
			}
			checkRefused(t, s, c)
		})
	}
}

// Revision, Load and Application read the directory behind the API's back, as a store would.
func (s *api) Revision(context.Context) (int64, error) { return int64(s.log.Len()), nil }

func (s *api) Load(context.Context) (*directory.Data, error) {
	d := s.rm.Snapshot().Data()
	return &d, nil
}

func (s *api) Application(_ context.Context, reference string) (*directory.Application, error) {
	return s.rm.Snapshot().ApplicationByReference(reference)
}

// mintJWT mints a JWT for the subject as the mint-jwt command does.
func mintJWT(t testing.TB, subject string, role directory.Role, regions ...string) string {
	t.Helper()
	token, err := auth.MintJWT(auth.Config{Secret: []byte(testJWTSecret)}, subject, role, regions, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return token
}

// auditEntryFields select an audit entry.
const auditTrailQ = `query($id: ID!) { auditTrail(id: $id) { id kind key action actor at version before after } }`

type apiAuditEntry struct {
	ID, Kind, Key, Action, Actor, At string
	Version                          int
	Before, After                    map[string]any
}

func auditTrail(t *testing.T, s *api, admin, id string) []apiAuditEntry {
	t.Helper()
	var out struct{ AuditTrail []apiAuditEntry }
	mustGQL(t, s, admin, auditTrailQ, map[string]any{"id": id}, &out)
	return out.AuditTrail
}

// storedKeys returns the keys of the stored records of the type.
func storedKeys(d *directory.Data, typ string) []string {
	var keys []string
	switch typ {
	case directory.KindOffice:
		for _, x := range d.Offices {
			keys = append(keys, x.Key)
		}
	case directory.KindCity:
		for _, x := range d.Cities {
			keys = append(keys, x.Key)
		}
	case directory.KindProgram:
		for _, x := range d.Programs {
			keys = append(keys, x.Key)
		}
	case directory.KindOrganization:
		for _, x := range d.Organizations {
			keys = append(keys, x.Key)
		}
	case directory.KindPerson:
		for _, x := range d.People {
			keys = append(keys, x.Key)
		}
	}
	return keys
}

// crudCase is the life of one record type through the API: created, read back, updated, read back, deleted.
type crudCase struct {
	typ       string // the GraphQL type, such as Office
	selection string
	nameField string // the stored field that the update changes, for the audit trail
	create    map[string]any
	update    map[string]any
	key       string // the key the create derives
	created   func(t *testing.T, rec map[string]any)
	updated   func(t *testing.T, rec map[string]any)
}

func TestMutationHappyPaths(t *testing.T) {
	t.Parallel()
	s := writable(t)
	admin := s.mintKey(t, "happy-admin", directory.RoleAdmin)
	const actor = "apikey:happy-admin"

	cases := []crudCase{
		{
			typ: "Office", nameField: "name", key: "iclei-happy-path-office",
			selection: `id key version name kind region { code } secretariat { key }
				address { lines street locality postalCode country { code } }
				phone { e164 international written } fax { e164 written } email website
				location { latitude longitude precision curated } labels provenance { origin }`,
			create: map[string]any{"name": " ICLEI Happy Path Office ", "kind": "PROJECT_OFFICE", "region": "europe",
				"secretariat": "european-secretariat",
				"address":     map[string]any{"street": []any{"Leopoldring 3"}, "locality": "Freiburg", "postalCode": "79098", "country": "DE"},
				"phone":       "0761 368920", "fax": "+49-761/36892-19", "email": " freiburg@example.org ",
				"website": "www.example.org/freiburg", "location": map[string]any{"latitude": 47.99, "longitude": 7.85, "precision": "STREET"},
				"labels": []any{"  Freiburg office ", ""}},
			update: map[string]any{"name": "ICLEI Freiburg Office", "kind": "PROJECT_OFFICE", "region": "europe",
				"address": map[string]any{"locality": "Freiburg im Breisgau", "country": "DE"}, "phone": "+49 761 36892 00",
				"website": "http://www.example.org"},
			created: func(t *testing.T, rec map[string]any) {
				wantAt(t, rec, "name", "ICLEI Happy Path Office")
				wantAt(t, rec, "region.code", "europe")
				wantAt(t, rec, "secretariat.key", "european-secretariat")
				wantAt(t, rec, "address.lines", []string{"Leopoldring 3", "79098 Freiburg", "Germany"})
				wantAt(t, rec, "phone", map[string]any{"e164": "+49761368920", "international": "+49 761 368920", "written": "0761 368920"})
				wantAt(t, rec, "fax", map[string]any{"e164": "+497613689219", "written": "+49-761/36892-19"})
				wantAt(t, rec, "email", "freiburg@example.org")
				wantAt(t, rec, "website", "https://www.example.org/freiburg")
				wantAt(t, rec, "location", map[string]any{"latitude": 47.99, "longitude": 7.85, "precision": "STREET", "curated": true})
				wantAt(t, rec, "labels", []string{"Freiburg office"})
				wantAt(t, rec, "provenance.origin", "WRITE")
			},
			updated: func(t *testing.T, rec map[string]any) {
				wantAt(t, rec, "name", "ICLEI Freiburg Office")
				wantAt(t, rec, "phone.e164", "+497613689200")
				wantAt(t, rec, "website", "http://www.example.org")
				wantAt(t, rec, "secretariat", nil)
				wantAt(t, rec, "location", nil)
				wantAt(t, rec, "labels", []string{})
			},
		},
		{
			typ: "City", nameField: "name", key: "gangneung",
			selection: `id key version name kind government population country { code } region { code }
				localNames { lang name } location { latitude longitude precision curated } membership { id } provenance { origin }`,
			create: map[string]any{"name": "Gangneung", "country": "kr", "government": "Gangneung City",
				"localNames": []any{map[string]any{"lang": "ko", "name": "강릉시"}}, "population": 210000,
				"location": map[string]any{"latitude": 37.75, "longitude": 128.9}},
			update: map[string]any{"name": "Gangneung", "country": "KR", "kind": "REGIONAL_GOVERNMENT", "population": 211000},
			created: func(t *testing.T, rec map[string]any) {
				wantAt(t, rec, "country.code", "KR")
				wantAt(t, rec, "region.code", "east-asia")
				wantAt(t, rec, "kind", "MUNICIPALITY")
				wantAt(t, rec, "localNames", []any{map[string]any{"lang": "ko", "name": "강릉시"}})
				wantAt(t, rec, "location.precision", "CITY")
				wantAt(t, rec, "location.curated", true)
				wantAt(t, rec, "membership", nil)
			},
			updated: func(t *testing.T, rec map[string]any) {
				wantAt(t, rec, "kind", "REGIONAL_GOVERNMENT")
				wantAt(t, rec, "population", 211000)
				wantAt(t, rec, "government", nil)
				wantAt(t, rec, "localNames", []any{})
			},
		},
		{
			typ: "Program", nameField: "title", key: "happy-path-exchange-2024",
			selection: `id key version title kind region { code } hostCity { key } startDate endDate year
				organizers { __typename ... on Secretariat { key } ... on Organization { key } ... on City { key } }
				participants(first: 10) { nodes { key } } people { person { key } context } topics`,
			create: map[string]any{"title": "Happy Path Exchange 2024", "kind": "CONFERENCE", "hostCity": "seoul",
				"startDate": "2024-05-02", "endDate": "2024-05-03", "topics": []any{"low carbon"},
				"organizers":   []any{map[string]any{"kind": "SECRETARIAT", "key": "east-asia-secretariat"}, map[string]any{"kind": "ORGANIZATION", "key": "shrdc"}},
				"participants": []any{"beijing", "shanghai"}, "people": []any{map[string]any{"person": "shu-zhu", "context": "as speaker"}}},
			update: map[string]any{"title": "Happy Path Exchange 2024 (extended)", "kind": "CONFERENCE", "hostCity": "seoul",
				"startDate": "2024-05-02", "endDate": "2024-05-04"},
			created: func(t *testing.T, rec map[string]any) {
				wantAt(t, rec, "region.code", "east-asia")
				wantAt(t, rec, "year", 2024)
				wantAt(t, rec, "organizers", []any{map[string]any{"__typename": "Secretariat", "key": "east-asia-secretariat"},
					map[string]any{"__typename": "Organization", "key": "shrdc"}})
				wantAt(t, rec, "participants.nodes", []any{map[string]any{"key": "beijing"}, map[string]any{"key": "shanghai"}})
				wantAt(t, rec, "people", []any{map[string]any{"person": map[string]any{"key": "shu-zhu"}, "context": "as speaker"}})
			},
			updated: func(t *testing.T, rec map[string]any) {
				wantAt(t, rec, "endDate", "2024-05-04")
				wantAt(t, rec, "participants.nodes", []any{})
				wantAt(t, rec, "organizers", []any{})
			},
		},
		{
			typ: "Organization", nameField: "name", key: "happy-path-institute",
			selection: `id key version name shortName kind country { code } city { key } website`,
			create: map[string]any{"name": "Happy Path Institute", "shortName": "HPI", "kind": "research institute",
				"country": "KR", "city": "seoul", "website": "http://hpi.example.kr"},
			update: map[string]any{"name": "Happy Path Institute for Cities", "country": "KR"},
			created: func(t *testing.T, rec map[string]any) {
				wantAt(t, rec, "shortName", "HPI")
				wantAt(t, rec, "city.key", "seoul")
				wantAt(t, rec, "website", "http://hpi.example.kr")
			},
			updated: func(t *testing.T, rec map[string]any) {
				wantAt(t, rec, "name", "Happy Path Institute for Cities")
				wantAt(t, rec, "city", nil)
				wantAt(t, rec, "website", nil)
			},
		},
		{
			typ: "Person", nameField: "name", key: "min-ji-kim",
			selection: `id key version name affiliations { title institution { __typename ... on Organization { key } ... on Secretariat { key } } }`,
			create: map[string]any{"name": "Min-ji Kim", "affiliations": []any{map[string]any{"title": "Researcher",
				"institution": map[string]any{"kind": "ORGANIZATION", "key": "shrdc"}}}},
			update: map[string]any{"name": "Min-ji Kim", "affiliations": []any{map[string]any{"title": "Director",
				"institution": map[string]any{"kind": "SECRETARIAT", "key": "east-asia-secretariat"}}}},
			created: func(t *testing.T, rec map[string]any) {
				wantAt(t, rec, "affiliations", []any{map[string]any{"title": "Researcher", "institution": map[string]any{"__typename": "Organization", "key": "shrdc"}}})
			},
			updated: func(t *testing.T, rec map[string]any) {
				wantAt(t, rec, "affiliations", []any{map[string]any{"title": "Director", "institution": map[string]any{"__typename": "Secretariat", "key": "east-asia-secretariat"}}})
			},
		},
	}
	for _, c := range cases {
		t.Run(c.typ, func(t *testing.T) {
			field := strings.ToLower(c.typ[:1]) + c.typ[1:]
			get := fmt.Sprintf(`query($key: String!) { %s(key: $key) { %s } }`, field, c.selection)
			read := func() map[string]any {
				var out map[string]map[string]any
				mustGQL(t, s, "", get, map[string]any{"key": c.key}, &out)
				return out[field]
			}
			rev0, _ := s.Revision(context.Background())

			// Create: the answer and the read that follows it at once give the new record, at version 1.
			var created map[string]map[string]any
			mustGQL(t, s, admin, fmt.Sprintf(`mutation($input: %sInput!) { create%s(input: $input) { %s } }`, c.typ, c.typ, c.selection),
				apitest.Input(c.create), &created)
			rec := created["create"+c.typ]
			wantAt(t, rec, "key", c.key)
			wantAt(t, rec, "version", 1)
			c.created(t, rec)
			if got := read(); !reflect.DeepEqual(got, rec) {
				t.Errorf("read back after create:\n got %v\nwant %v", got, rec)
			}
			id := rec["id"].(string)
			if rev, _ := s.Revision(context.Background()); rev != rev0+1 {
				t.Errorf("revision after create = %d, want %d", rev, rev0+1)
			}
			data, err := s.Load(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Contains(storedKeys(data, c.typ), c.key) {
				t.Errorf("the store does not hold the new %s %s", c.typ, c.key)
			}

			// Update at the version read: version 2, served at once.
			var updated map[string]map[string]any
			mustGQL(t, s, admin, fmt.Sprintf(`mutation($key: String!, $version: Int!, $input: %sInput!) { update%s(key: $key, version: $version, input: $input) { %s } }`,
				c.typ, c.typ, c.selection), apitest.Keyed(c.key, 1, c.update), &updated)
			rec = updated["update"+c.typ]
			wantAt(t, rec, "version", 2)
			wantAt(t, rec, "id", id)
			c.updated(t, rec)
			if got := read(); !reflect.DeepEqual(got, rec) {
				t.Errorf("read back after update:\n got %v\nwant %v", got, rec)
			}
			// The version read before the update is stale now.
			r := gql(t, s, request{Query: fmt.Sprintf(`mutation($key: String!, $version: Int!, $input: %sInput!) { update%s(key: $key, version: $version, input: $input) { version } }`,
				c.typ, c.typ), Variables: apitest.Keyed(c.key, 1, c.create), Token: admin})
			wantError(t, r, "CONFLICT", "version")

			// Delete: gone from the API and the store.
			var deleted map[string]struct{ ID, Key string }
			mustGQL(t, s, admin, fmt.Sprintf(`mutation($key: String!, $version: Int!) { delete%s(key: $key, version: $version) { id key } }`, c.typ),
				apitest.Keyed(c.key, 2, nil), &deleted)
			if d := deleted["delete"+c.typ]; d.ID != id || d.Key != c.key {
				t.Errorf("deletion = %+v, want id %s and key %s", d, id, c.key)
			}
			if got := read(); got != nil {
				t.Errorf("read back after delete: %v, want null", got)
			}
			var node struct{ Node any }
			mustGQL(t, s, "", `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": id}, &node)
			if node.Node != nil {
				t.Errorf("node(id) after delete = %v, want null", node.Node)
			}
			if data, err = s.Load(context.Background()); err != nil {
				t.Fatal(err)
			}
			if slices.Contains(storedKeys(data, c.typ), c.key) {
				t.Errorf("the store still holds %s %s", c.typ, c.key)
			}
			if rev, _ := s.Revision(context.Background()); rev != rev0+3 {
				t.Errorf("revision after create, update and delete = %d, want %d", rev, rev0+3)
			}

			// The audit trail, newest first: who did what, with the record before and after.
			trail := auditTrail(t, s, admin, id)
			if len(trail) != 3 {
				t.Fatalf("audit trail has %d entries, want 3: %+v", len(trail), trail)
			}
			// The audit trail shows each record as its store keeps it; field names differ in case between stores.
			name := func(m map[string]any) any {
				for k, v := range m {
					if strings.EqualFold(k, c.nameField) {
						return v
					}
				}
				return nil
			}
			want := []struct {
				action        string
				version       int
				before, after any
			}{
				{"DELETE", 2, at(rec, c.nameField), nil},
				{"UPDATE", 2, strings.TrimSpace(fmt.Sprint(c.create[c.nameField])), at(rec, c.nameField)},
				{"CREATE", 1, nil, strings.TrimSpace(fmt.Sprint(c.create[c.nameField]))},
			}
			for i, w := range want {
				e := trail[i]
				if e.Action != w.action || e.Actor != actor || e.Kind != c.typ || e.Key != c.key || e.Version != w.version {
					t.Errorf("audit entry %d = %s %s %s/%s v%d, want %s %s %s/%s v%d", i, e.Action, e.Actor, e.Kind, e.Key, e.Version,
						w.action, actor, c.typ, c.key, w.version)
				}
				if _, err := time.Parse(time.RFC3339, e.At); err != nil {
					t.Errorf("audit entry %d at %q: %v", i, e.At, err)
				}
				var before, after any
				if e.Before != nil {
					before = name(e.Before)
				}
				if e.After != nil {
					after = name(e.After)
				}
				if !reflect.DeepEqual(before, w.before) || !reflect.DeepEqual(after, w.after) {
					t.Errorf("audit entry %d (%s): %s before %v after %v, want %v and %v", i, e.Action, c.nameField, before, after, w.before, w.after)
				}
			}
		})
	}
}

func TestMutationMembershipLifecycle(t *testing.T) {
	t.Parallel()
	s := writable(t)
	admin := s.mintKey(t, "membership-admin", directory.RoleAdmin)
	today := date(time.Now().UTC())

	mustGQL(t, s, admin, createCityQ, apitest.Input(map[string]any{"name": "Incheon", "country": "KR"}), nil)
	type membership struct {
		ID, Category, Status, Since string
		Until, Note                 *string
		Secretariat                 *struct{ Key string }
		City                        struct {
			Key     string
			Version int
		}
	}
	var g struct{ GrantMembership membership }
	mustGQL(t, s, admin, grantMembershipQ, apitest.Input(map[string]any{"city": "incheon", "cityVersion": 1, "category": "FULL", "since": "2019-03-01"}), &g)
	m := g.GrantMembership
	if m.ID != directory.GlobalID(directory.KindMembership, "incheon/m1") || m.Category != "FULL" || m.Status != "ACTIVE" ||
		m.Since != "2019-03-01" || m.Until != nil || m.Secretariat == nil || m.Secretariat.Key != "east-asia-secretariat" || m.City.Version != 2 {
		t.Errorf("granted membership = %+v", m)
	}

	var ch struct{ ChangeMembership membership }
	mustGQL(t, s, admin, changeMembershipQ, apitest.Input(map[string]any{"city": "incheon", "cityVersion": 2, "membership": "m1",
		"category": "ASSOCIATE", "status": "SUSPENDED", "note": "Dues pending"}), &ch)
	if m := ch.ChangeMembership; m.Category != "ASSOCIATE" || m.Status != "SUSPENDED" || m.Note == nil || *m.Note != "Dues pending" ||
		m.Since != "2019-03-01" || m.City.Version != 3 {
		t.Errorf("changed membership = %+v", m)
	}
	var cities struct {
		Cities struct{ Nodes []struct{ Key string } }
	}
	mustGQL(t, s, "", `{ cities(filter: {membershipStatus: SUSPENDED}) { nodes { key } } }`, nil, &cities)
	if len(cities.Cities.Nodes) != 1 || cities.Cities.Nodes[0].Key != "incheon" {
		t.Errorf("suspended members = %+v, want incheon", cities.Cities.Nodes)
	}

	var e struct{ EndMembership membership }
	mustGQL(t, s, admin, endMembershipQ, apitest.Input(map[string]any{"city": "incheon", "cityVersion": 3, "membership": "m1", "until": today}), &e)
	if m := e.EndMembership; m.Status != "ENDED" || m.Until == nil || *m.Until != today || m.City.Version != 4 {
		t.Errorf("ended membership = %+v", m)
	}

	// After the end a new membership may begin; the city keeps both.
	mustGQL(t, s, admin, grantMembershipQ, apitest.Input(map[string]any{"city": "incheon", "cityVersion": 4, "category": "ASSOCIATE",
		"since": today, "secretariat": "world-secretariat", "note": "Rejoined"}), &g)
	if m := g.GrantMembership; m.ID != directory.GlobalID(directory.KindMembership, "incheon/m2") || m.Status != "ACTIVE" ||
		m.Secretariat.Key != "world-secretariat" || m.City.Version != 5 {
		t.Errorf("second membership = %+v", m)
	}
	var city struct {
		City struct {
			Version     int
			Membership  struct{ ID, Status string }
			Memberships []struct{ Status string }
		}
	}
	mustGQL(t, s, "", `{ city(key: "incheon") { version membership { id status } memberships { status } } }`, nil, &city)
	if c := city.City; c.Version != 5 || c.Membership.ID != directory.GlobalID(directory.KindMembership, "incheon/m2") ||
		len(c.Memberships) != 2 || c.Memberships[0].Status != "ENDED" || c.Memberships[1].Status != "ACTIVE" {
		t.Errorf("city after two memberships = %+v", c)
	}

	// A membership's audit trail is its city's: the create and four membership writes.
	trail := auditTrail(t, s, admin, directory.GlobalID(directory.KindMembership, "incheon/m1"))
	var actions []string
	for _, e := range trail {
		actions = append(actions, fmt.Sprintf("%s v%d", e.Action, e.Version))
	}
	if want := []string{"UPDATE v5", "UPDATE v4", "UPDATE v3", "UPDATE v2", "CREATE v1"}; !slices.Equal(actions, want) {
		t.Errorf("audit trail = %v, want %v", actions, want)
	}
}

// race runs the requests at once and returns their responses in order.
func race(t *testing.T, s *api, reqs []request) []*apiResponse {
	t.Helper()
	out := make([]*apiResponse, len(reqs))
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
			out[i], errs[i] = s.post(body, map[string]string{"Authorization": "Bearer " + req.Token})
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
func oneWins(t *testing.T, rs []*apiResponse, field string) int {
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

func TestMutationConcurrentConflictingWrites(t *testing.T) {
	t.Parallel()
	s := writable(t)
	admin := s.mintKey(t, "racer", directory.RoleAdmin)
	ctx := context.Background()
	const n = 8

	t.Run("updates of one office from one version", func(t *testing.T) {
		rev0, _ := s.Revision(ctx)
		reqs := make([]request, n)
		for i := range reqs {
			reqs[i] = request{Query: updateOfficeQ, Token: admin, Variables: apitest.Keyed("korea-office", 1, map[string]any{
				"name": fmt.Sprintf("Korea Office %d", i), "kind": "COUNTRY_OFFICE", "region": "east-asia",
				"secretariat": "east-asia-secretariat", "address": map[string]any{"locality": "Seoul", "country": "KR"}})}
		}
		winner := oneWins(t, race(t, s, reqs), "version")
		data, err := s.Load(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range data.Offices {
			if o.Key == "korea-office" && (o.Version != 2 || o.Name != fmt.Sprintf("Korea Office %d", winner)) {
				t.Errorf("stored office: version %d, name %q; want version 2 and the winner's name", o.Version, o.Name)
			}
		}
		if rev, _ := s.Revision(ctx); rev != rev0+1 {
			t.Errorf("revision moved from %d to %d, want one step", rev0, rev)
		}
		var updates int
		for _, e := range auditTrail(t, s, admin, directory.GlobalID(directory.KindOffice, "korea-office")) {
			if e.Action == "UPDATE" {
				updates++
			}
		}
		if updates != 1 {
			t.Errorf("audit trail has %d updates, want 1", updates)
		}
		var got struct{ Office struct{ Name string } }
		mustGQL(t, s, "", `{ office(key: "korea-office") { name } }`, nil, &got)
		if got.Office.Name != fmt.Sprintf("Korea Office %d", winner) {
			t.Errorf("the API serves %q, not the winner's name", got.Office.Name)
		}
	})

	t.Run("creates of one key", func(t *testing.T) {
		reqs := make([]request, n)
		for i := range reqs {
			reqs[i] = request{Query: createOfficeQ, Token: admin, Variables: apitest.Input(apitest.Edit(apitest.Edit(officeInput(), "key", "race-office"), "name", fmt.Sprintf("Race Office %d", i)))}
		}
		oneWins(t, race(t, s, reqs), "input.key")
		if trail := auditTrail(t, s, admin, directory.GlobalID(directory.KindOffice, "race-office")); len(trail) != 1 {
			t.Errorf("audit trail has %d entries, want 1 create", len(trail))
		}
	})

	t.Run("grants to one city from one version", func(t *testing.T) {
		reqs := make([]request, n)
		for i := range reqs {
			reqs[i] = request{Query: grantMembershipQ, Token: admin, Variables: apitest.Input(map[string]any{"city": "seoul", "cityVersion": 1,
				"category": "FULL", "since": "2020-01-01", "note": fmt.Sprintf("grant %d", i)})}
		}
		oneWins(t, race(t, s, reqs), "")
		var got struct {
			City struct{ Memberships []struct{ ID string } }
		}
		mustGQL(t, s, "", `{ city(key: "seoul") { memberships { id } } }`, nil, &got)
		if len(got.City.Memberships) != 1 {
			t.Errorf("Seoul has %d memberships, want 1", len(got.City.Memberships))
		}
	})

	t.Run("approvals of one application", func(t *testing.T) {
		var a struct{ ApplyForMembership struct{ Reference string } }
		mustGQL(t, s, "", applyQ, apitest.Input(applicationInput()), &a)
		ref := a.ApplyForMembership.Reference
		reqs := make([]request, n)
		for i := range reqs {
			reqs[i] = request{Query: reviewQ, Token: admin, Variables: review(ref, 1, "APPROVE")}
		}
		oneWins(t, race(t, s, reqs), "")
		var got struct {
			City struct {
				Version     int
				Memberships []struct{ Status string }
			}
		}
		mustGQL(t, s, "", `{ city(key: "hoi-an") { version memberships { status } } }`, nil, &got)
		if len(got.City.Memberships) != 1 || got.City.Memberships[0].Status != "ACTIVE" {
			t.Errorf("Hoi An has memberships %+v, want one active", got.City.Memberships)
		}
		stored, err := s.Application(ctx, ref)
		if err != nil {
			t.Fatal(err)
		}
		if stored.Status != directory.ApplicationApproved || stored.Version != 2 || stored.City != "hoi-an" || stored.Membership != "m1" {
			t.Errorf("stored application: %s v%d city %q membership %q", stored.Status, stored.Version, stored.City, stored.Membership)
		}
	})
}

// everyWrite is one valid call of every mutation that needs a token, against the fixtures.
func everyWrite(f fixtures) []writeCase {
	today := date(time.Now().UTC())
	return []writeCase{
		{name: "createOffice", query: createOfficeQ, vars: apitest.Input(officeInput())},
		{name: "updateOffice", query: updateOfficeQ, vars: apitest.Keyed(fixOffice, 1, officeInput())},
		{name: "deleteOffice", query: deleteOfficeQ, vars: apitest.Keyed(fixOffice, 1, nil)},
		{name: "createCity", query: createCityQ, vars: apitest.Input(cityInput())},
		{name: "updateCity", query: updateCityQ, vars: apitest.Keyed(fixCity, 1, cityInput())},
		{name: "deleteCity", query: deleteCityQ, vars: apitest.Keyed(fixCity, 1, nil)},
		{name: "createProgram", query: createProgramQ, vars: apitest.Input(programInput())},
		{name: "updateProgram", query: updateProgramQ, vars: apitest.Keyed(fixProgram, 1, programInput())},
		{name: "deleteProgram", query: deleteProgramQ, vars: apitest.Keyed(fixProgram, 1, nil)},
		{name: "createOrganization", query: createOrganizationQ, vars: apitest.Input(organizationInput())},
		{name: "updateOrganization", query: updateOrganizationQ, vars: apitest.Keyed(fixOrganization, 1, organizationInput())},
		{name: "deleteOrganization", query: deleteOrganizationQ, vars: apitest.Keyed(fixOrganization, 1, nil)},
		{name: "createPerson", query: createPersonQ, vars: apitest.Input(personInput())},
		{name: "updatePerson", query: updatePersonQ, vars: apitest.Keyed(fixPerson, 1, personInput())},
		{name: "deletePerson", query: deletePersonQ, vars: apitest.Keyed(fixPerson, 1, nil)},
		{name: "grantMembership", query: grantMembershipQ, vars: apitest.Input(map[string]any{"city": fixCity, "cityVersion": 1, "category": "FULL", "since": "2020-01-01"})},
		{name: "changeMembership", query: changeMembershipQ, vars: apitest.Input(map[string]any{"city": fixMember, "cityVersion": 2, "membership": "m1", "status": "SUSPENDED"})},
		{name: "endMembership", query: endMembershipQ, vars: apitest.Input(map[string]any{"city": fixMember, "cityVersion": 2, "membership": "m1", "until": today})},
		{name: "reviewMembershipApplication", query: reviewQ, vars: review(f.submitted, 1, "REJECT", "note", "No.")},
	}
}

// jwtWithHeader signs claims as a JWT whose header is the JSON header, with HMAC-SHA256 unless sign is false.
func jwtWithHeader(t *testing.T, header string, claims map[string]any, secret string, sign bool) string {
	t.Helper()
	c, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawURLEncoding.EncodeToString
	unsigned := enc([]byte(header)) + "." + enc(c)
	if !sign {
		return unsigned + "."
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(unsigned))
	return unsigned + "." + enc(mac.Sum(nil))
}

// changeLast returns s with its last character changed.
func changeLast(s string) string {
	if strings.HasSuffix(s, "A") {
		return s[:len(s)-1] + "B"
	}
	return s[:len(s)-1] + "A"
}

func TestAuthRolesAndScopes(t *testing.T) {
	t.Parallel()
	s := writable(t)
	admin := s.mintKey(t, "scope-admin", directory.RoleAdmin)
	europe := s.mintKey(t, "europe-editor", directory.RoleEditor, "europe")
	f := writeFixtures(t, s, admin)
	today := date(time.Now().UTC())
	// Seoul gets a membership for the editor to fail to change; a German applicant gives the editor an
	// application of its own region.
	mustGQL(t, s, admin, grantMembershipQ, apitest.Input(map[string]any{"city": "seoul", "cityVersion": 1, "category": "FULL", "since": "2015-01-01"}), nil)
	var a struct{ ApplyForMembership struct{ Reference string } }
	mustGQL(t, s, "", applyQ, apitest.Input(apitest.Edit(apitest.Edit(apitest.Edit(applicationInput(), "name", "Tübingen"), "country", "DE"), "phone", "07071 2040")), &a)
	germanApplication := a.ApplyForMembership.Reference

	t.Run("viewer", func(t *testing.T) {
		jwt := mintJWT(t, "carol@iclei.org", directory.RoleEditor, "east-asia", "southeast-asia")
		type viewer struct {
			Subject, Role string
			Regions       []struct{ Code string }
		}
		for _, c := range []struct {
			name, token, subject, role string
			regions                    []string
		}{
			{"of an admin key", admin, "apikey:scope-admin", "ADMIN", nil},
			{"of an editor key", europe, "apikey:europe-editor", "EDITOR", []string{"europe"}},
			{"of an editor JWT", jwt, "jwt:carol@iclei.org", "EDITOR", []string{"east-asia", "southeast-asia"}},
		} {
			t.Run(c.name, func(t *testing.T) {
				var got struct{ Viewer *viewer }
				mustGQL(t, s, c.token, `{ viewer { subject role regions { code } } }`, nil, &got)
				if got.Viewer == nil {
					t.Fatal("viewer is null")
				}
				var regions []string
				for _, r := range got.Viewer.Regions {
					regions = append(regions, r.Code)
				}
				if got.Viewer.Subject != c.subject || got.Viewer.Role != c.role || !slices.Equal(regions, c.regions) {
					t.Errorf("viewer = %+v, want %s %s %v", got.Viewer, c.subject, c.role, c.regions)
				}
			})
		}
		t.Run("without a token is null", func(t *testing.T) {
			var got struct{ Viewer *viewer }
			mustGQL(t, s, "", `{ viewer { subject } }`, nil, &got)
			if got.Viewer != nil {
				t.Errorf("viewer = %+v, want null", got.Viewer)
			}
		})
		t.Run("takes the scheme in any case", func(t *testing.T) {
			r, err := s.post([]byte(`{"query":"{ viewer { subject } }"}`), map[string]string{"Authorization": "bearer " + admin})
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Errors) > 0 || !strings.Contains(string(r.Data), "apikey:scope-admin") {
				t.Errorf("got %s %+v", r.Data, r.Errors)
			}
		})
	})

	t.Run("every write needs a token", func(t *testing.T) {
		for _, c := range everyWrite(f) {
			t.Run(c.name, func(t *testing.T) {
				c.code = "UNAUTHENTICATED"
				checkRefused(t, s, c)
			})
		}
		for _, q := range []string{
			`{ membershipApplications { totalCount } }`,
			`{ membershipApplication(reference: "` + f.submitted + `") { email } }`,
			`{ auditTrail(id: "` + directory.GlobalID(directory.KindOffice, fixOffice) + `") { action } }`,
		} {
			wantError(t, gql(t, s, request{Query: q}), "UNAUTHENTICATED", "")
		}
	})

	t.Run("bad credentials", func(t *testing.T) {
		secret := testJWTSecret
		claims := func(sub string) map[string]any {
			return map[string]any{"sub": sub, "role": "admin", "exp": time.Now().Add(time.Hour).Unix()}
		}
		mint := func(cfg auth.Config, subject string, role directory.Role, regions []string, ttl time.Duration) string {
			token, err := auth.MintJWT(cfg, subject, role, regions, ttl)
			if err != nil {
				t.Fatal(err)
			}
			return token
		}
		ours := auth.Config{Secret: []byte(secret)}
		// A revoked key is refused from the revision that revokes it.
		revoked := s.mintKey(t, "revoked-editor", directory.RoleAdmin)
		if ok, err := s.w.RevokeAPIKey(context.Background(), "test", "revoked-editor"); !ok || err != nil {
			t.Fatalf("revoke: %v, %v", ok, err)
		}
		for _, c := range []struct{ name, header string }{
			{"a basic authorization", "Basic YWRtaW46YWRtaW4="},
			{"a bearer scheme without a token", "Bearer "},
			{"a bearer scheme alone", "Bearer"},
			{"a token that is neither key nor JWT", "Bearer opensesame"},
			{"an unknown API key", "Bearer icd_" + strings.Repeat("A", 43)},
			{"an API key with a character changed", "Bearer " + changeLast(admin)},
			{"a revoked API key", "Bearer " + revoked},
			{"an expired JWT", "Bearer " + mint(ours, "carol", directory.RoleAdmin, nil, -time.Hour)},
			{"a JWT signed with another secret", "Bearer " + mint(auth.Config{Secret: []byte("another-secret-of-at-least-32-bytes")}, "carol", directory.RoleAdmin, nil, time.Hour)},
			{"a JWT without a subject", "Bearer " + mint(ours, "", directory.RoleAdmin, nil, time.Hour)},
			{"a JWT of an editor of an unknown region", "Bearer " + mint(ours, "carol", directory.RoleEditor, []string{"atlantis"}, time.Hour)},
			{"a JWT of an unknown role", "Bearer " + mint(ours, "carol", "superuser", nil, time.Hour)},
			{"a JWT without expiry", "Bearer " + jwtWithHeader(t, `{"alg":"HS256","typ":"JWT"}`, map[string]any{"sub": "carol", "role": "admin"}, secret, true)},
			{"an unsigned JWT", "Bearer " + jwtWithHeader(t, `{"alg":"none","typ":"JWT"}`, claims("carol"), secret, false)},
			{"a JWT that claims another algorithm", "Bearer " + jwtWithHeader(t, `{"alg":"HS384","typ":"JWT"}`, claims("carol"), secret, true)},
		} {
			t.Run(c.name, func(t *testing.T) {
				before := readState(t, s)
				for _, q := range []struct {
					query string
					vars  map[string]any
				}{
					{`{ viewer { subject } }`, nil},
					{createOfficeQ, apitest.Input(officeInput())},
					// Even the public mutation refuses a request whose credentials are bad.
					{applyQ, apitest.Input(applicationInput())},
				} {
					body, _ := json.Marshal(request{Query: q.query, Variables: q.vars})
					r, err := s.post(body, map[string]string{"Authorization": c.header})
					if err != nil {
						t.Fatal(err)
					}
					checkNoLeak(t, r.Errors)
					wantError(t, r, "UNAUTHENTICATED", "")
				}
				checkUnchanged(t, s, before)
			})
		}
	})

	t.Run("an editor outside its regions", func(t *testing.T) {
		eastAsiaOffice := map[string]any{"name": "Busan Office", "kind": "CITY_OFFICE", "region": "east-asia",
			"address": map[string]any{"locality": "Busan", "country": "KR"}}
		koreaOffice := map[string]any{"name": "Korea Office", "kind": "COUNTRY_OFFICE", "region": "east-asia",
			"address": map[string]any{"locality": "Seoul", "country": "KR"}}
		program2016 := "2016-low-carbon-capacity-program-chinese-local-governments"
		shuZhu := map[string]any{"name": "Shu Zhu"}
		cases := []writeCase{
			{name: "createOffice in east-asia", query: createOfficeQ, vars: apitest.Input(eastAsiaOffice)},
			{name: "updateOffice of east-asia", query: updateOfficeQ, vars: apitest.Keyed("korea-office", 1, koreaOffice)},
			{name: "updateOffice moving a record out of europe", query: updateOfficeQ, vars: apitest.Keyed(fixOffice, 1, apitest.Edit(officeInput(), "region", "east-asia"))},
			{name: "deleteOffice of east-asia", query: deleteOfficeQ, vars: apitest.Keyed("korea-office", 1, nil)},
			{name: "createCity in Korea", query: createCityQ, vars: apitest.Input(map[string]any{"name": "Busan", "country": "KR"})},
			{name: "updateCity of Seoul", query: updateCityQ, vars: apitest.Keyed("seoul", 2, map[string]any{"name": "Seoul", "country": "KR"})},
			{name: "updateCity moving a city out of europe", query: updateCityQ, vars: apitest.Keyed(fixCity, 1, apitest.Edit(cityInput(), "country", "KR"))},
			{name: "deleteCity of east-asia", query: deleteCityQ, vars: apitest.Keyed("suining", 1, nil)},
			{name: "createProgram hosted in Seoul", query: createProgramQ, vars: apitest.Input(map[string]any{"title": "Seoul Forum", "kind": "CONFERENCE", "hostCity": "seoul"})},
			{name: "updateProgram of east-asia", query: updateProgramQ, vars: apitest.Keyed(program2016, 1, map[string]any{"title": "Renamed", "kind": "CAPACITY_BUILDING", "hostCity": "seoul"})},
			{name: "updateProgram moving a program out of europe", query: updateProgramQ, vars: apitest.Keyed(fixProgram, 1, apitest.Edit(programInput(), "region", "east-asia"))},
			{name: "deleteProgram of east-asia", query: deleteProgramQ, vars: apitest.Keyed(program2016, 1, nil)},
			{name: "createOrganization in Korea", query: createOrganizationQ, vars: apitest.Input(map[string]any{"name": "Busan Institute", "country": "KR"})},
			{name: "createOrganization based in Seoul, without a country", query: createOrganizationQ, vars: apitest.Input(map[string]any{"name": "Seoul Lab", "city": "seoul"})},
			{name: "updateOrganization of Korea", query: updateOrganizationQ, vars: apitest.Keyed("shrdc", 1, map[string]any{"name": "SHRDC", "country": "KR"})},
			{name: "updateOrganization moving one out of europe", query: updateOrganizationQ, vars: apitest.Keyed(fixOrganization, 1, apitest.Edit(organizationInput(), "country", "KR"))},
			{name: "deleteOrganization of Korea", query: deleteOrganizationQ, vars: apitest.Keyed("shrdc", 1, nil)},
			{name: "createPerson affiliated in east-asia", query: createPersonQ, vars: apitest.Input(apitest.Edit(personInput(), "affiliations", []any{map[string]any{"title": "Officer", "institution": map[string]any{"kind": "SECRETARIAT", "key": "east-asia-secretariat"}}}))},
			{name: "updatePerson affiliated in east-asia", query: updatePersonQ, vars: apitest.Keyed("shu-zhu", 1, shuZhu)},
			{name: "updatePerson adding an east-asia affiliation", query: updatePersonQ, vars: apitest.Keyed(fixPerson, 1, apitest.Edit(personInput(), "affiliations", []any{map[string]any{"title": "Fellow", "institution": map[string]any{"kind": "ORGANIZATION", "key": "shrdc"}}}))},
			{name: "deletePerson affiliated in east-asia", query: deletePersonQ, vars: apitest.Keyed("shu-zhu", 1, nil)},
			{name: "grantMembership to an east-asia city", query: grantMembershipQ, vars: apitest.Input(map[string]any{"city": "beijing", "cityVersion": 1, "category": "FULL", "since": "2020-01-01"})},
			{name: "changeMembership of Seoul", query: changeMembershipQ, vars: apitest.Input(map[string]any{"city": "seoul", "cityVersion": 2, "membership": "m1", "status": "SUSPENDED"})},
			{name: "endMembership of Seoul", query: endMembershipQ, vars: apitest.Input(map[string]any{"city": "seoul", "cityVersion": 2, "membership": "m1", "until": today})},
			{name: "grantMembership to a southeast-asia city", query: grantMembershipQ, vars: apitest.Input(map[string]any{"city": fixMember, "cityVersion": 2, "category": "FULL", "since": "2020-01-01"})},
			{name: "reviewMembershipApplication routed to southeast-asia", query: reviewQ, vars: review(f.submitted, 1, "APPROVE")},
			{name: "membershipApplications of southeast-asia", query: `{ membershipApplications(filter: {region: "southeast-asia"}) { totalCount } }`},
			{name: "membershipApplication routed to southeast-asia", query: `query($r: String!) { membershipApplication(reference: $r) { email } }`, vars: map[string]any{"r": f.submitted}},
			{name: "auditTrail, even of a europe record", query: auditTrailQ, vars: map[string]any{"id": directory.GlobalID(directory.KindOffice, fixOffice)}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				c.token, c.code = europe, "FORBIDDEN"
				checkRefused(t, s, c)
			})
		}
		t.Run("a refused write is 403 to a client that accepts application/graphql-response+json", func(t *testing.T) {
			body, err := json.Marshal(map[string]any{"query": deleteProgramQ, "variables": apitest.Keyed(program2016, 1, nil)})
			if err != nil {
				t.Fatal(err)
			}
			for accept, status := range map[string]int{graphQLResponse: http.StatusForbidden, jsonMedia: http.StatusOK} {
				r := s.send(t, "POST", "/graphql", map[string]string{"Content-Type": postJSON, "Accept": accept, "Authorization": "Bearer " + europe}, string(body))
				keys, resp := r.graphQL(t)
				if r.Status != status || len(resp.Errors) != 1 || resp.Errors[0].Code() != "FORBIDDEN" || string(keys["data"]) != "null" {
					t.Errorf("Accept %s: status %d, want %d with data null and one FORBIDDEN error: %s", accept, r.Status, status, r.Body)
				}
			}
		})
		t.Run("membershipApplications lists only its regions", func(t *testing.T) {
			var got struct {
				MembershipApplications struct {
					TotalCount int
					Nodes      []struct{ Reference string }
				}
			}
			mustGQL(t, s, europe, `{ membershipApplications { totalCount nodes { reference } } }`, nil, &got)
			if a := got.MembershipApplications; a.TotalCount != 1 || len(a.Nodes) != 1 || a.Nodes[0].Reference != germanApplication {
				t.Errorf("europe's applications = %+v, want only %s", a, germanApplication)
			}
		})
	})

	t.Run("an editor within its region", func(t *testing.T) {
		steps := []struct {
			name  string
			query string
			vars  map[string]any
		}{
			{"createOffice", createOfficeQ, apitest.Input(apitest.Edit(officeInput(), "name", "Europe Editor Office"))},
			{"updateOffice", updateOfficeQ, apitest.Keyed("europe-editor-office", 1, apitest.Edit(officeInput(), "name", "Europe Editor Office Brussels"))},
			{"updateOffice of a fixture", updateOfficeQ, apitest.Keyed(fixOffice, 1, apitest.Edit(officeInput(), "phone", "+32 2 230 00 00"))},
			{"createCity", createCityQ, apitest.Input(map[string]any{"name": "Freiburg", "country": "DE"})},
			{"updateCity", updateCityQ, apitest.Keyed("freiburg", 1, map[string]any{"name": "Freiburg", "country": "DE", "population": 236000})},
			{"grantMembership", grantMembershipQ, apitest.Input(map[string]any{"city": "freiburg", "cityVersion": 2, "category": "FULL", "since": "1990-06-01"})},
			{"changeMembership", changeMembershipQ, apitest.Input(map[string]any{"city": "freiburg", "cityVersion": 3, "membership": "m1", "status": "SUSPENDED"})},
			{"endMembership", endMembershipQ, apitest.Input(map[string]any{"city": "freiburg", "cityVersion": 4, "membership": "m1", "until": today})},
			{"createProgram", createProgramQ, apitest.Input(map[string]any{"title": "Freiburg Green City Tour", "kind": "PROJECT", "hostCity": "freiburg"})},
			{"updateProgram", updateProgramQ, apitest.Keyed("freiburg-green-city-tour", 1, map[string]any{"title": "Freiburg Green City Tour", "kind": "CAMPAIGN", "hostCity": "freiburg"})},
			{"createOrganization", createOrganizationQ, apitest.Input(map[string]any{"name": "Öko-Institut", "country": "DE", "city": "freiburg"})},
			{"updateOrganization", updateOrganizationQ, apitest.Keyed("oko-institut", 1, map[string]any{"name": "Öko-Institut e.V.", "country": "DE", "city": "freiburg"})},
			{"createPerson", createPersonQ, apitest.Input(map[string]any{"name": "Anna Weber", "affiliations": []any{map[string]any{"title": "Officer", "institution": map[string]any{"kind": "SECRETARIAT", "key": "european-secretariat"}}}})},
			{"updatePerson", updatePersonQ, apitest.Keyed("anna-weber", 1, map[string]any{"name": "Anna Weber", "affiliations": []any{map[string]any{"title": "Director", "institution": map[string]any{"kind": "ORGANIZATION", "key": "oko-institut"}}}})},
			{"reviewMembershipApplication", reviewQ, review(germanApplication, 1, "APPROVE", "note", "Willkommen")},
			{"membershipApplication", `query($r: String!) { membershipApplication(reference: $r) { email } }`, map[string]any{"r": germanApplication}},
			{"deletePerson", deletePersonQ, apitest.Keyed("anna-weber", 2, nil)},
			{"deleteOrganization", deleteOrganizationQ, apitest.Keyed("oko-institut", 2, nil)},
			{"deleteProgram", deleteProgramQ, apitest.Keyed("freiburg-green-city-tour", 2, nil)},
			{"deleteCity", deleteCityQ, apitest.Keyed("freiburg", 5, nil)},
			{"deleteOffice", deleteOfficeQ, apitest.Keyed("europe-editor-office", 2, nil)},
		}
		for _, step := range steps {
			mustGQL(t, s, europe, step.query, step.vars, nil)
		}
		trail := auditTrail(t, s, admin, directory.GlobalID(directory.KindOffice, "europe-editor-office"))
		for _, e := range trail {
			if e.Actor != "apikey:europe-editor" {
				t.Errorf("audit entry %s by %q, want apikey:europe-editor", e.Action, e.Actor)
			}
		}
		if len(trail) != 3 {
			t.Errorf("audit trail has %d entries, want 3", len(trail))
		}
	})

	t.Run("a JWT editor within its regions", func(t *testing.T) {
		jwt := mintJWT(t, "dai@iclei.org", directory.RoleEditor, "east-asia")
		mustGQL(t, s, jwt, updateOfficeQ, apitest.Keyed("japan-office", 1, map[string]any{"name": "Japan Office", "kind": "COUNTRY_OFFICE",
			"region": "east-asia", "secretariat": "east-asia-secretariat", "address": map[string]any{"locality": "Tokyo", "country": "JP"}}), nil)
		trail := auditTrail(t, s, admin, directory.GlobalID(directory.KindOffice, "japan-office"))
		if len(trail) == 0 || trail[0].Actor != "jwt:dai@iclei.org" || trail[0].Action != "UPDATE" {
			t.Errorf("latest audit entry = %+v, want an UPDATE by jwt:dai@iclei.org", trail)
		}
	})

	t.Run("an admin everywhere", func(t *testing.T) {
		mustGQL(t, s, admin, updateOfficeQ, apitest.Keyed("korea-office", 1, map[string]any{"name": "Korea Office", "kind": "COUNTRY_OFFICE",
			"region": "east-asia", "secretariat": "east-asia-secretariat", "address": map[string]any{"locality": "Seoul", "country": "KR"}}), nil)
		mustGQL(t, s, admin, changeMembershipQ, apitest.Input(map[string]any{"city": "seoul", "cityVersion": 2, "membership": "m1", "note": "Founding member"}), nil)
		mustGQL(t, s, admin, `{ membershipApplications(filter: {region: "southeast-asia"}) { totalCount } }`, nil, nil)
		mustGQL(t, s, admin, reviewQ, review(f.submitted, 1, "REJECT", "note", "Incomplete."), nil)
	})
}

// receipt is an ApplicationReceipt.
type receipt struct {
	Reference, Status, SubmittedAt string
	Region                         *struct{ Code string }
	Secretariat                    *struct{ Key, Name string }
	DecidedAt, Note                *string
	City                           *struct{ Key string }
}

const receiptQ = `query($r: String!) { membershipApplicationStatus(reference: $r) { reference status submittedAt region { code } secretariat { key name } decidedAt note city { key } } }`

// reviewed is a MembershipApplication as reviewQ selects it.
type reviewed struct {
	Reference, Status string
	DecidedAt         *string
	DecidedBy         *string
	DecisionNote      *string
	Version           int
	City              *struct {
		Key, Name string
		Country   struct{ Code string }
		Region    struct{ Code string }
	}
	Membership *struct {
		ID, Category, Status, Since string
		Secretariat                 struct{ Key string }
	}
}

var referencePattern = regexp.MustCompile(`^ICLEI-[A-Z2-7]{5}-[A-Z2-7]{5}-[A-Z2-7]{5}$`)

func TestApplicationFromSubmissionToMembership(t *testing.T) {
	t.Parallel()
	s := writable(t)
	admin := s.mintKey(t, "flow-admin", directory.RoleAdmin)
	sea := s.mintKey(t, "sea-editor", directory.RoleEditor, "southeast-asia")
	europe := s.mintKey(t, "flow-europe-editor", directory.RoleEditor, "europe")
	ctx := context.Background()

	// An applicant from Viet Nam applies without a token; Southeast Asia serves Viet Nam.
	var sub struct{ ApplyForMembership receipt }
	mustGQL(t, s, "", applyQ, apitest.Input(applicationInput()), &sub)
	rc := sub.ApplyForMembership
	ref := rc.Reference
	if !referencePattern.MatchString(ref) {
		t.Errorf("reference %q does not look like ICLEI-XXXXX-XXXXX-XXXXX", ref)
	}
	if rc.Status != "SUBMITTED" || rc.Region == nil || rc.Region.Code != "southeast-asia" || rc.Secretariat == nil ||
		*rc.Secretariat != (struct{ Key, Name string }{"southeast-asia-secretariat", "Southeast Asia Secretariat"}) ||
		rc.DecidedAt != nil || rc.Note != nil || rc.City != nil {
		t.Errorf("receipt = %+v", rc)
	}
	if _, err := time.Parse(time.RFC3339, rc.SubmittedAt); err != nil {
		t.Errorf("submittedAt %q: %v", rc.SubmittedAt, err)
	}
	stored, err := s.Application(ctx, ref)
	if err != nil || stored == nil {
		t.Fatalf("stored application: %v, %v", stored, err)
	}
	if stored.Email != "lan.nguyen@example.vn" || stored.Phone == nil || stored.Phone.E164 != "+842353861234" ||
		stored.ContactName != "Lan Nguyen" || stored.Region != "southeast-asia" || stored.Secretariat != "southeast-asia-secretariat" || stored.Version != 1 {
		t.Errorf("stored application = %+v", stored)
	}
	trail := auditTrail(t, s, admin, directory.GlobalID(directory.KindApplication, ref))
	if len(trail) != 1 || trail[0].Action != "CREATE" || trail[0].Actor != "applicant:lan.nguyen@example.vn" {
		t.Errorf("application audit trail = %+v", trail)
	}

	t.Run("its status is public by reference, without contact data", func(t *testing.T) {
		for _, r := range []string{ref, strings.ToLower(ref), " " + ref + " "} {
			var got struct{ MembershipApplicationStatus *receipt }
			mustGQL(t, s, "", receiptQ, map[string]any{"r": r}, &got)
			if got.MembershipApplicationStatus == nil || !reflect.DeepEqual(*got.MembershipApplicationStatus, rc) {
				t.Errorf("status of %q = %+v, want %+v", r, got.MembershipApplicationStatus, rc)
			}
		}
		var unknown struct{ MembershipApplicationStatus *receipt }
		mustGQL(t, s, "", receiptQ, map[string]any{"r": "ICLEI-AAAAA-BBBBB-CCCCC"}, &unknown)
		if unknown.MembershipApplicationStatus != nil {
			t.Errorf("status of an unknown reference = %+v, want null", unknown.MembershipApplicationStatus)
		}
		var typ struct {
			Type struct{ Fields []struct{ Name string } }
		}
		mustGQL(t, s, "", `{ type: __type(name: "ApplicationReceipt") { fields { name } } }`, nil, &typ)
		for _, f := range typ.Type.Fields {
			if slices.Contains([]string{"email", "phone", "contactName", "motivation", "population", "decidedBy"}, f.Name) {
				t.Errorf("ApplicationReceipt has the field %s", f.Name)
			}
		}
		if len(typ.Type.Fields) == 0 {
			t.Error("ApplicationReceipt has no fields")
		}
		wantError(t, gql(t, s, request{Query: `query($r: String!) { membershipApplicationStatus(reference: $r) { email } }`,
			Variables: map[string]any{"r": ref}}), "GRAPHQL_VALIDATION_FAILED", "")
	})

	t.Run("staff of its region see it, others do not", func(t *testing.T) {
		type listed struct {
			MembershipApplications struct {
				TotalCount int
				Nodes      []struct {
					Reference, Status, Name, Email, ContactName, Motivation string
					Country                                                 struct{ Code string }
					Phone                                                   struct{ E164 string }
					Version                                                 int
				}
			}
		}
		const q = `query($f: ApplicationFilter) { membershipApplications(filter: $f) { totalCount
			nodes { reference status name country { code } email phone { e164 } contactName motivation version } } }`
		var got listed
		mustGQL(t, s, sea, q, nil, &got)
		if a := got.MembershipApplications; a.TotalCount != 1 || len(a.Nodes) != 1 || a.Nodes[0].Reference != ref ||
			a.Nodes[0].Email != "lan.nguyen@example.vn" || a.Nodes[0].Phone.E164 != "+842353861234" || a.Nodes[0].Country.Code != "VN" ||
			a.Nodes[0].Version != 1 || a.Nodes[0].Status != "SUBMITTED" {
			t.Errorf("southeast-asia editor's applications = %+v", a)
		}
		got = listed{}
		mustGQL(t, s, admin, q, map[string]any{"f": map[string]any{"status": "SUBMITTED", "region": "southeast-asia"}}, &got)
		if a := got.MembershipApplications; a.TotalCount != 1 || a.Nodes[0].Reference != ref {
			t.Errorf("admin's submitted southeast-asia applications = %+v", a)
		}
		got = listed{}
		mustGQL(t, s, europe, q, nil, &got)
		if a := got.MembershipApplications; a.TotalCount != 0 || len(a.Nodes) != 0 {
			t.Errorf("europe editor's applications = %+v, want none", a)
		}
		wantError(t, gql(t, s, request{Query: q, Variables: map[string]any{"f": map[string]any{"region": "southeast-asia"}}, Token: europe}), "FORBIDDEN", "")
	})

	// The secretariat approves; the city joins the public directory at once.
	var rv struct{ ReviewMembershipApplication reviewed }
	day0 := date(time.Now().UTC())
	mustGQL(t, s, sea, reviewQ, review(ref, 1, "APPROVE", "note", "Welcome to ICLEI!"), &rv)
	day1 := date(time.Now().UTC())
	got := rv.ReviewMembershipApplication
	if got.Status != "APPROVED" || got.DecidedBy == nil || *got.DecidedBy != "apikey:sea-editor" || got.DecisionNote == nil ||
		*got.DecisionNote != "Welcome to ICLEI!" || got.Version != 2 || got.DecidedAt == nil {
		t.Errorf("review = %+v", got)
	}
	if got.City == nil || got.City.Key != "hoi-an" || got.City.Name != "Hoi An" || got.City.Country.Code != "VN" || got.City.Region.Code != "southeast-asia" {
		t.Errorf("approved city = %+v", got.City)
	}
	if m := got.Membership; m == nil || m.Category != "FULL" || m.Status != "ACTIVE" || (m.Since != day0 && m.Since != day1) ||
		m.Secretariat.Key != "southeast-asia-secretariat" {
		t.Errorf("approved membership = %+v, want FULL, ACTIVE since %s", m, day0)
	}

	t.Run("the approved city is in the public directory", func(t *testing.T) {
		var c struct {
			City struct {
				Name       string
				Population int
				Country    struct{ Code string }
				Region     struct{ Code string }
				Membership struct {
					Category, Status, Since string
					Secretariat             struct{ Key string }
				}
			}
			Cities      struct{ Nodes []struct{ Key string } }
			Secretariat struct {
				Members struct{ Nodes []struct{ Key string } }
			}
			Directory struct{ Counts struct{ Memberships int } }
		}
		mustGQL(t, s, "", `{
			city(key: "hoi-an") { name population country { code } region { code } membership { category status since secretariat { key } } }
			cities(filter: {membershipStatus: ACTIVE}) { nodes { key } }
			secretariat(key: "southeast-asia-secretariat") { members { nodes { key } } }
			directory { counts { memberships } }
		}`, nil, &c)
		m := c.City.Membership
		if c.City.Name != "Hoi An" || c.City.Population != 152160 || c.City.Country.Code != "VN" || c.City.Region.Code != "southeast-asia" ||
			m.Category != "FULL" || m.Status != "ACTIVE" || (m.Since != day0 && m.Since != day1) || m.Secretariat.Key != "southeast-asia-secretariat" {
			t.Errorf("city = %+v", c.City)
		}
		if len(c.Cities.Nodes) != 1 || c.Cities.Nodes[0].Key != "hoi-an" {
			t.Errorf("active members = %+v, want hoi-an", c.Cities.Nodes)
		}
		if len(c.Secretariat.Members.Nodes) != 1 || c.Secretariat.Members.Nodes[0].Key != "hoi-an" {
			t.Errorf("members of the Southeast Asia Secretariat = %+v, want hoi-an", c.Secretariat.Members.Nodes)
		}
		if c.Directory.Counts.Memberships != 1 {
			t.Errorf("memberships = %d, want 1", c.Directory.Counts.Memberships)
		}
	})

	t.Run("the applicant sees the decision by reference", func(t *testing.T) {
		var r struct{ MembershipApplicationStatus receipt }
		mustGQL(t, s, "", receiptQ, map[string]any{"r": ref}, &r)
		if g := r.MembershipApplicationStatus; g.Status != "APPROVED" || g.Note == nil || *g.Note != "Welcome to ICLEI!" ||
			g.City == nil || g.City.Key != "hoi-an" || g.DecidedAt == nil {
			t.Errorf("status = %+v", g)
		}
	})

	t.Run("an application may join an existing city", func(t *testing.T) {
		mustGQL(t, s, admin, createCityQ, apitest.Input(map[string]any{"name": "Da Nang", "country": "VN"}), nil)
		var a struct{ ApplyForMembership receipt }
		mustGQL(t, s, "", applyQ, apitest.Input(apitest.Edit(apitest.Edit(applicationInput(), "name", "City of Da Nang"), "category", "ASSOCIATE")), &a)
		var r struct{ ReviewMembershipApplication reviewed }
		mustGQL(t, s, sea, reviewQ, review(a.ApplyForMembership.Reference, 1, "APPROVE", "cityKey", "da-nang"), &r)
		if g := r.ReviewMembershipApplication; g.City == nil || g.City.Key != "da-nang" || g.Membership == nil || g.Membership.Category != "ASSOCIATE" {
			t.Errorf("review = %+v", g)
		}
		var c struct {
			City struct {
				Version     int
				Memberships []struct{ Category, Status string }
			}
			Another *struct{ Key string }
		}
		mustGQL(t, s, "", `{ city(key: "da-nang") { version memberships { category status } } another: city(key: "city-of-da-nang") { key } }`, nil, &c)
		if c.City.Version != 2 || len(c.City.Memberships) != 1 || c.City.Memberships[0].Category != "ASSOCIATE" || c.City.Memberships[0].Status != "ACTIVE" {
			t.Errorf("Da Nang = %+v", c.City)
		}
		if c.Another != nil {
			t.Errorf("the approval created a city %+v beside Da Nang", c.Another)
		}
	})

	t.Run("a rejection changes no record but the application", func(t *testing.T) {
		var a struct{ ApplyForMembership receipt }
		mustGQL(t, s, "", applyQ, apitest.Input(apitest.Edit(applicationInput(), "name", "Nowhere Town")), &a)
		ref := a.ApplyForMembership.Reference
		before := readStoredState(t, s)
		var r struct{ ReviewMembershipApplication reviewed }
		mustGQL(t, s, sea, reviewQ, review(ref, 1, "REJECT", "note", "Please apply through your national association."), &r)
		if g := r.ReviewMembershipApplication; g.Status != "REJECTED" || g.City != nil || g.Membership != nil || g.Version != 2 {
			t.Errorf("review = %+v", g)
		}
		after := readStoredState(t, s)
		if after.Revision != before.Revision+1 {
			t.Errorf("the rejection moved the revision from %d to %d, want one entry", before.Revision, after.Revision)
		}
		before.Data.Applications, after.Data.Applications = nil, nil
		before.Data.History, after.Data.History = nil, nil
		before.Data.Revision, after.Data.Revision = 0, 0
		before.Data.PublicRevision, after.Data.PublicRevision = 0, 0
		revision := regexp.MustCompile(`"revision":"\d+"`)
		before.API, after.API = revision.ReplaceAllString(before.API, ""), revision.ReplaceAllString(after.API, "")
		if !reflect.DeepEqual(after.Data, before.Data) || after.API != before.API {
			t.Errorf("a rejection changed the directory:\n%s", apitest.DiffJSON(before.Data, after.Data))
		}
		var status struct{ MembershipApplicationStatus receipt }
		mustGQL(t, s, "", receiptQ, map[string]any{"r": ref}, &status)
		if g := status.MembershipApplicationStatus; g.Status != "REJECTED" || g.Note == nil ||
			*g.Note != "Please apply through your national association." || g.City != nil {
			t.Errorf("status = %+v", g)
		}
		wantError(t, gql(t, s, request{Query: reviewQ, Variables: review(ref, 2, "APPROVE"), Token: sea}), "CONFLICT", "")
	})
}
