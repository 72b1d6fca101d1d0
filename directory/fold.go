package directory

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// combiningDiacritics are the general-purpose combining diacritical marks that decorate Latin, Greek and
// Cyrillic letters (accents, cedillas, ogoneks, rings, tildes, Vietnamese tone marks...). Fold removes only
// these, not every nonspacing mark: script-specific marks carry meaning that a comparison must keep, such as
// the Japanese voicing marks (ガ is not カ), the Devanagari virama or the Hebrew and Arabic vowel points.
var combiningDiacritics = &unicode.RangeTable{
	R16: []unicode.Range16{
		{Lo: 0x0300, Hi: 0x036F, Stride: 1}, // Combining Diacritical Marks
		{Lo: 0x1AB0, Hi: 0x1AFF, Stride: 1}, // Combining Diacritical Marks Extended
		{Lo: 0x1DC0, Hi: 0x1DFF, Stride: 1}, // Combining Diacritical Marks Supplement
		{Lo: 0x20D0, Hi: 0x20FF, Stride: 1}, // Combining Diacritical Marks for Symbols
		{Lo: 0xFE20, Hi: 0xFE2F, Stride: 1}, // Combining Half Marks
	},
}

// folders pools the transformation chain of Fold: x/text transformers keep state between calls, so one
// chain must never be used by two goroutines at once.
var folders = sync.Pool{
	New: func() any {
		return transform.Chain(
			norm.NFD,
			runes.Remove(runes.In(combiningDiacritics)),
			runes.Map(foldApostrophe),
			cases.Fold(),
			runes.Map(foldCherokee),
			norm.NFC,
		)
	},
}

// foldApostrophe maps the curly apostrophes to the ASCII one.
func foldApostrophe(r rune) rune {
	if r == '\u2019' || r == '\u2018' {
		return '\''
	}
	return r
}

// foldCherokee maps the Cherokee small letters to their capitals, as Unicode case folding does (the capitals
// were encoded first). x/text's cases.Fold swaps the two cases instead, so that folding twice would undo it.
func foldCherokee(r rune) rune {
	switch {
	case 0xAB70 <= r && r <= 0xABBF:
		return r - 0xAB70 + 0x13A0
	case 0x13F8 <= r && r <= 0x13FD:
		return r - 8
	}
	return r
}

// Fold returns s folded for case- and accent-insensitive comparison: Unicode NFD, combining marks removed,
// case-folded (golang.org/x/text/cases Fold), NFC, with curly apostrophes (’ ‘) mapped to ' and runs of white
// space collapsed to one space, trimmed.
//
// The combining marks removed are the general diacritical marks of the Latin, Greek and Cyrillic scripts
// ("São Paulo" folds to "sao paulo"); marks that are letters' identity in other scripts (Japanese voicing
// marks, Indic viramas...) are kept, and Hangul and Han text passes through unchanged. Letters that carry a
// stroke rather than a combining mark have no decomposition and keep it ("Łódź" folds to "łodz"). Folding
// follows Unicode full case folding, so "Straße" folds to "strasse".
//
// Fold is safe for concurrent use. Pure ASCII input takes a fast path that does not allocate when s is
// already folded.
func Fold(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return foldUnicode(s)
		}
	}
	return foldASCII(s)
}

// foldASCII folds a pure ASCII string: lower case and collapsed white space.
func foldASCII(s string) string {
	if asciiFolded(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	pending := false // a run of white space is waiting to be written as one space
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isASCIISpace(c) {
			pending = b.Len() > 0
			continue
		}
		if pending {
			b.WriteByte(' ')
			pending = false
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b.WriteByte(c)
	}
	return b.String()
}

// asciiFolded reports whether the ASCII string s is its own fold.
func asciiFolded(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z':
			return false
		case c == ' ':
			if i == 0 || i == len(s)-1 || s[i+1] == ' ' {
				return false
			}
		case isASCIISpace(c):
			return false
		}
	}
	return true
}

func isASCIISpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// foldUnicode folds a string that has non-ASCII runes through the x/text chain, then collapses white space.
// Ill-formed UTF-8 is first read as U+FFFD, as the rest of the directory reads it: the chain passes a stray
// byte through and then leaves the accents of the next letter in place, so that folding twice would differ.
func foldUnicode(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	t := folders.Get().(transform.Transformer)
	folded, _, err := transform.String(t, s)
	folders.Put(t)
	if err != nil {
		// The chain does not fail on any input, ill-formed UTF-8 included; should it ever, a plain
		// lower-casing still gives a usable key.
		folded = strings.Map(foldApostrophe, strings.ToLower(s))
	}
	var b strings.Builder
	b.Grow(len(folded))
	pending := false
	for _, r := range folded {
		if unicode.IsSpace(r) {
			pending = b.Len() > 0
			continue
		}
		if pending {
			b.WriteByte(' ')
			pending = false
		}
		b.WriteRune(r)
	}
	return b.String()
}
