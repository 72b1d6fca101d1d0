package seed_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/iclei/directory/directory"
	"github.com/iclei/directory/seed"
)

// update rewrites golden files instead of comparing with them.
var update = flag.Bool("update", false, "rewrite golden files")

// shippedListing is what Build reads the shipped listing with: curated.json's first listing line and its region
// headings, read here from the file itself so that the test does not depend on Build.
type shippedListing struct {
	ListingFirstLine int `json:"listingFirstLine"`
	Regions          []struct {
		Name string `json:"name"`
	} `json:"regions"`
}

func readShippedListing(t *testing.T) (firstLine int, isHeading func(string) bool) {
	t.Helper()
	raw, err := os.ReadFile("curated.json")
	if err != nil {
		t.Fatal(err)
	}
	var c shippedListing
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatalf("read curated.json: %v", err)
	}
	headings := map[string]bool{}
	for _, r := range c.Regions {
		headings[directory.Fold(r.Name)] = true
	}
	return c.ListingFirstLine, func(s string) bool { return headings[directory.Fold(s)] }
}

func TestParseListingShippedSource(t *testing.T) {
	firstLine, isHeading := readShippedListing(t)
	got, err := seed.ParseListing(bytes.NewReader(seed.Source()), firstLine, isHeading)
	if err != nil {
		t.Fatalf("ParseListing: %v", err)
	}

	t.Run("matches the golden listing", func(t *testing.T) {
		b, err := json.MarshalIndent(got, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		b = append(b, '\n')
		golden := filepath.Join("testdata", "listing.golden.json")
		if *update {
			if err := os.WriteFile(golden, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run go test ./seed -run TestParseListingShippedSource -update to create it)", err)
		}
		if !bytes.Equal(b, want) {
			t.Errorf("parsed listing differs from %s; run with -update after checking the change:\n%s", golden, firstDifference(string(want), string(b)))
		}
	})

	t.Run("finds every office the source lists, in order", func(t *testing.T) {
		// The name lines of the listing (lines 37-89 of the source); the first block, at line 33, has no name.
		want := []string{"", "European Secretariat", "Brussels Office", "Africa secretariat", "Canada Office", "USA Office",
			"Mexico, Central American and Caribbean Secretariat", "South American Secretariat", "South Asia Secretariat",
			"East Asia Secretariat", "Japan Office", "Korea Office", "Southeast Asia Secretariat", "Indonesia Project Office",
			"Oceania Secretariat"}
		var names []string
		for _, o := range got.Offices {
			name := ""
			if o.Name != nil {
				name = o.Name.Text
			}
			names = append(names, name)
		}
		if !reflect.DeepEqual(names, want) {
			t.Errorf("office names = %q\nwant %q", names, want)
		}
	})

	t.Run("keeps the page's closing links as trailing text", func(t *testing.T) {
		want := []seed.Line{
			{N: 91, Text: "Associate Partnership"}, {N: 92, Text: "ICLEI membership application"},
			{N: 93, Text: "Want to be a model?"}, {N: 94, Text: "ICLEI membership online application form"},
		}
		if !reflect.DeepEqual(got.Trailing, want) {
			t.Errorf("Trailing = %+v, want %+v", got.Trailing, want)
		}
	})

	t.Run("is what Build reads", func(t *testing.T) {
		_, built, err := seed.Build()
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(built, got) {
			t.Error("Build's listing differs from ParseListing over the shipped source")
		}
	})
}

// firstDifference shows the first line where two texts differ.
func firstDifference(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(w), len(g)); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return "line " + strconv.Itoa(i+1) + ":\n  want " + wl + "\n  got  " + gl
		}
	}
	return "(no line differs)"
}

// headings is the heading test of the hand-written listings below and of the fuzz test.
func headings(s string) bool {
	switch directory.Fold(s) {
	case "east asia", "north america", "south america", "south asia", "southeast asia":
		return true
	}
	return false
}

