package graph

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/iclei/directory/directory"
	"github.com/iclei/directory/httperror"
)

// This file writes the endpoint's answers: GraphQL responses, with the status the media type allows, and the
// refusals of requests that are not well-formed.

func (x *exchange) refuseMutation() string {
	x.w.Header().Set("Allow", http.MethodPost)
	return x.fail(httperror.CodeMethodNotAllowed, "GET requests may only run queries; send mutations with POST")
}

// respond writes a GraphQL response. requestError is set for a request that failed before execution.
func (x *exchange) respond(resp *graphql.Response, requestError bool) string {
	status, body, outcome := x.render(resp, requestError)
	x.write(status, body)
	return outcome
}

// respondError answers a well-formed request that is refused before it runs with a GraphQL request error.
func (x *exchange) respondError(code directory.Code, message string) string {
	return x.respond(&graphql.Response{Errors: gqlerror.List{{Message: message,
		Extensions: map[string]any{"code": string(code)}}}}, true)
}

// render encodes a GraphQL response and picks its status; it sets the headers that go with an error status.
//
// With application/json every GraphQL response is 200: it tells the client that the body is the server's
// GraphQL response and not some intermediary's error page. With application/graphql-response+json the status
// says what happened, from the one table of httperror.Status:
//   - a request error (no data: the document did not parse, validate or coerce, or the request was refused
//     before it ran) gets the status of the first error's code;
//   - data that is null because the caller may not do what it asked (every error UNAUTHENTICATED, FORBIDDEN
//     or RATE_LIMITED: a refused write) gets that status too, as the specification's "if the client is not
//     permitted to issue the GraphQL request" asks;
//   - anything else that ran is 200, partial data and null data alike.
func (x *exchange) render(resp *graphql.Response, requestError bool) (status int, body []byte, outcome string) {
	status = http.StatusOK
	if x.mediaType == MediaTypeGraphQLResponse && len(resp.Errors) > 0 {
		code := errorCode(resp.Errors[0])
		switch {
		case requestError || len(resp.Data) == 0:
			status = httperror.Status(code)
		case string(resp.Data) == "null" && refusesCaller(code) && sameCode(resp.Errors, code):
			status = httperror.Status(code)
		}
		httperror.SetHeaders(x.w.Header(), status)
	}
	body = x.encode(resp, requestError)
	if body == nil {
		body = httperror.Body(string(directory.CodeInternal), internalMessage)
		status = http.StatusInternalServerError
	}
	outcome = "ok"
	if len(resp.Errors) > 0 {
		outcome = errorCode(resp.Errors[0])
	}
	return status, body, outcome
}

// encode encodes a GraphQL response, or returns nil if it cannot (a bug, which the caller answers as one):
// {"errors":…,"data":…,"extensions":…}, each member left out when empty, and data after a request error. The
// data are gqlgen's bytes as the executor wrote them, compact JSON already, copied once into the body rather
// than decoded and encoded again; only the errors and extensions, small, are encoded here.
func (x *exchange) encode(resp *graphql.Response, requestError bool) []byte {
	var errs, exts []byte
	var err error
	if len(resp.Errors) > 0 {
		if errs, err = httperror.Marshal(resp.Errors); err != nil {
			return nil
		}
	}
	if len(resp.Extensions) > 0 {
		if exts, err = httperror.Marshal(resp.Extensions); err != nil {
			return nil
		}
	}
	data := resp.Data
	if requestError {
		data = nil
	}
	body := make([]byte, 0, len(`{"errors":,"data":,"extensions":}`)+len(errs)+len(data)+len(exts))
	body = append(body, '{')
	for _, m := range [...]struct {
		name  string
		value []byte
	}{{`"errors":`, errs}, {`"data":`, data}, {`"extensions":`, exts}} {
		if len(m.value) == 0 {
			continue
		}
		if len(body) > 1 {
			body = append(body, ',')
		}
		body = append(body, m.name...)
		body = append(body, m.value...)
	}
	return append(body, '}')
}

// refusesCaller reports whether an error with the code refuses the caller rather than the request: who asks,
// or how often, not what.
func refusesCaller(code string) bool {
	switch directory.Code(code) {
	case directory.CodeUnauthenticated, directory.CodeForbidden, directory.CodeRateLimited:
		return true
	}
	return false
}

func sameCode(errs gqlerror.List, code string) bool {
	for _, e := range errs {
		if errorCode(e) != code {
			return false
		}
	}
	return true
}

// fail answers a request that is not a well-formed GraphQL-over-HTTP request, or not one this endpoint
// takes, with the status of the code in either media type. The body is a GraphQL response with one error and
// no data.
func (x *exchange) fail(code, message string) string {
	status := httperror.Status(code)
	httperror.SetHeaders(x.w.Header(), status)
	x.write(status, httperror.Body(code, message))
	return code
}

func (x *exchange) write(status int, body []byte) {
	mediaType := x.mediaType
	if mediaType == "" {
		mediaType = MediaTypeJSON
	}
	h := x.w.Header()
	h.Set("Content-Type", mediaType+"; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	x.w.WriteHeader(status)
	_, _ = x.w.Write(body)
}

func errorCode(e *gqlerror.Error) string {
	code, _ := e.Extensions["code"].(string)
	if code == "" {
		return string(directory.CodeInternal)
	}
	return code
}

// describeRequestError gives an error raised before execution a code and, where gqlgen's message would leave
// the client guessing, a message that says what to do.
func describeRequestError(e *gqlerror.Error, operationName string) {
	if e.Extensions["code"] == nil {
		// Such as a persisted query whose hash does not match its text.
		errcode.Set(e, httperror.CodeBadRequest)
	}
	if e.Message == fmt.Sprintf("operation %s not found", operationName) {
		if operationName == "" {
			e.Message = "the document has several operations; name the one to run in operationName"
		} else {
			e.Message = fmt.Sprintf("the document has no operation named %q", operationName)
		}
	}
}
