package directory

import (
	"fmt"
	"slices"
)

// secretariatHeadedBy returns the secretariat whose head office is the office with the key, or nil.
func (s *Snapshot) secretariatHeadedBy(office string) *Secretariat {
	return s.secretariats.First(dimHeadOffice, office)
}

// isAncestor reports whether the city with the key is parent, or one of parent's ancestors: making parent the
// city's parent would close a loop.
func (s *Snapshot) isAncestor(key, parent string) bool {
	for seen := 0; parent != "" && seen <= s.cities.Len(); seen++ {
		if parent == key {
			return true
		}
		c := s.City(parent)
		if c == nil {
			return false
		}
		parent = c.Parent
	}
	return false
}

// referencesTo describes a record that refers to the institution, or returns "" when none does. It looks the
// references up in the indexes, so it costs the same at any size.
func (s *Snapshot) referencesTo(kind InstitutionKind, key string) string {
	ref := InstitutionRef{Kind: kind, Key: key}
	if p := s.programs.First(dimRefers, refersTo(kind, key)); p != nil {
		switch {
		case slices.Contains(p.Organizers, ref):
			return fmt.Sprintf("program %q as an organizer", p.Key)
		case kind == InstitutionCity && p.HostCity == key:
			return fmt.Sprintf("program %q as its host city", p.Key)
		case kind == InstitutionCity && slices.Contains(p.Participants, key):
			return fmt.Sprintf("program %q as a participant", p.Key)
		}
		for _, v := range p.SiteVisits {
			if kind == InstitutionCity && v.City == key {
				return fmt.Sprintf("program %q for the site visit %q", p.Key, v.Name)
			}
		}
		return fmt.Sprintf("program %q as an activity organizer", p.Key)
	}
	if x := s.people.First(dimRefers, refersTo(kind, key)); x != nil {
		return fmt.Sprintf("person %q as an affiliation", x.Key)
	}
	if kind == InstitutionCity {
		if x := s.cities.First(dimParent, key); x != nil {
			return fmt.Sprintf("city %q as its parent", x.Key)
		}
		if x := s.organizations.First(dimCity, key); x != nil {
			return fmt.Sprintf("organization %q as its city", x.Key)
		}
	}
	return ""
}

// organizationRegions returns the regions an organization touches: its country's and its city's.
func (s *Snapshot) organizationRegions(o *Organization) []string {
	rs := []string{countryRegion(o.Country)}
	if c := s.City(o.City); c != nil && c.Region != rs[0] {
		rs = append(rs, c.Region)
	}
	return rs
}

// institutionRegion returns the region of a secretariat, organization (by its country, or else its city) or
// city.
func (s *Snapshot) institutionRegion(ref InstitutionRef) string {
	switch x := s.Institution(ref).(type) {
	case *Secretariat:
		return x.Region
	case *Organization:
		if r := countryRegion(x.Country); r != "" {
			return r
		}
		if c := s.City(x.City); c != nil {
			return c.Region
		}
		return ""
	case *City:
		return x.Region
	}
	return ""
}

// personRegions returns the regions of a person's affiliations.
func (s *Snapshot) personRegions(p *Person) []string {
	var rs []string
	for _, a := range p.Affiliations {
		if r := s.institutionRegion(a.Institution); r != "" && !slices.Contains(rs, r) {
			rs = append(rs, r)
		}
	}
	return rs
}

// programRegions returns the regions a program touches: its own and its host city's.
func (s *Snapshot) programRegions(p *Program) []string {
	rs := []string{p.Region}
	if c := s.City(p.HostCity); c != nil && c.Region != p.Region {
		rs = append(rs, c.Region)
	}
	return rs
}