func TestParseListingRejectsMalformedListings(t *testing.T) {
	tests := []struct {
		name    string
		listing string
		line    int
		reason  string
	}{
		{
			name: "text between office blocks mid-listing",
			listing: "Japan Office\n1-14-2 Nishi-Shimbashi,\nTokyo, Japan 105-0003\nSee our brochure\n" +
				"Korea Office\nGyeonggi-do, Republic of Korea\n",
			line: 4, reason: "text outside any office block",
		},
		{
			name:    "several lines of text between office blocks are reported at the first",
			listing: "Japan Office\nTokyo, Japan\n\nSee our brochure\nand our annual report\n\neast asia\nKorea Office\nSuwon-si, Republic of Korea\n",
			line:    4, reason: "text outside any office block",
		},
		{
			name:    "a contact line before any office",
			listing: "T: +49-228/97 62 99-00\nJapan Office\nTokyo, Japan\n",
			line:    1, reason: "contact line outside any office block",
		},
		{
			name:    "a contact line after a region heading and before its first office",
			listing: "Japan Office\nTokyo, Japan\neast asia\nEmail: info@iclei.org\nKorea Office\nSuwon-si, Republic of Korea\n",
			line:    4, reason: "contact line outside any office block",
		},
		{
			name:    "a postal address part before any office",
			listing: "\nPostal address:\nPO Box 5319\nSouth Africa\n",
			line:    2, reason: "address part outside any office block",
		},
		{
			name:    "a postal address part after a region heading",
			listing: "Japan Office\nTokyo, Japan\nsouth asia\nPostal address:\nPO Box 1\nIndia\n",
			line:    4, reason: "address part outside any office block",
		},
		{
			name:    "a second phone number for one office",
			listing: "Japan Office\nTokyo, Japan\nT: +81 3 1234 5678\nTel: +81 3 8765 4321\n",
			line:    4, reason: "second phone number for one office",
		},
		{
			name:    "a second fax number for one office",
			listing: "Japan Office\nTokyo, Japan\nF: +81 3 1234 5678\nFax. +81 3 8765 4321\n",
			line:    4, reason: "second fax number for one office",
		},
		{
			name:    "a second e-mail address for one office",
			listing: "Japan Office\nTokyo, Japan\nEmail: a@iclei.org\nE-mail: b@iclei.org\n",
			line:    4, reason: "second e-mail address for one office",
		},
		{
			name:    "an empty Email: field",
			listing: "Japan Office\nTokyo, Japan\nEmail:\n",
			line:    3, reason: "e-mail field without an address",
		},
		{
			name:    "an empty Email: field after a fax number",
			listing: "Japan Office\nTokyo, Japan\nF.+81 3 1234 5678 Email:\n",
			line:    3, reason: "e-mail field without an address",
		},
		{
			name:    "an empty listing",
			listing: "",
			line:    0, reason: "the listing holds no office",
		},
		{
			name:    "a listing of blank lines",
			listing: "\n  \n\t\n",
			line:    3, reason: "the listing holds no office",
		},
		{
			name:    "a listing of region headings only",
			listing: "east asia\nsouth asia\n",
			line:    2, reason: "the listing holds no office",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := seed.ParseListing(strings.NewReader(tt.listing), 1, headings)
			if err == nil {
				b, _ := json.Marshal(l)
				t.Fatalf("ParseListing succeeded, want an error at line %d: %s", tt.line, b)
			}
			var pe *seed.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v (%T) is not a *ParseError", err, err)
			}
			if pe.Line != tt.line || pe.Reason != tt.reason {
				t.Errorf("ParseError at line %d, %q; want line %d, %q", pe.Line, pe.Reason, tt.line, tt.reason)
			}
		})
	}
}

func TestParseListingSkipsLinesBeforeFirstLine(t *testing.T) {
	// The news item before the listing is prose that would not parse as a listing.
	listing := "T: a contact line in the news item\nEmail:\nJapan Office\nTokyo, Japan 105-0003\n"
	l, err := seed.ParseListing(strings.NewReader(listing), 3, headings)
	if err != nil {
		t.Fatal(err)
	}
	want := []seed.ListedOffice{{
		Name: &seed.Line{N: 3, Text: "Japan Office"}, Kind: directory.OfficeCountry,
		Address: []seed.Line{{N: 4, Text: "Tokyo, Japan 105-0003"}}, Country: "JP", FirstLine: 3, LastLine: 4,
	}}
	if !reflect.DeepEqual(l.Offices, want) {
		got, _ := json.Marshal(l.Offices)
		t.Errorf("Offices = %s", got)
	}
}

