package mongodb

import (
	"time"

	"github.com/iclei/directory/directory"
)

type applicationDoc struct {
	Reference    string    `bson:"_id"`
	Status       string    `bson:"status"`
	Name         string    `bson:"name"`
	Country      string    `bson:"country"`
	Population   int       `bson:"population,omitempty"`
	Category     string    `bson:"category"`
	ContactName  string    `bson:"contactName"`
	Email        string    `bson:"email"`
	Phone        *phoneDoc `bson:"phone,omitempty"`
	Motivation   string    `bson:"motivation"`
	Region       string    `bson:"region"`
	Secretariat  string    `bson:"secretariat,omitempty"`
	SubmittedAt  time.Time `bson:"submittedAt"`
	DecidedAt    time.Time `bson:"decidedAt,omitempty"`
	DecidedBy    string    `bson:"decidedBy,omitempty"`
	DecisionNote string    `bson:"decisionNote,omitempty"`
	City         string    `bson:"city,omitempty"`
	Membership   string    `bson:"membership,omitempty"`
	Stamp        `bson:",inline"`
}

func applicationFrom(a *directory.Application) *applicationDoc {
	return &applicationDoc{Reference: a.Reference, Status: string(a.Status), Name: a.Name, Country: a.Country,
		Population: a.Population, Category: string(a.Category), ContactName: a.ContactName, Email: a.Email,
		Phone: phoneFrom(a.Phone), Motivation: a.Motivation, Region: a.Region, Secretariat: a.Secretariat,
		SubmittedAt: a.SubmittedAt, DecidedAt: a.DecidedAt, DecidedBy: a.DecidedBy, DecisionNote: a.DecisionNote,
		City: a.City, Membership: a.Membership, Stamp: Stamp{Version: a.Version}}
}

func (d *applicationDoc) toDomain() directory.Application {
	return directory.Application{Reference: d.Reference, Status: directory.ApplicationStatus(d.Status), Name: d.Name,
		Country: d.Country, Population: d.Population, Category: directory.MembershipCategory(d.Category),
		ContactName: d.ContactName, Email: d.Email, Phone: d.Phone.toDomain(), Motivation: d.Motivation,
		Region: d.Region, Secretariat: d.Secretariat, SubmittedAt: d.SubmittedAt.UTC(), DecidedAt: utc(d.DecidedAt),
		DecidedBy: d.DecidedBy, DecisionNote: d.DecisionNote, City: d.City, Membership: d.Membership, Version: d.Version}
}

type apiKeyDoc struct {
	Hash      string    `bson:"_id"`
	Name      string    `bson:"name"`
	Role      string    `bson:"role"`
	Regions   []string  `bson:"regions,omitempty"`
	CreatedAt time.Time `bson:"createdAt"`
	Revoked   bool      `bson:"revoked"`
	Stamp     `bson:",inline"`
}

func apiKeyFrom(k *directory.APIKey) *apiKeyDoc {
	return &apiKeyDoc{Hash: k.Hash, Name: k.Name, Role: string(k.Role), Regions: k.Regions, CreatedAt: k.CreatedAt.UTC(), Revoked: k.Revoked}
}

func (d *apiKeyDoc) toDomain() directory.APIKey {
	return directory.APIKey{Name: d.Name, Hash: d.Hash, Role: directory.Role(d.Role), Regions: d.Regions,
		CreatedAt: d.CreatedAt.UTC(), Revoked: d.Revoked}
}

type webhookDoc struct {
	ID          string    `bson:"_id"`
	URL         string    `bson:"url"`
	Filter      filterDoc `bson:"filter"`
	Description string    `bson:"description,omitempty"`
	Since       int64     `bson:"since"`
	CreatedAt   time.Time `bson:"createdAt"`
	CreatedBy   string    `bson:"createdBy"`
	Stamp       `bson:",inline"`
}

type filterDoc struct {
	Kinds   []string `bson:"kinds,omitempty"`
	Regions []string `bson:"regions,omitempty"`
	Keys    []string `bson:"keys,omitempty"`
}

func webhookFrom(w *directory.Webhook) *webhookDoc {
	return &webhookDoc{ID: w.ID, URL: w.URL, Filter: filterDoc{Kinds: w.Filter.Kinds, Regions: w.Filter.Regions, Keys: w.Filter.Keys},
		Description: w.Description, Since: w.Since, CreatedAt: w.CreatedAt.UTC(), CreatedBy: w.CreatedBy}
}

func (d *webhookDoc) toDomain() directory.Webhook {
	return directory.Webhook{ID: d.ID, URL: d.URL, Filter: directory.FeedFilter{Kinds: d.Filter.Kinds, Regions: d.Filter.Regions, Keys: d.Filter.Keys},
		Description: d.Description, Since: d.Since, CreatedAt: d.CreatedAt.UTC(), CreatedBy: d.CreatedBy}
}
