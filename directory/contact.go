package directory

import (
	"net/mail"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
)

// ParsePhone checks a telephone or fax number and returns it in E.164 form beside the number as written. A
// number without a leading + is read as a national number of the country with the ISO code region. The number
// must be valid in its country's numbering plan, not merely of a possible length: "0100" read in Germany, or a
// number dialable only locally, has no proper E.164 form (libphonenumber would give +490100).
func ParsePhone(field, written, region string) (*Phone, error) {
	written = strings.TrimSpace(written)
	if written == "" {
		return nil, Invalid(field, "%s must not be empty", field)
	}
	if len(written) > 40 {
		return nil, Invalid(field, "%s is too long to be a phone number", field)
	}
	// Numbers are often written with slashes between the area code and the number (+49-228/97 62 99-00).
	num, err := phonenumbers.Parse(strings.ReplaceAll(written, "/", " "), strings.ToUpper(region))
	if err != nil || !phonenumbers.IsValidNumber(num) {
		hint := ""
		if !strings.HasPrefix(written, "+") {
			hint = "; write it in international form, starting with + and the country code"
		}
		return nil, Invalid(field, "%q is not a valid phone number%s", written, hint)
	}
	return &Phone{E164: phonenumbers.Format(num, phonenumbers.E164), Written: written}, nil
}

// International returns the number in international format, such as +49 228 97629900.
func (p *Phone) International() string {
	num, err := phonenumbers.Parse(p.E164, "")
	if err != nil {
		return p.E164
	}
	return phonenumbers.Format(num, phonenumbers.INTERNATIONAL)
}

// ParseWebsite checks a website address and returns it as an absolute http or https URL. An address without a
// scheme, such as www.iclei.org, is taken to be https. The limit on length applies to the URL returned, which
// escapes what the address did not, so that what is stored passes this check again.
func ParseWebsite(field, raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || !utf8.ValidString(raw) || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		!strings.Contains(u.Hostname(), ".") || len(u.String()) > 2048 {
		return "", Invalid(field, "%s must be a web address such as https://www.iclei.org", field)
	}
	return u.String(), nil
}

// ParseEmail checks an e-mail address and returns its address part. The address part must itself be an
// address, so that what is stored passes this check again: net/mail unquotes a quoted local part such as
// "a b"@example.org into one that does not.
func ParseEmail(field, raw string) (string, error) {
	a, err := mail.ParseAddress(strings.TrimSpace(raw))
	if err != nil || a.Name != "" || len(a.Address) > 254 || !strings.Contains(a.Address[strings.LastIndexByte(a.Address, '@')+1:], ".") {
		return "", Invalid(field, "%s must be an e-mail address such as office@iclei.org", field)
	}
	if again, err := mail.ParseAddress(a.Address); err != nil || again.Address != a.Address {
		return "", Invalid(field, "%s must be an e-mail address such as office@iclei.org, without quotes", field)
	}
	return a.Address, nil
}
