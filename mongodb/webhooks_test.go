package mongodb_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/iclei/directory/directory"
)

func TestWebhookStore(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()

	if err := s.SaveSecret(ctx, "wh-one", "whsec_1"); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveSecret(ctx, "wh-one", "whsec_2"); err == nil {
		t.Error("a webhook's secret was saved twice")
	}
	if secret, err := s.Secret(ctx, "wh-one"); err != nil || secret != "whsec_1" {
		t.Errorf("secret %q, %v", secret, err)
	}
	if st, err := s.State(ctx, "wh-one"); err != nil || st != nil {
		t.Errorf("a new webhook's state: %+v, %v; want none", st, err)
	}

	t.Run("the state is kept, and the delivered revision never moves back", func(t *testing.T) {
		at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
		want := directory.WebhookState{Delivered: 7, Attempts: 2, NextAttempt: at.Add(time.Minute), LastAttempt: at,
			LastStatus: 503, LastError: "the receiver answered 503"}
		if err := s.SaveState(ctx, "wh-one", &want); err != nil {
			t.Fatal(err)
		}
		stale := want
		stale.Delivered = 5
		if err := s.SaveState(ctx, "wh-one", &stale); err != nil {
			t.Fatal(err)
		}
		got, err := s.State(ctx, "wh-one")
		if err != nil || got == nil || got.Delivered != 7 || got.Attempts != 2 || !got.NextAttempt.Equal(want.NextAttempt) ||
			got.LastStatus != 503 || got.LastError != want.LastError || !got.LastSuccess.IsZero() {
			t.Errorf("state %+v, %v", got, err)
		}
		if secret, _ := s.Secret(ctx, "wh-one"); secret != "whsec_1" {
			t.Error("saving the state lost the secret")
		}
	})
	t.Run("exactly one claim of a slot wins", func(t *testing.T) {
		var wins atomic.Int32
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				won, err := s.Claim(ctx, "wh-one", 42, string(rune('a'+i)))
				if err != nil {
					t.Error(err)
				}
				if won {
					wins.Add(1)
				}
			})
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Errorf("%d claims of one slot won", wins.Load())
		}
		if won, _ := s.Claim(ctx, "wh-one", 43, "a"); !won {
			t.Error("the next slot could not be claimed")
		}
	})
	t.Run("a deleted webhook is forgotten", func(t *testing.T) {
		if err := s.Forget(ctx, "wh-one"); err != nil {
			t.Fatal(err)
		}
		if secret, _ := s.Secret(ctx, "wh-one"); secret != "" {
			t.Error("the secret survived")
		}
	})
}

func TestWebhookRecordsGoThroughTheLog(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	ctx := context.Background()
	hook := &directory.Webhook{ID: "wh-two", URL: "https://partner.example.org/hook", Since: 1,
		Filter:    directory.FeedFilter{Kinds: []string{directory.KindCity}, Regions: []string{directory.RegionEurope}},
		CreatedAt: time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC), CreatedBy: "apikey:admin", Description: "CRM"}
	e := &directory.Entry{Revision: 1, At: time.Now().UTC().Truncate(time.Millisecond), Actor: "apikey:admin", WriteID: "w1",
		Changes: []directory.Change{{Kind: directory.KindWebhook, Key: hook.ID, Action: directory.ActionCreate, After: hook}}}
	stored, err := s.Append(ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	got := stored.Changes[0].After.(*directory.Webhook)
	if got.URL != hook.URL || got.Filter.Kinds[0] != directory.KindCity || got.Filter.Regions[0] != directory.RegionEurope || got.Since != 1 {
		t.Errorf("webhook read back %+v", got)
	}
	snap := directory.NewSnapshot(directory.Data{}, time.Now())
	next, err := snap.Apply(stored, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Materialize(ctx, stored, next); err != nil {
		t.Fatal(err)
	}
	if err := s.SetMaterialized(ctx, 1); err != nil {
		t.Fatal(err)
	}
	d, err := s.LoadMaterialized(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Webhooks) != 1 || d.Webhooks[0].ID != hook.ID || d.Webhooks[0].CreatedBy != hook.CreatedBy {
		t.Errorf("materialized webhooks %+v", d.Webhooks)
	}
}
