package directory

import (
	"encoding/base64"
	"strings"
)

// GlobalID returns the opaque, stable global ID of the record of the kind with the key.
func GlobalID(kind, key string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(kind + ":" + key))
}

// ParseGlobalID returns the kind and key a global ID names.
func ParseGlobalID(id string) (kind, key string, err error) {
	raw, err := base64.RawURLEncoding.DecodeString(id)
	if err == nil {
		var ok bool
		if kind, key, ok = strings.Cut(string(raw), ":"); ok && kind != "" && key != "" {
			return kind, key, nil
		}
	}
	return "", "", Invalid("id", "%s is not an ID this directory issued", quote(id))
}

// ID returns the region's global ID.
func (r *Region) ID() string { return GlobalID(KindRegion, r.Code) }

// ID returns the secretariat's global ID.
func (x *Secretariat) ID() string { return GlobalID(KindSecretariat, x.Key) }

// ID returns the office's global ID.
func (x *Office) ID() string { return GlobalID(KindOffice, x.Key) }

// ID returns the city's global ID.
func (x *City) ID() string { return GlobalID(KindCity, x.Key) }

// GlobalID returns the membership's global ID.
func (x *Membership) GlobalID() string { return GlobalID(KindMembership, x.City+"/"+x.ID) }

// ID returns the program's global ID.
func (x *Program) ID() string { return GlobalID(KindProgram, x.Key) }

// ID returns the organization's global ID.
func (x *Organization) ID() string { return GlobalID(KindOrganization, x.Key) }

// ID returns the person's global ID.
func (x *Person) ID() string { return GlobalID(KindPerson, x.Key) }

// ID returns the country's global ID.
func (c Country) ID() string { return GlobalID(KindCountry, c.Code) }

// Node returns the record a global ID names, as a pointer to its type (Country by value), or nil when there is
// none. An ID this directory could not have issued is an invalid-input error.
func (s *Snapshot) Node(id string) (any, error) {
	kind, key, err := ParseGlobalID(id)
	if err != nil {
		return nil, err
	}
	switch kind {
	case KindRegion:
		return nodeOf(s.Region(key)), nil
	case KindSecretariat:
		return nodeOf(s.Secretariat(key)), nil
	case KindOffice:
		return nodeOf(s.Office(key)), nil
	case KindCity:
		return nodeOf(s.City(key)), nil
	case KindMembership:
		return nodeOf(s.Membership(key)), nil
	case KindProgram:
		return nodeOf(s.Program(key)), nil
	case KindOrganization:
		return nodeOf(s.Organization(key)), nil
	case KindPerson:
		return nodeOf(s.Person(key)), nil
	case KindCountry:
		if c, ok := LookupCountry(key); ok {
			return c, nil
		}
		return nil, nil
	}
	return nil, Invalid("id", "%s is not an ID this directory issued", quote(id))
}

// nodeOf returns p as an interface value that is nil when p is.
func nodeOf[T any](p *T) any {
	if p == nil {
		return nil
	}
	return p
}

// MaxNodes bounds how many IDs one nodes query may name.
const MaxNodes = 100

// Nodes returns the records the global IDs name, nil where there is none.
func (s *Snapshot) Nodes(ids []string) ([]any, error) {
	if len(ids) > MaxNodes {
		return nil, Invalid("ids", "ask for at most %d IDs at once, got %d", MaxNodes, len(ids))
	}
	nodes := make([]any, len(ids))
	for i, id := range ids {
		n, err := s.Node(id)
		if err != nil {
			return nil, err
		}
		nodes[i] = n
	}
	return nodes, nil
}

// Membership returns the membership with the key "city/id", or nil.
func (s *Snapshot) Membership(key string) *Membership {
	cityKey, id, _ := strings.Cut(key, "/")
	c := s.City(cityKey)
	if c == nil {
		return nil
	}
	for i := range c.Memberships {
		if c.Memberships[i].ID == id {
			return &c.Memberships[i]
		}
	}
	return nil
}
