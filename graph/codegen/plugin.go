package main

import (
	"bytes"
	"errors"
	"fmt"
	"go/types"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"testing/fstest"

	"github.com/99designs/gqlgen/codegen"
	"github.com/99designs/gqlgen/codegen/config"
	"github.com/99designs/gqlgen/codegen/templates"
	"github.com/vektah/gqlparser/v2/ast"
	"golang.org/x/text/cases"
	"golang.org/x/text/language"

	_ "embed"
)

// gqlgenModule is the module whose templates the executor is rendered from.
const gqlgenModule = "github.com/99designs/gqlgen"

//go:embed inline.gotpl
var inlineTemplate []byte

// inlinePlugin turns gqlgen's concurrent resolution off for every object but the fields named concurrent, and
// keeps what the executor needs to be rendered again with the patched templates.
type inlinePlugin struct {
	// named are the -concurrent names as given: Type or Type.field.
	named []string
	// concurrent holds, by object type, the fields that keep their goroutine.
	concurrent map[string]map[string]bool
	data       *codegen.Data
}

func newInlinePlugin(named []string) *inlinePlugin {
	return &inlinePlugin{named: named, concurrent: map[string]map[string]bool{}}
}

func (p *inlinePlugin) Name() string { return "inline-execution" }

// GenerateCode runs after gqlgen has built its view of the schema and before it writes the executor.
func (p *inlinePlugin) GenerateCode(data *codegen.Data) error {
	if data.Config.Exec.Layout != config.ExecLayoutSingleFile {
		return fmt.Errorf("exec.layout %q: only %q is supported", data.Config.Exec.Layout, config.ExecLayoutSingleFile)
	}
	objects := map[string]*codegen.Object{}
	for _, o := range data.Objects {
		objects[o.Name] = o
	}
	for _, name := range p.named {
		typeName, fieldName, one := strings.Cut(name, ".")
		o := objects[typeName]
		if o == nil {
			return fmt.Errorf("-concurrent %s: the schema has no object type %s", name, typeName)
		}
		if o.DisableConcurrency && !one {
			return fmt.Errorf("-concurrent %s: gqlgen resolves %s one field at a time", name, typeName)
		}
		found := false
		for _, f := range o.Fields {
			if one && f.Name != fieldName || !f.IsConcurrent() {
				continue
			}
			if p.concurrent[typeName] == nil {
				p.concurrent[typeName] = map[string]bool{}
			}
			p.concurrent[typeName][f.Name] = true
			found = true
		}
		if !found {
			return fmt.Errorf("-concurrent %s: no resolver field of %s by that name; gqlgen runs only resolvers and methods that take a context concurrently", name, typeName)
		}
	}
	for _, o := range data.Objects {
		if len(p.concurrent[o.Name]) == 0 {
			o.DisableConcurrency = true
		}
	}
	p.data = data
	return nil
}

// concurrentField reports whether the field is resolved on a goroutine of its own.
func (p *inlinePlugin) concurrentField(f *codegen.Field) bool {
	return f.IsConcurrent() && p.concurrent[f.Object.Name][f.Name]
}

// concurrentObject reports whether the object has a field resolved on a goroutine of its own, and with it the
// bookkeeping of @defer.
func (p *inlinePlugin) concurrentObject(o *codegen.Object) bool {
	return len(p.concurrent[o.Name]) > 0
}

// concurrentList reports whether the elements of a list are marshalled on goroutines of their own: when some
// type an element may have resolves a field concurrently, that is, waits on something.
func (p *inlinePlugin) concurrentList(t *config.TypeReference) bool {
	def := p.data.Schema.Types[t.GQL.Name()]
	if def == nil {
		return false
	}
	for _, possible := range p.data.Schema.GetPossibleTypes(def) {
		if len(p.concurrent[possible.Name]) > 0 {
			return true
		}
	}
	return false
}

