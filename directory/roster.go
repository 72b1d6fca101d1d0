package directory

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/iclei/directory/internal/index"
)

// MaxImportRows bounds the rows of one roster import, so that one call's work, each changed row one entry of
// the change log, stays linear in a request of bounded size. A longer roster is imported in several parts.
const MaxImportRows = 1000

// RosterRow is one member of a roster in the shape ICLEI publishes in its member search: the local government,
// where it is, and its membership.
type RosterRow struct {
	// Line is the row's line in the file it came from, named in the report and in the change log; 0 numbers the
	// row by its position in the roster, from 1.
	Line int
	// City is the key of the city the row is about. Empty, the city is found by name in its country, or created
	// with a key made from the name.
	City string
	// Name is the local government's name, such as "Springfield".
	Name string
	// Country is an ISO 3166-1 code or the country's English name.
	Country string
	// Region is the code or name of the ICLEI region serving the country; empty, it is not checked.
	Region string
	// Population is the local government's population; 0 leaves the city's as it is.
	Population  int
	MemberSince time.Time
	Category    MembershipCategory
	// Status is ACTIVE (the default) or SUSPENDED. An import does not end memberships.
	Status MembershipStatus
	// RepresentativeTitle is the title of the member's representative in ICLEI, such as Mayor; empty keeps it.
	RepresentativeTitle string
}

// MemberImportInput is a member roster to import: where its rows come from, such as a file's name, and the rows.
type MemberImportInput struct {
	Source string
	Rows   []RosterRow
}

// ImportOutcome says what a roster import does with a row.
type ImportOutcome string

const (
	ImportCreate    ImportOutcome = "CREATE"
	ImportUpdate    ImportOutcome = "UPDATE"
	ImportUnchanged ImportOutcome = "UNCHANGED"
	ImportRefused   ImportOutcome = "REFUSED"
)

// ImportResult is what a roster import did, or in a dry run would do, with one row.
type ImportResult struct {
	Line int
	// CityKey is the key of the city the row is about, once the row names one.
	CityKey string
	Outcome ImportOutcome
	// Changes says in words what the row changes, one change a line.
	Changes []string
	// Refusal says why a refused row was refused.
	Refusal *Error
	// Revision is the entry of the change log that wrote the row, in an import that applied it.
	Revision int64
	// City is the city as the directory holds it after the row: nil in a dry run for a city the row would create,
	// and for a refused row that names no existing city.
	City *City
}

// ImportReport is the outcome of a roster import, row by row, in the order of the roster.
type ImportReport struct {
	Source  string
	Applied bool
	// Revision is the directory's revision after the import, or the one a dry run was planned against.
	Revision int64
	Rows     []ImportResult
}

// Count returns how many rows had the outcome.
func (r *ImportReport) Count(o ImportOutcome) int {
	n := 0
	for _, x := range r.Rows {
		if x.Outcome == o {
			n++
		}
	}
	return n
}

// Refuse adds refused rows the import never saw, such as lines of a file that could not be read as a row,
// keeping the report in the order of the lines.
func (r *ImportReport) Refuse(rows ...ImportResult) {
	r.Rows = append(r.Rows, rows...)
	slices.SortStableFunc(r.Rows, func(a, b ImportResult) int { return a.Line - b.Line })
}

