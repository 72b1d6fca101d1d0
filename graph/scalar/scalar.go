// Package scalar marshals the schema's custom scalars.
package scalar

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/iclei/directory/directory"
)

// MarshalDate writes a calendar date as "2006-01-02"; the zero time is null.
func MarshalDate(t time.Time) graphql.Marshaler {
	if t.IsZero() {
		return graphql.Null
	}
	return graphql.WriterFunc(func(w io.Writer) {
		_, _ = io.WriteString(w, strconv.Quote(t.Format(time.DateOnly)))
	})
}

// UnmarshalDate reads a calendar date written as "2006-01-02". Its errors are invalid input; the error presenter
// names the field from the error's path.
func UnmarshalDate(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, &directory.Error{Code: directory.CodeInvalidInput, Message: "a Date is a string such as \"2016-04-29\""}
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, &directory.Error{Code: directory.CodeInvalidInput, Message: fmt.Sprintf("%q is not a date such as \"2016-04-29\"", s)}
	}
	return t, nil
}

// The GraphQL names of the roles. The schema named them admin and editor until the enum values followed the
// convention; those names stay in the schema, deprecated, and are still accepted. The domain's names, which
// JWT claims and the command line use, do not change.
var roleNames = map[directory.Role]string{directory.RoleAdmin: "ADMIN", directory.RoleEditor: "EDITOR"}

// MarshalRole writes a role as its enum value, ADMIN or EDITOR.
func MarshalRole(r directory.Role) graphql.Marshaler {
	name, ok := roleNames[r]
	if !ok {
		return graphql.Null
	}
	return graphql.WriterFunc(func(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(name)) })
}

// UnmarshalRole reads a role: ADMIN or EDITOR, or the deprecated admin or editor.
func UnmarshalRole(v any) (directory.Role, error) {
	s, _ := v.(string)
	for r, name := range roleNames {
		if s == name || s == string(r) {
			return r, nil
		}
	}
	return "", &directory.Error{Code: directory.CodeInvalidInput, Message: fmt.Sprintf("%v is not a role; the roles are ADMIN and EDITOR", v)}
}
