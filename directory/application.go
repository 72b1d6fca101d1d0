package directory

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/iclei/directory/internal/index"
)

// ApplicationStatus is where a membership application stands.
type ApplicationStatus string

const (
	ApplicationSubmitted ApplicationStatus = "SUBMITTED"
	ApplicationApproved  ApplicationStatus = "APPROVED"
	ApplicationRejected  ApplicationStatus = "REJECTED"
)

// applicationStatuses lists every application status.
var applicationStatuses = []ApplicationStatus{ApplicationSubmitted, ApplicationApproved, ApplicationRejected}

// Decision is a reviewer's decision on an application.
type Decision string

const (
	DecisionApprove Decision = "APPROVE"
	DecisionReject  Decision = "REJECT"
)

// Application is a local government's application for ICLEI membership, from ICLEI's "membership online
// application form". It holds personal contact data, so it is kept in the store and never in the public read
// model.
type Application struct {
	// Reference is the unguessable reference the applicant follows the application by.
	Reference   string
	Status      ApplicationStatus
	Name        string
	Country     string
	Population  int
	Category    MembershipCategory
	ContactName string
	Email       string
	Phone       *Phone
	Motivation  string
	// Region and Secretariat are where the application was routed: the region serving its country and that
	// region's secretariat (the World Secretariat where the region has none).
	Region       string
	Secretariat  string
	SubmittedAt  time.Time
	DecidedAt    time.Time
	DecidedBy    string
	DecisionNote string
	// City and Membership are the city and membership an approval created or updated.
	City       string
	Membership string
	Version    int
}

// ApplicationInput is what an applicant submits.
type ApplicationInput struct {
	Name        string
	Country     string
	Population  int
	Category    MembershipCategory
	ContactName string
	Email       string
	Phone       string
	Motivation  string
}

// ReviewInput is a reviewer's decision on an application.
type ReviewInput struct {
	Reference string
	Version   int
	Decision  Decision
	Note      string
	// CityKey names the city an approval creates or attaches the membership to; by default a key derived from
	// the applicant's name.
	CityKey string
}

// ApplicationFilter selects applications.
type ApplicationFilter struct {
	Status ApplicationStatus
	Region string
	// Regions, when not empty, limits the applications to these regions (an editor's scope).
	Regions []string
}

// newReference returns an unguessable application reference such as ICLEI-7KQ2M-9XZ4T-RB3QA (75 random bits).
func newReference() string {
	b := make([]byte, 10)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	s := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)[:15]
	return "ICLEI-" + s[:5] + "-" + s[5:10] + "-" + s[10:15]
}

// storedTime returns t as the store keeps it, in UTC to the millisecond, so that an application answers with the
// same times when it is written and when it is read again.
func storedTime(t time.Time) time.Time {
	return t.UTC().Truncate(time.Millisecond)
}

// SubmitApplication records a membership application, routed to the secretariat serving its country. Anyone
// may apply; the caller rate-limits submissions.
func (w *Writer) SubmitApplication(ctx context.Context, in ApplicationInput) (*Application, error) {
	v := &validator{prefix: "input."}
	a := &Application{
		Reference:   newReference(),
		Status:      ApplicationSubmitted,
		Name:        v.text("name", in.Name, true, maxName),
		Country:     v.country("country", in.Country, true),
		Population:  in.Population,
		Category:    in.Category,
		ContactName: v.text("contactName", in.ContactName, true, maxName),
		Email:       v.email("email", in.Email),
		Phone:       v.phone("phone", in.Phone, in.Country),
		Motivation:  v.text("motivation", in.Motivation, true, maxText),
		SubmittedAt: storedTime(w.now()),
		Version:     1,
	}
	checkEnum(v, "category", in.Category, membershipCategories, true)
	if strings.TrimSpace(in.Email) == "" {
		v.fail("email", "email is required, so that the secretariat can answer")
	}
	if in.Population < 0 || in.Population > maxPopul {
		v.fail("population", "population must be between 0 and %d", maxPopul)
	}
	if err := v.result(); err != nil {
		return nil, err
	}
	a.Region = countryRegion(a.Country)
	snap, err := w.commit(ctx, "applicant:"+a.Email, "applyForMembership", func(snap *Snapshot) ([]Change, error) {
		routed := *a
		if x := snap.RegionSecretariat(routed.Region); x != nil {
			routed.Secretariat = x.Key
		} else if x := snap.RegionSecretariat(RegionGlobal); x != nil {
			routed.Secretariat = x.Key
		}
		if snap.applications.Get(routed.Reference) != nil {
			routed.Reference = newReference()
		}
		a = &routed
		return []Change{{Kind: KindApplication, Key: routed.Reference, Action: ActionCreate, After: &routed}}, nil
	})
	if err != nil {
		return nil, err
	}
	return snap.applications.Get(a.Reference), nil
}