// ImportMembers imports a member roster: each row creates or updates its city and grants or changes its
// membership, by the same rules as createCity, updateCity, grantMembership and changeMembership. Each row is
// planned on its own against the snapshot at the head of the change log, and with apply each row that changes
// something is one entry of the log, whose reason names the input's source and the row's line, as the city's
// provenance does. A refused row changes nothing and stops no other. Without apply nothing is written and the
// report says what an import would do. Importing a roster again changes nothing. Admins only.
func (w *Writer) ImportMembers(ctx context.Context, p *Principal, in MemberImportInput, apply bool) (*ImportReport, error) {
	if p == nil {
		return nil, ErrUnauthenticated("importing a roster needs a token")
	}
	if err := requireAdmin(p, "import member rosters"); err != nil {
		return nil, err
	}
	v := &validator{prefix: "input."}
	source, rows := v.text("source", in.Source, true, maxName), in.Rows
	switch {
	case len(rows) == 0:
		v.fail("rows", "a roster needs at least one row")
	case len(rows) > MaxImportRows:
		v.fail("rows", "one import takes at most %d rows and this roster has %d; import it in parts of up to %d rows",
			MaxImportRows, len(rows), MaxImportRows)
	}
	for i, row := range rows {
		if row.Line < 0 {
			v.fail("rows["+strconv.Itoa(i)+"].line", "line must be the row's line in its file, 1 or more, or absent")
		}
	}
	if err := v.result(); err != nil {
		return nil, err
	}
	report := &ImportReport{Source: source, Applied: apply}
	snap, err := w.rm.CatchUp(ctx)
	if err != nil {
		return nil, Unavailable(err)
	}
	// A roster holds one row per member: a second row about a city would be planned against a directory the
	// first row changed only when applied, so a dry run could not tell what it does.
	named := map[string]int{}
	for i, row := range rows {
		if row.Line == 0 {
			row.Line = i + 1
		}
		var res ImportResult
		plan := func(s *Snapshot) ([]Change, error) {
			res = ImportResult{Line: row.Line}
			change, err := w.planRosterRow(s, p, source, row, &res)
			if first, ok := named[res.CityKey]; ok && res.CityKey != "" {
				return nil, &Error{Code: CodeConflict, Field: "city",
					Message: fmt.Sprintf("line %d is about the city %q too; a roster holds one row per member, so merge the two rows", first, res.CityKey)}
			}
			if err != nil || change == nil {
				return nil, err
			}
			return []Change{*change}, nil
		}
		if apply {
			reason := "importMembers " + source + ":" + strconv.Itoa(row.Line)
			var after *Snapshot
			if after, err = w.commit(ctx, actorOf(p), reason, plan); err == nil && res.Outcome != ImportUnchanged {
				res.Revision = after.Revision
			}
			// Other writers may have moved the directory on, between rows and during a refused one.
			snap = w.rm.Snapshot()
		} else {
			_, err = plan(snap)
		}
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Code == CodeInternal {
				return nil, err
			}
			res.Outcome, res.Refusal = ImportRefused, rosterRefusal(e)
		}
		if res.CityKey != "" {
			if _, ok := named[res.CityKey]; !ok {
				named[res.CityKey] = row.Line
			}
			res.City = snap.City(res.CityKey)
		}
		report.Rows = append(report.Rows, res)
	}
	report.Revision = snap.Revision
	return report, nil
}

// rosterRefusal names the field of a refusal by the roster row's field, not the input of the mutation whose
// rules refused it.
func rosterRefusal(e *Error) *Error {
	r := &Error{Code: e.Code, Message: e.Message, Choices: e.Choices}
	field := strings.TrimPrefix(e.Field, "input.")
	switch field {
	case "since":
		field = "memberSince"
	case "key", "version", "cityVersion":
		field = "city"
	}
	r.Field = field
	return r
}

