// Command codegen generates the GraphQL executor (graph/generated.go), the models and the resolver stubs from
// gqlgen.yml, as `gqlgen generate` does, except that the executor resolves fields and list elements inline: on
// the goroutine that asked for them, one after another. `go generate ./graph` runs it.
//
// gqlgen starts a goroutine for every field that is a resolver or whose method takes a context, and for every
// element of a list of objects, so that resolvers that wait on I/O wait side by side. Every resolver of the
// directory reads an in-memory snapshot and returns at once, so those goroutines only cost: in a profile of
// an executed query, most of the CPU went to starting them, growing their stacks and collecting their garbage.
// gqlgen also prepares, for every object it resolves, the bookkeeping of @defer, even for a query without
// @defer. This command
//
//   - sets gqlgen's per-object switch (DisableConcurrency, which gqlgen itself sets only for Mutation) on every
//     object type, through a plugin that runs before the executor is written (plugin.go);
//   - renders the executor again from gqlgen's own templates, taken from the gqlgen module this command is
//     built with, with patches (patches.go) and a template of its own (inline.gotpl): lists marshalled in a
//     loop instead of graphql.MarshalSliceConcurrently, no @defer bookkeeping for objects without concurrent
//     fields, scalar struct fields marshalled directly, other struct fields and resolvers called without
//     graphql.ResolveField's closures, and per operation, arguments coerced once, each type's resolver asked
//     for once and each selection's fields collected once. Each patch must match gqlgen's template exactly
//     once, so an upgrade of gqlgen that changes them fails here, loudly, rather than generating something
//     else.
//
// gqlgen's federation plugin, which gqlgen.yml turns on, is adapted the same way (federation.go): its entity list
// is bound to the type gqlgen.yml names, and the entities of several types are resolved one type after another.
//
// Fields resolved directly skip gqlgen's field middleware: the handler must install no FieldInterceptor.
//
// A field whose resolver truly waits on I/O (none does today) can keep its goroutine: name it with -concurrent
// as Type.field, or name a whole Type, in the go:generate line of graph/resolver.go. Its object then keeps
// gqlgen's concurrent resolution for the named fields and its @defer handling, lists of that type are
// marshalled concurrently again, and fields no longer share per-operation state, since they then run on
// several goroutines.
//
// The HTTP transport refuses @defer and @stream, as it sends one response. Were they let through, an object
// resolved inline would deliver its deferred fields in that response, which the incremental delivery proposal
// allows a server to do.
//
// Usage (from the directory holding gqlgen.yml, or below it):
//
//	go run ./graph/codegen [-concurrent Type.field,Type]
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/99designs/gqlgen/api"
	"github.com/99designs/gqlgen/codegen/config"
)

func main() {
	concurrent := flag.String("concurrent", "", "comma-separated fields (Type.field) or object types (Type) whose resolvers run on goroutines of their own")
	flag.Parse()
	if err := run(splitList(*concurrent)); err != nil {
		fmt.Fprintln(os.Stderr, "codegen:", err)
		os.Exit(1)
	}
}

func run(concurrent []string) error {
	cfg, err := config.LoadConfigFromDefaultLocations()
	if err != nil {
		return fmt.Errorf("load gqlgen config: %w", err)
	}
	// gqlgen would build the package with the executor it writes first; the executor is rendered again below,
	// and the build that follows `go generate` checks the one that stays.
	cfg.SkipValidation = true
	p := newInlinePlugin(concurrent)
	fed := &federationPlugin{}
	if err := api.Generate(cfg, wrapFederation(fed), api.AddPlugin(p)); err != nil {
		return err
	}
	if err := fed.writeDirectives(cfg); err != nil {
		return err
	}
	return p.renderExecutor()
}

func splitList(s string) []string {
	var out []string
	for part := range strings.SplitSeq(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}
