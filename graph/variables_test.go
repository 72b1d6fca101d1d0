package graph_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/iclei/directory/directory"
	"github.com/iclei/directory/graph"
)

// TestVariablesCoerceByTheSpecification pins the GraphQL specification's input coercion of variable values:
// what each type accepts, and a refusal that names the variable, where in it the problem is, and the value.
func TestVariablesCoerceByTheSpecification(t *testing.T) {
	t.Parallel()
	h := newHandler(t, graph.Options{})
	const (
		intQuery    = `query($n: Int) { nearestOffices(latitude: 0, longitude: 0, first: $n) { distanceKm } }`
		floatQuery  = `query($lat: Float!) { nearestOffices(latitude: $lat, longitude: 0, first: 1) { distanceKm } }`
		stringQuery = `query($c: String!) { region(code: $c) { name } }`
		filterQuery = `query($f: OfficeFilter, $o: OfficeOrder) { offices(filter: $f, orderBy: $o, first: 1) { totalCount } }`
		idsQuery    = `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`
	)
	for _, c := range []struct {
		name, query, variables string
		// field and value are what a refusal names; an empty field means the operation runs.
		field, value string
	}{
		{"an Int", intQuery, `{"n": 3}`, "", ""},
		{"an Int written with a fraction of zero", intQuery, `{"n": 3.0}`, "", ""},
		{"an Int written with an exponent", intQuery, `{"n": 1e1}`, "", ""},
		{"null for a nullable Int", intQuery, `{"n": null}`, "", ""},
		{"a string is not an Int", intQuery, `{"n": "1"}`, "$n", `"1"`},
		{"a fraction is not an Int", intQuery, `{"n": 1.5}`, "$n", "1.5"},
		{"an Int has 32 bits", intQuery, `{"n": 1e10}`, "$n", "1e10"},
		{"an Int has 32 bits, written out", intQuery, `{"n": 2147483648}`, "$n", "2147483648"},
		{"a boolean is not an Int", intQuery, `{"n": true}`, "$n", "true"},
		{"a Float", floatQuery, `{"lat": 12.5}`, "", ""},
		{"an integer is a Float", floatQuery, `{"lat": 12}`, "", ""},
		{"NaN is not a Float", floatQuery, `{"lat": "NaN"}`, "$lat", `"NaN"`},
		{"Infinity is not a Float", floatQuery, `{"lat": "Infinity"}`, "$lat", `"Infinity"`},
		{"a number past a float64 is not a Float", floatQuery, `{"lat": 1e400}`, "$lat", "1e400"},
		{"a numeric string is not a Float", floatQuery, `{"lat": "12.5"}`, "$lat", `"12.5"`},
		{"a missing non-null variable is named", floatQuery, `{}`, "$lat", "Float!"},
		{"null for a non-null variable", floatQuery, `{"lat": null}`, "$lat", "null"},
		{"a String", stringQuery, `{"c": "europe"}`, "", ""},
		{"a number is not a String", stringQuery, `{"c": 5}`, "$c", "5"},
		{"an input object", filterQuery, `{"f": {"kind": "COUNTRY_OFFICE", "region": "europe"}}`, "", ""},
		{"an input object with __typename, as clients send back what they received", filterQuery, `{"f": {"__typename": "OfficeFilter", "kind": "COUNTRY_OFFICE"}}`, "", ""},
		{"an enum value is its exact name", filterQuery, `{"f": {"kind": "country_office"}}`, "$f.kind", `"country_office"`},
		{"an enum value is a string", filterQuery, `{"f": {"kind": 2}}`, "$f.kind", "2"},
		{"an input object has only its fields", filterQuery, `{"f": {"kind": "COUNTRY_OFFICE", "town": "Bonn"}}`, "$f.town", "town"},
		{"an input object is an object", filterQuery, `{"f": ["europe"]}`, "$f", `["europe"]`},
		{"a required field of an input object", filterQuery, `{"o": {}}`, "$o.field", "OfficeOrderField!"},
		{"a list", idsQuery, `{"ids": ["T2ZmaWNlOmtvcmVh"]}`, "", ""},
		{"a single value is a list of one", idsQuery, `{"ids": "T2ZmaWNlOmtvcmVh"}`, "", ""},
		{"an integer is an ID", idsQuery, `{"ids": [7]}`, "", ""},
		{"a fraction is not an ID", idsQuery, `{"ids": ["a", 1.5]}`, "$ids[1]", "1.5"},
		{"null in a list of non-null", idsQuery, `{"ids": ["a", null]}`, "$ids[1]", "null"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var vars map[string]any
			dec := json.NewDecoder(strings.NewReader(c.variables))
			dec.UseNumber()
			if err := dec.Decode(&vars); err != nil {
				t.Fatal(err)
			}
			// Sent as the client wrote them: json.Marshal would rewrite 1e10 and 3.0.
			body := `{"query": ` + quote(c.query) + `, "variables": ` + c.variables + `}`
			rec, resp := postRaw(t, h, body)
			if c.field == "" {
				// The variables coerced and the operation ran; what the directory makes of the values is its own
				// business (an unknown ID, a page size of null).
				if rec.Code != http.StatusOK || resp.Data == nil {
					t.Fatalf("status %d: %+v", rec.Code, resp.Errors)
				}
				return
			}
			if rec.Code != http.StatusBadRequest || resp.Data != nil || resp.code() != string(directory.CodeInvalidInput) {
				t.Fatalf("status %d, code %q, data %s; want 400 %s without data", rec.Code, resp.code(), resp.Data, directory.CodeInvalidInput)
			}
			e := resp.Errors[0]
			if e.Extensions["field"] != c.field {
				t.Errorf("extensions.field = %v, want %s", e.Extensions["field"], c.field)
			}
			name, _, _ := strings.Cut(strings.TrimPrefix(c.field, "$"), ".")
			name, _, _ = strings.Cut(name, "[")
			if !strings.Contains(e.Message, "$"+name) || !strings.Contains(e.Message, c.value) {
				t.Errorf("the message does not name $%s and %s: %s", name, c.value, e.Message)
			}
		})
	}
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
