// Package apitest holds what the API's tests share, in process (graph/) and against the real server (the root
// package): building the variables of mutations, comparing directories, and the words that must not appear in
// an error a client sees.
package apitest

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/iclei/directory/directory"
)

// LeakWords are words of Go's and the databases' error texts, which no error message a client sees may show.
var LeakWords = []string{"mongo", "ferret", "sqlite", "bson", "runtime", "goroutine", ".go:"}

// SortData orders the loaded records by key, so that two loads of the same data compare equal.
func SortData(d *directory.Data) {
	slices.SortFunc(d.Regions, func(a, b directory.Region) int { return strings.Compare(a.Code, b.Code) })
	slices.SortFunc(d.Secretariats, func(a, b directory.Secretariat) int { return strings.Compare(a.Key, b.Key) })
	slices.SortFunc(d.Offices, func(a, b directory.Office) int { return strings.Compare(a.Key, b.Key) })
	slices.SortFunc(d.Cities, func(a, b directory.City) int { return strings.Compare(a.Key, b.Key) })
	slices.SortFunc(d.Programs, func(a, b directory.Program) int { return strings.Compare(a.Key, b.Key) })
	slices.SortFunc(d.Organizations, func(a, b directory.Organization) int { return strings.Compare(a.Key, b.Key) })
	slices.SortFunc(d.People, func(a, b directory.Person) int { return strings.Compare(a.Key, b.Key) })
}

// DiffJSON shows the first lines where the JSON forms of a and b differ.
func DiffJSON(a, b any) string {
	ja, _ := json.MarshalIndent(a, "", " ")
	jb, _ := json.MarshalIndent(b, "", " ")
	la, lb := strings.Split(string(ja), "\n"), strings.Split(string(jb), "\n")
	var out []string
	for i := 0; i < max(len(la), len(lb)) && len(out) < 20; i++ {
		var x, y string
		if i < len(la) {
			x = la[i]
		}
		if i < len(lb) {
			y = lb[i]
		}
		if x != y {
			out = append(out, fmt.Sprintf("line %d: %s  =>  %s", i+1, strings.TrimSpace(x), strings.TrimSpace(y)))
		}
	}
	return strings.Join(out, "\n")
}

// Omit marks a field Edit removes from an input.
var Omit = &struct{}{}

// Edit returns a deep copy of the input with the field at the dotted path set to v, or removed for Omit.
func Edit(in map[string]any, path string, v any) map[string]any {
	var out map[string]any
	b, _ := json.Marshal(in)
	_ = json.Unmarshal(b, &out)
	m := out
	parts := strings.Split(path, ".")
	for _, p := range parts[:len(parts)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[p] = next
		}
		m = next
	}
	if v == Omit {
		delete(m, parts[len(parts)-1])
	} else {
		m[parts[len(parts)-1]] = v
	}
	return out
}

// Input builds the variables of a mutation that takes one input.
func Input(in map[string]any) map[string]any { return map[string]any{"input": in} }

// Keyed builds the variables of a mutation of the record with the key at the version, with its input if any.
func Keyed(key string, version int, in map[string]any) map[string]any {
	v := map[string]any{"key": key, "version": version}
	if in != nil {
		v["input"] = in
	}
	return v
}
