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
}