// planRosterRow plans one row against s: it returns the change of the row's city, or nil when the row changes
// nothing, and fills in res.
func (w *Writer) planRosterRow(s *Snapshot, p *Principal, source string, row RosterRow, res *ImportResult) (*Change, error) {
	v := &validator{}
	name := v.text("name", row.Name, true, maxName)
	country := rosterCountry(v, row.Country)
	region := rosterRegion(v, s, row.Region)
	checkEnum(v, "category", row.Category, membershipCategories, true)
	status := row.Status
	if status == "" {
		status = MembershipActive
	}
	if status == MembershipEnded {
		v.fail("status", "an import does not end memberships; end one with endMembership, which records when it ended")
	}
	checkEnum(v, "status", status, []MembershipStatus{MembershipActive, MembershipSuspended}, false)
	v.date("memberSince", row.MemberSince, true)
	if err := v.result(); err != nil {
		return nil, err
	}
	if served := countryRegion(country); region != "" && served != region {
		return nil, Invalid("region", "%s is served by the region %s, not %s; correct the country or the region", country, served, region)
	}
	key, old, err := s.rosterCity(row.City, name, country)
	res.CityKey = key
	if err != nil {
		return nil, err
	}
	title := strings.TrimSpace(row.RepresentativeTitle)
	if old == nil {
		return w.planRosterCreate(s, p, source, row, key, name, country, status, res)
	}

	// The city exists: change what the row says differently, and nothing else.
	var c *City
	if row.Population != 0 && row.Population != old.Population {
		in := cityInputOf(old)
		in.Population = row.Population
		if _, c, err = planUpdate(s, p, cityKind, key, old.Version, in); err != nil {
			return nil, err
		}
		// The import does not touch the location: it stays as it was, curated or not.
		c.Location = old.Location
		res.Changes = append(res.Changes, fmt.Sprintf("population %d → %d", old.Population, row.Population))
	} else {
		if err := authorize(p, "changing this city", old.Region); err != nil {
			return nil, err
		}
		cp := *old
		c = &cp
	}
	c.Memberships = slices.Clone(old.Memberships)
	open := slices.IndexFunc(c.Memberships, func(m Membership) bool { return m.Status != MembershipEnded })
	switch {
	case open < 0:
		m, err := w.newMembership(s, c, row.Category, row.MemberSince, "", "", title, "")
		if err != nil {
			return nil, err
		}
		m.Status = status
		res.Changes = append(res.Changes, grantDescription(m))
	case !c.Memberships[open].Since.Equal(today(row.MemberSince)):
		m := c.Memberships[open]
		return nil, Errorf(CodeConflict, "%s's membership %s began on %s and the roster says %s; an import does not move when a "+
			"membership began: correct the row, or end the membership and grant a new one", c.Name, m.ID,
			m.Since.Format(time.DateOnly), today(row.MemberSince).Format(time.DateOnly))
	default:
		m := c.Memberships[open]
		in := ChangeMembershipInput{Membership: m.ID}
		if m.Category != row.Category {
			in.Category = row.Category
			res.Changes = append(res.Changes, fmt.Sprintf("membership %s: category %s → %s", m.ID, m.Category, row.Category))
		}
		if m.Status != status {
			in.Status = status
			res.Changes = append(res.Changes, fmt.Sprintf("membership %s: status %s → %s", m.ID, m.Status, status))
		}
		if title != "" && title != m.RepresentativeTitle {
			in.RepresentativeTitle = title
			res.Changes = append(res.Changes, fmt.Sprintf("membership %s: representative's title %q → %q", m.ID, m.RepresentativeTitle, title))
		}
		if in != (ChangeMembershipInput{Membership: m.ID}) {
			if _, err := changeOpenMembership(s, c, in); err != nil {
				return nil, err
			}
		}
	}
	if len(res.Changes) == 0 {
		res.Outcome = ImportUnchanged
		return nil, nil
	}
	res.Outcome = ImportUpdate
	c.setStamp(old.Version+1, importProvenance(old.Provenance, source, row.Line))
	return &Change{Kind: KindCity, Key: key, Action: ActionUpdate, Version: old.Version, Before: old, After: c}, nil
}

// planRosterCreate plans a row about a city the directory does not hold: the city, and its membership.
func (w *Writer) planRosterCreate(s *Snapshot, p *Principal, source string, row RosterRow, key, name, country string,
	status MembershipStatus, res *ImportResult) (*Change, error) {
	c, err := planCreate(s, p, cityKind, CityInput{Key: key, Name: name, Country: country, Population: row.Population})
	if err != nil {
		return nil, err
	}
	m, err := w.newMembership(s, c, row.Category, row.MemberSince, "", "", row.RepresentativeTitle, "")
	if err != nil {
		return nil, err
	}
	m.Status = status
	c.Provenance = importProvenance(Provenance{}, source, row.Line)
	res.Outcome = ImportCreate
	created := fmt.Sprintf("create the city %s (%s) in %s", c.Name, c.Key, c.Country)
	if c.Population != 0 {
		created += fmt.Sprintf(", population %d", c.Population)
	}
	res.Changes = append(res.Changes, created, grantDescription(m))
	return &Change{Kind: KindCity, Key: key, Action: ActionCreate, After: c}, nil
}

func grantDescription(m *Membership) string {
	d := fmt.Sprintf("grant membership %s: %s, %s, since %s", m.ID, m.Category, m.Status, m.Since.Format(time.DateOnly))
	if m.RepresentativeTitle != "" {
		d += fmt.Sprintf(", representative's title %q", m.RepresentativeTitle)
	}
	return d
}

// importProvenance is the provenance of a city a roster import wrote: the roster's line joins the city's
// sources, in place of an earlier line of the same roster. What curators added stays theirs: an import
// changes only the population and the membership.
func importProvenance(old Provenance, source string, line int) Provenance {
	sources := slices.DeleteFunc(slices.Clone(old.Sources), func(r SourceRef) bool { return r.File == source })
	return Provenance{Origin: OriginImport, Sources: append(sources, SourceRef{File: source, StartLine: line, EndLine: line}),
		Curated: old.Curated, Note: "Imported from the member roster " + source + "; the audit trail records every change."}
}

