package export

import (
	"bufio"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/iclei/directory/directory"
)

// Organization is the ORG of every office's vCard.
const Organization = "ICLEI – Local Governments for Sustainability"

// OfficeVCard writes the office as a vCard 4.0 (RFC 6350): FN and ORG, the address and any separate postal
// address as ADR, phone and fax as tel: URIs, URL, EMAIL, GEO, and SOURCE, the URL the card can be fetched
// from again. Lines end in CRLF and are folded at 75 octets.
func OfficeVCard(w io.Writer, o *directory.Office, source string) error {
	v := &vcard{w: bufio.NewWriter(w)}
	v.line("BEGIN", "", "VCARD")
	v.line("VERSION", "", "4.0")
	v.line("KIND", "", "org")
	v.line("FN", "", escape(o.Name))
	v.line("ORG", "", escape(Organization)+";"+escape(o.Name))
	if o.Address != nil {
		v.line("ADR", ";TYPE=work;PREF=1", adr(o.Address))
	}
	if o.PostalAddress != nil {
		v.line("ADR", ";TYPE=work", adr(o.PostalAddress))
	}
	if o.Phone != nil {
		v.line("TEL", ";VALUE=uri;TYPE=work,voice", "tel:"+o.Phone.E164)
	}
	if o.Fax != nil {
		v.line("TEL", ";VALUE=uri;TYPE=work,fax", "tel:"+o.Fax.E164)
	}
	if o.Email != "" {
		v.line("EMAIL", ";TYPE=work", escape(o.Email))
	}
	if o.Website != "" {
		v.line("URL", "", o.Website)
	}
	if l := o.Location; l != nil {
		v.line("GEO", "", "geo:"+strconv.FormatFloat(l.Latitude, 'f', -1, 64)+","+strconv.FormatFloat(l.Longitude, 'f', -1, 64))
	}
	if source != "" {
		v.line("SOURCE", "", source)
	}
	v.line("END", "", "VCARD")
	if v.err != nil {
		return v.err
	}
	return v.w.Flush()
}

// adr is the value of an ADR property: post office box; extended address; street address (its lines as a
// list); locality; region; postal code; country name.
func adr(a *directory.Address) string {
	street := make([]string, len(a.Street))
	for i, s := range a.Street {
		street[i] = escape(s)
	}
	country := ""
	if a.Country != "" {
		country = countryName(a.Country)
	}
	return strings.Join([]string{"", "", strings.Join(street, ","), escape(a.Locality), escape(a.Province),
		escape(a.PostalCode), escape(country)}, ";")
}

// escape escapes a text value (RFC 6350, section 3.4): backslash, comma, semicolon and newlines.
func escape(s string) string {
	return strings.NewReplacer(`\`, `\\`, ",", `\,`, ";", `\;`, "\r\n", `\n`, "\n", `\n`, "\r", `\n`).Replace(s)
}

type vcard struct {
	w   *bufio.Writer
	err error
}

// line writes a content line, folded so that no line is longer than 75 octets (RFC 6350, section 3.2): a
// continuation line starts with a space, and a UTF-8 sequence is never split.
func (v *vcard) line(name, params, value string) {
	if v.err != nil {
		return
	}
	s := name + params + ":" + value
	const limit = 75
	width := limit
	for len(s) > width {
		cut := width
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		if _, v.err = v.w.WriteString(s[:cut] + "\r\n "); v.err != nil {
			return
		}
		s = s[cut:]
		width = limit - 1 // the leading space counts
	}
	_, v.err = v.w.WriteString(s + "\r\n")
}
