package directory

import (
	"github.com/iclei/directory/internal/index"

	"math"
	"slices"
)

// earthRadiusKm is the mean radius of the WGS 84 ellipsoid (IUGG).
const earthRadiusKm = 6371.0088

// DistanceKm returns the great-circle distance between two points, by the haversine formula.
func DistanceKm(lat1, lon1, lat2, lon2 float64) float64 {
	rad := math.Pi / 180
	dLat, dLon := (lat2-lat1)*rad, (lon2-lon1)*rad
	a := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * earthRadiusKm * math.Asin(math.Min(1, math.Sqrt(a)))
}

// CheckCoordinates returns an invalid-input error unless latitude and longitude are in range.
func CheckCoordinates(field string, latitude, longitude float64) error {
	if math.IsNaN(latitude) || latitude < -90 || latitude > 90 {
		return Invalid(field+"latitude", "latitude must be between -90 and 90, got %v", latitude)
	}
	if math.IsNaN(longitude) || longitude < -180 || longitude > 180 {
		return Invalid(field+"longitude", "longitude must be between -180 and 180, got %v", longitude)
	}
	return nil
}

// OfficeDistance is an office and how far it is from a point.
type OfficeDistance struct {
	Office     *Office
	DistanceKm float64
}

// NearestOffices returns up to n offices with a known location, nearest to the point first. ICLEI has tens of
// offices, so every one is measured.
func (s *Snapshot) NearestOffices(latitude, longitude float64, n int) ([]*OfficeDistance, error) {
	if err := CheckCoordinates("", latitude, longitude); err != nil {
		return nil, err
	}
	if n < 1 || n > MaxPageSize {
		return nil, Invalid("first", "first must be between 1 and %d, got %d", MaxPageSize, n)
	}
	return s.nearestOffices(latitude, longitude, n, func(*Office) bool { return true }), nil
}

func (s *Snapshot) nearestOffices(latitude, longitude float64, n int, keep func(*Office) bool) []*OfficeDistance {
	var ds []*OfficeDistance
	s.offices.Scan(func(o *Office) bool {
		if o.Location != nil && keep(o) {
			ds = append(ds, &OfficeDistance{Office: o, DistanceKm: DistanceKm(latitude, longitude, o.Location.Latitude, o.Location.Longitude)})
		}
		return true
	})
	slices.SortStableFunc(ds, func(a, b *OfficeDistance) int {
		switch {
		case a.DistanceKm < b.DistanceKm:
			return -1
		case a.DistanceKm > b.DistanceKm:
			return 1
		}
		return 0
	})
	return ds[:min(n, len(ds))]
}

// NearestOffice returns the office nearest to the city, or nil when the city's location is unknown.
func (s *Snapshot) NearestOffice(c *City) *OfficeDistance {
	if c.Location == nil {
		return nil
	}
	ds := s.nearestOffices(c.Location.Latitude, c.Location.Longitude, 1, func(*Office) bool { return true })
	if len(ds) == 0 {
		return nil
	}
	return ds[0]
}

// Service is whom a local government in a country deals with: the ICLEI region that serves the country, that
// region's secretariat, its offices, and the one office to contact first.
type Service struct {
	Country     Country
	Region      *Region
	Secretariat *Secretariat
	// Offices are the region's offices: those in the country first, then the secretariat's head office, then
	// the rest by name.
	Offices []*Office
	// Contact is the first of Offices, or the World Secretariat's office for a region with no office.
	Contact *Office
}

// ServiceFor returns the service for the country with the ISO 3166-1 code.
func (s *Snapshot) ServiceFor(country string) (*Service, error) {
	code, err := CheckCountry("country", country)
	if err != nil {
		return nil, err
	}
	c, _ := LookupCountry(code)
	svc := &Service{Country: c, Region: s.Region(c.Region), Secretariat: s.RegionSecretariat(c.Region)}
	head := ""
	if svc.Secretariat != nil {
		head = svc.Secretariat.HeadOffice
	}
	rank := func(o *Office) int {
		switch {
		case o.Country() == code:
			return 0
		case o.Key == head:
			return 1
		}
		return 2
	}
	inRegion, _ := s.offices.Find(index.Query[Office]{Terms: []index.Term{{Dim: dimRegion, Value: c.Region}}}, OrderByName, false,
		index.Window{Size: s.offices.Len()})
	svc.Offices = inRegion.Items
	slices.SortStableFunc(svc.Offices, func(a, b *Office) int { return rank(a) - rank(b) })
	switch {
	case len(svc.Offices) > 0:
		svc.Contact = svc.Offices[0]
	case s.RegionSecretariat(RegionGlobal) != nil:
		svc.Contact = s.Office(s.RegionSecretariat(RegionGlobal).HeadOffice)
	}
	return svc, nil
}
