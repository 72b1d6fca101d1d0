package main

// patch replaces one passage of one of gqlgen's executor templates. The passage must occur exactly once.
type patch struct {
	file, old, new string
	why            string
}

var patches = []patch{
	{
		file: "object.gotpl",
		why:  "run only the fields named concurrent on goroutines",
		old:  "{{- if $field.IsConcurrent }}",
		new:  "{{- if concurrentField $field }}",
	},
	{
		file: "object.gotpl",
		why:  "no @defer group for an object whose fields are all resolved inline",
		old:  "\tdeferred := graphql.NewDeferredGroup(ctx)\n",
		new:  "\t{{- if concurrentObject $object }}\n\tdeferred := graphql.NewDeferredGroup(ctx)\n\t{{- end }}\n",
	},
	{
		file: "object.gotpl",
		why:  "no @defer group to process for an object whose fields are all resolved inline",
		old: "if n := len(deferred.Defers); n > 0 {\n" +
			"\t\tatomic.AddInt32(&ec.Deferred, int32(min(n, math.MaxInt32)))\n" +
			"\t\tec.ProcessDeferredGroup(deferred)\n" +
			"\t}\n",
		new: "{{- if concurrentObject $object }}\n" +
			"\tif n := len(deferred.Defers); n > 0 {\n" +
			"\t\tatomic.AddInt32(&ec.Deferred, int32(min(n, math.MaxInt32)))\n" +
			"\t\tec.ProcessDeferredGroup(deferred)\n" +
			"\t}\n" +
			"\t{{- end }}\n",
	},
	{
		file: "type.gotpl",
		why:  "marshal a list in a loop unless its elements wait on something",
		old:  "ret := graphql.MarshalSliceConcurrently(ctx, len(v), {{ $.Config.Exec.WorkerLimit }}, {{ $.Config.OmitPanicHandler }}, func(ctx context.Context, i int) graphql.Marshaler {",
		new: "ret := {{ if concurrentList $type }}graphql.MarshalSliceConcurrently(ctx, len(v), {{ $.Config.Exec.WorkerLimit }}, {{ $.Config.OmitPanicHandler }}, " +
			"{{- else }}marshalSliceInline(ctx, len(v), {{ $.Config.OmitPanicHandler }}, {{ end }}func(ctx context.Context, i int) graphql.Marshaler {",
	},
	{
		file: "object.gotpl",
		why:  "an object resolved inline is written without gqlgen's concurrent field set",
		old:  "\tout := graphql.NewFieldSet(fields)\n",
		new:  "\tout := {{ if concurrentObject $object }}graphql.NewFieldSet(fields){{ else }}newInlineObject(fields){{ end }}\n",
	},
	{
		file: "field.gotpl",
		why:  "a scalar or enum struct field is marshalled directly",
		old:  "\t{{- if $field.TypeReference.IsRoot }}\n\t\tfc, err :=",
		new: "\t{{- $direct := directField $field }}\n" +
			"\t{{- if eq $direct \"value\" }}\n" +
			"\t\treturn {{$.ECDot}}{{ $field.TypeReference.MarshalFunc }}(ctx, {{$.ECArg}}field.Selections, obj.{{ $field.GoFieldName }})\n" +
			"\t{{- else if eq $direct \"string\" }}\n" +
			"\t\treturn inlineString[{{ $field.TypeReference.GO | ref }}]{&obj.{{ $field.GoFieldName }}}\n" +
			"\t{{- else if or (eq $direct \"resolver\") (eq $direct \"field\") }}\n" +
			"\t\t{{- template \"directResolver\" (dict \"Field\" $field \"Exec\" $) }}\n" +
			"\t{{- else if $field.TypeReference.IsRoot }}\n\t\tfc, err :=",
	},
	{
		file: "field.gotpl",
		why:  "a finite float struct field is marshalled directly; NaN and infinities take gqlgen's path, which reports them",
		old:  "\t{{- else}}\n\t\treturn graphql.{{ $field.ResolveFieldFunc }}(",
		new: "\t{{- else}}\n" +
			"\t\t{{- if eq $direct \"float\" }}\n" +
			"\t\tif v := float64(obj.{{ $field.GoFieldName }}); !math.IsNaN(v) && !math.IsInf(v, 0) {\n" +
			"\t\t\treturn inlineFloat(v)\n" +
			"\t\t}\n" +
			"\t\t{{- end }}\n" +
			"\t\treturn graphql.{{ $field.ResolveFieldFunc }}(",
	},
	{
		file: "internal!.gotpl",
		why:  "the state the fields of one operation share, when they are all resolved on its goroutine",
		old:  "type executionContext struct {\n\t*graphql.ExecutionContextState[ResolverRoot, DirectiveRoot, ComplexityRoot]\n}",
		new: "type executionContext struct {\n\t*graphql.ExecutionContextState[ResolverRoot, DirectiveRoot, ComplexityRoot]\n" +
			"\t// inline is what the fields of the operation share (inline.gotpl).\n\tinline inlineState\n}",
	},
	{
		file: "field.gotpl",
		why:  "a field's arguments coerced once per operation, not for every object",
		old:  "if fc.Args, err = {{$.ECDot}}{{ $field.ArgsFunc }}(ctx, {{$.ECArg}}field.ArgumentMap(ec.Variables)); err != nil {",
		new: "if fc.Args, err = {{ if cacheArgs $field }}ec.inlineArgs(ctx, field, (*executionContext).{{ $field.ArgsFunc }})" +
			"{{ else }}{{$.ECDot}}{{ $field.ArgsFunc }}(ctx, {{$.ECArg}}field.ArgumentMap(ec.Variables)){{ end }}; err != nil {",
	},
	{
		file: "object.gotpl",
		why:  "an object's fields collected once per selection in an operation, without gqlgen's hashed key",
		old:  "fields := graphql.CollectFields(ec.OperationContext, sel, {{$object.Name|lcFirst}}Implementors)\n\t{{- if $object.Root }}",
		new: "fields := {{ if and sharedState (not (concurrentObject $object)) }}ec.inlineCollectFields(sel, {{$object.Name|lcFirst}}Implementors)" +
			"{{ else }}graphql.CollectFields(ec.OperationContext, sel, {{$object.Name|lcFirst}}Implementors){{ end }}\n\t{{- if $object.Root }}",
	},
}
