package directory_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/iclei/directory/directory"
)

// testHooks are webhook options fast enough for tests.
var testHooks = directory.WebhookOptions{Lease: 300 * time.Millisecond, Timeout: 50 * time.Millisecond,
	RetryMin: 10 * time.Millisecond, RetryMax: 40 * time.Millisecond}

// receiver records what a webhook is sent, and answers with what fail says.
type receiver struct {
	mu         sync.Mutex
	deliveries []*directory.Delivery
	senders    []string
	// fail, where set, may fail a delivery: with a status (0 for none) and an error.
	fail func(d *directory.Delivery) (int, error)
}

// sender sends to the receiver as the named server.
type sender struct {
	name string
	to   *receiver
}

func (s sender) Send(_ context.Context, hook *directory.Webhook, secret string, d *directory.Delivery) (int, error) {
	if !strings.HasPrefix(secret, "whsec_") {
		return 0, fmt.Errorf("secret %q", secret)
	}
	s.to.mu.Lock()
	defer s.to.mu.Unlock()
	if s.to.fail != nil {
		if status, err := s.to.fail(d); status != 200 || err != nil {
			return status, err
		}
	}
	s.to.deliveries = append(s.to.deliveries, d)
	s.to.senders = append(s.to.senders, s.name)
	return 200, nil
}

func (r *receiver) revisions() []int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []int64
	for _, d := range r.deliveries {
		out = append(out, d.Revision)
	}
	return out
}

// waitFor waits until the receiver has n deliveries.
func (r *receiver) waitFor(t *testing.T, n int) []int64 {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := r.revisions()
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d deliveries: %v", len(got), n, got)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// runHooks runs the webhooks' deliveries of a server until the test ends, or stop is called.
func runHooks(t *testing.T, h *directory.Webhooks, s directory.WebhookSender, owner string) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.Run(ctx, s, owner)
	}()
	stop = sync.OnceFunc(func() {
		cancel()
		<-done
	})
	t.Cleanup(stop)
	return stop
}

