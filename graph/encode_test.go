package graph

import (
	"encoding/json"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/iclei/directory/httperror"
)

// TestEncodeWritesTheExecutorsBytes pins that a response body is the one encoding/json gives for the
// response, byte for byte, while the data are copied as the executor wrote them.
func TestEncodeWritesTheExecutorsBytes(t *testing.T) {
	t.Parallel()
	errs := gqlerror.List{{Message: "no <such> office & co", Path: ast.Path{ast.PathName("office"), ast.PathIndex(2)},
		Extensions: map[string]any{"code": "NOT_FOUND"}}}
	data := json.RawMessage(`{"office":null,"name":"Caf\u00e9 <b> & \u2028","n":[1,2.5,-3e-7],"e":{}}`)
	exts := map[string]any{"cost": map[string]any{"requested": 12}}
	tests := []struct {
		name         string
		resp         *graphql.Response
		requestError bool
	}{
		{"data alone", &graphql.Response{Data: data}, false},
		{"null data", &graphql.Response{Data: json.RawMessage(`null`)}, false},
		{"data and errors", &graphql.Response{Data: data, Errors: errs}, false},
		{"data, errors and extensions", &graphql.Response{Data: data, Errors: errs, Extensions: exts}, false},
		{"extensions alone", &graphql.Response{Extensions: exts}, false},
		{"a request error drops the data", &graphql.Response{Data: data, Errors: errs}, true},
		{"nothing", &graphql.Response{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := struct {
				Errors     gqlerror.List   `json:"errors,omitempty"`
				Data       json.RawMessage `json:"data,omitempty"`
				Extensions map[string]any  `json:"extensions,omitempty"`
			}{tt.resp.Errors, tt.resp.Data, tt.resp.Extensions}
			if tt.requestError {
				b.Data = nil
			}
			want, err := httperror.Marshal(b)
			if err != nil {
				t.Fatal(err)
			}
			if got := (&exchange{}).encode(tt.resp, tt.requestError); string(got) != string(want) {
				t.Errorf("encode gives\n%s\nwant\n%s", got, want)
			}
		})
	}
}
