package schema_test

import (
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"

	"github.com/iclei/directory/graph/schema"
)

// TestEveryDefinitionIsDescribed reports how much of the schema has descriptions, by kind, and requires all of
// it: every type, field, argument, input field and enum value, which clients read in their tools (the
// playground's docs pane, editors, generated code) as the API's reference.
func TestEveryDefinitionIsDescribed(t *testing.T) {
	sources, err := schema.Sources()
	if err != nil {
		t.Fatal(err)
	}
	s, err := gqlparser.LoadSchema(sources...)
	if err != nil {
		t.Fatal(err)
	}
	type tally struct{ described, all int }
	coverage := map[string]*tally{"types": {}, "fields": {}, "arguments": {}, "enum values": {}}
	var missing []string
	check := func(kind, name, description string) {
		c := coverage[kind]
		c.all++
		if strings.TrimSpace(description) != "" {
			c.described++
			return
		}
		missing = append(missing, kind+": "+name)
	}
	for _, d := range s.Types {
		if d.BuiltIn {
			continue
		}
		check("types", d.Name, d.Description)
		for _, f := range d.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue // introspection, described by the specification
			}
			check("fields", d.Name+"."+f.Name, f.Description)
			for _, a := range f.Arguments {
				check("arguments", d.Name+"."+f.Name+"("+a.Name+":)", a.Description)
			}
		}
		for _, v := range d.EnumValues {
			check("enum values", d.Name+"."+v.Name, v.Description)
		}
	}
	for _, d := range s.Directives {
		if d.Position == nil || d.Position.Src == nil || !d.Position.Src.BuiltIn {
			check("types", "@"+d.Name, d.Description)
			for _, a := range d.Arguments {
				check("arguments", "@"+d.Name+"("+a.Name+":)", a.Description)
			}
		}
	}
	for _, kind := range []string{"types", "fields", "arguments", "enum values"} {
		c := coverage[kind]
		t.Logf("%-11s %4d of %4d described (%.0f %%)", kind, c.described, c.all, 100*float64(c.described)/float64(max(c.all, 1)))
	}
	if len(missing) > 0 {
		t.Errorf("%d definitions have no description:\n%s", len(missing), strings.Join(missing, "\n"))
	}
}
