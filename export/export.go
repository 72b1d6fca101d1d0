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

// addressLine returns an address on one line: its lines as written in the source, joined by commas. A line
// that ends in a comma in the source ("3F, Suwon Research Institute,") gets no second one.
func addressLine(a *directory.Address) string {
	if a == nil {
		return ""
	}
	parts := make([]string, 0, len(a.Lines))
	for _, l := range a.Lines {
		if l = strings.TrimRight(strings.TrimSpace(l), ", "); l != "" {
			parts = append(parts, l)
		}
	}
	return strings.Join(parts, ", ")
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
