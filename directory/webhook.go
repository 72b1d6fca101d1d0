package directory

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Webhooks post the directory's changes to URLs that admins register, for systems that cannot hold a
// subscription open. A registration is a write like any other: an entry of the change log, so every server
// knows every webhook. What the log must not hold lives in a WebhookStore shared by the servers: each
// webhook's secret (the log is copied into every server's checkpoint and shown to admins in the audit trail),
// and where its deliveries stand (which changes with every delivery, and is no change to the directory).
//
// Deliveries are ordered per webhook: one entry at a time, in revision order, the next only once the last
// succeeded; a failure is retried with exponential backoff, holding back the entries after it. At most one
// server delivers a webhook at a time: time is cut into lease slots, and a server delivers a webhook during a
// slot only when it claimed that slot, by inserting a document whose _id names the webhook and the slot (the
// store's unique _id makes exactly one insert win, with no transaction). A server stops starting deliveries
// shortly before its slot ends, so that its last delivery is over and recorded before another server's slot
// begins, clocks a little apart included. A server that crashes after a receiver took a delivery but before
// it recorded it leaves that delivery to be sent again by the next owner: every delivery therefore carries an
// idempotency key (its webhook and revision, X-Directory-Delivery), by which a receiver drops the repeat.

// Webhook is a URL, registered by an admin, that the directory posts the changes its filter selects to.
type Webhook struct {
	ID          string
	URL         string
	Filter      FeedFilter
	Description string
	// Since is the revision of the entry that registered the webhook: it is sent the entries after it.
	Since     int64
	CreatedAt time.Time
	CreatedBy string
}

// WebhookInput is a webhook to register.
type WebhookInput struct {
	URL         string
	Filter      FeedFilter
	Description string
}

// WebhookState is where one webhook's deliveries stand.
type WebhookState struct {
	// Delivered is the revision up to which the webhook has been sent every entry its filter selects.
	Delivered int64
	// Attempts counts the failed attempts at sending the entry after Delivered; NextAttempt is when the next
	// attempt is due.
	Attempts    int
	NextAttempt time.Time
	LastAttempt time.Time
	LastSuccess time.Time
	// LastStatus is the HTTP status of the last attempt, 0 when none came back; LastError says why it failed.
	LastStatus int
	LastError  string
}

// WebhookStore keeps, for every server, what the change log does not hold of the webhooks: their secrets,
// their delivery states and the claims on them. Every operation names a document by webhook, so that a store
// reads and writes by _id alone.
type WebhookStore interface {
	// SaveSecret records a new webhook's secret, before its registration enters the log.
	SaveSecret(ctx context.Context, hook, secret string) error
	// Secret returns the webhook's secret, or "" when none is recorded.
	Secret(ctx context.Context, hook string) (string, error)
	// State returns the webhook's delivery state, or nil when none is recorded yet.
	State(ctx context.Context, hook string) (*WebhookState, error)
	// SaveState records the webhook's delivery state. Delivered never moves back, whoever writes last.
	SaveState(ctx context.Context, hook string, s *WebhookState) error
	// Claim makes owner the one server to deliver the webhook during the lease slot, and reports false when
	// another server claimed that slot first. Exactly one claim of a slot succeeds.
	Claim(ctx context.Context, hook string, slot int64, owner string) (bool, error)
	// Forget removes the secret and state of a deleted webhook.
	Forget(ctx context.Context, hook string) error
}

// WebhookSender posts a delivery to a webhook's URL, signed with its secret, and returns the HTTP status the
// receiver answered with. An error says the delivery did not reach the receiver or was refused.
type WebhookSender interface {
	Send(ctx context.Context, hook *Webhook, secret string, d *Delivery) (status int, err error)
}

// Delivery is one entry of the log as a webhook is sent it.
type Delivery struct {
	// ID is the delivery's idempotency key: the webhook's ID and the revision, the same every time the entry is
	// sent to the webhook.
	ID       string
	Revision int64
	// Body is the JSON the receiver gets.
	Body []byte
}

