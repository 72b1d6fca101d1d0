package directory_test

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/iclei/directory/directory"
)

// Fuzz tests of the validators the write path checks its input with (issue 4). Their seed corpora are in
// testdata/fuzz/<FuzzName>, one file a case named after what it tries; go test runs them, and
// go test -run '^$' -fuzz '^FuzzParsePhone$' -fuzztime 30s ./directory fuzzes one.

// checkInvalid fails the test unless err is an invalid-input error about the field.
func checkInvalid(t *testing.T, err error, field string) {
	t.Helper()
	var e *directory.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *directory.Error", err, err)
	}
	if e.Code != directory.CodeInvalidInput || e.Field != field || e.Message == "" {
		t.Fatalf("error = code %s, field %q, message %q; want %s about %q with a message", e.Code, e.Field, e.Message,
			directory.CodeInvalidInput, field)
	}
}

func FuzzParsePhone(f *testing.F) {
	f.Fuzz(func(t *testing.T, written, region string) {
		p, err := directory.ParsePhone("input.phone", written, region)
		if err != nil {
			checkInvalid(t, err, "input.phone")
			return
		}
		if p.Written != strings.TrimSpace(written) {
			t.Errorf("Written = %q, want the trimmed input %q", p.Written, strings.TrimSpace(written))
		}
		// E.164 numbers have at most 15 digits; the shortest in use have 7 (Niue's +683 4002).
		digits := strings.TrimPrefix(p.E164, "+")
		if !strings.HasPrefix(p.E164, "+") || len(digits) < 7 || len(digits) > 15 || strings.Trim(digits, "0123456789") != "" {
			t.Fatalf("E164 %q (from %q in %q) is not + and 7 to 15 digits", p.E164, written, region)
		}
		again, err := directory.ParsePhone("input.phone", p.E164, region)
		if err != nil {
			t.Fatalf("the E.164 form %q of %q does not parse again: %v", p.E164, written, err)
		}
		if again.E164 != p.E164 {
			t.Fatalf("the E.164 form %q parses to %q", p.E164, again.E164)
		}
		if p.International() == "" {
			t.Errorf("no international form of %q", p.E164)
		}
	})
}

func FuzzParseEmail(f *testing.F) {
	f.Fuzz(func(t *testing.T, raw string) {
		addr, err := directory.ParseEmail("input.email", raw)
		if err != nil {
			checkInvalid(t, err, "input.email")
			return
		}
		at := strings.LastIndexByte(addr, '@')
		if at <= 0 || !strings.Contains(addr[at+1:], ".") || len(addr) > 254 || !utf8.ValidString(addr) {
			t.Fatalf("%q gives %q, which is not local@domain.tld of at most 254 bytes", raw, addr)
		}
		if strings.ContainsFunc(addr, func(r rune) bool { return r < ' ' || r == 0x7f }) {
			t.Fatalf("%q gives %q, which holds control characters", raw, addr)
		}
		// What is stored must pass the same check when it is sent back unchanged, as an update does.
		again, err := directory.ParseEmail("input.email", addr)
		if err != nil {
			t.Fatalf("%q gives %q, which does not parse again: %v", raw, addr, err)
		}
		if again != addr {
			t.Fatalf("%q gives %q, which parses to %q", raw, addr, again)
		}
	})
}

func FuzzParseWebsite(f *testing.F) {
	f.Fuzz(func(t *testing.T, raw string) {
		site, err := directory.ParseWebsite("input.website", raw)
		if err != nil {
			checkInvalid(t, err, "input.website")
			return
		}
		u, err := url.Parse(site)
		if err != nil {
			t.Fatalf("%q gives %q, which url.Parse refuses: %v", raw, site, err)
		}
		if !u.IsAbs() || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
			t.Fatalf("%q gives %q: scheme %q, host %q, user %v; want an absolute http(s) URL with a host and no user",
				raw, site, u.Scheme, u.Host, u.User)
		}
		again, err := directory.ParseWebsite("input.website", site)
		if err != nil {
			t.Fatalf("%q gives %q, which does not parse again: %v", raw, site, err)
		}
		if again != site {
			t.Fatalf("%q gives %q, which parses to %q", raw, site, again)
		}
	})
}

func FuzzCheckCoordinates(f *testing.F) {
	f.Fuzz(func(t *testing.T, latitude, longitude float64) {
		err := directory.CheckCoordinates("input.location.", latitude, longitude)
		latOK := latitude >= -90 && latitude <= 90
		lonOK := longitude >= -180 && longitude <= 180
		switch {
		case latOK && lonOK:
			if err != nil {
				t.Fatalf("(%v, %v) refused: %v", latitude, longitude, err)
			}
		case !latOK:
			checkInvalid(t, err, "input.location.latitude")
		default:
			checkInvalid(t, err, "input.location.longitude")
		}
	})
}

func FuzzLookupCountry(f *testing.F) {
	f.Fuzz(func(t *testing.T, code string) {
		c, ok := directory.LookupCountry(code)
		checked, err := directory.CheckCountry("input.country", code)
		if !ok {
			if err == nil {
				t.Fatalf("CheckCountry accepts %q, which LookupCountry does not know", code)
			}
			checkInvalid(t, err, "input.country")
			return
		}
		if err != nil || checked != c.Code {
			t.Fatalf("CheckCountry(%q) = %q, %v; want %q", code, checked, err, c.Code)
		}
		given := strings.TrimSpace(code)
		if !strings.EqualFold(given, c.Code) && !strings.EqualFold(given, c.Alpha3) {
			t.Fatalf("%q finds %s/%s", code, c.Code, c.Alpha3)
		}
		if len(c.Code) != 2 || strings.ToUpper(c.Code) != c.Code || len(c.Alpha3) != 3 || len(c.Numeric) != 3 || c.Region == "" {
			t.Fatalf("%q finds an incomplete country %+v", code, c)
		}
		for _, again := range []string{c.Code, c.Alpha3, strings.ToLower(c.Code)} {
			if got, ok := directory.LookupCountry(again); !ok || got != c {
				t.Fatalf("%q finds %+v, but %q finds %+v", code, c, again, got)
			}
		}
		if c.Name("") == "" {
			t.Fatalf("%s has no name", c.Code)
		}
	})
}

func FuzzFold(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		once := directory.Fold(s)
		if twice := directory.Fold(once); twice != once {
			t.Fatalf("Fold is not idempotent on %q: %q, then %q", s, once, twice)
		}
		if strings.TrimSpace(once) != once || strings.Contains(once, "  ") {
			t.Fatalf("Fold(%q) = %q keeps surrounding or repeated spaces", s, once)
		}
		if utf8.ValidString(s) && !utf8.ValidString(once) {
			t.Fatalf("Fold(%q) = %q is not valid UTF-8", s, once)
		}
	})
}
