package webhook_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/iclei/directory/directory"
	"github.com/iclei/directory/webhook"
)

func TestDeliveriesAreSignedAndCarryTheirKey(t *testing.T) {
	t.Parallel()
	var got *http.Request
	var body []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, body = r, must(io.ReadAll(r.Body))
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(srv.Close)
	hook := &directory.Webhook{ID: "wh-one", URL: srv.URL + "/hook"}
	d := &directory.Delivery{ID: "wh-one:12", Revision: 12, Body: []byte(`{"revision":"12"}`)}
	status, err := webhook.NewSender(true, "test").Send(context.Background(), hook, "whsec_x", d)
	if err != nil || status != http.StatusAccepted {
		t.Fatalf("status %d, %v", status, err)
	}
	if string(body) != string(d.Body) || got.Method != http.MethodPost || got.URL.Path != "/hook" ||
		got.Header.Get("Content-Type") != "application/json" || got.Header.Get(webhook.HeaderDelivery) != "wh-one:12" ||
		got.Header.Get(webhook.HeaderWebhook) != "wh-one" || got.Header.Get(webhook.HeaderRevision) != "12" {
		t.Errorf("request %s %s %v %s", got.Method, got.URL, got.Header, body)
	}
	sig := got.Header.Get(webhook.HeaderSignature)
	if !strings.HasPrefix(sig, "sha256=") || !webhook.Verify("whsec_x", body, sig) {
		t.Errorf("signature %q does not verify", sig)
	}
	if webhook.Verify("whsec_y", body, sig) || webhook.Verify("whsec_x", []byte(`{"revision":"13"}`), sig) {
		t.Error("the signature verifies with another secret or body")
	}
	// The signature of a known body and secret, as a receiver in any language computes it.
	if s := webhook.Sign("secret", []byte("body")); s != "sha256=dc46983557fea127b43af721467eb9b3fde2338fe3e14f51952aa8478c13d355" {
		t.Errorf("signature %s", s)
	}
}

func TestPrivateAddressesAreRefusedUnlessAllowed(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(srv.Close)
	d := &directory.Delivery{ID: "wh:1", Revision: 1, Body: []byte(`{}`)}
	// The URL names a host that resolves to loopback: the check is on the address connected to.
	for _, url := range []string{srv.URL, strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)} {
		_, err := webhook.NewSender(false, "test").Send(context.Background(), &directory.Webhook{ID: "wh", URL: url}, "s", d)
		if err == nil || !strings.Contains(err.Error(), "private") {
			t.Errorf("%s: %v, want a refusal", url, err)
		}
	}
	if status, err := webhook.NewSender(true, "test").Send(context.Background(), &directory.Webhook{ID: "wh", URL: srv.URL}, "s", d); err != nil || status != 200 {
		t.Errorf("allowed: %d %v", status, err)
	}
}

func TestRedirectsAreNotFollowed(t *testing.T) {
	t.Parallel()
	followed := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/elsewhere" {
			followed = true
			return
		}
		http.Redirect(w, r, "/elsewhere", http.StatusTemporaryRedirect)
	}))
	t.Cleanup(srv.Close)
	status, err := webhook.NewSender(true, "test").Send(context.Background(), &directory.Webhook{ID: "wh", URL: srv.URL},
		"s", &directory.Delivery{ID: "wh:1", Body: []byte(`{}`)})
	if err != nil || status != http.StatusTemporaryRedirect || followed {
		t.Errorf("status %d, %v, followed %v", status, err, followed)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
