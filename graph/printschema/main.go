// Command printschema writes the full SDL of the directory's GraphQL schema, as the server publishes it at
// /schema.graphql, and its possible types, as the server publishes them at /possible-types.json. `go generate
// ./...` runs it to keep schema.graphql and possible-types.json at the repository root current. It prints the
// graph/schema/*.graphqls files it is compiled with, so it does not matter whether gqlgen has run before.
//
// Usage:
//
//	go run ./graph/printschema -out schema.graphql -possible-types possible-types.json
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/iclei/directory/graph/schema"
)

func main() {
	out := flag.String("out", "schema.graphql", "file to write the SDL to")
	possibleTypes := flag.String("possible-types", "", "file to write the possible types to, if any")
	flag.Parse()
	sdl, err := schema.SDL()
	if err == nil {
		err = os.WriteFile(*out, sdl, 0o644)
	}
	if err == nil && *possibleTypes != "" {
		var pt []byte
		if pt, err = schema.PossibleTypes(); err == nil {
			err = os.WriteFile(*possibleTypes, pt, 0o644)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "printschema:", err)
		os.Exit(1)
	}
}
