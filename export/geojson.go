package export

import (
	"encoding/json"
	"io"

	"github.com/iclei/directory/directory"
)

// OfficesGeoJSON writes the offices as an RFC 7946 FeatureCollection: one Feature per office, its geometry a
// Point at [longitude, latitude], or null for an office whose location is unknown (it is kept, so that the
// collection lists every office). Missing properties are null.
func OfficesGeoJSON(w io.Writer, offices []*directory.Office) error {
	fc := featureCollection{Type: "FeatureCollection", Features: make([]feature, 0, len(offices))}
	for _, o := range offices {
		f := feature{Type: "Feature", ID: o.Key, Properties: officeProperties{
			Key:         o.Key,
			Name:        o.Name,
			Kind:        string(o.Kind),
			Region:      o.Region,
			Secretariat: optional(o.Secretariat),
			Address:     optional(addressLine(o.Address)),
			Locality:    optional(addressField(o.Address, func(a *directory.Address) string { return a.Locality })),
			PostalCode:  optional(addressField(o.Address, func(a *directory.Address) string { return a.PostalCode })),
			Country:     optional(o.Country()),
			Phone:       optional(international(o.Phone)),
			Fax:         optional(international(o.Fax)),
			Email:       optional(o.Email),
			Website:     optional(o.Website),
		}}
		if l := o.Location; l != nil {
			f.Geometry = &point{Type: "Point", Coordinates: [2]float64{l.Longitude, l.Latitude}}
			f.Properties.LocationPrecision = optional(string(l.Precision))
			f.Properties.Curated = &l.Curated
		}
		fc.Features = append(fc.Features, f)
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(fc)
}

type featureCollection struct {
	Type     string    `json:"type"`
	Features []feature `json:"features"`
}

type feature struct {
	Type string `json:"type"`
	ID   string `json:"id"`
	// Geometry is null for an office without a location, as RFC 7946 (section 3.2) provides for.
	Geometry   *point           `json:"geometry"`
	Properties officeProperties `json:"properties"`
}

type point struct {
	Type        string     `json:"type"`
	Coordinates [2]float64 `json:"coordinates"` // longitude, latitude
}

type officeProperties struct {
	Key         string  `json:"key"`
	Name        string  `json:"name"`
	Kind        string  `json:"kind"`
	Region      string  `json:"region"`
	Secretariat *string `json:"secretariat"`
	Address     *string `json:"address"`
	Locality    *string `json:"locality"`
	PostalCode  *string `json:"postalCode"`
	Country     *string `json:"country"`
	Phone       *string `json:"phone"`
	Fax         *string `json:"fax"`
	Email       *string `json:"email"`
	Website     *string `json:"website"`
	// LocationPrecision says how exactly the point pins the office.
	LocationPrecision *string `json:"locationPrecision"`
	// Curated is true when curators added the coordinates, which the sources do not give.
	Curated *bool `json:"curated"`
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func addressField(a *directory.Address, field func(*directory.Address) string) string {
	if a == nil {
		return ""
	}
	return field(a)
}
