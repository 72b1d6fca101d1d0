package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
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

// A server whose database engine goes away keeps answering reads from its last snapshot, says it is not ready,
// and refuses writes with UNAVAILABLE; once the engine is back it is ready again and the refused write goes
// through. The test stops and starts an engine of its own: the embedded FerretDB, or on an external engine
// FerretDB on a PostgreSQL database of the test's.
func TestReadsSurviveDatabaseOutage(t *testing.T) {
	t.Parallel()
	engine := startEngine(t)
	s := startServer(t, map[string]string{"MONGODB_URI": engine.URI, "MONGODB_TIMEOUT": "1s", "MONGODB_CONNECT_TIMEOUT": "1s"})
	key := s.mintKey(t, "ops", "admin")
	if code, body := readyz(t, s); code != http.StatusOK {
		t.Fatalf("readyz before the outage = %d %s", code, body)
	}
	const rename = `mutation { updateOffice(key: "korea-office", version: 1, input: {
		name: "ICLEI Korea Office", kind: COUNTRY_OFFICE, region: "east-asia", secretariat: "east-asia-secretariat",
		address: { street: ["3F, Suwon Research Institute", "126, Suin-ro, Gwonseon-gu"], locality: "Suwon-si",
			province: "Gyeonggi-do", postalCode: "16429", country: "KR" },
		location: { latitude: 37.2636, longitude: 127.0286, precision: CITY } }) { name version } }`

	engine.Stop(t)

	eventually(t, 20*time.Second, func() error {
		if code, body := readyz(t, s); code != http.StatusServiceUnavailable {
			return fmt.Errorf("readyz = %d %s, want 503", code, body)
		}
		return nil
	})
	var got struct {
		Office struct{ Name string }
	}
	s.query(t, `{ office(key: "korea-office") { name } }`, nil, &got)
	if got.Office.Name != "Korea Office" {
		t.Fatalf("office during the outage = %+v", got)
	}
	// A caller with an API key reads on too: keys are checked against the snapshot, not the database.
	if r := s.do(t, request{Token: key, Query: `{ viewer { subject } office(key: "korea-office") { name } }`}); len(r.Errors) > 0 {
		t.Fatalf("a read with an API key during the outage: %+v", r.Errors)
	}
	e := s.queryError(t, request{Token: key, Query: rename}, "UNAVAILABLE")
	for _, leak := range []string{"mongo", "ferret", "postgres", "dial", "socket", "connection"} {
		if strings.Contains(strings.ToLower(e.Message), leak) {
			t.Errorf("error message leaks %q: %s", leak, e.Message)
		}
	}

	engine.Start(t)

	eventually(t, 20*time.Second, func() error {
		if code, body := readyz(t, s); code != http.StatusOK {
			return fmt.Errorf("readyz = %d %s, want 200", code, body)
		}
		return nil
	})
	// The write refused during the outage changed nothing: the same version is still the one to update.
	r := s.do(t, request{Token: key, Query: rename})
	var renamed struct {
		UpdateOffice struct {
			Name    string
			Version int
		}
	}
	if len(r.Errors) > 0 {
		t.Fatalf("the write after the outage: %+v", r.Errors)
	}
	if err := json.Unmarshal(r.Data, &renamed); err != nil || renamed.UpdateOffice.Version != 2 {
		t.Fatalf("the write after the outage answered %s", r.Data)
	}
	s.query(t, `{ office(key: "korea-office") { name } }`, nil, &got)
	if got.Office.Name != "ICLEI Korea Office" {
		t.Fatalf("office after the outage = %+v", got)
	}
}