// WebhookOptions are the rules of webhooks on a server.
type WebhookOptions struct {
	// AllowPrivate lets webhooks point at loopback, private and link-local addresses. Off, such URLs are
	// refused, so that the directory cannot be made to call services on its own network (SSRF).
	AllowPrivate bool
	// Lease is the length of a lease slot; Timeout bounds one delivery.
	Lease   time.Duration
	Timeout time.Duration
	// RetryMin is the wait after a first failure; each further failure doubles it, up to RetryMax.
	RetryMin, RetryMax time.Duration
}

// Defaults of WebhookOptions.
const (
	DefaultWebhookLease    = 2 * time.Minute
	DefaultWebhookTimeout  = 10 * time.Second
	DefaultWebhookRetryMin = 5 * time.Second
	DefaultWebhookRetryMax = time.Hour
	// MaxWebhooks bounds how many webhooks the directory holds: each has a delivery worker on every server.
	MaxWebhooks = 100
	// maxWebhookURL bounds a webhook's URL.
	maxWebhookURL = 2000
)

func (o WebhookOptions) withDefaults() WebhookOptions {
	if o.Lease <= 0 {
		o.Lease = DefaultWebhookLease
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultWebhookTimeout
	}
	if o.RetryMin <= 0 {
		o.RetryMin = DefaultWebhookRetryMin
	}
	if o.RetryMax < o.RetryMin {
		o.RetryMax = max(DefaultWebhookRetryMax, o.RetryMin)
	}
	return o
}

// margin is how long before its slot ends a server stops starting deliveries, besides the delivery timeout: it
// covers the recording of the last delivery, and clocks of servers a little apart.
func (o WebhookOptions) margin() time.Duration { return min(5*time.Second, o.Lease/10) }

// Webhooks registers webhooks and delivers the change log to them.
type Webhooks struct {
	w      *Writer
	rm     *ReadModel
	store  WebhookStore
	opts   WebhookOptions
	logger *slog.Logger
	now    func() time.Time
}

// NewWebhooks returns the webhooks of the directory that w writes to.
func NewWebhooks(w *Writer, store WebhookStore, opts WebhookOptions, logger *slog.Logger) *Webhooks {
	return &Webhooks{w: w, rm: w.rm, store: store, opts: opts.withDefaults(), logger: logger, now: time.Now}
}

// newWebhookID returns a new webhook's ID, such as wh-7kq2m9xz4tab.
func newWebhookID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return "wh-" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))[:12]
}

// newWebhookSecret returns a secret to sign a webhook's deliveries with: 256 random bits.
func newWebhookSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return "whsec_" + hex.EncodeToString(b)
}

// Register registers a webhook and returns it with its secret, which is shown this once. Admins only.
func (h *Webhooks) Register(ctx context.Context, p *Principal, in WebhookInput) (*Webhook, string, error) {
	if err := requireAdmin(p, "register webhooks"); err != nil {
		return nil, "", err
	}
	v := &validator{prefix: "input."}
	u := v.text("url", in.URL, true, maxWebhookURL)
	description := v.text("description", in.Description, false, maxText)
	if err := v.result(); err != nil {
		return nil, "", err
	}
	if err := CheckWebhookURL(u, h.opts.AllowPrivate); err != nil {
		return nil, "", err
	}
	if err := in.Filter.Validate("input.filter"); err != nil {
		return nil, "", err
	}
	if n := h.rm.Snapshot().webhooks.Len(); n >= MaxWebhooks {
		return nil, "", Errorf(CodeConflict, "the directory holds %d webhooks, the most it delivers to; delete one first", n)
	}
	hook := &Webhook{ID: newWebhookID(), URL: u, Filter: in.Filter, Description: description,
		CreatedAt: storedTime(h.now()), CreatedBy: actorOf(p)}
	secret := newWebhookSecret()
	// The secret is stored first: once the registration is in the log, any server may deliver to the webhook.
	if err := h.store.SaveSecret(ctx, hook.ID, secret); err != nil {
		return nil, "", Unavailable(err)
	}
	snap, err := h.w.commit(ctx, actorOf(p), "registerWebhook", func(s *Snapshot) ([]Change, error) {
		if n := s.webhooks.Len(); n >= MaxWebhooks {
			return nil, Errorf(CodeConflict, "the directory holds %d webhooks, the most it delivers to; delete one first", n)
		}
		x := *hook
		x.Since = s.Revision + 1
		return []Change{{Kind: KindWebhook, Key: x.ID, Action: ActionCreate, After: &x}}, nil
	})
	if err != nil {
		// A refused registration never was: its secret goes, so that registrations refused at the bound do not
		// pile secrets up. One that failed on the way may be in the log after all, and keeps its secret.
		if c := ErrorCode(err); c != CodeUnavailable && c != CodeInternal {
			if ferr := h.store.Forget(context.WithoutCancel(ctx), hook.ID); ferr != nil {
				h.logger.Warn("cannot forget the secret of a refused webhook registration", "webhook", hook.ID, "err", ferr)
			}
		}
		return nil, "", err
	}
	return snap.Webhook(hook.ID), secret, nil
}