func FuzzParseListing(f *testing.F) {
	// The seed corpus is in testdata/fuzz/FuzzParseListing: the shipped listing, read from its first listing line
	// and from line 1, and small listings of each kind of block and of each error.
	f.Fuzz(func(t *testing.T, listing string, firstLine int) {
		if len(listing) > 64*1024 {
			return // lines beyond the scanner's buffer fail as read errors, not parse errors
		}
		// The listing's lines as ParseListing numbers them: a final newline ends the last line, not a new one.
		lines := strings.SplitAfter(listing, "\n")
		if lines[len(lines)-1] == "" {
			lines = lines[:len(lines)-1]
		}
		l, err := seed.ParseListing(strings.NewReader(listing), firstLine, headings)
		if err != nil {
			var pe *seed.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v (%T) is not a *ParseError", err, err)
			}
			if len(lines) == 0 && pe.Line != 0 || len(lines) > 0 && (pe.Line < 1 || pe.Line > len(lines)) {
				t.Fatalf("ParseError at line %d of a %d-line listing: %v", pe.Line, len(lines), err)
			}
			return
		}
		// Every line the listing reports is the input's line with that number, read in order.
		last := 0
		check := func(what string, ln *seed.Line, exact bool) {
			t.Helper()
			if ln == nil {
				return
			}
			if ln.N < max(firstLine, 1) || ln.N > len(lines) {
				t.Fatalf("%s at line %d, outside lines %d-%d", what, ln.N, max(firstLine, 1), len(lines))
			}
			if ln.N <= last {
				t.Fatalf("%s at line %d after line %d", what, ln.N, last)
			}
			last = ln.N
			src := strings.TrimSpace(lines[ln.N-1])
			if exact && ln.Text != src || !exact && !strings.Contains(src, ln.Text) {
				t.Fatalf("%s %q at line %d, which reads %q", what, ln.Text, ln.N, src)
			}
		}
		if len(l.Offices) == 0 {
			t.Fatal("ParseListing succeeded with no office")
		}
		for i, o := range l.Offices {
			if o.Name == nil && len(o.Address) == 0 {
				t.Fatalf("office %d has neither a name nor an address", i)
			}
			if o.FirstLine > o.LastLine {
				t.Fatalf("office %d spans lines %d-%d", i, o.FirstLine, o.LastLine)
			}
			if o.Heading != nil && o.Heading.N >= o.FirstLine {
				t.Fatalf("office %d at line %d under a heading at line %d", i, o.FirstLine, o.Heading.N)
			}
			if o.FirstLine <= last {
				t.Fatalf("office %d starts at line %d, not after line %d", i, o.FirstLine, last)
			}
			// An office's lines, in the order the listing gives them; the contact fields are checked apart.
			var in []seed.Line
			if o.Name != nil {
				in = append(in, *o.Name)
			}
			in = append(append(append(in, o.Labels...), o.Address...), o.PostalAddress...)
			sortLines(in)
			for _, ln := range in {
				check("office line", &ln, true)
			}
			for _, c := range []*seed.Line{o.Phone, o.Fax, o.Email, o.Website} {
				if c != nil && (c.N < o.FirstLine || c.N > o.LastLine || !strings.Contains(lines[c.N-1], c.Text)) {
					t.Fatalf("office %d (lines %d-%d) has contact %q at line %d", i, o.FirstLine, o.LastLine, c.Text, c.N)
				}
			}
			if in[0].N != o.FirstLine || in[len(in)-1].N > o.LastLine {
				t.Fatalf("office %d spans lines %d-%d but its lines run from %d to %d", i, o.FirstLine, o.LastLine, in[0].N, in[len(in)-1].N)
			}
			last = o.LastLine
		}
		for _, ln := range l.Trailing {
			check("trailing line", &ln, true)
		}
	})
}

func sortLines(ls []seed.Line) {
	slices.SortFunc(ls, func(a, b seed.Line) int { return a.N - b.N })
}
