package export

import (
	"encoding/csv"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/iclei/directory/directory"
)

// OfficeColumns are the columns of the offices CSV, in order.
var OfficeColumns = []string{
	"key", "name", "kind", "region", "secretariat", "address", "street", "locality", "province", "postal_code",
	"country", "phone", "fax", "email", "website", "latitude", "longitude", "location_precision", "location_curated",
}

// OfficesCSV writes the offices as CSV (RFC 4180): a header row of OfficeColumns, then one row per office.
func OfficesCSV(w io.Writer, offices []*directory.Office) error {
	cw := newCSV(w)
	if err := cw.Write(OfficeColumns); err != nil {
		return err
	}
	for _, o := range offices {
		a := o.Address
		if a == nil {
			a = &directory.Address{}
		}
		lat, lon, precision, curated := location(o.Location)
		row := []string{
			o.Key, o.Name, string(o.Kind), o.Region, o.Secretariat, addressLine(o.Address), strings.Join(a.Street, ", "),
			a.Locality, a.Province, a.PostalCode, o.Country(), international(o.Phone), international(o.Fax), o.Email,
			o.Website, lat, lon, precision, curated,
		}
		if err := cw.Write(neutralize(row)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// CityColumns are the columns of the cities CSV, in order. A city's memberships are summarised: its current
// membership (the one not ended, or else the latest) in columns of their own, how many it has had, and every
// one of them, oldest first, as "CATEGORY STATUS since–until" separated by "; ".
var CityColumns = []string{
	"key", "name", "local_names", "government", "kind", "country", "region", "parent", "population", "latitude",
	"longitude", "membership_category", "membership_status", "membership_since", "membership_until",
	"membership_secretariat", "membership_count", "memberships",
}

// CitiesCSV writes the cities as CSV (RFC 4180): a header row of CityColumns, then one row per city.
func CitiesCSV(w io.Writer, cities []*directory.City) error {
	cw := newCSV(w)
	if err := cw.Write(CityColumns); err != nil {
		return err
	}
	for _, c := range cities {
		localNames := make([]string, len(c.LocalNames))
		for i, n := range c.LocalNames {
			localNames[i] = n.Lang + ": " + n.Name
		}
		lat, lon, _, _ := location(c.Location)
		var category, status, since, until, secretariat string
		if m := c.CurrentMembership(); m != nil {
			category, status, since, until, secretariat = string(m.Category), string(m.Status), date(m), "", m.Secretariat
			if !m.Until.IsZero() {
				until = m.Until.Format(dateLayout)
			}
		}
		history := make([]string, len(c.Memberships))
		for i, m := range c.Memberships {
			history[i] = string(m.Category) + " " + string(m.Status) + " " + date(&m) + "–"
			if !m.Until.IsZero() {
				history[i] += m.Until.Format(dateLayout)
			}
		}
		population := ""
		if c.Population > 0 {
			population = strconv.Itoa(c.Population)
		}
		row := []string{
			c.Key, c.Name, strings.Join(localNames, "; "), c.Government, string(c.Kind), c.Country, c.Region, c.Parent,
			population, lat, lon, category, status, since, until, secretariat, strconv.Itoa(len(c.Memberships)),
			strings.Join(history, "; "),
		}
		if err := cw.Write(neutralize(row)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func newCSV(w io.Writer) *csv.Writer {
	cw := csv.NewWriter(w)
	cw.UseCRLF = true // RFC 4180
	return cw
}

func date(m *directory.Membership) string {
	if m.Since.IsZero() {
		return ""
	}
	return m.Since.Format(dateLayout)
}

func location(l *directory.Location) (lat, lon, precision, curated string) {
	if l == nil {
		return "", "", "", ""
	}
	return strconv.FormatFloat(l.Latitude, 'f', -1, 64), strconv.FormatFloat(l.Longitude, 'f', -1, 64),
		string(l.Precision), strconv.FormatBool(l.Curated)
}

// number matches cells that are numbers or phone numbers: no spreadsheet reads a formula into them.
var number = regexp.MustCompile(`^[+-]?[0-9][0-9 ().,/-]*$`)

// neutralize keeps spreadsheets from running cells as formulas (CSV injection): a cell that starts with one of
// = + - @ or a tab or carriage return, and is not a plain number or phone number, is prefixed with a quote.
func neutralize(row []string) []string {
	for i, cell := range row {
		if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) && !number.MatchString(cell) {
			row[i] = "'" + cell
		}
	}
	return row
}
