package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/iclei/directory/directory"
)

// This file is the one place that decides which snapshot of the read model a request reads.
//
// The transport picks the request's snapshot once, before anything else reads it (requestSnapshot): the
// entity tag and the response cache's key name its revision, and every resolver of a query reads it, so that
// all fields of an answer agree even if the read model reloads meanwhile. A mutation is the exception: it
// writes, and the fields of its answer read the newest snapshot, which holds its own writes (operationSnapshot).

type snapshotKey struct{}

// requestSnapshot returns the snapshot a request reads, or nil while the directory is still loading.
func requestSnapshot(rm *directory.ReadModel) *directory.Snapshot {
	return rm.Snapshot()
}

// withSnapshot returns ctx carrying the request's snapshot.
func withSnapshot(ctx context.Context, s *directory.Snapshot) context.Context {
	return context.WithValue(ctx, snapshotKey{}, s)
}

// operationSnapshot returns the snapshot a resolver reads: the newest for a mutation, else the request's.
func operationSnapshot(ctx context.Context, rm *directory.ReadModel) *directory.Snapshot {
	if graphql.HasOperationContext(ctx) {
		if op := graphql.GetOperationContext(ctx).Operation; op != nil && op.Operation == ast.Mutation {
			return rm.Snapshot()
		}
	}
	if s, ok := ctx.Value(snapshotKey{}).(*directory.Snapshot); ok && s != nil {
		return s
	}
	// Only a request that did not come through the transport gets here.
	return rm.Snapshot()
}

// snap returns the snapshot the resolver reads (operationSnapshot).
func (r *Resolver) snap(ctx context.Context) *directory.Snapshot {
	return operationSnapshot(ctx, r.ReadModel)
}