func TestRegisteringAWebhookIsAnAdminsWriteOfTheLog(t *testing.T) {
	t.Parallel()
	log, s := seededLog(t)
	store := directory.NewMemoryWebhookStore()
	hooks := directory.NewWebhooks(s.w, store, testHooks, slog.New(slog.DiscardHandler))
	ctx := context.Background()
	in := directory.WebhookInput{URL: "https://partner.example.org/hooks/iclei", Filter: directory.FeedFilter{Kinds: []string{directory.KindCity}}}

	editor := &directory.Principal{Subject: "apikey:ed", Role: directory.RoleEditor, Regions: []string{directory.RegionEurope}}
	if _, _, err := hooks.Register(ctx, editor, in); code(err) != directory.CodeForbidden {
		t.Errorf("an editor registered a webhook: %v", err)
	}
	if _, _, err := hooks.Register(ctx, nil, in); code(err) != directory.CodeUnauthenticated {
		t.Errorf("an anonymous caller registered a webhook: %v", err)
	}
	before := s.rm.Snapshot()
	hook, secret, err := hooks.Register(ctx, admin, in)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, "whsec_") || len(secret) < 40 || hook.Since != before.Revision+1 || hook.CreatedBy != admin.Subject {
		t.Errorf("webhook %+v, secret %q", hook, secret)
	}
	if stored, _ := store.Secret(ctx, hook.ID); stored != secret {
		t.Error("the secret is not in the webhook store")
	}
	e, _ := log.Entry(ctx, hook.Since)
	if len(e.Changes) != 1 || e.Changes[0].Kind != directory.KindWebhook || e.Changes[0].Public() || e.Reason != "registerWebhook" {
		t.Errorf("registration entry %+v", e)
	}
	raw, _ := json.Marshal(e)
	if strings.Contains(string(raw), secret) {
		t.Error("the change log holds the webhook's secret")
	}
	after := s.rm.Snapshot()
	if after.PublicRevision != before.PublicRevision {
		t.Error("registering a webhook moved the public revision")
	}
	if p, _ := s.rm.Changes(ctx, after, nil, directory.FeedFilter{}, before.Revision, nil); len(p.Entries) != 0 {
		t.Error("anonymous callers see the registration in the change feed")
	}
	if got, _ := hooks.List(admin, after); len(got) != 1 || got[0].URL != in.URL {
		t.Errorf("webhooks %+v", got)
	}
	if _, err := hooks.List(editor, after); code(err) != directory.CodeForbidden {
		t.Errorf("an editor listed webhooks: %v", err)
	}

	t.Run("bad input is refused and writes nothing", func(t *testing.T) {
		n := log.Len()
		for _, in := range []directory.WebhookInput{
			{URL: "ftp://partner.example.org/x"},
			{URL: "/relative"},
			{URL: "https://user:pw@partner.example.org/x"},
			{URL: "https://127.0.0.1/x"},
			{URL: "https://[::1]:8443/x"},
			{URL: "http://169.254.169.254/latest/meta-data"},
			{URL: "http://10.1.2.3/x"},
			{URL: "http://localhost:8080/x"},
			{URL: "http://metadata.google.internal/x"},
			{URL: "http://intranet/x"},
			{URL: "https://partner.example.org/x", Filter: directory.FeedFilter{Regions: []string{"atlantis"}}},
			{URL: ""},
		} {
			if _, _, err := hooks.Register(ctx, admin, in); code(err) != directory.CodeInvalidInput {
				t.Errorf("%+v: %v, want BAD_USER_INPUT", in, err)
			}
		}
		if log.Len() != n {
			t.Errorf("refused registrations wrote %d entries", log.Len()-n)
		}
	})
	t.Run("private addresses are allowed where configured", func(t *testing.T) {
		if err := directory.CheckWebhookURL("http://127.0.0.1:9000/hook", true); err != nil {
			t.Error(err)
		}
	})
	t.Run("deleting a webhook forgets its secret", func(t *testing.T) {
		if err := hooks.Delete(ctx, admin, hook.ID); err != nil {
			t.Fatal(err)
		}
		if s.rm.Snapshot().Webhook(hook.ID) != nil {
			t.Error("the webhook is still there")
		}
		if secret, _ := store.Secret(ctx, hook.ID); secret != "" {
			t.Error("the secret is still stored")
		}
		if err := hooks.Delete(ctx, admin, hook.ID); code(err) != directory.CodeNotFound {
			t.Errorf("deleting it again: %v", err)
		}
	})
}

func TestPrivateAddresses(t *testing.T) {
	t.Parallel()
	for addr, private := range map[string]bool{
		"127.0.0.1": true, "10.0.0.1": true, "172.16.0.1": true, "192.168.1.1": true, "169.254.169.254": true,
		"100.64.0.1": true, "0.0.0.0": true, "::1": true, "fc00::1": true, "fe80::1": true, "::ffff:127.0.0.1": true,
		"224.0.0.1": true, "255.255.255.255": true, "64:ff9b::a00:1": true,
		"8.8.8.8": false, "2001:4860:4860::8888": false, "93.184.216.34": false,
	} {
		if got := directory.IsPrivateAddress(netip.MustParseAddr(addr)); got != private {
			t.Errorf("%s: private %v, want %v", addr, got, private)
		}
	}
}

// touchOffice writes n public entries: updates of the Korea office.
func touchOffice(t *testing.T, s *server, n int) {
	t.Helper()
	for range n {
		o := s.rm.Snapshot().Office("korea-office")
		if _, err := s.w.UpdateOffice(context.Background(), admin, o.Key, o.Version, officeInput(fmt.Sprintf("Korea Office %d", o.Version))); err != nil {
			t.Fatal(err)
		}
	}
}

