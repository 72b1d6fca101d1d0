// Package export writes the directory in formats other tools read: the offices as GeoJSON for maps, offices
// and cities as CSV for spreadsheets, and an office as a vCard for address books. The writers format the records
// they are given; Routes serves them over HTTP, each answer from one snapshot of the read model.
package export

import (
	"strings"

	"github.com/iclei/directory/directory"
)

// Media types of the exports.
const (
	MediaTypeGeoJSON = "application/geo+json"
	MediaTypeCSV     = "text/csv; charset=utf-8"
	MediaTypeVCard   = "text/vcard; charset=utf-8"
)

// dateLayout writes calendar dates as ISO 8601 dates, as the GraphQL Date scalar does.
const dateLayout = "2006-01-02"

// addressLine returns an address on one line, as written in the source.
func addressLine(a *directory.Address) string {
	if a == nil {
		return ""
	}
	return strings.Join(a.Lines, ", ")
}

// countryName returns the English name of the country with the ISO code, or the code.
func countryName(code string) string {
	if c, ok := directory.LookupCountry(code); ok {
		return c.Name("")
	}
	return code
}

func international(p *directory.Phone) string {
	if p == nil {
		return ""
	}
	return p.International()
}