// Auditor answers the audit trail, for admins, from the read model's index of which entries changed which
// record.
type Auditor struct {
	rm  *ReadModel
	log AuditLog
}

// AuditLog reads the change log as the audit trail.
type AuditLog interface {
	// AuditEntries returns the record's changes in the entries at the revisions, in that order, with the record
	// before and after as the store keeps it.
	AuditEntries(ctx context.Context, kind, key string, revisions []int64) ([]AuditEntry, error)
}

// AuditEntry is one write of a record as the audit trail shows it.
type AuditEntry struct {
	// ID identifies the entry: the revision of the change log that made the write.
	ID      string
	Kind    string
	Key     string
	Action  Action
	Actor   string
	At      time.Time
	Version int
	Before  map[string]any
	After   map[string]any
}

// NewAuditor returns the audit trail over the log.
func NewAuditor(rm *ReadModel, log AuditLog) *Auditor { return &Auditor{rm: rm, log: log} }

// ApplicationByReference returns the application with the reference, or nil, for the applicant to follow it.
func (s *Snapshot) ApplicationByReference(reference string) (*Application, error) {
	if len(reference) > 40 {
		return nil, Invalid("reference", "that is not an application reference; references look like ICLEI-7KQ2M-9XZ4T-RB3QA")
	}
	return s.applications.Get(strings.ToUpper(strings.TrimSpace(reference))), nil
}

// Applications returns a page of applications for staff, newest first: admins see all, editors those of their
// regions.
func (s *Snapshot) Applications(p *Principal, f ApplicationFilter, args PageArgs) (*Page[*Application], error) {
	if p == nil {
		return nil, ErrUnauthenticated("listing applications needs a token")
	}
	snap := s
	q := index.Query[Application]{}
	if f.Region != "" {
		if err := snap.CheckRegion("filter.region", f.Region); err != nil {
			return nil, err
		}
		if err := authorize(p, "reading the applications of this region", f.Region); err != nil {
			return nil, err
		}
		q.Terms = append(q.Terms, index.Term{Dim: dimRegion, Value: f.Region})
	}
	if f.Status != "" {
		v := &validator{}
		checkEnum(v, "filter.status", f.Status, applicationStatuses, false)
		if err := v.result(); err != nil {
			return nil, err
		}
		q.Terms = append(q.Terms, index.Term{Dim: dimStatus, Value: string(f.Status)})
	}
	if p.Role != RoleAdmin {
		regions := p.Regions
		q.Match = func(a *Application) bool { return slices.Contains(regions, a.Region) }
	}
	return find(snap.applications, "Application", q, Order{Field: orderBySubmitted, Direction: Asc}, args)
}

// Application returns the application with the reference for staff allowed to review it.
func (s *Snapshot) Application(p *Principal, reference string) (*Application, error) {
	if p == nil {
		return nil, ErrUnauthenticated("reading an application needs a token")
	}
	a, err := s.ApplicationByReference(reference)
	if err != nil || a == nil {
		return a, err
	}
	if err := authorize(p, "reading this application", a.Region); err != nil {
		return nil, err
	}
	return a, nil
}

// AuditTrail returns the audit entries of the record with the global ID, newest first. Only admins may read it.
func (s *Auditor) AuditTrail(ctx context.Context, p *Principal, id string) ([]*AuditEntry, error) {
	if err := requireAdmin(p, "read the audit trail"); err != nil {
		return nil, err
	}
	kind, key, err := ParseGlobalID(id)
	if err != nil {
		return nil, err
	}
	if kind == KindMembership {
		// A membership is written as part of its city.
		kind, key = KindCity, strings.Split(key, "/")[0]
	}
	snap := s.rm.Snapshot()
	if snap == nil {
		return nil, Errorf(CodeUnavailable, "the directory is still loading; try again shortly")
	}
	revisions := slices.Clone(snap.History(kind, key))
	slices.Reverse(revisions)
	entries, err := s.log.AuditEntries(ctx, kind, key, revisions)
	if err != nil {
		return nil, Unavailable(err)
	}
	out := make([]*AuditEntry, len(entries))
	for i := range entries {
		out[i] = &entries[i]
	}
	return out, nil
}

