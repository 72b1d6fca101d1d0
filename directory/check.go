package directory

import (
	"errors"
	"fmt"
	"slices"
)

// CheckData reports every broken reference and duplicate key in data: an office whose secretariat does not
// exist, a program whose participant is not a city, and the like. Writes keep data consistent one record at a
// time; CheckData vouches for data assembled whole, such as the seed.
func CheckData(d *Data) error {
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	keys := func(kind string, n int, key func(int) string) map[string]bool {
		set := make(map[string]bool, n)
		for i := range n {
			k := key(i)
			if k == "" {
				fail("%s #%d has no key", kind, i+1)
			}
			if set[k] {
				fail("%s key %q is used twice", kind, k)
			}
			set[k] = true
		}
		return set
	}
	regions := keys(KindRegion, len(d.Regions), func(i int) string { return d.Regions[i].Code })
	secretariats := keys(KindSecretariat, len(d.Secretariats), func(i int) string { return d.Secretariats[i].Key })
	offices := keys(KindOffice, len(d.Offices), func(i int) string { return d.Offices[i].Key })
	cities := keys(KindCity, len(d.Cities), func(i int) string { return d.Cities[i].Key })
	keys(KindProgram, len(d.Programs), func(i int) string { return d.Programs[i].Key })
	organizations := keys(KindOrganization, len(d.Organizations), func(i int) string { return d.Organizations[i].Key })
	people := keys(KindPerson, len(d.People), func(i int) string { return d.People[i].Key })

	for _, code := range regionCodes {
		if !regions[code] {
			fail("region %q is missing", code)
		}
	}
	institution := func(where string, ref InstitutionRef) {
		ok := map[InstitutionKind]map[string]bool{
			InstitutionSecretariat: secretariats, InstitutionOrganization: organizations, InstitutionCity: cities,
		}[ref.Kind][ref.Key]
		if !ok {
			fail("%s: no %s %q", where, ref.Kind, ref.Key)
		}
	}
	for _, x := range d.Secretariats {
		if !regions[x.Region] {
			fail("secretariat %s: no region %q", x.Key, x.Region)
		}
		if !offices[x.HeadOffice] {
			fail("secretariat %s: no head office %q", x.Key, x.HeadOffice)
		}
	}
	for _, x := range d.Offices {
		if !regions[x.Region] {
			fail("office %s: no region %q", x.Key, x.Region)
		}
		if x.Secretariat != "" && !secretariats[x.Secretariat] {
			fail("office %s: no secretariat %q", x.Key, x.Secretariat)
		}
		if !slices.Contains(officeKinds, x.Kind) {
			fail("office %s: unknown kind %q", x.Key, x.Kind)
		}
	}
	for _, x := range d.Cities {
		if !regions[x.Region] {
			fail("city %s: no region %q", x.Key, x.Region)
		}
		if x.Parent != "" && (!cities[x.Parent] || x.Parent == x.Key) {
			fail("city %s: no parent city %q", x.Key, x.Parent)
		}
		for _, m := range x.Memberships {
			if m.City != x.Key {
				fail("city %s: membership %s names city %q", x.Key, m.ID, m.City)
			}
			if m.Secretariat != "" && !secretariats[m.Secretariat] {
				fail("city %s: membership %s: no secretariat %q", x.Key, m.ID, m.Secretariat)
			}
		}
	}
	for _, x := range d.Programs {
		where := "program " + x.Key
		if x.HostCity != "" && !cities[x.HostCity] {
			fail("%s: no host city %q", where, x.HostCity)
		}
		if x.Region != "" && !regions[x.Region] {
			fail("%s: no region %q", where, x.Region)
		}
		for _, c := range x.Participants {
			if !cities[c] {
				fail("%s: no participant city %q", where, c)
			}
		}
		for _, o := range x.Organizers {
			institution(where+" organizer", o)
		}
		for _, a := range x.Activities {
			for _, o := range a.Organizers {
				institution(where+" activity "+a.Title, o)
			}
		}
		for _, p := range x.People {
			if !people[p.Person] {
				fail("%s: no person %q", where, p.Person)
			}
		}
		for _, v := range x.SiteVisits {
			if v.City != "" && !cities[v.City] {
				fail("%s: site visit %s: no city %q", where, v.Name, v.City)
			}
		}
	}
	for _, x := range d.Organizations {
		if x.City != "" && !cities[x.City] {
			fail("organization %s: no city %q", x.Key, x.City)
		}
	}
	for _, x := range d.People {
		for _, a := range x.Affiliations {
			institution("person "+x.Key, a.Institution)
		}
	}
	return errors.Join(errs...)
}
