package directory

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"strings"
	"time"
)

// ApplicationStatus is where a membership application stands.
type ApplicationStatus string

const (
	ApplicationSubmitted ApplicationStatus = "SUBMITTED"
	ApplicationApproved  ApplicationStatus = "APPROVED"
	ApplicationRejected  ApplicationStatus = "REJECTED"
)

// ApplicationStatuses lists every application status.
var ApplicationStatuses = []ApplicationStatus{ApplicationSubmitted, ApplicationApproved, ApplicationRejected}

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

// SubmitApplication stores a membership application, routed to the secretariat serving its country. Anyone may
// apply; the caller rate-limits submissions.
func (s *Writer) SubmitApplication(ctx context.Context, in ApplicationInput) (*Application, error) {
	snap, err := s.snapshot()
	if err != nil {
		return nil, err
	}
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
		SubmittedAt: storedTime(s.now()),
		Version:     1,
	}
	checkEnum(v, "category", in.Category, MembershipCategories, true)
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
	if x := snap.RegionSecretariat(a.Region); x != nil {
		a.Secretariat = x.Key
	} else if x := snap.RegionSecretariat(RegionGlobal); x != nil {
		a.Secretariat = x.Key
	}
	if err := s.store.SaveApplication(ctx, a, "applicant:"+a.Email); err != nil {
		return nil, err
	}
	return a, nil
}

// ApplicationByReference returns the application with the reference, for the applicant to follow it.
func (s *Writer) ApplicationByReference(ctx context.Context, reference string) (*Application, error) {
	if len(reference) > 40 {
		return nil, Invalid("reference", "that is not an application reference; references look like ICLEI-7KQ2M-9XZ4T-RB3QA")
	}
	return s.store.Application(ctx, strings.ToUpper(strings.TrimSpace(reference)))
}

// Applications returns a page of applications for staff: admins see all, editors those of their regions.
func (s *Writer) Applications(ctx context.Context, p *Principal, f ApplicationFilter, args PageArgs) (*Page[*Application], error) {
	if p == nil {
		return nil, ErrUnauthenticated("listing applications needs a token")
	}
	if f.Region != "" {
		if snap, err := s.snapshot(); err != nil {
			return nil, err
		} else if err := snap.CheckRegion("filter.region", f.Region); err != nil {
			return nil, err
		}
		if err := authorize(p, "reading the applications of this region", f.Region); err != nil {
			return nil, err
		}
	}
	if f.Status != "" {
		v := &validator{}
		checkEnum(v, "filter.status", f.Status, ApplicationStatuses, false)
		if err := v.result(); err != nil {
			return nil, err
		}
	}
	if p.Role != RoleAdmin {
		f.Regions = p.Regions
	}
	as, err := s.store.Applications(ctx, f)
	if err != nil {
		return nil, err
	}
	return pageOf("Application", as, func(a *Application) sortKey {
		return sortKey{num: -float64(a.SubmittedAt.UnixNano()), key: a.Reference}
	}, args)
}

// Application returns the application with the reference for staff allowed to review it.
func (s *Writer) Application(ctx context.Context, p *Principal, reference string) (*Application, error) {
	if p == nil {
		return nil, ErrUnauthenticated("reading an application needs a token")
	}
	a, err := s.ApplicationByReference(ctx, reference)
	if err != nil || a == nil {
		return a, err
	}
	if err := authorize(p, "reading this application", a.Region); err != nil {
		return nil, err
	}
	return a, nil
}

// ReviewApplication approves or rejects a submitted application. Approval creates the city, or attaches to the
// existing one, and grants it the membership applied for; the applicant sees the outcome by reference.
func (s *Writer) ReviewApplication(ctx context.Context, p *Principal, in ReviewInput) (*Application, error) {
	if p == nil {
		return nil, ErrUnauthenticated("reviewing applications needs a token")
	}
	v := &validator{}
	checkEnum(v, "decision", in.Decision, []Decision{DecisionApprove, DecisionReject}, true)
	note := v.text("note", in.Note, false, maxText)
	if in.Version < 1 {
		v.fail("version", "version must be the application's version as last read, 1 or more")
	}
	if err := v.result(); err != nil {
		return nil, err
	}
	a, err := s.ApplicationByReference(ctx, in.Reference)
	if err != nil {
		return nil, err
	}
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
	if in.Decision == DecisionApprove {
		if err := s.approve(ctx, p, a, in.CityKey); err != nil {
			return nil, err
		}
	}
	decided := *a
	decided.Status = map[Decision]ApplicationStatus{DecisionApprove: ApplicationApproved, DecisionReject: ApplicationRejected}[in.Decision]
	decided.DecidedAt, decided.DecidedBy, decided.DecisionNote = storedTime(s.now()), p.Subject, note
	decided.Version = a.Version + 1
	if err := s.store.SaveApplication(ctx, &decided, p.Subject); err != nil {
		return nil, err
	}
	return &decided, nil
}

// approve creates or updates the applicant's city with the membership applied for, recording them in a. A
// retried approval finds the membership an earlier attempt granted and does not grant it again.
func (s *Writer) approve(ctx context.Context, p *Principal, a *Application, cityKey string) error {
	snap, err := s.snapshot()
	if err != nil {
		return err
	}
	v := &validator{}
	key := v.key(cityKey, a.Name)
	if err := v.result(); err != nil {
		e := err.(*Error)
		e.Field = "cityKey"
		return e
	}
	c := snap.City(key)
	if c == nil {
		created, err := s.CreateCity(ctx, p, CityInput{Key: key, Name: a.Name, Country: a.Country, Population: a.Population})
		if err != nil {
			return err
		}
		c = created
	} else if c.Country != a.Country {
		return &Error{Code: CodeConflict, Field: "cityKey", Message: "the city " + key + " is in " + c.Country +
			", not in the applicant's country " + a.Country + "; pass cityKey to name the city to create or attach to"}
	}
	for _, m := range c.Memberships {
		if m.Application == a.Reference {
			a.City, a.Membership = c.Key, m.ID
			return nil
		}
	}
	cp := *c
	cp.Memberships = append([]Membership(nil), c.Memberships...)
	m, err := s.newMembership(snap, &cp, a.Category, s.now(), a.Secretariat, "Granted on application "+a.Reference, a.Reference)
	if err != nil {
		return err
	}
	stored, err := s.storeMembership(ctx, p, &cp, c.Version, m.ID)
	if err != nil {
		return err
	}
	a.City, a.Membership = c.Key, stored.ID
	return nil
}