func TestWebhooksGetEveryEntryTheirFilterSelectsOnceInOrder(t *testing.T) {
	t.Parallel()
	_, s := seededLog(t)
	store := directory.NewMemoryWebhookStore()
	hooks := directory.NewWebhooks(s.w, store, testHooks, slog.New(slog.DiscardHandler))
	ctx := context.Background()
	offices, _, err := hooks.Register(ctx, admin, directory.WebhookInput{URL: "https://a.example.org/",
		Filter: directory.FeedFilter{Kinds: []string{directory.KindOffice}}})
	if err != nil {
		t.Fatal(err)
	}
	europe, _, err := hooks.Register(ctx, admin, directory.WebhookInput{URL: "https://b.example.org/",
		Filter: directory.FeedFilter{Regions: []string{directory.RegionEurope}}})
	if err != nil {
		t.Fatal(err)
	}
	r := &receiver{}
	runHooks(t, hooks, sender{"one", r}, "one")
	start := s.rm.Snapshot().Revision
	touchOffice(t, s, 5)
	got := r.waitFor(t, 5)
	want := []int64{start + 1, start + 2, start + 3, start + 4, start + 5}
	if !slices.Equal(got, want) {
		t.Errorf("deliveries %v, want %v", got, want)
	}
	time.Sleep(100 * time.Millisecond)
	if n := len(r.revisions()); n != 5 {
		t.Errorf("%d deliveries, want 5: the European webhook's filter selects none of them", n)
	}
	var body struct {
		ID, Webhook, Revision string
		Changes               []struct {
			Kind, Key, ID, Action string
			Version               int
			Regions               []string
		}
	}
	if err := json.Unmarshal(r.deliveries[0].Body, &body); err != nil {
		t.Fatal(err)
	}
	c := body.Changes[0]
	if body.ID != r.deliveries[0].ID || body.ID != fmt.Sprintf("%s:%d", offices.ID, start+1) || body.Webhook != offices.ID ||
		c.Kind != directory.KindOffice || c.Key != "korea-office" || c.Action != "UPDATE" || c.ID == "" || c.Version < 2 ||
		!slices.Equal(c.Regions, []string{directory.RegionEastAsia}) {
		t.Errorf("body %s", r.deliveries[0].Body)
	}
	// The European webhook saw nothing to send, and moved on over the entries.
	eventually(t, func() error {
		st, _ := hooks.State(ctx, europe)
		if st.Delivered != start+5 {
			return fmt.Errorf("the European webhook is at %d, want %d", st.Delivered, start+5)
		}
		return nil
	})
}

func eventually(t *testing.T, check func() error) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestAFailedDeliveryIsRetriedAndHoldsBackTheNext(t *testing.T) {
	t.Parallel()
	_, s := seededLog(t)
	store := directory.NewMemoryWebhookStore()
	hooks := directory.NewWebhooks(s.w, store, testHooks, slog.New(slog.DiscardHandler))
	ctx := context.Background()
	hook, _, err := hooks.Register(ctx, admin, directory.WebhookInput{URL: "https://a.example.org/"})
	if err != nil {
		t.Fatal(err)
	}
	start := s.rm.Snapshot().Revision
	failures := 0
	r := &receiver{fail: func(d *directory.Delivery) (int, error) {
		if d.Revision == start+1 && failures < 3 {
			failures++
			return 503, nil
		}
		return 200, nil
	}}
	runHooks(t, hooks, sender{"one", r}, "one")
	touchOffice(t, s, 2)
	if got := r.waitFor(t, 2); !slices.Equal(got, []int64{start + 1, start + 2}) {
		t.Errorf("deliveries %v: the second entry went out before the first", got)
	}
	st, _ := hooks.State(ctx, hook)
	if failures != 3 || st.Attempts != 0 || st.LastStatus != 200 || st.LastError != "" || st.LastSuccess.IsZero() {
		t.Errorf("%d failures, state %+v", failures, st)
	}

	t.Run("the state says why deliveries fail", func(t *testing.T) {
		r.mu.Lock()
		r.fail = func(*directory.Delivery) (int, error) { return 500, nil }
		r.mu.Unlock()
		touchOffice(t, s, 1)
		eventually(t, func() error {
			st, _ := hooks.State(ctx, hook)
			if st.Attempts < 2 || st.LastStatus != 500 || !strings.Contains(st.LastError, "500") || st.NextAttempt.IsZero() ||
				st.Delivered != start+2 {
				return fmt.Errorf("state %+v", st)
			}
			return nil
		})
	})
}

