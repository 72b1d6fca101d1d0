package directory_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/iclei/directory/directory"
)

// write is one call of the write path, made as the principal.
type write func(ctx context.Context, w *directory.Writer, p *directory.Principal) error

// Constructors of writes: the valid input of the kind, edited.
func creates[In, R any](create func(*directory.Writer, context.Context, *directory.Principal, In) (R, error), valid func() In, edit func(*In)) write {
	return func(ctx context.Context, w *directory.Writer, p *directory.Principal) error {
		in := valid()
		if edit != nil {
			edit(&in)
		}
		_, err := create(w, ctx, p, in)
		return err
	}
}

func updates[In, R any](update func(*directory.Writer, context.Context, *directory.Principal, string, int, In) (R, error), key string, version int, valid func() In, edit func(*In)) write {
	return func(ctx context.Context, w *directory.Writer, p *directory.Principal) error {
		in := valid()
		if edit != nil {
			edit(&in)
		}
		_, err := update(w, ctx, p, key, version, in)
		return err
	}
}

func deletes(del func(*directory.Writer, context.Context, *directory.Principal, string, int) error, key string, version int) write {
	return func(ctx context.Context, w *directory.Writer, p *directory.Principal) error {
		return del(w, ctx, p, key, version)
	}
}

func createOffice(edit func(*directory.OfficeInput)) write {
	return creates((*directory.Writer).CreateOffice, officeIn, edit)
}

func updateOffice(key string, version int, edit func(*directory.OfficeInput)) write {
	return updates((*directory.Writer).UpdateOffice, key, version, officeIn, edit)
}

func createCity(edit func(*directory.CityInput)) write {
	return creates((*directory.Writer).CreateCity, cityIn, edit)
}

func updateCity(key string, version int, edit func(*directory.CityInput)) write {
	return updates((*directory.Writer).UpdateCity, key, version, cityIn, edit)
}

func createProgram(edit func(*directory.ProgramInput)) write {
	return creates((*directory.Writer).CreateProgram, programIn, edit)
}

func updateProgram(key string, version int, edit func(*directory.ProgramInput)) write {
	return updates((*directory.Writer).UpdateProgram, key, version, programIn, edit)
}

func createOrganization(edit func(*directory.OrganizationInput)) write {
	return creates((*directory.Writer).CreateOrganization, organizationIn, edit)
}

func updateOrganization(key string, version int, edit func(*directory.OrganizationInput)) write {
	return updates((*directory.Writer).UpdateOrganization, key, version, organizationIn, edit)
}

func createPerson(edit func(*directory.PersonInput)) write {
	return creates((*directory.Writer).CreatePerson, personIn, edit)
}

func updatePerson(key string, version int, edit func(*directory.PersonInput)) write {
	return updates((*directory.Writer).UpdatePerson, key, version, personIn, edit)
}

func grant(in directory.GrantMembershipInput) write {
	return func(ctx context.Context, w *directory.Writer, p *directory.Principal) error {
		_, err := w.GrantMembership(ctx, p, in)
		return err
	}
}

func changeMembership(in directory.ChangeMembershipInput) write {
	return func(ctx context.Context, w *directory.Writer, p *directory.Principal) error {
		_, err := w.ChangeMembership(ctx, p, in)
		return err
	}
}

func endMembership(in directory.EndMembershipInput) write {
	return func(ctx context.Context, w *directory.Writer, p *directory.Principal) error {
		_, err := w.EndMembership(ctx, p, in)
		return err
	}
}

func apply(edit func(*directory.ApplicationInput)) write {
	return func(ctx context.Context, w *directory.Writer, _ *directory.Principal) error {
		in := applicationIn()
		if edit != nil {
			edit(&in)
		}
		_, err := w.SubmitApplication(ctx, in)
		return err
	}
}

func review(in directory.ReviewInput) write {
	return func(ctx context.Context, w *directory.Writer, p *directory.Principal) error {
		_, err := w.ReviewApplication(ctx, p, in)
		return err
	}
}

var (
	deleteOffice       = func(key string, v int) write { return deletes((*directory.Writer).DeleteOffice, key, v) }
	deleteCity         = func(key string, v int) write { return deletes((*directory.Writer).DeleteCity, key, v) }
	deleteProgram      = func(key string, v int) write { return deletes((*directory.Writer).DeleteProgram, key, v) }
	deleteOrganization = func(key string, v int) write { return deletes((*directory.Writer).DeleteOrganization, key, v) }
	deletePerson       = func(key string, v int) write { return deletes((*directory.Writer).DeletePerson, key, v) }
)

