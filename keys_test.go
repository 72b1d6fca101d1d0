package main

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/iclei/directory/directory"
	"github.com/iclei/directory/internal/apitest"
)

// Credentials from the command line reach a running server: API keys minted and revoked by the commands travel
// with the change log; JWTs minted with the server's secret are taken as they are. How each credential is
// checked is tested in auth/, what each role may do in directory/scopes_test.go, how the API answers in
// graph/mutations_test.go.
func TestCredentialsFromTheCommandLine(t *testing.T) {
	t.Parallel()
	s := startServer(t, writeEnv())
	admin := mintAPIKey(t, s, "cli-admin", "admin")
	europe := mintAPIKey(t, s, "cli-europe-editor", "editor", "europe")

	t.Run("the viewer of each", func(t *testing.T) {
		jwt := runCommand(t, s, "mint-jwt", "-name", "carol@iclei.org", "-role", "editor", "-regions", "east-asia,southeast-asia")
		type viewer struct {
			Subject, Role string
			Regions       []struct{ Code string }
		}
		for _, c := range []struct {
			name, token, subject, role string
			regions                    []string
		}{
			{"an admin key", admin, "apikey:cli-admin", "ADMIN", nil},
			{"an editor key", europe, "apikey:cli-europe-editor", "EDITOR", []string{"europe"}},
			{"an editor JWT", jwt, "jwt:carol@iclei.org", "EDITOR", []string{"east-asia", "southeast-asia"}},
		} {
			var got struct{ Viewer *viewer }
			mustGQL(t, s, c.token, `{ viewer { subject role regions { code } } }`, nil, &got)
			if got.Viewer == nil {
				t.Fatalf("%s: viewer is null", c.name)
			}
			var regions []string
			for _, r := range got.Viewer.Regions {
				regions = append(regions, r.Code)
			}
			if got.Viewer.Subject != c.subject || got.Viewer.Role != c.role || !slices.Equal(regions, c.regions) {
				t.Errorf("%s: viewer = %+v, want %s %s %v", c.name, got.Viewer, c.subject, c.role, c.regions)
			}
		}
	})

	t.Run("a revoked key is refused within the poll interval", func(t *testing.T) {
		revoked := mintAPIKey(t, s, "cli-revoked", "admin")
		if out := runCommand(t, s, "revoke-key", "-name", "cli-revoked"); !strings.HasPrefix(out, "revoked the API key") {
			t.Fatalf("revoke-key printed %q", out)
		}
		eventually(t, 10*time.Second, func() error {
			if r := s.do(t, request{Token: revoked, Query: `{ viewer { subject } }`}); len(r.Errors) == 0 {
				return errors.New("the server still takes the revoked key")
			}
			return nil
		})
		wantError(t, gql(t, s, request{Token: revoked, Query: createOfficeQ, Variables: apitest.Input(officeInput())}), "UNAUTHENTICATED", "")
	})

	t.Run("a JWT editor writes within its regions, named in the audit trail", func(t *testing.T) {
		jwt := runCommand(t, s, "mint-jwt", "-name", "dai@iclei.org", "-role", "editor", "-regions", "east-asia")
		mustGQL(t, s, jwt, updateOfficeQ, apitest.Keyed("japan-office", 1, map[string]any{"name": "Japan Office", "kind": "COUNTRY_OFFICE",
			"region": "east-asia", "secretariat": "east-asia-secretariat", "address": map[string]any{"locality": "Tokyo", "country": "JP"}}), nil)
		trail := auditTrail(t, s, admin, directory.GlobalID(directory.KindOffice, "japan-office"))
		if len(trail) == 0 || trail[0].Actor != "jwt:dai@iclei.org" || trail[0].Action != "UPDATE" {
			t.Errorf("latest audit entry = %+v, want an UPDATE by jwt:dai@iclei.org", trail)
		}
		wantError(t, gql(t, s, request{Token: jwt, Query: deleteOfficeQ, Variables: apitest.Keyed("brussels-office", 1, nil)}), "FORBIDDEN", "")
	})
}
