package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/iclei/directory/directory"
)

// internalMessage is all a client learns of an internal error.
const internalMessage = "internal error; it has been logged"

// ErrorPresenter returns the one place that turns errors into what clients see. A domain error shows its
// message, its code in extensions.code and, for invalid input, the field and the valid choices. Parse and
// validation errors keep the codes gqlgen gives them. Anything else is logged with its detail and shown only as
// an internal error, so no database or Go error text reaches a client.
func ErrorPresenter(log *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		var (
			gerr *gqlerror.Error
			derr *directory.Error
		)
		path := graphql.GetPath(ctx)
		switch {
		case errors.As(err, &derr):
			out := &gqlerror.Error{Message: derr.Message, Path: path, Extensions: map[string]any{"code": string(derr.Code)}}
			if errors.As(err, &gerr) {
				out.Path, out.Locations = gerr.Path, gerr.Locations
			}
			switch {
			case derr.Field != "":
				out.Extensions["field"] = derr.Field
			case derr.Code == directory.CodeInvalidInput && gerr != nil && len(gerr.Path) > 1:
				// An argument that did not coerce (a malformed Date): its path below the field names it, as in
				// input.startDate.
				out.Extensions["field"] = gerr.Path[1:].String()
			}
			if len(derr.Choices) > 0 {
				out.Extensions["validChoices"] = derr.Choices
			}
			if derr.Code == directory.CodeInternal || derr.Err != nil {
				logFailure(ctx, log, string(derr.Code), path, err)
			}
			return out
		case errors.As(err, &gerr) && gerr.Err == nil && gerr.Extensions["code"] != nil:
			// Parse and validation errors: their messages describe the client's query.
			return gerr
		}
		logFailure(ctx, log, string(directory.CodeInternal), path, err)
		out := &gqlerror.Error{Message: internalMessage, Path: path, Extensions: map[string]any{"code": string(directory.CodeInternal)}}
		if errors.As(err, &gerr) {
			out.Path, out.Locations = gerr.Path, gerr.Locations
		}
		return out
	}
}

// logFailure logs a failure the client sees only as its code, once: here, where it is presented, with its
// detail and, for a panic, the stack.
func logFailure(ctx context.Context, log *slog.Logger, code string, path ast.Path, err error) {
	attrs := []any{"code", code, "path", path.String(), "err", err}
	var p panicError
	if errors.As(err, &p) {
		attrs = append(attrs, "stack", string(p.stack))
	}
	log.ErrorContext(ctx, "request failed", attrs...)
}

// Recover turns a panic in a resolver into an internal error carrying the stack; the presenter logs it.
func Recover(ctx context.Context, p any) error {
	return &directory.Error{Code: directory.CodeInternal, Message: internalMessage, Err: panicError{p, debug.Stack()}}
}

type panicError struct {
	value any
	stack []byte
}

func (p panicError) Error() string { return fmt.Sprint("panic: ", p.value) }
