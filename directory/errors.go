package directory

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Code classifies an error for the client. The GraphQL adapter puts it in extensions.code.
type Code string

const (
	CodeNotFound        Code = "NOT_FOUND"
	CodeInvalidInput    Code = "BAD_USER_INPUT"
	CodeConflict        Code = "CONFLICT"
	CodeUnauthenticated Code = "UNAUTHENTICATED"
	CodeForbidden       Code = "FORBIDDEN"
	CodeUnavailable     Code = "UNAVAILABLE"
	CodeRateLimited     Code = "RATE_LIMITED"
	CodeInternal        Code = "INTERNAL"
)

// Error is an error a client may see: its message is written for the person using the API.
type Error struct {
	Code    Code
	Message string
	// Field is the input field an invalid-input error is about, as a path such as "input.address.country".
	Field string
	// Choices are the values an invalid-input error about a code would have accepted, where they are few enough
	// to list.
	Choices []string
	// Err is the cause, for logs only.
	Err error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an Error with the code and a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns an invalid-input error about the field.
func Invalid(field, format string, args ...any) *Error {
	return &Error{Code: CodeInvalidInput, Field: field, Message: fmt.Sprintf(format, args...)}
}

// NotFound returns a not-found error for a record of the kind (KindOffice, or words such as "membership
// application") with the key.
func NotFound(kind, key string) *Error {
	return Errorf(CodeNotFound, "no %s with the key %s", noun(kind), quote(key))
}

// noun names a record kind in a sentence.
func noun(kind string) string {
	if kind == KindApplication {
		return "membership application"
	}
	return strings.ToLower(kind)
}

// Unavailable wraps a storage failure: the client learns only that the directory cannot take writes now.
func Unavailable(err error) *Error {
	return &Error{Code: CodeUnavailable, Message: "the directory's database is unavailable; try again shortly", Err: err}
}

// ErrorCode returns the code of err, CodeInternal for an error that is not an *Error.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// maxQuoted bounds what an error quotes of a value it was given: every key and ID the directory issues fits
// whole, and a message about a long value does not repeat it, so that an answer listing many such errors
// stays linear in the request.
const maxQuoted = 160

// quote returns s quoted as %q does, cut at maxQuoted characters with an ellipsis.
func quote(s string) string {
	if utf8.RuneCountInString(s) > maxQuoted {
		cut := 0
		for range maxQuoted {
			_, n := utf8.DecodeRuneInString(s[cut:])
			cut += n
		}
		s = s[:cut] + "…"
	}
	return strconv.Quote(s)
}