func TestOneServerAtATimeDeliversAWebhook(t *testing.T) {
	t.Parallel()
	log, s := seededLog(t)
	other := newServer(t, log)
	store := directory.NewMemoryWebhookStore()
	quiet := slog.New(slog.DiscardHandler)
	hooks := directory.NewWebhooks(s.w, store, testHooks, quiet)
	if _, _, err := hooks.Register(context.Background(), admin, directory.WebhookInput{URL: "https://a.example.org/"}); err != nil {
		t.Fatal(err)
	}
	if _, err := other.rm.CatchUp(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Each server follows the log, as servers do.
	pollCtx, stopPolling := context.WithCancel(context.Background())
	t.Cleanup(stopPolling)
	go s.rm.Poll(pollCtx, 10*time.Millisecond)
	go other.rm.Poll(pollCtx, 10*time.Millisecond)
	r := &receiver{}
	stopOne := runHooks(t, hooks, sender{"one", r}, "one")
	runHooks(t, directory.NewWebhooks(other.w, store, testHooks, quiet), sender{"two", r}, "two")
	start := s.rm.Snapshot().Revision
	// Writes through both servers, over several lease slots.
	for i := range 12 {
		w := s
		if i%2 == 1 {
			w = other
			if _, err := w.rm.CatchUp(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		touchOffice(t, w, 1)
		time.Sleep(60 * time.Millisecond)
	}
	if _, err := other.rm.CatchUp(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := r.waitFor(t, 12)
	for i, rev := range got {
		if rev != start+int64(i)+1 {
			t.Fatalf("deliveries %v: want each revision after %d once, in order", got, start)
		}
	}

	t.Run("another server takes over when one stops, without repeating", func(t *testing.T) {
		stopOne()
		touchOffice(t, other, 3)
		got := r.waitFor(t, 15)
		time.Sleep(2 * testHooks.Lease)
		got = r.revisions()
		for i, rev := range got {
			if rev != start+int64(i)+1 {
				t.Fatalf("deliveries %v: want each revision after %d once, in order", got, start)
			}
		}
		r.mu.Lock()
		last := r.senders[len(r.senders)-1]
		r.mu.Unlock()
		if last != "two" {
			t.Errorf("the last delivery came from %s, want the server still running", last)
		}
	})
}

// A registration refused after its secret was stored (the directory filled up with webhooks meanwhile) leaves
// no secret behind: otherwise registrations racing at the bound would pile up secrets of webhooks that never
// were.
func TestARefusedRegistrationLeavesNoSecret(t *testing.T) {
	t.Parallel()
	_, s := seededLog(t)
	store := directory.NewMemoryWebhookStore()
	hooks := directory.NewWebhooks(s.w, store, testHooks, slog.New(slog.DiscardHandler))
	ctx := context.Background()
	in := directory.WebhookInput{URL: "https://partner.example.org/hooks/iclei"}
	var refused string
	store.Fail = func(op, hook string) error {
		if op != "saveSecret" || refused != "" {
			return nil
		}
		refused = hook
		// Other admins fill the directory up while this registration stores its secret.
		for range directory.MaxWebhooks {
			if _, _, err := hooks.Register(ctx, admin, in); err != nil {
				t.Error(err)
			}
		}
		return nil
	}
	if _, _, err := hooks.Register(ctx, admin, in); code(err) != directory.CodeConflict {
		t.Fatalf("registering past the bound: %v, want CONFLICT", err)
	}
	if secret, _ := store.Secret(ctx, refused); secret != "" {
		t.Error("the refused registration's secret is still stored")
	}
}