// directField tells how the field of an object resolved inline is resolved without graphql.ResolveField:
// "value", "string" or "float" (when finite) for a struct field of a scalar or enum marshalled straight from the object,
// "resolver" for a resolver called directly and "field" for any other struct field (both by directResolver in
// inline.gotpl, with a field context), or "" for gqlgen's path. gqlgen's path gives
// every field a field context, calls the field middleware, recovers panics and boxes the value. A struct field
// of a built-in scalar or an enum has nothing for any of that to do, and its marshaller cannot fail, except a
// float's on NaN or an infinity; a resolver keeps its field context, its recovery and its errors.
// These fields pass no field middleware (graphql.FieldInterceptor), which graph.NewHandler refuses to install.
func (p *inlinePlugin) directField(f *codegen.Field) string {
	o := f.Object
	if o.Root || o.Stream || p.concurrentObject(o) || f.IsBatch() || f.HasDirectives() ||
		len(p.data.AllDirectives.LocationDirectives(string(ast.LocationField))) > 0 {
		return ""
	}
	if !f.IsResolver && (f.GoFieldType != codegen.GoFieldVariable || f.GoReceiverName != "obj" || len(f.Args) > 0 || f.HasHaser || f.IsMap()) {
		return ""
	}
	t := f.TypeReference
	if t == nil || t.Definition == nil {
		return ""
	}
	if f.IsResolver {
		// A resolver's result that is an interface may be nil, which gqlgen's path reports; any other is marshalled
		// as it comes.
		if types.IsInterface(t.GO) {
			return ""
		}
		return "resolver"
	}
	// Any other struct field keeps its field context, for the paths of errors below it and for resolvers
	// reading their parent's result, and is marshalled as it comes, unless it is an interface, which may be nil.
	field := "field"
	if types.IsInterface(t.GO) {
		field = ""
	}
	goType := t.GO
	if t.GQL.Elem != nil {
		// A list is marshalled directly when it is a slice of non-null scalars or enums, whose marshaller
		// cannot fail either: a nil slice is an empty list, or null where the list may be null.
		slice, ok := t.GO.(*types.Slice)
		if !ok || t.GQL.Elem.Elem != nil || !t.GQL.Elem.NonNull {
			return field
		}
		goType = slice.Elem()
	}
	basic, ok := goType.Underlying().(*types.Basic)
	if !ok {
		return field
	}
	switch t.Definition.Kind {
	case ast.Enum:
	case ast.Scalar:
		switch t.Definition.Name {
		case "String", "ID", "Int", "Boolean":
		case "Float":
			// gqlgen's own Float, whose marshaller writes a finite value with %g (inlineFloat in inline.gotpl).
			if basic.Info()&types.IsFloat == 0 || t.GQL.Elem != nil || t.Marshaler == nil ||
				t.Marshaler.Pkg().Path() != "github.com/99designs/gqlgen/graphql" || t.Marshaler.Name() != "MarshalFloatContext" {
				return field
			}
			return "float"
		default:
			return field
		}
	default:
		return field
	}
	if basic.Info()&(types.IsString|types.IsInteger|types.IsBoolean) == 0 {
		return field
	}
	// A string written by gqlgen's MarshalString is written from the struct field itself (inlineString in
	// inline.gotpl), which costs no allocation.
	if t.GQL.Elem == nil && basic.Info()&types.IsString != 0 && !t.IsMarshaler && t.Marshaler != nil &&
		t.Marshaler.Pkg().Path() == "github.com/99designs/gqlgen/graphql" && t.Marshaler.Name() == "MarshalString" {
		return "string"
	}
	return "value"
}

// sharedState reports whether the fields of an operation share state (inlineState in inline.gotpl): when all
// of them are resolved on the operation's goroutine, which no field named concurrent is.
func (p *inlinePlugin) sharedState() bool { return len(p.concurrent) == 0 }

// cacheArgs reports whether a field's arguments are coerced once per operation: when the fields share state
// and no directive on an argument could make a coercion differ from the last.
func (p *inlinePlugin) cacheArgs(f *codegen.Field) bool {
	if !p.sharedState() || f.Object.Stream {
		return false
	}
	for _, a := range f.Args {
		if len(a.Directives) > 0 {
			return false
		}
	}
	return true
}

// inlineResolverObjects returns the object types whose resolvers directResolver calls.
func (p *inlinePlugin) inlineResolverObjects() []*codegen.Object {
	var out []*codegen.Object
	for _, o := range p.data.Objects {
		if !o.Root && o.HasResolvers() {
			out = append(out, o)
		}
	}
	return out
}