// ReviewApplication approves or rejects a submitted application. Approval creates the city, or attaches to the
// existing one, and grants it the membership applied for, in the same entry of the change log as the decision;
// the applicant sees the outcome by reference.
func (w *Writer) ReviewApplication(ctx context.Context, p *Principal, in ReviewInput) (*Application, error) {
	if p == nil {
		return nil, ErrUnauthenticated("reviewing applications needs a token")
	}
	v := &validator{}
	checkEnum(v, "decision", in.Decision, []Decision{DecisionApprove, DecisionReject}, true)
	note := v.text("note", in.Note, false, maxText)
	if in.Version < 1 {
		v.fail("version", "version must be the application's version as last read, 1 or more")
	}
	if len(in.Reference) > 40 {
		v.fail("reference", "that is not an application reference; references look like ICLEI-7KQ2M-9XZ4T-RB3QA")
	}
	if err := v.result(); err != nil {
		return nil, err
	}
	reference := strings.ToUpper(strings.TrimSpace(in.Reference))
	snap, err := w.commit(ctx, actorOf(p), "reviewMembershipApplication", func(snap *Snapshot) ([]Change, error) {
		a := snap.applications.Get(reference)
		if a == nil {
			return nil, NotFound(KindApplication, in.Reference)
		}
		if err := authorize(p, "reviewing this application", a.Region); err != nil {
			return nil, err
		}
		if a.Status != ApplicationSubmitted {
			return nil, Errorf(CodeConflict, "the application was already %s on %s", strings.ToLower(string(a.Status)), a.DecidedAt.Format(time.DateOnly))
		}
		if a.Version != in.Version {
			return nil, Errorf(CodeConflict, "the application changed since you read it (version %d, you read %d); read it again", a.Version, in.Version)
		}
		decided := *a
		decided.Status = map[Decision]ApplicationStatus{DecisionApprove: ApplicationApproved, DecisionReject: ApplicationRejected}[in.Decision]
		decided.DecidedAt, decided.DecidedBy, decided.DecisionNote = storedTime(w.now()), p.Subject, note
		decided.Version = a.Version + 1
		var changes []Change
		if in.Decision == DecisionApprove {
			c, err := w.approve(snap, p, &decided, in.CityKey)
			if err != nil {
				return nil, err
			}
			changes = append(changes, c)
		}
		return append(changes, Change{Kind: KindApplication, Key: a.Reference, Action: ActionUpdate, Version: a.Version, Before: a, After: &decided}), nil
	})
	if err != nil {
		return nil, err
	}
	return snap.applications.Get(reference), nil
}

// approve returns the change that creates or updates the applicant's city with the membership applied for,
// recording the city and membership in a.
func (w *Writer) approve(snap *Snapshot, p *Principal, a *Application, cityKey string) (Change, error) {
	v := &validator{}
	key := v.key(cityKey, a.Name)
	if err := v.result(); err != nil {
		var e *Error
		if errors.As(err, &e) {
			e.Field = "cityKey"
		}
		return Change{}, err
	}
	old := snap.City(key)
	var c *City
	if old == nil {
		in := CityInput{Key: key, Name: a.Name, Country: a.Country, Population: a.Population}
		created, err := cityKind.validate(&in, snap)
		if err != nil {
			return Change{}, err
		}
		if err := authorize(p, "creating a city", created.Region); err != nil {
			return Change{}, err
		}
		created.setStamp(1, Provenance{Origin: OriginWrite})
		cityKind.keep(nil, created)
		c = created
	} else {
		if old.Country != a.Country {
			return Change{}, &Error{Code: CodeConflict, Field: "cityKey", Message: "the city " + key + " is in " + old.Country +
				", not in the applicant's country " + a.Country + "; pass cityKey to name the city to create or attach to"}
		}
		if err := authorize(p, "granting a membership to this city", old.Region); err != nil {
			return Change{}, err
		}
		cp := *old
		cp.Memberships = slices.Clone(old.Memberships)
		c = &cp
	}
	m, err := w.newMembership(snap, c, a.Category, w.now(), a.Secretariat, "Granted on application "+a.Reference, "", a.Reference)
	if err != nil {
		return Change{}, err
	}
	a.City, a.Membership = c.Key, m.ID
	if old == nil {
		return Change{Kind: KindCity, Key: key, Action: ActionCreate, After: c}, nil
	}
	return membershipChange(old, c), nil
}
