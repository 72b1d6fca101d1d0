package httperror_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/iclei/directory/directory"
	"github.com/iclei/directory/httperror"
)

func TestEveryCodeHasItsStatus(t *testing.T) {
	t.Parallel()
	want := map[string]int{
		string(directory.CodeNotFound): 404, string(directory.CodeInvalidInput): 400, string(directory.CodeConflict): 409,
		string(directory.CodeUnauthenticated): 401, string(directory.CodeForbidden): 403, string(directory.CodeUnavailable): 503,
		string(directory.CodeRateLimited): 429, string(directory.CodeInternal): 500,
	}
	for code, status := range want {
		if got := httperror.Status(code); got != status {
			t.Errorf("Status(%s) = %d, want %d", code, got, status)
		}
	}
	for _, code := range httperror.Codes() {
		status := httperror.Status(code)
		if status < 400 || status > 599 {
			t.Errorf("Status(%s) = %d, not an error status", code, status)
		}
		// The router's and net/http's answers map back to a code of the same status.
		if back, ok := httperror.CodeOfStatus(status); !ok || httperror.Status(back) != status {
			t.Errorf("CodeOfStatus(%d) = %s, whose status is %d", status, back, httperror.Status(back))
		}
	}
	if got := httperror.Status("NO_SUCH_CODE"); got != http.StatusInternalServerError {
		t.Errorf("an unknown code has status %d, want 500", got)
	}
}

// answer is an HTTP answer as these tests read it.
type answer struct {
	status int
	header http.Header
	body   string
	code   string
	msg    string
}

func serve(t *testing.T, h http.Handler, method, target string) answer {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, target, nil))
	b, _ := io.ReadAll(rec.Body)
	a := answer{status: rec.Code, header: rec.Header(), body: string(b)}
	var e struct {
		Errors []struct {
			Message    string
			Extensions struct{ Code string }
		}
	}
	if json.Unmarshal(b, &e) == nil && len(e.Errors) == 1 {
		a.code, a.msg = e.Errors[0].Extensions.Code, e.Errors[0].Message
	}
	return a
}

func TestShape(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /things", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "things\n")
	})
	mux.HandleFunc("GET /broken", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "the export could not be rendered", http.StatusInternalServerError)
	})
	mux.HandleFunc("GET /json-error", func(w http.ResponseWriter, r *http.Request) {
		httperror.Write(w, string(directory.CodeForbidden), "not yours")
	})
	mux.Handle("/tree/", http.NotFoundHandler())
	h := httperror.Shape(mux)

	for _, c := range []struct {
		name, method, target string
		status               int
		code, message        string
	}{
		{"an unknown path", "GET", "/nothing", 404, "NOT_FOUND", "there is no endpoint at /nothing"},
		{"a known path with another method", "POST", "/things", 405, "METHOD_NOT_ALLOWED", "it answers GET, HEAD"},
		{"a path with a doubled slash is not redirected", "POST", "//things", 404, "NOT_FOUND", "did you mean /things?"},
		{"a path with dot segments", "GET", "/tree/../things", 404, "NOT_FOUND", "did you mean /things?"},
		{"a handler's plain-text error keeps its message", "GET", "/broken", 500, "INTERNAL", "the export could not be rendered"},
		{"a handler's JSON error passes as it is", "GET", "/json-error", 403, "FORBIDDEN", "not yours"},
		{"a handler's 404", "GET", "/tree/leaf", 404, "NOT_FOUND", "there is no endpoint at /tree/leaf"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			a := serve(t, h, c.method, c.target)
			if a.status != c.status || a.code != c.code || !strings.Contains(a.msg, c.message) {
				t.Fatalf("status %d, code %q, message %q; want %d %s %q (body %q)", a.status, a.code, a.msg, c.status, c.code, c.message, a.body)
			}
			if ct := a.header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
			if a.status == 405 && a.header.Get("Allow") == "" {
				t.Error("405 without Allow")
			}
		})
	}
	t.Run("an answer that is not an error passes as it is", func(t *testing.T) {
		t.Parallel()
		a := serve(t, h, "GET", "/things")
		if a.status != 200 || a.body != "things\n" || !strings.HasPrefix(a.header.Get("Content-Type"), "text/plain") {
			t.Errorf("status %d, body %q", a.status, a.body)
		}
	})
	t.Run("an error answer to HEAD has no body", func(t *testing.T) {
		t.Parallel()
		a := serve(t, h, "HEAD", "/nothing")
		if a.status != 404 || a.body != "" {
			t.Errorf("status %d, body %q", a.status, a.body)
		}
	})
}
