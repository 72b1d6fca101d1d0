package seed

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/iclei/directory/directory"
)

// Line is a line of a source document, numbered from 1.
type Line struct {
	N    int    `json:"line"`
	Text string `json:"text"`
}

// ListedOffice is an office as the address listing gives it.
type ListedOffice struct {
	// Name is nil for a block the listing does not name (its first, the World Secretariat's).
	Name *Line `json:"name"`
	// Kind is what the name says the office is; empty for an unnamed block.
	Kind directory.OfficeKind `json:"kind,omitempty"`
	// Heading is the region heading in force where the office is listed, if any.
	Heading *Line `json:"heading,omitempty"`
	// Labels are further lines that name the office again.
	Labels        []Line `json:"labels,omitempty"`
	Address       []Line `json:"address,omitempty"`
	PostalAddress []Line `json:"postalAddress,omitempty"`
	// Country and PostalCountry are the ISO codes of the countries the addresses name, if they name one.
	Country       string `json:"country,omitempty"`
	PostalCountry string `json:"postalCountry,omitempty"`
	Phone         *Line  `json:"phone,omitempty"`
	Fax           *Line  `json:"fax,omitempty"`
	Email         *Line  `json:"email,omitempty"`
	Website       *Line  `json:"website,omitempty"`
	FirstLine     int    `json:"firstLine"`
	LastLine      int    `json:"lastLine"`
}

// Listing is the parsed address listing.
type Listing struct {
	Offices []ListedOffice `json:"offices"`
	// Trailing are the lines after the last office that belong to no office: the links that close the web page
	// the listing was taken from.
	Trailing []Line `json:"trailing,omitempty"`
}

// ParseError reports a line of the listing that cannot be read.
type ParseError struct {
	Line   int
	Text   string
	Reason string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("listing line %d: %s: %q", e.Line, e.Reason, e.Text)
}

var (
	phoneLine   = regexp.MustCompile(`^(?i)(?:T|Tel|Phone)\s*[:.]\s*(.+)$`)
	faxLine     = regexp.MustCompile(`^(?i)(?:F|Fax)\s*[:.]\s*(.+?)(?:\s+(E-?mail\s*:.*))?$`)
	emailLine   = regexp.MustCompile(`^(?i)E-?mail\s*:\s*(\S*)\s*$`)
	postalLine  = regexp.MustCompile(`^(?i)(?:CEP|C\.P\.|PO Box|P\.O\. Box)?\s*[A-Z0-9]*\d[0-9A-Z -]*$`)
	nameSuffix  = regexp.MustCompile(`(?i)\b(secretariat|office)$`)
	digitToken  = regexp.MustCompile(`\([^)]*\)|\S*\d\S*`)
	subBlock    = map[string]bool{"physical address:": false, "postal address:": true}
	maxNameWord = 8
)

