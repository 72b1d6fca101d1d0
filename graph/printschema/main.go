// Command printschema writes the full SDL of the directory's GraphQL schema, as the server publishes it at
// /schema.graphql. `go generate ./...` runs it to keep schema.graphql at the repository root current. It prints
// the graph/schema/*.graphqls files it is compiled with, so it does not matter whether gqlgen has run before.
//
// Usage:
//
//	go run ./graph/printschema -out schema.graphql
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/iclei/directory/graph/schema"
)

func main() {
	out := flag.String("out", "schema.graphql", "file to write")
	flag.Parse()
	sdl, err := schema.SDL()
	if err == nil {
		err = os.WriteFile(*out, sdl, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "printschema:", err)
		os.Exit(1)
	}
}
