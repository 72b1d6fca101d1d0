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