// Delete deletes a webhook: no delivery starts after it. Admins only.
func (h *Webhooks) Delete(ctx context.Context, p *Principal, id string) error {
	if err := requireAdmin(p, "delete webhooks"); err != nil {
		return err
	}
	_, err := h.w.commit(ctx, actorOf(p), "deleteWebhook", func(s *Snapshot) ([]Change, error) {
		old := s.Webhook(id)
		if old == nil {
			return nil, NotFound(KindWebhook, id)
		}
		return []Change{{Kind: KindWebhook, Key: id, Action: ActionDelete, Before: old}}, nil
	})
	if err != nil {
		return err
	}
	if err := h.store.Forget(ctx, id); err != nil {
		h.logger.Warn("cannot forget a deleted webhook's secret and state", "webhook", id, "err", err)
	}
	return nil
}

// List returns the webhooks, oldest first. Admins only.
func (h *Webhooks) List(p *Principal, s *Snapshot) ([]*Webhook, error) {
	if err := requireAdmin(p, "list webhooks"); err != nil {
		return nil, err
	}
	return s.Webhooks(), nil
}

// State returns where the webhook's deliveries stand.
func (h *Webhooks) State(ctx context.Context, hook *Webhook) (*WebhookState, error) {
	st, err := h.store.State(ctx, hook.ID)
	if err != nil {
		return nil, Unavailable(err)
	}
	if st == nil {
		st = &WebhookState{Delivered: hook.Since}
	}
	return st, nil
}

// Webhook returns the webhook with the ID, or nil.
func (s *Snapshot) Webhook(id string) *Webhook { return s.webhooks.Get(id) }

// Webhooks returns every webhook, oldest first.
func (s *Snapshot) Webhooks() []*Webhook {
	var out []*Webhook
	s.webhooks.Scan(func(x *Webhook) bool {
		out = append(out, x)
		return true
	})
	slices.SortFunc(out, func(a, b *Webhook) int { return cmp.Compare(a.Since, b.Since) })
	return out
}

// CheckWebhookURL checks that a webhook's URL is an absolute http or https URL the directory may post to: not
// to loopback, private, link-local or other special addresses, named or literal, unless allowPrivate. The
// sender checks the addresses a name resolves to again when it connects, as names may change.
func CheckWebhookURL(raw string, allowPrivate bool) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil || !u.IsAbs() || u.Host == "" || u.Opaque != "":
		return Invalid("input.url", "the URL must be absolute, such as https://example.org/hooks/directory")
	case u.Scheme != "https" && u.Scheme != "http":
		return Invalid("input.url", "the URL must be http or https, not %s", u.Scheme)
	case u.User != nil:
		return Invalid("input.url", "the URL must not hold a user name or password; authenticate deliveries by their signature")
	case u.Fragment != "":
		return Invalid("input.url", "the URL must not have a fragment")
	}
	if allowPrivate {
		return nil
	}
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	if a, err := netip.ParseAddr(host); err == nil {
		if IsPrivateAddress(a) {
			return Invalid("input.url", "the URL points at %s, a loopback, private or reserved address, where webhooks are not sent", host)
		}
		return nil
	}
	for _, local := range []string{"localhost", ".localhost", ".local", ".internal", ".home.arpa"} {
		if host == strings.TrimPrefix(local, ".") || strings.HasPrefix(local, ".") && strings.HasSuffix(host, local) {
			return Invalid("input.url", "the URL names %s, a local host, where webhooks are not sent", host)
		}
	}
	if !strings.Contains(host, ".") {
		return Invalid("input.url", "the URL names %s, which is not a public domain name", host)
	}
	return nil
}

