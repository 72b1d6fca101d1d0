package ferretpg

import (
	"net/url"
	"testing"
)

// Every connection FerretDB opens asks for custom plans, beside the options the URL already gives.
func TestCustomPlansKeepTheURLsOptions(t *testing.T) {
	tests := []struct{ url, want string }{
		{"postgres://ferretdb@db:5432/ferretdb", "-c plan_cache_mode=force_custom_plan"},
		{"postgres://ferretdb@db:5432/ferretdb?options=-c%20statement_timeout%3D5000&sslmode=disable",
			"-c statement_timeout=5000 -c plan_cache_mode=force_custom_plan"},
		{"postgres://ferretdb@db:5432/ferretdb?options=-c%20plan_cache_mode%3Dauto", "-c plan_cache_mode=auto"},
	}
	for _, tt := range tests {
		u, err := url.Parse(tt.url)
		if err != nil {
			t.Fatal(err)
		}
		got := customPlans(u)
		if o := got.Query().Get("options"); o != tt.want {
			t.Errorf("%s: options %q, want %q", tt.url, o, tt.want)
		}
		if got.Host != u.Host || got.Path != u.Path || got.User.String() != u.User.String() {
			t.Errorf("%s: became %s", tt.url, got)
		}
		if u.Query().Get("sslmode") != got.Query().Get("sslmode") {
			t.Errorf("%s: lost sslmode: %s", tt.url, got)
		}
	}
}
