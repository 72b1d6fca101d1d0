package graph_test

import (
	"testing"

	"github.com/iclei/directory/directory"
	"github.com/iclei/directory/internal/apitest"
)

// TestReviewTakesItsDeprecatedArguments: reviewMembershipApplication took its decision, note and city key as
// arguments before they moved into its input; clients written then keep working, and a request that gives
// both forms is refused as ambiguous.
func TestReviewTakesItsDeprecatedArguments(t *testing.T) {
	t.Parallel()
	s := writable(t)
	admin := s.mintKey(t, "review-admin", directory.RoleAdmin)
	apply := func(name string) string {
		var a struct{ ApplyForMembership struct{ Reference string } }
		mustGQL(t, s, "", applyQ, apitest.Input(apitest.Edit(applicationInput(), "name", name)), &a)
		return a.ApplyForMembership.Reference
	}

	const deprecated = `mutation($reference: String!) {
  reviewMembershipApplication(reference: $reference, version: 1, decision: REJECT, note: "Apply through your association.") {
    status decisionNote } }`
	var got struct {
		ReviewMembershipApplication struct{ Status, DecisionNote string }
	}
	mustGQL(t, s, admin, deprecated, map[string]any{"reference": apply("Old Client Town")}, &got)
	if r := got.ReviewMembershipApplication; r.Status != "REJECTED" || r.DecisionNote != "Apply through your association." {
		t.Errorf("review = %+v", r)
	}

	const both = `mutation($reference: String!) {
  reviewMembershipApplication(reference: $reference, version: 1, input: { decision: APPROVE }, decision: REJECT) { status } }`
	ref := apply("Ambiguous Town")
	wantError(t, gql(t, s, request{Query: both, Variables: map[string]any{"reference": ref}, Token: admin}), "BAD_USER_INPUT", "input")
	const neither = `mutation($reference: String!) { reviewMembershipApplication(reference: $reference, version: 1) { status } }`
	wantError(t, gql(t, s, request{Query: neither, Variables: map[string]any{"reference": ref}, Token: admin}), "BAD_USER_INPUT", "decision")
	var status struct{ MembershipApplicationStatus struct{ Status string } }
	mustGQL(t, s, "", `query($r: String!) { membershipApplicationStatus(reference: $r) { status } }`, map[string]any{"r": ref}, &status)
	if status.MembershipApplicationStatus.Status != "SUBMITTED" {
		t.Errorf("a refused review changed the application: %s", status.MembershipApplicationStatus.Status)
	}
}