// refusal is a write the domain must refuse with the code (and, for invalid input, the field), changing nothing.
type refusal struct {
	name  string
	write write
	code  directory.Code
	field string
}

func TestBadInputChangesNothing(t *testing.T) {
	t.Parallel()
	log, s := seededLog(t)
	f := writeFixtures(t, s)

	long := func(n int) string { return strings.Repeat("a", n) }
	now := time.Now().UTC()
	future := now.AddDate(0, 0, 3)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	const (
		bad      = directory.CodeInvalidInput
		conflict = directory.CodeConflict
		notFound = directory.CodeNotFound
	)
	at := func(v string) time.Time { return day(t, v) }
	ref := func(kind directory.InstitutionKind, key string) directory.InstitutionRef {
		return directory.InstitutionRef{Kind: kind, Key: key}
	}
	grantIn := func(edit func(*directory.GrantMembershipInput)) write {
		in := directory.GrantMembershipInput{City: fixCity, CityVersion: 1, Category: directory.MembershipFull, Since: at("2020-01-01")}
		edit(&in)
		return grant(in)
	}
	changeIn := func(edit func(*directory.ChangeMembershipInput)) write {
		in := directory.ChangeMembershipInput{City: fixMember, CityVersion: 2, Membership: "m1", Category: directory.MembershipAssociate}
		edit(&in)
		return changeMembership(in)
	}
	endIn := func(edit func(*directory.EndMembershipInput)) write {
		in := directory.EndMembershipInput{City: fixMember, CityVersion: 2, Membership: "m1", Until: today}
		edit(&in)
		return endMembership(in)
	}
	reviewIn := func(reference string, version int, decision directory.Decision, edit func(*directory.ReviewInput)) write {
		in := directory.ReviewInput{Reference: reference, Version: version, Decision: decision}
		if edit != nil {
			edit(&in)
		}
		return review(in)
	}

	cases := []refusal{
		// createOffice
		{"createOffice/without a name", createOffice(func(in *directory.OfficeInput) { in.Name = "" }), bad, "input.name"},
		{"createOffice/with an empty name", createOffice(func(in *directory.OfficeInput) { in.Name = "  " }), bad, "input.name"},
		{"createOffice/with a name too long", createOffice(func(in *directory.OfficeInput) { in.Name = long(201) }), bad, "input.name"},
		{"createOffice/with a control character in the name", createOffice(func(in *directory.OfficeInput) { in.Name = "Bad\u0007Office" }), bad, "input.name"},
		{"createOffice/with a line break in the name", createOffice(func(in *directory.OfficeInput) { in.Name = "Bad\nOffice" }), bad, "input.name"},
		{"createOffice/with text that is not UTF-8 in the name", createOffice(func(in *directory.OfficeInput) { in.Name = "Bad \xff Office" }), bad, "input.name"},
		{"createOffice/with a control character in a label", createOffice(func(in *directory.OfficeInput) { in.Labels = []string{"ok", "tab\there"} }), bad, "input.labels"},
		{"createOffice/with too many labels", createOffice(func(in *directory.OfficeInput) { in.Labels = make([]string, 201) }), bad, "input.labels"},
		{"createOffice/without a kind", createOffice(func(in *directory.OfficeInput) { in.Kind = "" }), bad, "input.kind"},
		{"createOffice/with an unknown kind", createOffice(func(in *directory.OfficeInput) { in.Kind = "CASTLE" }), bad, "input.kind"},
		{"createOffice/with an unknown region", createOffice(func(in *directory.OfficeInput) { in.Region = "atlantis" }), bad, "input.region"},
		{"createOffice/with an unknown country", createOffice(func(in *directory.OfficeInput) { in.Address.Country = "XX" }), bad, "input.address.country"},
		{"createOffice/without a country", createOffice(func(in *directory.OfficeInput) { in.Address.Country = "" }), bad, "input.address.country"},
		{"createOffice/with an unknown postal country", createOffice(func(in *directory.OfficeInput) {
			in.PostalAddress = &directory.AddressInput{Street: []string{"PO Box 1"}, Country: "XX"}
		}), bad, "input.postalAddress.country"},
		{"createOffice/with an address of neither street nor locality", createOffice(func(in *directory.OfficeInput) {
			in.Address = directory.AddressInput{Country: "BE"}
		}), bad, "input.address"},
		{"createOffice/with a postal code too long", createOffice(func(in *directory.OfficeInput) { in.Address.PostalCode = long(21) }), bad, "input.address.postalCode"},
		{"createOffice/with an unknown secretariat", createOffice(func(in *directory.OfficeInput) { in.Secretariat = "atlantis-secretariat" }), bad, "input.secretariat"},
		{"createOffice/with a phone of letters", createOffice(func(in *directory.OfficeInput) { in.Phone = "abc" }), bad, "input.phone"},
		{"createOffice/with a phone too short", createOffice(func(in *directory.OfficeInput) { in.Phone = "+1 555" }), bad, "input.phone"},
		{"createOffice/with a phone too long", createOffice(func(in *directory.OfficeInput) { in.Phone = "+32 2 " + strings.Repeat("1", 40) }), bad, "input.phone"},
		{"createOffice/with a bad fax", createOffice(func(in *directory.OfficeInput) { in.Fax = "fax me" }), bad, "input.fax"},
		{"createOffice/with a bad email", createOffice(func(in *directory.OfficeInput) { in.Email = "office-at-example.org" }), bad, "input.email"},
		{"createOffice/with an email with a display name", createOffice(func(in *directory.OfficeInput) { in.Email = "Office <office@example.org>" }), bad, "input.email"},
		{"createOffice/with an ftp website", createOffice(func(in *directory.OfficeInput) { in.Website = "ftp://x" }), bad, "input.website"},
		{"createOffice/with a website that is not a URL", createOffice(func(in *directory.OfficeInput) { in.Website = "not a url" }), bad, "input.website"},
		{"createOffice/with a website with credentials", createOffice(func(in *directory.OfficeInput) { in.Website = "https://user:pw@example.org" }), bad, "input.website"},
		{"createOffice/with latitude 91", createOffice(func(in *directory.OfficeInput) {
			in.Location = &directory.LocationInput{Latitude: 91, Longitude: 4.35}
		}), bad, "input.location.latitude"},
		{"createOffice/with longitude 181", createOffice(func(in *directory.OfficeInput) {
			in.Location = &directory.LocationInput{Latitude: 50.85, Longitude: 181}
		}), bad, "input.location.longitude"},
		{"createOffice/with an unknown precision", createOffice(func(in *directory.OfficeInput) {
			in.Location = &directory.LocationInput{Latitude: 50.85, Longitude: 4.35, Precision: "ROOFTOP"}
		}), bad, "input.location.precision"},
		{"createOffice/with a key that breaks the key rules", createOffice(func(in *directory.OfficeInput) { in.Key = "Bad_Key" }), bad, "input.key"},
		{"createOffice/with a key with a double hyphen", createOffice(func(in *directory.OfficeInput) { in.Key = "bad--key" }), bad, "input.key"},
		{"createOffice/with a key too long", createOffice(func(in *directory.OfficeInput) { in.Key = long(81) }), bad, "input.key"},
		{"createOffice/with a name no key derives from", createOffice(func(in *directory.OfficeInput) { in.Name = "!!!" }), bad, "input.key"},
		{"createOffice/with a key that is taken", createOffice(func(in *directory.OfficeInput) { in.Key = "korea-office" }), conflict, "input.key"},
		// updateOffice
		{"updateOffice/changing the key", updateOffice(fixOffice, 1, func(in *directory.OfficeInput) { in.Key = "another-office" }), bad, "input.key"},
		{"updateOffice/at version 0", updateOffice(fixOffice, 0, nil), bad, "version"},
		{"updateOffice/at a stale version", updateOffice("korea-office", 7, func(in *directory.OfficeInput) { in.Region = "east-asia" }), conflict, "version"},
		{"updateOffice/of an unknown office", updateOffice("atlantis-office", 1, nil), notFound, ""},
		{"updateOffice/with a bad phone", updateOffice(fixOffice, 1, func(in *directory.OfficeInput) { in.Phone = "abc" }), bad, "input.phone"},
		{"updateOffice/with an unknown country", updateOffice(fixOffice, 1, func(in *directory.OfficeInput) { in.Address.Country = "XX" }), bad, "input.address.country"},
		{"updateOffice/changing the kind of a secretariat's head office", updateOffice("east-asia-secretariat", 1, func(in *directory.OfficeInput) {
			*in = directory.OfficeInput{Name: "East Asia Secretariat", Kind: directory.OfficeCountry, Region: "east-asia",
				Address: directory.AddressInput{Locality: "Seoul", Country: "KR"}}
		}), conflict, ""},
		// deleteOffice
		{"deleteOffice/of an unknown office", deleteOffice("atlantis-office", 1), notFound, ""},
		{"deleteOffice/at a stale version", deleteOffice(fixOffice, 2), conflict, "version"},
		{"deleteOffice/at version 0", deleteOffice(fixOffice, 0), bad, "version"},
		{"deleteOffice/of a secretariat's head office", deleteOffice("east-asia-secretariat", 1), conflict, ""},
		// createCity
		{"createCity/with an empty name", createCity(func(in *directory.CityInput) { in.Name = "" }), bad, "input.name"},
		{"createCity/with a name too long", createCity(func(in *directory.CityInput) { in.Name = long(201) }), bad, "input.name"},
		{"createCity/with a control character in the government", createCity(func(in *directory.CityInput) { in.Government = "City\u001bCouncil" }), bad, "input.government"},
		{"createCity/with an unknown country", createCity(func(in *directory.CityInput) { in.Country = "XX" }), bad, "input.country"},
		{"createCity/with an empty country", createCity(func(in *directory.CityInput) { in.Country = "" }), bad, "input.country"},
		{"createCity/with an unknown kind", createCity(func(in *directory.CityInput) { in.Kind = "VILLAGE" }), bad, "input.kind"},
		{"createCity/with an unknown parent", createCity(func(in *directory.CityInput) { in.Parent = "atlantis" }), bad, "input.parent"},
		{"createCity/as its own parent", createCity(func(in *directory.CityInput) { in.Key, in.Parent = "self-parent", "self-parent" }), bad, "input.parent"},
		{"createCity/with a negative population", createCity(func(in *directory.CityInput) { in.Population = -1 }), bad, "input.population"},
		{"createCity/with a population beyond any city's", createCity(func(in *directory.CityInput) { in.Population = 100_000_001 }), bad, "input.population"},
		{"createCity/with a bad language tag", createCity(func(in *directory.CityInput) {
			in.LocalNames = []directory.LocalName{{Lang: "not a tag", Name: "X"}}
		}), bad, "input.localNames.lang"},
		{"createCity/with an empty local name", createCity(func(in *directory.CityInput) {
			in.LocalNames = []directory.LocalName{{Lang: "de", Name: ""}}
		}), bad, "input.localNames.name"},
		{"createCity/with longitude 181", createCity(func(in *directory.CityInput) { in.Location = &directory.LocationInput{Longitude: 181} }), bad, "input.location.longitude"},
		{"createCity/with latitude -91", createCity(func(in *directory.CityInput) { in.Location = &directory.LocationInput{Latitude: -91} }), bad, "input.location.latitude"},
		{"createCity/with a key that breaks the key rules", createCity(func(in *directory.CityInput) { in.Key = "-bad-" }), bad, "input.key"},
		{"createCity/with a key that is taken", createCity(func(in *directory.CityInput) { in.Key = "seoul" }), conflict, "input.key"},
		// updateCity
		{"updateCity/changing the key", updateCity(fixCity, 1, func(in *directory.CityInput) { in.Key = "other-city" }), bad, "input.key"},
		{"updateCity/at version 0", updateCity(fixCity, 0, nil), bad, "version"},
		{"updateCity/at a stale version", updateCity("seoul", 4, func(in *directory.CityInput) { in.Name, in.Country = "Seoul", "KR" }), conflict, "version"},
		{"updateCity/of an unknown city", updateCity("atlantis", 1, nil), notFound, ""},
		{"updateCity/under its own district", updateCity("tianjin", 1, func(in *directory.CityInput) {
			*in = directory.CityInput{Name: "Tianjin", Country: "CN", Parent: "tianjin-eco-city"}
		}), bad, "input.parent"},
		{"updateCity/as its own parent", updateCity(fixCity, 1, func(in *directory.CityInput) { in.Parent = fixCity }), bad, "input.parent"},
		{"updateCity/with an unknown country", updateCity(fixCity, 1, func(in *directory.CityInput) { in.Country = "XX" }), bad, "input.country"},
		// deleteCity
		{"deleteCity/of an unknown city", deleteCity("atlantis", 1), notFound, ""},
		{"deleteCity/at a stale version", deleteCity(fixCity, 3), conflict, "version"},
		{"deleteCity/of a city that takes part in the program", deleteCity("beijing", 1), conflict, ""},
		{"deleteCity/of the program's host city", deleteCity("seoul", 1), conflict, ""},
		{"deleteCity/of a city with districts", deleteCity("shenzhen", 1), conflict, ""},
		{"deleteCity/of a city with an active membership", deleteCity(fixMember, 2), conflict, ""},
		// createProgram
		{"createProgram/with an empty title", createProgram(func(in *directory.ProgramInput) { in.Title = " " }), bad, "input.title"},
		{"createProgram/with a title too long", createProgram(func(in *directory.ProgramInput) { in.Title = long(301) }), bad, "input.title"},
		{"createProgram/with a summary too long", createProgram(func(in *directory.ProgramInput) { in.Summary = long(5001) }), bad, "input.summary"},
		{"createProgram/with an escape character in the summary", createProgram(func(in *directory.ProgramInput) { in.Summary = "red \u001b[31m text" }), bad, "input.summary"},
		{"createProgram/with an unknown kind", createProgram(func(in *directory.ProgramInput) { in.Kind = "PARTY" }), bad, "input.kind"},
		{"createProgram/with an unknown region", createProgram(func(in *directory.ProgramInput) { in.Region = "atlantis" }), bad, "input.region"},
		{"createProgram/with an unknown host city", createProgram(func(in *directory.ProgramInput) { in.HostCity = "atlantis" }), bad, "input.hostCity"},
		{"createProgram/ending before it starts", createProgram(func(in *directory.ProgramInput) {
			in.StartDate, in.EndDate = at("2016-04-29"), at("2016-04-20")
		}), bad, "input.endDate"},
		{"createProgram/starting before 1990", createProgram(func(in *directory.ProgramInput) { in.StartDate = at("1989-12-31") }), bad, "input.startDate"},
		{"createProgram/with a negative delegate count", createProgram(func(in *directory.ProgramInput) { in.DelegateCount = -3 }), bad, "input.delegateCount"},
		{"createProgram/with a participant twice", createProgram(func(in *directory.ProgramInput) { in.Participants = []string{"beijing", "seoul", "beijing"} }), bad, "input.participants"},
		{"createProgram/with an unknown participant", createProgram(func(in *directory.ProgramInput) { in.Participants = []string{"beijing", "atlantis"} }), bad, "input.participants"},
		{"createProgram/with an unknown organizer", createProgram(func(in *directory.ProgramInput) {
			in.Organizers = []directory.InstitutionRef{ref(directory.InstitutionSecretariat, "atlantis-secretariat")}
		}), bad, "input.organizers"},
		{"createProgram/with an organizer twice", createProgram(func(in *directory.ProgramInput) {
			in.Organizers = []directory.InstitutionRef{ref(directory.InstitutionOrganization, "shrdc"), ref(directory.InstitutionOrganization, "shrdc")}
		}), bad, "input.organizers"},
		{"createProgram/with an organizer of an unknown kind", createProgram(func(in *directory.ProgramInput) {
			in.Organizers = []directory.InstitutionRef{ref("TRIBE", "shrdc")}
		}), bad, "input.organizers.kind"},
		{"createProgram/with an unknown activity organizer", createProgram(func(in *directory.ProgramInput) {
			in.Activities = []directory.ActivityInput{{Kind: directory.ActivityLecture, Title: "Opening",
				Organizers: []directory.InstitutionRef{ref(directory.InstitutionOrganization, "atlantis-institute")}}}
		}), bad, "input.activities.organizers"},
		{"createProgram/with an activity without a title", createProgram(func(in *directory.ProgramInput) {
			in.Activities = []directory.ActivityInput{{Kind: directory.ActivityLecture}}
		}), bad, "input.activities.title"},
		{"createProgram/with an activity of an unknown kind", createProgram(func(in *directory.ProgramInput) {
			in.Activities = []directory.ActivityInput{{Kind: "PICNIC", Title: "Lunch"}}
		}), bad, "input.activities.kind"},
		{"createProgram/with a site visit in an unknown city", createProgram(func(in *directory.ProgramInput) {
			in.SiteVisits = []directory.SiteVisit{{Name: "Harbour", City: "atlantis"}}
		}), bad, "input.siteVisits.city"},
		{"createProgram/naming an unknown person", createProgram(func(in *directory.ProgramInput) {
			in.People = []directory.ProgramPerson{{Person: "nobody"}}
		}), bad, "input.people.person"},
		{"createProgram/with a photo without a caption", createProgram(func(in *directory.ProgramInput) { in.Photos = []directory.Photo{{Caption: ""}} }), bad, "input.photos.caption"},
		{"createProgram/with a NUL in a highlight", createProgram(func(in *directory.ProgramInput) { in.Highlights = []string{"a\u0000b"} }), bad, "input.highlights"},
		{"createProgram/with a key that is taken", createProgram(func(in *directory.ProgramInput) { in.Key = program2016 }), conflict, "input.key"},
		// updateProgram
		{"updateProgram/changing the key", updateProgram(fixProgram, 1, func(in *directory.ProgramInput) { in.Key = "other-program" }), bad, "input.key"},
		{"updateProgram/at version 0", updateProgram(fixProgram, 0, nil), bad, "version"},
		{"updateProgram/at a stale version", updateProgram(fixProgram, 9, nil), conflict, "version"},
		{"updateProgram/of an unknown program", updateProgram("atlantis-program", 1, nil), notFound, ""},
		{"updateProgram/ending before it starts", updateProgram(fixProgram, 1, func(in *directory.ProgramInput) {
			in.StartDate, in.EndDate = at("2020-05-02"), at("2020-05-01")
		}), bad, "input.endDate"},
		// deleteProgram
		{"deleteProgram/of an unknown program", deleteProgram("atlantis-program", 1), notFound, ""},
		{"deleteProgram/at a stale version", deleteProgram(fixProgram, 2), conflict, "version"},
		// createOrganization
		{"createOrganization/with an empty name", createOrganization(func(in *directory.OrganizationInput) { in.Name = "" }), bad, "input.name"},
		{"createOrganization/with a short name too long", createOrganization(func(in *directory.OrganizationInput) { in.ShortName = long(41) }), bad, "input.shortName"},
		{"createOrganization/with an unknown country", createOrganization(func(in *directory.OrganizationInput) { in.Country = "XX" }), bad, "input.country"},
		{"createOrganization/in an unknown city", createOrganization(func(in *directory.OrganizationInput) { in.City = "atlantis" }), bad, "input.city"},
		{"createOrganization/with an ftp website", createOrganization(func(in *directory.OrganizationInput) { in.Website = "ftp://x" }), bad, "input.website"},
		{"createOrganization/with a website that is not a URL", createOrganization(func(in *directory.OrganizationInput) { in.Website = "not a url" }), bad, "input.website"},
		{"createOrganization/with a key that is taken", createOrganization(func(in *directory.OrganizationInput) { in.Key = "shrdc" }), conflict, "input.key"},
		// updateOrganization
		{"updateOrganization/changing the key", updateOrganization(fixOrganization, 1, func(in *directory.OrganizationInput) { in.Key = "other-organization" }), bad, "input.key"},
		{"updateOrganization/at a stale version", updateOrganization(fixOrganization, 5, nil), conflict, "version"},
		{"updateOrganization/of an unknown organization", updateOrganization("atlantis-institute", 1, nil), notFound, ""},
		// deleteOrganization
		{"deleteOrganization/of the program's organizer", deleteOrganization("shrdc", 1), conflict, ""},
		{"deleteOrganization/of an unknown organization", deleteOrganization("atlantis-institute", 1), notFound, ""},
		{"deleteOrganization/at a stale version", deleteOrganization(fixOrganization, 2), conflict, "version"},
		// createPerson
		{"createPerson/with an empty name", createPerson(func(in *directory.PersonInput) { in.Name = "" }), bad, "input.name"},
		{"createPerson/with a control character in the name", createPerson(func(in *directory.PersonInput) { in.Name = "Ann\u0085Lee" }), bad, "input.name"},
		{"createPerson/affiliated with an unknown institution", createPerson(func(in *directory.PersonInput) {
			in.Affiliations = []directory.Affiliation{{Title: "Director", Institution: ref(directory.InstitutionOrganization, "atlantis-institute")}}
		}), bad, "input.affiliations.institution"},
		{"createPerson/with an affiliation without a title", createPerson(func(in *directory.PersonInput) {
			in.Affiliations = []directory.Affiliation{{Institution: ref(directory.InstitutionOrganization, "shrdc")}}
		}), bad, "input.affiliations.title"},
		{"createPerson/with a key that is taken", createPerson(func(in *directory.PersonInput) { in.Key = "shu-zhu" }), conflict, "input.key"},
		// updatePerson
		{"updatePerson/changing the key", updatePerson(fixPerson, 1, func(in *directory.PersonInput) { in.Key = "other-person" }), bad, "input.key"},
		{"updatePerson/at a stale version", updatePerson(fixPerson, 3, nil), conflict, "version"},
		{"updatePerson/of an unknown person", updatePerson("nobody", 1, nil), notFound, ""},
		// deletePerson
		{"deletePerson/named by the program", deletePerson("joon-ho-ahn", 1), conflict, ""},
		{"deletePerson/of an unknown person", deletePerson("nobody", 1), notFound, ""},
		{"deletePerson/at a stale version", deletePerson(fixPerson, 2), conflict, "version"},
		// grantMembership
		{"grantMembership/to an unknown city", grantIn(func(in *directory.GrantMembershipInput) { in.City = "atlantis" }), bad, "input.city"},
		{"grantMembership/to no city", grantIn(func(in *directory.GrantMembershipInput) { in.City = "" }), bad, "input.city"},
		{"grantMembership/at city version 0", grantIn(func(in *directory.GrantMembershipInput) { in.CityVersion = 0 }), bad, "input.cityVersion"},
		{"grantMembership/at a stale city version", grantIn(func(in *directory.GrantMembershipInput) { in.CityVersion = 2 }), conflict, "version"},
		{"grantMembership/of no category", grantIn(func(in *directory.GrantMembershipInput) { in.Category = "" }), bad, "input.category"},
		{"grantMembership/of an unknown category", grantIn(func(in *directory.GrantMembershipInput) { in.Category = "GOLD" }), bad, "input.category"},
		{"grantMembership/since a day in the future", grantIn(func(in *directory.GrantMembershipInput) { in.Since = future }), bad, "input.since"},
		{"grantMembership/since before 1990", grantIn(func(in *directory.GrantMembershipInput) { in.Since = at("1985-01-01") }), bad, "input.since"},
		{"grantMembership/without since", grantIn(func(in *directory.GrantMembershipInput) { in.Since = time.Time{} }), bad, "input.since"},
		{"grantMembership/served by an unknown secretariat", grantIn(func(in *directory.GrantMembershipInput) { in.Secretariat = "atlantis-secretariat" }), bad, "input.secretariat"},
		{"grantMembership/with a control character in the note", grantIn(func(in *directory.GrantMembershipInput) { in.Note = "note\u0007" }), bad, "input.note"},
		{"grantMembership/beside an active membership", grantIn(func(in *directory.GrantMembershipInput) { in.City, in.CityVersion = fixMember, 2 }), conflict, ""},
		// changeMembership
		{"changeMembership/of an unknown membership", changeIn(func(in *directory.ChangeMembershipInput) { in.Membership = "m9" }), bad, "input.membership"},
		{"changeMembership/of an unknown city", changeIn(func(in *directory.ChangeMembershipInput) { in.City = "atlantis" }), bad, "input.city"},
		{"changeMembership/to ENDED", changeIn(func(in *directory.ChangeMembershipInput) { in.Status = directory.MembershipEnded }), bad, "input.status"},
		{"changeMembership/to an unknown status", changeIn(func(in *directory.ChangeMembershipInput) { in.Status = "PAUSED" }), bad, "input.status"},
		{"changeMembership/to an unknown category", changeIn(func(in *directory.ChangeMembershipInput) { in.Category = "GOLD" }), bad, "input.category"},
		{"changeMembership/to an unknown secretariat", changeIn(func(in *directory.ChangeMembershipInput) { in.Secretariat = "atlantis-secretariat" }), bad, "input.secretariat"},
		{"changeMembership/at a stale city version", changeIn(func(in *directory.ChangeMembershipInput) { in.CityVersion = 1 }), conflict, "version"},
		{"changeMembership/of an ended membership", changeIn(func(in *directory.ChangeMembershipInput) { in.City, in.CityVersion = fixEnded, 3 }), conflict, ""},
		// endMembership
		{"endMembership/until before since", endIn(func(in *directory.EndMembershipInput) { in.Until = at("2019-12-31") }), bad, "input.until"},
		{"endMembership/until a day in the future", endIn(func(in *directory.EndMembershipInput) { in.Until = future }), bad, "input.until"},
		{"endMembership/of an ended membership", endIn(func(in *directory.EndMembershipInput) { in.City, in.CityVersion = fixEnded, 3 }), conflict, ""},
		{"endMembership/of an unknown membership", endIn(func(in *directory.EndMembershipInput) { in.Membership = "m2" }), bad, "input.membership"},
		{"endMembership/at a stale city version", endIn(func(in *directory.EndMembershipInput) { in.CityVersion = 3 }), conflict, "version"},
		{"endMembership/without until", endIn(func(in *directory.EndMembershipInput) { in.Until = time.Time{} }), bad, "input.until"},
		// SubmitApplication, which needs no principal
		{"applyForMembership/with an empty name", apply(func(in *directory.ApplicationInput) { in.Name = "" }), bad, "input.name"},
		{"applyForMembership/with a name too long", apply(func(in *directory.ApplicationInput) { in.Name = long(201) }), bad, "input.name"},
		{"applyForMembership/with an unknown country", apply(func(in *directory.ApplicationInput) { in.Country = "XX" }), bad, "input.country"},
		{"applyForMembership/with a bad email", apply(func(in *directory.ApplicationInput) { in.Email = "lan at example.vn" }), bad, "input.email"},
		{"applyForMembership/with an empty email", apply(func(in *directory.ApplicationInput) { in.Email = "" }), bad, "input.email"},
		{"applyForMembership/with a bad phone", apply(func(in *directory.ApplicationInput) { in.Phone = "abc" }), bad, "input.phone"},
		{"applyForMembership/with an unknown category", apply(func(in *directory.ApplicationInput) { in.Category = "GOLD" }), bad, "input.category"},
		{"applyForMembership/with a negative population", apply(func(in *directory.ApplicationInput) { in.Population = -5 }), bad, "input.population"},
		{"applyForMembership/with a motivation too long", apply(func(in *directory.ApplicationInput) { in.Motivation = long(5001) }), bad, "input.motivation"},
		{"applyForMembership/without a motivation", apply(func(in *directory.ApplicationInput) { in.Motivation = " " }), bad, "input.motivation"},
		{"applyForMembership/with a control character in the contact name", apply(func(in *directory.ApplicationInput) { in.ContactName = "Lan\u0000Nguyen" }), bad, "input.contactName"},
		// ReviewApplication
		{"review/of an unknown reference", reviewIn("ICLEI-AAAAA-BBBBB-CCCCC", 1, directory.DecisionApprove, nil), notFound, ""},
		{"review/of a reference too long", reviewIn(long(41), 1, directory.DecisionApprove, nil), bad, "reference"},
		{"review/at version 0", reviewIn(f.submitted, 0, directory.DecisionApprove, nil), bad, "version"},
		{"review/at a stale version", reviewIn(f.submitted, 2, directory.DecisionReject, nil), conflict, ""},
		{"review/without a decision", reviewIn(f.submitted, 1, "", nil), bad, "decision"},
		{"review/with an unknown decision", reviewIn(f.submitted, 1, "MAYBE", nil), bad, "decision"},
		{"review/with a control character in the note", reviewIn(f.submitted, 1, directory.DecisionReject, func(in *directory.ReviewInput) { in.Note = "no\u0007" }), bad, "note"},
		{"review/approving onto a key that breaks the key rules", reviewIn(f.submitted, 1, directory.DecisionApprove, func(in *directory.ReviewInput) { in.CityKey = "Hoi An" }), bad, "cityKey"},
		{"review/approving onto a city in another country", reviewIn(f.submitted, 1, directory.DecisionApprove, func(in *directory.ReviewInput) { in.CityKey = "seoul" }), conflict, "cityKey"},
		{"review/approving onto a city with an active membership", reviewIn(f.submitted, 1, directory.DecisionApprove, func(in *directory.ReviewInput) { in.CityKey = fixMember }), conflict, ""},
		{"review/of an application already decided", reviewIn(f.decided, 2, directory.DecisionApprove, nil), conflict, ""},
	}
	ctx := context.Background()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before, entries := s.rm.Snapshot(), log.Len()
			err := c.write(ctx, s.w, admin)
			wantRefused(t, log, s, before, entries, err, c.code, c.field)
		})
	}
}
