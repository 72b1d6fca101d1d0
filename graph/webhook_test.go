package graph_test

import (
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/iclei/directory/directory"
	"github.com/iclei/directory/graph"
)

func TestWebhooksOverGraphQL(t *testing.T) {
	t.Parallel()
	l := newLive(t)
	hooks := directory.NewWebhooks(l.writer, directory.NewMemoryWebhookStore(), directory.WebhookOptions{}, slog.New(slog.DiscardHandler))
	h := l.handler(t, graph.Options{Webhooks: hooks})
	const register = `mutation($url: String!, $filter: ChangeFilter) {
		registerWebhook(input: {url: $url, filter: $filter}) { secret webhook { id url since filter { kinds regions keys } delivery { status delivered behind attempts } } } }`

	_, resp := post(t, h, map[string]any{"query": register, "variables": map[string]any{
		"url": "https://crm.example.org/hooks", "filter": map[string]any{"regions": []string{"europe"}}}}, "Authorization", "Bearer admin")
	if len(resp.Errors) > 0 {
		t.Fatalf("errors: %+v", resp.Errors)
	}
	var got struct {
		RegisterWebhook struct {
			Secret  string
			Webhook struct {
				ID, URL, Since string
				Filter         struct{ Kinds, Regions, Keys []string }
				Delivery       struct {
					Status, Delivered string
					Behind, Attempts  int
				}
			}
		}
	}
	_ = json.Unmarshal(resp.Data, &got)
	w := got.RegisterWebhook.Webhook
	if !strings.HasPrefix(got.RegisterWebhook.Secret, "whsec_") || w.URL != "https://crm.example.org/hooks" ||
		w.Filter.Regions[0] != "europe" || w.Filter.Kinds == nil || w.Delivery.Status != "CURRENT" || w.Delivery.Delivered != w.Since {
		t.Errorf("registration %s", resp.Data)
	}

	t.Run("no later answer shows the secret", func(t *testing.T) {
		_, resp := post(t, h, map[string]any{"query": `{ webhooks { id url } }`}, "Authorization", "Bearer admin")
		if strings.Contains(string(resp.Data), got.RegisterWebhook.Secret) || !strings.Contains(string(resp.Data), w.ID) {
			t.Errorf("webhooks %s", resp.Data)
		}
	})
	t.Run("refusals carry their codes", func(t *testing.T) {
		for _, c := range []struct {
			token, url, code, field string
		}{
			{"", "https://crm.example.org/hooks", string(directory.CodeUnauthenticated), ""},
			{"editor", "https://crm.example.org/hooks", string(directory.CodeForbidden), ""},
			{"admin", "http://127.0.0.1:8080/hooks", string(directory.CodeInvalidInput), "input.url"},
			{"admin", "gopher://crm.example.org/", string(directory.CodeInvalidInput), "input.url"},
		} {
			header := []string{}
			if c.token != "" {
				header = []string{"Authorization", "Bearer " + c.token}
			}
			_, resp := post(t, h, map[string]any{"query": register, "variables": map[string]any{"url": c.url}}, header...)
			if resp.code() != c.code || c.field != "" && resp.Errors[0].Extensions["field"] != c.field {
				t.Errorf("%+v: %+v", c, resp.Errors)
			}
		}
		_, resp := post(t, h, map[string]any{"query": `{ webhooks { id } }`}, "Authorization", "Bearer editor")
		if resp.code() != string(directory.CodeForbidden) {
			t.Errorf("an editor's webhooks: %+v", resp.Errors)
		}
	})
	t.Run("a deleted webhook is gone", func(t *testing.T) {
		_, resp := post(t, h, map[string]any{"query": `mutation($id: String!) { deleteWebhook(id: $id) { key } }`,
			"variables": map[string]any{"id": w.ID}}, "Authorization", "Bearer admin")
		if len(resp.Errors) > 0 || !strings.Contains(string(resp.Data), w.ID) {
			t.Errorf("deleteWebhook: %s %+v", resp.Data, resp.Errors)
		}
		_, resp = post(t, h, map[string]any{"query": `mutation { deleteWebhook(id: "wh-nosuchhook") { key } }`}, "Authorization", "Bearer admin")
		if resp.code() != string(directory.CodeNotFound) {
			t.Errorf("deleting an unknown webhook: %+v", resp.Errors)
		}
	})
}