// IsPrivateAddress reports whether a is an address webhooks are not sent to: loopback, private (RFC 1918,
// unique local), link-local, carrier-grade NAT, unspecified, multicast, or otherwise reserved.
func IsPrivateAddress(a netip.Addr) bool {
	a = a.Unmap()
	if a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() || !a.IsValid() {
		return true
	}
	for _, p := range reservedPrefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

var reservedPrefixes = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),      // this network
	netip.MustParsePrefix("100.64.0.0/10"),  // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),   // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"),  // benchmarking
	netip.MustParsePrefix("240.0.0.0/4"),    // reserved, and the broadcast address
	netip.MustParsePrefix("64:ff9b::/96"),   // NAT64, which may reach private IPv4 addresses
	netip.MustParsePrefix("64:ff9b:1::/48"), // local-use NAT64
	netip.MustParsePrefix("2002::/16"),      // 6to4, which embeds IPv4 addresses
	netip.MustParsePrefix("100::/64"),       // discard
	netip.MustParsePrefix("2001:db8::/32"),  // documentation
	netip.MustParsePrefix("::ffff:0:0/96"),  // IPv4-mapped, handled by Unmap; listed for completeness
	netip.MustParsePrefix("fec0::/10"),      // deprecated site-local
	netip.MustParsePrefix("2001::/32"),      // Teredo, which embeds IPv4 addresses
	netip.MustParsePrefix("192.88.99.0/24"), // 6to4 relay anycast
	netip.MustParsePrefix("169.254.0.0/16"), // link-local (cloud metadata), beside IsLinkLocalUnicast
	netip.MustParsePrefix("fe80::/10"),      // link-local, beside IsLinkLocalUnicast
	netip.MustParsePrefix("ff00::/8"),       // multicast, beside IsMulticast
	netip.MustParsePrefix("255.255.255.255/32"),
}

// deliveryBody is the JSON a webhook receives for one entry of the log: what changed, not the records
// themselves, which the receiver reads from the API (node(id:), or changes(after:) for the entry in full).
type deliveryBody struct {
	ID       string           `json:"id"`
	Webhook  string           `json:"webhook"`
	Revision string           `json:"revision"`
	At       time.Time        `json:"at"`
	Changes  []deliveryChange `json:"changes"`
}

type deliveryChange struct {
	Kind    string   `json:"kind"`
	Key     string   `json:"key"`
	ID      string   `json:"id,omitempty"`
	Action  Action   `json:"action"`
	Version int      `json:"version"`
	Regions []string `json:"regions"`
}

// delivery returns the delivery of the entry to the webhook, or nil when the webhook's filter selects none of
// its public changes. Webhooks are sent public changes only, whoever registered them.
func (hook *Webhook) delivery(e *Entry, s *Snapshot) (*Delivery, error) {
	fe := hook.Filter.View(e, nil, s)
	if fe == nil {
		return nil, nil
	}
	id := hook.ID + ":" + strconv.FormatInt(e.Revision, 10)
	body := deliveryBody{ID: id, Webhook: hook.ID, Revision: strconv.FormatInt(e.Revision, 10), At: e.At.UTC()}
	for i := range fe.Changes {
		c := &fe.Changes[i]
		regions := ChangeRegions(c, s)
		if regions == nil {
			regions = []string{}
		}
		body.Changes = append(body.Changes, deliveryChange{Kind: c.Kind, Key: c.Key, ID: c.GlobalID(), Action: c.Action,
			Version: c.RecordVersion(), Regions: regions})
	}
	b, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("encode the delivery of entry %d: %w", e.Revision, err)
	}
	return &Delivery{ID: id, Revision: e.Revision, Body: b}, nil
}

