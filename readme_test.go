package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestREADMEMutationSucceedsOnceThenConflicts runs the mutation README.md offers to try, twice, and checks that
// the second run fails as the README says it does, with a message that says why.
func TestREADMEMutationSucceedsOnceThenConflicts(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	var mutation string
	for _, m := range regexp.MustCompile("(?s)```graphql\n(.*?)```").FindAllStringSubmatch(string(readme), -1) {
		if strings.Contains(m[1], "grantMembership") {
			mutation = m[1]
		}
	}
	if mutation == "" {
		t.Fatal("README.md has no grantMembership mutation")
	}
	s := startServer(t, nil)
	admin := s.mintKey(t, "readme", "admin")
	mustGQL(t, s, admin, mutation, nil, nil)
	e := s.queryError(t, request{Query: mutation, Token: admin}, "CONFLICT")
	if !strings.Contains(e.Message, "already has") {
		t.Errorf("the second run's CONFLICT does not say that Beijing already has a membership: %q", e.Message)
	}
}
