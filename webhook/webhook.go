// Package webhook posts the directory's changes to the webhooks admins register (directory.Webhooks decides
// what and when): each delivery signed with HMAC-SHA256 over its body with the webhook's secret, as GitHub and
// Stripe sign theirs, over connections that refuse loopback, private and other special addresses unless the
// server allows them, checked on the address each connection is made to, after the name is resolved.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/iclei/directory/directory"
)

// The headers of a delivery.
const (
	// HeaderSignature is "sha256=" and the hex HMAC-SHA256 of the body, keyed with the webhook's secret.
	HeaderSignature = "X-Directory-Signature-256"
	// HeaderDelivery is the delivery's idempotency key, the same every time an entry is sent to a webhook: a
	// receiver that has handled it drops it.
	HeaderDelivery = "X-Directory-Delivery"
	// HeaderWebhook names the webhook; HeaderRevision the entry of the change log.
	HeaderWebhook  = "X-Directory-Webhook"
	HeaderRevision = "X-Directory-Revision"
)

// Sign returns the signature of a body, as HeaderSignature carries it.
func Sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Verify reports whether signature is the body's, in constant time: what a receiver checks before it trusts a
// delivery.
func Verify(secret string, body []byte, signature string) bool {
	return hmac.Equal([]byte(Sign(secret, body)), []byte(signature))
}

// Sender posts deliveries over HTTP.
type Sender struct {
	client    *http.Client
	userAgent string
}

var _ directory.WebhookSender = (*Sender)(nil)

// errPrivate is the cause of a connection refused for its address.
var errPrivate = errors.New("refused to connect to a loopback, private or reserved address (WEBHOOK_ALLOW_PRIVATE allows it)")

// NewSender returns a sender. Unless allowPrivate, it connects to public addresses only. It follows no
// redirect (a redirect is a failed delivery, as the signature is for the URL registered) and uses no proxy.
func NewSender(allowPrivate bool, userAgent string) *Sender {
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	if !allowPrivate {
		dialer.Control = func(_, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			if a, err := netip.ParseAddr(host); err != nil || directory.IsPrivateAddress(a) {
				return fmt.Errorf("%s: %w", host, errPrivate)
			}
			return nil
		}
	}
	transport := &http.Transport{
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: 10 * time.Second,
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       90 * time.Second,
	}
	return &Sender{userAgent: userAgent, client: &http.Client{Transport: transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// maxResponseBytes bounds what is read of a receiver's answer, which is thrown away.
const maxResponseBytes = 64 << 10

// Send posts the delivery to the webhook's URL and returns the status the receiver answered with.
func (s *Sender) Send(ctx context.Context, hook *directory.Webhook, secret string, d *directory.Delivery) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, hook.URL, bytes.NewReader(d.Body))
	if err != nil {
		return 0, fmt.Errorf("make the request: %w", err)
	}
	h := req.Header
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", s.userAgent)
	h.Set(HeaderSignature, Sign(secret, d.Body))
	h.Set(HeaderDelivery, d.ID)
	h.Set(HeaderWebhook, hook.ID)
	h.Set(HeaderRevision, strconv.FormatInt(d.Revision, 10))
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, describe(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponseBytes))
	return resp.StatusCode, nil
}

// describe says why a delivery did not reach its receiver, for the webhook's state.
func describe(err error) error {
	switch {
	case errors.Is(err, errPrivate):
		return errPrivate
	case errors.Is(err, context.DeadlineExceeded):
		return errors.New("the receiver did not answer in time")
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return fmt.Errorf("the receiver's name does not resolve: %s", dnsErr.Name)
	}
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		msg = msg[i+2:]
	}
	return fmt.Errorf("the receiver could not be reached: %s", msg)
}