// cityInputOf returns the input that writes the city as it is.
func cityInputOf(c *City) CityInput {
	in := CityInput{Key: c.Key, Name: c.Name, LocalNames: c.LocalNames, Government: c.Government, Kind: c.Kind,
		Country: c.Country, Parent: c.Parent, Population: c.Population}
	if c.Location != nil {
		in.Location = &LocationInput{Latitude: c.Location.Latitude, Longitude: c.Location.Longitude, Precision: c.Location.Precision}
	}
	return in
}

// rosterCountry reads a roster's country: an ISO 3166-1 code or an English name.
func rosterCountry(v *validator, s string) string {
	s = v.text("country", s, true, maxName)
	if s == "" {
		return ""
	}
	if c, ok := LookupCountry(s); ok {
		return c.Code
	}
	if c, ok := CountryByName(s); ok {
		return c.Code
	}
	v.fail("country", "unknown country %q; give an ISO 3166-1 code such as DE or the country's English name such as Germany", s)
	return ""
}

// rosterRegion reads a roster's region: a region's code or name, such as east-asia or "ICLEI East Asia".
func rosterRegion(v *validator, s *Snapshot, name string) string {
	name = v.text("region", name, false, maxName)
	if name == "" {
		return ""
	}
	if s.Region(name) != nil {
		return name
	}
	folded := Fold(strings.TrimPrefix(strings.TrimSpace(name), "ICLEI "))
	for _, r := range s.Regions() {
		if Fold(r.Name) == folded || Fold(r.Code) == folded {
			return r.Code
		}
	}
	v.keep(s.CheckRegion("region", name))
	return ""
}

// rosterCity finds the city a roster row is about: by its key when the row gives one, else by its name or its
// government's name among the cities of the country, else by the key its name makes. It returns the key and
// the city, or the key for a new city and nil.
func (s *Snapshot) rosterCity(key, name, country string) (string, *City, error) {
	v := &validator{}
	if key != "" {
		key = v.key(strings.TrimSpace(key), name)
		if err := v.result(); err != nil {
			return "", nil, err
		}
		c := s.City(key)
		if c != nil && c.Country != country {
			return key, nil, Invalid("city", "the city %q is in %s, not %s; correct the country or the city's key", key, c.Country, country)
		}
		return key, c, nil
	}
	made := v.key("", name)
	if err := v.result(); err != nil {
		return "", nil, Invalid("city", "no key can be made from the name %q; give the city's key", name)
	}
	found := s.citiesNamed(country, name)
	if c := s.City(made); c != nil && c.Country == country && !slices.Contains(found, c) {
		found = append(found, c)
	}
	switch len(found) {
	case 1:
		return found[0].Key, found[0], nil
	case 0:
		if c := s.City(made); c != nil {
			return made, nil, Invalid("city", "the key %q is taken by a city in %s; give this city another key", made, c.Country)
		}
		return made, nil, nil
	}
	keys := make([]string, len(found))
	for i, c := range found {
		keys[i] = c.Key
	}
	return "", nil, &Error{Code: CodeInvalidInput, Field: "city", Choices: keys,
		Message: fmt.Sprintf("several cities in %s go by %q (%s); give the key of the one the row is about", country, name, strings.Join(keys, ", "))}
}

// citiesNamed returns up to 10 cities of the country with the name, or whose government has it, ignoring case
// and accents (see Fold), found through the indexes in time that does not grow with the country's cities.
func (s *Snapshot) citiesNamed(country, name string) []*City {
	const most = 10
	named := country + "\x00" + Fold(name)
	// OrderByCountry sorts a country's cities by folded name: its cities with the name lie between these keys.
	p, _ := s.cities.Find(index.Query[City]{}, OrderByCountry, false, index.Window{Size: most,
		After: &index.SortKey{Text: named}, Before: &index.SortKey{Text: named + "\x00"}})
	found := p.Items
	s.cities.With(dimGovernment, governmentKey(country, name), func(c *City) bool {
		if !slices.Contains(found, c) {
			found = append(found, c)
		}
		return len(found) < most
	})
	return found
}

// governmentName is the value of a city in dimGovernment: its government's name, folded, in its country.
func governmentName(c *City) []string {
	if c.Government == "" {
		return nil
	}
	return []string{governmentKey(c.Country, c.Government)}
}

func governmentKey(country, name string) string { return country + ":" + Fold(name) }
