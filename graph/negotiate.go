package graph

import (
	"mime"
	"strconv"
	"strings"
)

// The GraphQL response media types.
const (
	MediaTypeGraphQLResponse = "application/graphql-response+json"
	MediaTypeJSON            = "application/json"
)

// negotiate picks the response media type by the Accept header fields (RFC 9110, section 12.5.1): the one of
// the two GraphQL media types the client gives the highest quality, a more specific media range overriding a
// less specific one. Ties go to the type the client names more specifically, then earlier; a bare wildcard
// gets application/json, which every client understands. Without an Accept header the specification asks
// for application/graphql-response+json. It reports false when the client accepts neither.
func negotiate(accept []string) (string, bool) {
	header := strings.TrimSpace(strings.Join(accept, ","))
	if header == "" {
		return MediaTypeGraphQLResponse, true
	}
	type mediaRange struct {
		typ, subtype string
		q            float64
	}
	var ranges []mediaRange
	for part := range strings.SplitSeq(header, ",") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		mt, params, err := mime.ParseMediaType(part)
		if err != nil {
			continue
		}
		typ, subtype, _ := strings.Cut(mt, "/")
		q := 1.0
		if v, ok := params["q"]; ok {
			if q, err = strconv.ParseFloat(v, 64); err != nil || q < 0 || q > 1 {
				continue
			}
		}
		if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "utf8") {
			q = 0 // we only speak UTF-8
		}
		ranges = append(ranges, mediaRange{typ, subtype, q})
	}
	// The quality the client gives an offer is that of the most specific range matching it.
	type match struct {
		q           float64
		specificity int // 2 for the type itself, 1 for type/*, 0 for */*, -1 for no match
		position    int
	}
	matchOf := func(offer string) match {
		typ, subtype, _ := strings.Cut(offer, "/")
		m := match{specificity: -1}
		for i, r := range ranges {
			s := -1
			switch {
			case r.typ == typ && r.subtype == subtype:
				s = 2
			case r.typ == typ && r.subtype == "*":
				s = 1
			case r.typ == "*" && r.subtype == "*":
				s = 0
			}
			if s > m.specificity {
				m = match{q: r.q, specificity: s, position: i}
			}
		}
		return m
	}
	gr, js := matchOf(MediaTypeGraphQLResponse), matchOf(MediaTypeJSON)
	grOK, jsOK := gr.specificity >= 0 && gr.q > 0, js.specificity >= 0 && js.q > 0
	switch {
	case !grOK && !jsOK:
		return "", false
	case !jsOK:
		return MediaTypeGraphQLResponse, true
	case !grOK:
		return MediaTypeJSON, true
	case gr.q > js.q,
		gr.q == js.q && gr.specificity > js.specificity,
		gr.q == js.q && gr.specificity == 2 && js.specificity == 2 && gr.position < js.position:
		return MediaTypeGraphQLResponse, true
	}
	return MediaTypeJSON, true
}
