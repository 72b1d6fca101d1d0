package directory

import (
	"context"
	"fmt"
	"sync"
)

// MemoryWebhookStore keeps webhooks' secrets, delivery states and claims in memory, for tests: several
// servers in one process share one, as servers share a database.
type MemoryWebhookStore struct {
	mu      sync.Mutex
	secrets map[string]string
	states  map[string]WebhookState
	claims  map[string]string
	// Fail, where set, is called before every operation; an error it returns is the operation's.
	Fail func(op, hook string) error
}

// NewMemoryWebhookStore returns an empty store.
func NewMemoryWebhookStore() *MemoryWebhookStore {
	return &MemoryWebhookStore{secrets: map[string]string{}, states: map[string]WebhookState{}, claims: map[string]string{}}
}

func (m *MemoryWebhookStore) fail(op, hook string) error {
	if m.Fail != nil {
		return m.Fail(op, hook)
	}
	return nil
}

func (m *MemoryWebhookStore) SaveSecret(_ context.Context, hook, secret string) error {
	if err := m.fail("saveSecret", hook); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, taken := m.secrets[hook]; taken {
		return fmt.Errorf("webhook %s has a secret already", hook)
	}
	m.secrets[hook] = secret
	return nil
}

func (m *MemoryWebhookStore) Secret(_ context.Context, hook string) (string, error) {
	if err := m.fail("secret", hook); err != nil {
		return "", err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.secrets[hook], nil
}

func (m *MemoryWebhookStore) State(_ context.Context, hook string) (*WebhookState, error) {
	if err := m.fail("state", hook); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.states[hook]
	if !ok {
		return nil, nil
	}
	return &s, nil
}

func (m *MemoryWebhookStore) SaveState(_ context.Context, hook string, s *WebhookState) error {
	if err := m.fail("saveState", hook); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	next := *s
	next.Delivered = max(next.Delivered, m.states[hook].Delivered)
	m.states[hook] = next
	return nil
}

func (m *MemoryWebhookStore) Claim(_ context.Context, hook string, slot int64, owner string) (bool, error) {
	if err := m.fail("claim", hook); err != nil {
		return false, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	key := fmt.Sprintf("%s@%d", hook, slot)
	if _, taken := m.claims[key]; taken {
		return false, nil
	}
	m.claims[key] = owner
	return true, nil
}

func (m *MemoryWebhookStore) Forget(_ context.Context, hook string) error {
	if err := m.fail("forget", hook); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.secrets, hook)
	delete(m.states, hook)
	return nil
}
