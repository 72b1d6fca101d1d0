package scalar_test

import (
	"bytes"
	"testing"

	"github.com/iclei/directory/directory"
	"github.com/iclei/directory/graph/scalar"
)

func TestRoleIsAnsweredInUpperCaseAndReadInBothSpellings(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		role      directory.Role
		name, old string
	}{
		{directory.RoleAdmin, "ADMIN", "admin"},
		{directory.RoleEditor, "EDITOR", "editor"},
	} {
		var buf bytes.Buffer
		scalar.MarshalRole(tc.role).MarshalGQL(&buf)
		if buf.String() != `"`+tc.name+`"` {
			t.Errorf("%s is answered as %s, want %q", tc.role, buf.String(), tc.name)
		}
		for _, v := range []string{tc.name, tc.old} {
			if r, err := scalar.UnmarshalRole(v); err != nil || r != tc.role {
				t.Errorf("%s read as %q, %v; want %s", v, r, err, tc.role)
			}
		}
	}
	if _, err := scalar.UnmarshalRole("Admin"); err == nil {
		t.Error("Admin is read as a role")
	}
}