// ParseListing reads ICLEI's office address listing as scraped from its web page, starting at line firstLine
// of r (the lines before it are skipped). isHeading tells a region heading, such as "east asia", from other lines.
//
// The listing is a run of office blocks: a name line ("Japan Office"), address lines, and phone, fax and e-mail
// lines; a block may split into "Physical address:" and "Postal address:" parts; region headings stand between
// blocks; the first block has no name; a name may be repeated as a label ("ICLEI East Asia Secretariat"). An
// address is complete once a line names its country; a postal code may still follow. Text after a complete
// address that no office takes is an error, unless nothing but such text follows: then it is the page's
// trailing links, returned as Trailing.
func ParseListing(r io.Reader, firstLine int, isHeading func(string) bool) (*Listing, error) {
	var (
		l        Listing
		cur      *ListedOffice
		postal   bool // the current block is in its "Postal address:" part
		heading  *Line
		complete bool   // the current part's address names its country
		stray    []Line // text that belongs to no office
	)
	closeOffice := func() {
		if cur != nil {
			l.Offices = append(l.Offices, *cur)
			cur = nil
		}
	}
	strayError := func() error {
		return &ParseError{Line: stray[0].N, Text: stray[0].Text, Reason: "text outside any office block"}
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	n := 0
	for sc.Scan() {
		n++
		if n < firstLine {
			continue
		}
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		line := Line{N: n, Text: text}
		fold := directory.Fold(text)
		kind, isName := nameKind(text)
		postalPart, isPart := subBlock[fold]

		// Lines that structure the listing; stray text before any of them is an error.
		structural := isHeading(text) || isName || isPart || phoneLine.MatchString(text) ||
			faxLine.MatchString(text) || emailLine.MatchString(text)
		if structural && len(stray) > 0 {
			return nil, strayError()
		}

		switch {
		case isHeading(text):
			closeOffice()
			heading = &line
		case isName && cur != nil && (cur.Name == nil && len(cur.Address) == 0 || sameName(cur.Name, text)):
			cur.Labels = append(cur.Labels, line)
		case isName:
			closeOffice()
			cur = &ListedOffice{Name: &line, Kind: kind, Heading: heading, FirstLine: n}
			postal, complete = false, false
		case isPart:
			if cur == nil {
				return nil, &ParseError{Line: n, Text: text, Reason: "address part outside any office block"}
			}
			postal, complete = postalPart, false
		case phoneLine.MatchString(text), faxLine.MatchString(text), emailLine.MatchString(text):
			if cur == nil {
				return nil, &ParseError{Line: n, Text: text, Reason: "contact line outside any office block"}
			}
			if err := readContact(cur, line); err != nil {
				return nil, err
			}
		default:
			switch {
			case len(stray) > 0:
				stray = append(stray, line)
				continue
			case cur == nil && len(l.Offices) == 0:
				cur = &ListedOffice{Heading: heading, FirstLine: n}
				postal, complete = false, false
			case cur == nil || complete && !postalLine.MatchString(text):
				closeOffice()
				stray = append(stray, line)
				continue
			}
			if code := countryIn(text); code != "" && !complete {
				complete = true
				if postal {
					cur.PostalCountry = code
				} else {
					cur.Country = code
				}
			}
			if postal {
				cur.PostalAddress = append(cur.PostalAddress, line)
			} else {
				cur.Address = append(cur.Address, line)
			}
		}
		if cur != nil {
			cur.LastLine = n
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read listing: %w", err)
	}
	closeOffice()
	l.Trailing = stray
	if len(l.Offices) == 0 {
		return nil, &ParseError{Line: n, Reason: "the listing holds no office"}
	}
	return &l, nil
}

// nameKind tells whether a line names an office, and what kind of office the name says it is.
func nameKind(text string) (directory.OfficeKind, bool) {
	words := strings.Fields(text)
	if !nameSuffix.MatchString(text) || len(words) > maxNameWord || strings.ContainsAny(text, "0123456789") {
		return "", false
	}
	fold := directory.Fold(text)
	switch {
	case strings.HasSuffix(fold, "project office"):
		return directory.OfficeProject, true
	case strings.HasSuffix(fold, "secretariat"):
		return directory.OfficeRegionalSecretariat, true
	}
	if _, ok := directory.CountryByName(strings.TrimSpace(text[:len(text)-len("office")])); ok {
		return directory.OfficeCountry, true
	}
	return directory.OfficeCity, true
}

// sameName reports whether text names the office again, as "ICLEI East Asia Secretariat" names the East Asia
// Secretariat.
func sameName(name *Line, text string) bool {
	if name == nil {
		return false
	}
	return strings.TrimPrefix(directory.Fold(text), "iclei ") == strings.TrimPrefix(directory.Fold(name.Text), "iclei ")
}

// readContact stores a phone, fax or e-mail line. An "Email:" that holds a web address, as in
// "Email: www.iclei.org", is the office's website.
func readContact(o *ListedOffice, line Line) error {
	dup := func(what string) error {
		return &ParseError{Line: line.N, Text: line.Text, Reason: "second " + what + " for one office"}
	}
	if m := phoneLine.FindStringSubmatch(line.Text); m != nil {
		if o.Phone != nil {
			return dup("phone number")
		}
		o.Phone = &Line{N: line.N, Text: m[1]}
		return nil
	}
	rest := line.Text
	if m := faxLine.FindStringSubmatch(line.Text); m != nil {
		if o.Fax != nil {
			return dup("fax number")
		}
		o.Fax = &Line{N: line.N, Text: m[1]}
		if rest = m[2]; rest == "" {
			return nil
		}
	}
	m := emailLine.FindStringSubmatch(rest)
	if m == nil || m[1] == "" {
		return &ParseError{Line: line.N, Text: line.Text, Reason: "e-mail field without an address"}
	}
	if strings.Contains(m[1], "@") {
		if o.Email != nil {
			return dup("e-mail address")
		}
		o.Email = &Line{N: line.N, Text: m[1]}
		return nil
	}
	if o.Website != nil {
		return dup("website")
	}
	o.Website = &Line{N: line.N, Text: m[1]}
	return nil
}

// countryIn returns the ISO code of the country an address line names, or "". The country is looked for in the
// line's comma-, slash- and dash-separated parts from the last, with postal codes and numbers set aside, so that
// "USA 80202", "Tokyo, Japan 105-0003" and "São Paulo / SP - Brazil" are all found.
func countryIn(text string) string {
	parts := strings.FieldsFunc(text, func(r rune) bool { return r == ',' || r == '/' })
	for i := len(parts) - 1; i >= 0; i-- {
		for _, part := range splitDash(parts[i]) {
			name := strings.Join(strings.Fields(digitToken.ReplaceAllString(part, " ")), " ")
			if name == "" {
				continue
			}
			if c, ok := directory.CountryByName(name); ok {
				return c.Code
			}
		}
	}
	return ""
}

// splitDash splits a part at spaced dashes ("SP - Brazil"), last piece first, and keeps hyphenated words whole.
func splitDash(part string) []string {
	pieces := strings.Split(part, " - ")
	for i, j := 0, len(pieces)-1; i < j; i, j = i+1, j-1 {
		pieces[i], pieces[j] = pieces[j], pieces[i]
	}
	return pieces
}