// Run delivers the change log to the webhooks until ctx ends: one worker per webhook, started and stopped as
// webhooks are registered and deleted. owner names this server in its claims.
func (h *Webhooks) Run(ctx context.Context, send WebhookSender, owner string) {
	var wg sync.WaitGroup
	workers := map[string]context.CancelFunc{}
	defer func() {
		for _, stop := range workers {
			stop()
		}
		wg.Wait()
	}()
	for {
		changed := h.rm.Changed()
		if snap := h.rm.Snapshot(); snap != nil {
			present := map[string]bool{}
			for _, hook := range snap.Webhooks() {
				present[hook.ID] = true
				if workers[hook.ID] == nil {
					wctx, stop := context.WithCancel(ctx)
					workers[hook.ID] = stop
					id := hook.ID
					wg.Go(func() { h.deliver(wctx, send, owner, id) })
				}
			}
			for id, stop := range workers {
				if !present[id] {
					stop()
					delete(workers, id)
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-changed:
		}
	}
}

// deliver is the worker of one webhook: while this server holds the webhook's lease, it sends the webhook the
// entries its filter selects, in order.
func (h *Webhooks) deliver(ctx context.Context, send WebhookSender, owner, id string) {
	lease := h.opts.Lease
	owned := int64(-1)
	var state *WebhookState
	secret := ""
	for ctx.Err() == nil {
		now := h.now()
		slot := now.UnixNano() / int64(lease)
		// Deliveries start no later than this in the slot: they are over, and recorded, before it ends.
		last := time.Unix(0, (slot+1)*int64(lease)).Add(-h.opts.Timeout - h.opts.margin())
		if owned != slot {
			won, err := h.store.Claim(ctx, id, slot, owner)
			if err != nil {
				h.logger.Warn("cannot claim a webhook's lease", "webhook", id, "err", err)
				sleep(ctx, h.opts.RetryMin)
				continue
			}
			if !won {
				// Another server delivers this slot.
				owned, state = -1, nil
				sleep(ctx, time.Unix(0, (slot+1)*int64(lease)).Sub(now))
				continue
			}
			owned = slot
			// Another server may have moved the state on while it held the lease.
			state = nil
		}
		if !now.Before(last) {
			sleep(ctx, time.Unix(0, (slot+1)*int64(lease)).Sub(now))
			continue
		}
		snap := h.rm.Snapshot()
		hook := snap.Webhook(id)
		if hook == nil {
			return
		}
		if state == nil {
			var err error
			if state, err = h.State(ctx, hook); err != nil {
				h.logger.Warn("cannot read a webhook's delivery state", "webhook", id, "err", err)
				sleep(ctx, h.opts.RetryMin)
				continue
			}
		}
		if secret == "" {
			var err error
			if secret, err = h.store.Secret(ctx, id); err != nil || secret == "" {
				h.logger.Warn("cannot read a webhook's secret", "webhook", id, "err", err)
				sleep(ctx, h.opts.RetryMin)
				continue
			}
		}
		if state.NextAttempt.After(now) {
			sleep(ctx, min(state.NextAttempt.Sub(now), last.Sub(now)))
			continue
		}
		changed := h.rm.Changed()
		d, through, err := h.next(ctx, hook, state.Delivered, snap)
		if err != nil {
			h.logger.Warn("cannot read the change log for a webhook", "webhook", id, "err", err)
			sleep(ctx, h.opts.RetryMin)
			continue
		}
		if d == nil {
			if through > state.Delivered {
				state.Delivered = through
				h.save(ctx, id, state)
			}
			if through == snap.Revision {
				// Caught up: wait for the next entry, or the end of this server's time to deliver.
				select {
				case <-ctx.Done():
				case <-changed:
				case <-time.After(last.Sub(now)):
				}
			}
			continue
		}
		h.attempt(ctx, send, hook, secret, d, state)
		h.save(ctx, id, state)
	}
}

// next returns the first delivery to the webhook after the revision, looking at no more than feedBudget entries
// of the log, and the revision it looked up to.
func (h *Webhooks) next(ctx context.Context, hook *Webhook, after int64, snap *Snapshot) (*Delivery, int64, error) {
	through := after
	for rev := after + 1; rev <= snap.Revision && rev <= after+feedBudget; rev++ {
		e, err := h.rm.Entry(ctx, rev)
		if err != nil || e == nil {
			return nil, through, fmt.Errorf("read entry %d: %w", rev, err)
		}
		d, err := hook.delivery(e, snap)
		if err != nil {
			return nil, through, err
		}
		if d != nil {
			return d, through, nil
		}
		through = rev
	}
	return nil, through, nil
}

// attempt sends one delivery and records its outcome in state.
func (h *Webhooks) attempt(ctx context.Context, send WebhookSender, hook *Webhook, secret string, d *Delivery, state *WebhookState) {
	sendCtx, cancel := context.WithTimeout(ctx, h.opts.Timeout)
	status, err := send.Send(sendCtx, hook, secret, d)
	cancel()
	if ctx.Err() != nil {
		return // shutting down: the entry is sent again later
	}
	now := storedTime(h.now())
	state.LastAttempt, state.LastStatus = now, status
	if err == nil && (status < 200 || status > 299) {
		err = fmt.Errorf("the receiver answered %d", status)
	}
	if err == nil {
		state.Delivered, state.Attempts, state.NextAttempt, state.LastError, state.LastSuccess = d.Revision, 0, time.Time{}, "", now
		return
	}
	state.Attempts++
	state.LastError = err.Error()
	if len(state.LastError) > 500 {
		state.LastError = state.LastError[:500]
	}
	wait := h.opts.RetryMin
	for i := 1; i < state.Attempts && wait < h.opts.RetryMax; i++ {
		wait *= 2
	}
	state.NextAttempt = now.Add(min(wait, h.opts.RetryMax))
	h.logger.Info("webhook delivery failed; retrying later", "webhook", hook.ID, "revision", d.Revision,
		"attempts", state.Attempts, "retryIn", min(wait, h.opts.RetryMax), "err", err)
}

func (h *Webhooks) save(ctx context.Context, id string, state *WebhookState) {
	if err := h.store.SaveState(ctx, id, state); err != nil && ctx.Err() == nil {
		h.logger.Warn("cannot record a webhook's delivery state", "webhook", id, "err", err)
	}
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// WebhookStatus says where a webhook's deliveries stand.
type WebhookStatus string

const (
	WebhookCurrent    WebhookStatus = "CURRENT"
	WebhookDelivering WebhookStatus = "DELIVERING"
	WebhookRetrying   WebhookStatus = "RETRYING"
)

// WebhookDelivery is where a webhook's deliveries stand, as admins read it.
type WebhookDelivery struct {
	Status    WebhookStatus
	Delivered int64
	// Behind is how many entries of the log, up to the snapshot's revision, the webhook has yet to be looked at for.
	Behind   int
	Attempts int
	// The times are nil where there are none; LastStatus is nil when no answer came back, LastError when the
	// last attempt succeeded.
	NextAttemptAt, LastAttemptAt, LastSuccessAt *time.Time
	LastStatus                                  *int
	LastError                                   *string
}

// Delivery returns where the webhook's deliveries stand at the snapshot.
func (h *Webhooks) Delivery(ctx context.Context, hook *Webhook, s *Snapshot) (*WebhookDelivery, error) {
	st, err := h.State(ctx, hook)
	if err != nil {
		return nil, err
	}
	d := &WebhookDelivery{Delivered: st.Delivered, Behind: int(max(s.Revision-st.Delivered, 0)), Attempts: st.Attempts,
		NextAttemptAt: optionalTime(st.NextAttempt), LastAttemptAt: optionalTime(st.LastAttempt), LastSuccessAt: optionalTime(st.LastSuccess)}
	if st.LastStatus != 0 {
		d.LastStatus = &st.LastStatus
	}
	if st.LastError != "" {
		d.LastError = &st.LastError
	}
	switch {
	case st.Attempts > 0:
		d.Status = WebhookRetrying
	case d.Behind > 0:
		d.Status = WebhookDelivering
	default:
		d.Status = WebhookCurrent
	}
	return d, nil
}

func optionalTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