// renderExecutor writes the executor again, from gqlgen's templates with the patches applied, with the
// options gqlgen renders a single-file executor with.
func (p *inlinePlugin) renderExecutor() error {
	if p.data == nil {
		return errors.New("gqlgen did not run the inline-execution plugin")
	}
	dir, err := moduleDir()
	if err != nil {
		return err
	}
	dir = filepath.Join(dir, "codegen")
	fsys, err := patchedTemplates(os.DirFS(dir))
	if err != nil {
		return fmt.Errorf("templates of %s: %w", dir, err)
	}
	cfg := p.data.Config
	return templates.Render(templates.Options{
		PackageName:     cfg.Exec.Package,
		Filename:        cfg.Exec.Filename,
		Data:            p.data,
		RegionTags:      true,
		GeneratedHeader: true,
		Packages:        cfg.Packages,
		TemplateFS:      fsys,
		PruneOptions:    cfg.GetPruneOptions(),
		Funcs: map[string]any{
			"concurrentField":       p.concurrentField,
			"concurrentObject":      p.concurrentObject,
			"concurrentList":        p.concurrentList,
			"directField":           p.directField,
			"sharedState":           p.sharedState,
			"cacheArgs":             p.cacheArgs,
			"resolverGetter":        func(f *codegen.Field) string { g, _, _ := strings.Cut(f.ShortInvocation(), "()."); return g },
			"resolverCall":          func(f *codegen.Field) string { _, c, _ := strings.Cut(f.ShortInvocation(), "()."); return c },
			"resolverGetterOf":      func(o *codegen.Object) string { return cases.Title(language.English, cases.NoLower).String(o.Name) },
			"inlineResolverObjects": p.inlineResolverObjects,
		},
	})
}

// patchedTemplates returns gqlgen's executor templates with the patches applied, and inline.gotpl beside them.
func patchedTemplates(gqlgen fs.FS) (fs.FS, error) {
	names, err := fs.Glob(gqlgen, "*.gotpl")
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, errors.New("no *.gotpl templates")
	}
	out := fstest.MapFS{}
	for _, name := range names {
		b, err := fs.ReadFile(gqlgen, name)
		if err != nil {
			return nil, err
		}
		out[name] = &fstest.MapFile{Data: b}
	}
	for _, p := range patches {
		f := out[p.file]
		if f == nil {
			return nil, fmt.Errorf("%s: no such template (%s)", p.file, p.why)
		}
		if n := bytes.Count(f.Data, []byte(p.old)); n != 1 {
			return nil, fmt.Errorf("%s: the text to patch (%s) occurs %d times, not once; gqlgen's templates changed, so graph/codegen/patches.go must change with them", p.file, p.why, n)
		}
		f.Data = bytes.Replace(f.Data, []byte(p.old), []byte(p.new), 1)
	}
	if out["inline.gotpl"] != nil {
		return nil, errors.New("gqlgen has a template named inline.gotpl")
	}
	out["inline.gotpl"] = &fstest.MapFile{Data: inlineTemplate}
	return out, nil
}

// moduleDir returns the directory of the copy of the gqlgen module this command is built with, which holds
// the templates it renders.
func moduleDir() (string, error) {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		goCmd = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	}
	out, err := exec.Command(goCmd, "list", "-m", "-f", "{{.Dir}} {{.Version}}", gqlgenModule).Output()
	if err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			err = fmt.Errorf("%w: %s", err, exitErr.Stderr)
		}
		return "", fmt.Errorf("locate module %s: %w", gqlgenModule, err)
	}
	dir, version, _ := strings.Cut(strings.TrimSpace(string(out)), " ")
	if info, ok := debug.ReadBuildInfo(); ok {
		i := slices.IndexFunc(info.Deps, func(m *debug.Module) bool { return m.Path == gqlgenModule })
		if i >= 0 && info.Deps[i].Version != version {
			return "", fmt.Errorf("this command is built with %s %s, but the module selects %s", gqlgenModule, info.Deps[i].Version, version)
		}
	}
	if dir == "" {
		return "", fmt.Errorf("module %s has no directory; run go mod download", gqlgenModule)
	}
	return dir, nil
}
