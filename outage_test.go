package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

func readyz(t *testing.T, s *testServer) (int, string) {
	t.Helper()
	resp, err := http.Get(s.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// A server whose database goes away keeps answering reads from its last snapshot, says it is not ready, and
// refuses writes with UNAVAILABLE.
func TestReadsSurviveDatabaseOutage(t *testing.T) {
	owner := startServer(t, nil)
	if os.Getenv("TEST_MONGODB_URI") != "" {
		t.Skip("the outage test stops the embedded database, so it runs only without TEST_MONGODB_URI")
	}
	key := owner.mintKey(t, "ops", "admin")
	reader := startServer(t, map[string]string{"MONGODB_URI": owner.MongoURI, "MONGODB_DATABASE": owner.Database,
		"MONGODB_TIMEOUT": "1s", "MONGODB_CONNECT_TIMEOUT": "1s"})
	if code, body := readyz(t, reader); code != http.StatusOK {
		t.Fatalf("readyz before the outage = %d %s", code, body)
	}

	owner.stop(t) // stops the embedded FerretDB the reader uses

	eventually(t, 20*time.Second, func() error {
		if code, body := readyz(t, reader); code != http.StatusServiceUnavailable {
			return fmt.Errorf("readyz = %d %s, want 503", code, body)
		}
		return nil
	})
	var got struct {
		Office struct{ Name string }
	}
	reader.query(t, `{ office(key: "korea-office") { name } }`, nil, &got)
	if got.Office.Name != "Korea Office" {
		t.Fatalf("office during the outage = %+v", got)
	}
	e := reader.queryError(t, request{Token: key, Query: `mutation { deleteProgram(key: "x", version: 1) { key } }`}, "UNAVAILABLE")
	for _, leak := range []string{"mongo", "ferret", "dial", "socket", "connection"} {
		if strings.Contains(strings.ToLower(e.Message), leak) {
			t.Errorf("error message leaks %q: %s", leak, e.Message)
		}
	}
}
