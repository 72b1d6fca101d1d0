package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/iclei/directory/webhook"
)

// hookReceiver is a webhook's receiver: it checks every delivery's signature, and records the revisions it
// takes, in order.
type hookReceiver struct {
	t      *testing.T
	secret func() string
	mu     sync.Mutex
	taken  []int64
	keys   []string
	// refuse, while above 0, is how many more deliveries to answer with 503.
	refuse int
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if !webhook.Verify(h.secret(), body, r.Header.Get(webhook.HeaderSignature)) {
		h.t.Errorf("a delivery's signature does not verify: %s", body)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var d struct{ ID, Revision string }
	if err := json.Unmarshal(body, &d); err != nil || d.ID != r.Header.Get(webhook.HeaderDelivery) {
		h.t.Errorf("delivery %s, header %q", body, r.Header.Get(webhook.HeaderDelivery))
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.refuse > 0 {
		h.refuse--
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	rev, _ := strconv.ParseInt(d.Revision, 10, 64)
	h.taken = append(h.taken, rev)
	h.keys = append(h.keys, d.ID)
	w.WriteHeader(http.StatusNoContent)
}

func (h *hookReceiver) revisions() []int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.taken)
}

// TestWebhooksAcrossServersAndRestarts registers a webhook on a real server, has several servers on one database
// deliver to it while the directory changes and one of them restarts, and checks that the receiver gets every
// change once, in order, signed, after failures too.
func TestWebhooksAcrossServersAndRestarts(t *testing.T) {
	t.Parallel()
	env := map[string]string{"WEBHOOK_ALLOW_PRIVATE": "true", "WEBHOOK_LEASE": "1s", "WEBHOOK_TIMEOUT": "200ms",
		"WEBHOOK_RETRY_MIN": "50ms", "WEBHOOK_RETRY_MAX": "200ms"}
	first := startServer(t, env)
	shared := map[string]string{"MONGODB_URI": first.MongoURI, "MONGODB_DATABASE": first.Database}
	for k, v := range env {
		shared[k] = v
	}
	second := startServer(t, shared)
	key := first.mintKey(t, "hooks-admin", "admin")
	second.waitForKey(t, key)

	var secret string
	var secretMu sync.Mutex
	recv := &hookReceiver{t: t, refuse: 2, secret: func() string {
		secretMu.Lock()
		defer secretMu.Unlock()
		return secret
	}}
	srv := httptest.NewServer(recv)
	t.Cleanup(srv.Close)

	var reg struct {
		RegisterWebhook struct {
			Webhook struct{ ID, Since string }
			Secret  string
		}
	}
	r := first.do(t, request{Token: key, Query: `mutation($url: String!) {
		registerWebhook(input: {url: $url, filter: {kinds: ["Office"]}, description: "the partner's CRM"}) { webhook { id since } secret } }`,
		Variables: map[string]any{"url": srv.URL + "/hooks/iclei"}})
	if len(r.Errors) > 0 {
		t.Fatalf("registerWebhook: %+v", r.Errors)
	}
	_ = json.Unmarshal(r.Data, &reg)
	secretMu.Lock()
	secret = reg.RegisterWebhook.Secret
	secretMu.Unlock()
	since, _ := strconv.ParseInt(reg.RegisterWebhook.Webhook.Since, 10, 64)

	// Writes through both servers: renames of the Korea office, each an entry the filter selects, and a
	// membership, which it does not.
	var rename func(s *testServer, n int)
	rename = func(s *testServer, n int) {
		t.Helper()
		var got struct{ Office struct{ Version int } }
		eventually(t, 10*time.Second, func() error {
			r := s.do(t, request{Query: `{ office(key: "korea-office") { version } }`})
			return json.Unmarshal(r.Data, &got)
		})
		r := s.do(t, request{Token: key, Query: `mutation($v: Int!, $name: String!) {
			updateOffice(key: "korea-office", version: $v, input: { name: $name, kind: COUNTRY_OFFICE, region: "east-asia",
				secretariat: "east-asia-secretariat", address: { locality: "Suwon-si", country: "KR" } }) { version } }`,
			Variables: map[string]any{"v": got.Office.Version, "name": fmt.Sprintf("Korea Office %d", n)}})
		if len(r.Errors) > 0 && r.Errors[0].Code() == "CONFLICT" {
			time.Sleep(100 * time.Millisecond) // the other server's write has not reached this one yet
			rename(s, n)
			return
		}
		if len(r.Errors) > 0 {
			t.Fatalf("updateOffice: %+v", r.Errors)
		}
	}
	for i := range 4 {
		if i%2 == 0 {
			rename(first, i)
		} else {
			rename(second, i)
		}
	}
	waitTaken := func(n int) []int64 {
		t.Helper()
		var got []int64
		eventually(t, 20*time.Second, func() error {
			if got = recv.revisions(); len(got) < n {
				return fmt.Errorf("%d of %d deliveries", len(got), n)
			}
			return nil
		})
		return got
	}
	got := waitTaken(4)
	if got[0] <= since || !slices.IsSorted(got) || len(slices.Compact(slices.Clone(got))) != len(got) {
		t.Errorf("revisions taken %v: want each once, in order, after the registration at %d", got, since)
	}

	t.Run("the state says where deliveries stand", func(t *testing.T) {
		eventually(t, 10*time.Second, func() error {
			var state struct {
				Webhooks []struct {
					ID       string
					URL      string
					Delivery struct {
						Status, Delivered string
						Attempts          int
						LastStatus        *int
					}
				}
			}
			r := second.do(t, request{Token: key, Query: `{ webhooks { id url delivery { status delivered attempts lastStatus } } }`})
			if len(r.Errors) > 0 {
				return fmt.Errorf("%+v", r.Errors)
			}
			_ = json.Unmarshal(r.Data, &state)
			if len(state.Webhooks) != 1 {
				return fmt.Errorf("webhooks %s", r.Data)
			}
			d := state.Webhooks[0].Delivery
			if d.Status != "CURRENT" || d.Attempts != 0 || d.LastStatus == nil || *d.LastStatus != 204 {
				return fmt.Errorf("delivery %+v", d)
			}
			return nil
		})
		if r := first.do(t, request{Query: `{ webhooks { id } }`}); len(r.Errors) == 0 || r.Errors[0].Code() != "UNAUTHENTICATED" {
			t.Errorf("anonymous webhooks: %+v", r.Errors)
		}
	})

	t.Run("a server that restarts, and one that stops, leave the others to go on", func(t *testing.T) {
		second.stop(t)
		rename(first, 10)
		third := startServer(t, shared)
		rename(third, 11)
		rename(first, 12)
		got := waitTaken(7)
		time.Sleep(2 * time.Second) // two lease slots: a repeat would have come by now
		got = recv.revisions()
		if len(got) != 7 || !slices.IsSorted(got) || len(slices.Compact(slices.Clone(got))) != 7 {
			t.Errorf("revisions taken %v: want 7, each once, in order", got)
		}
	})
}
