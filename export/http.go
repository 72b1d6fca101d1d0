package export

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/iclei/directory/directory"
	"github.com/iclei/directory/httpcache"
	"github.com/iclei/directory/httperror"
)

// Snapshots gives the current snapshot of the directory, or nil while none is loaded; directory.ReadModel is one.
type Snapshots interface {
	Snapshot() *directory.Snapshot
}

// Options configure the export endpoints.
type Options struct {
	// BaseURL is the URL the server is reached at, such as https://directory.example.org, for the links the
	// exports write (a vCard's SOURCE). It comes from configuration, never from a request, whose Host header
	// the client chooses.
	BaseURL string
	// CacheControl is the Cache-Control of every export.
	CacheControl string
	// Build names the build in entity tags: another release may render the same revision differently.
	Build string
	Log   *slog.Logger
}

// Route is an export endpoint: the http.ServeMux pattern it is served at, and its handler.
type Route struct {
	Pattern string
	Handler http.Handler
}

// Routes returns the export endpoints, each answering from one snapshot: the offices as GeoJSON and CSV, the
// cities as CSV (both lists filtered by ?region= and ?country=), and an office as a vCard.
func Routes(snaps Snapshots, opts Options) []Route {
	e := &exports{snaps: snaps, opts: opts}
	return []Route{
		{"GET /export/offices.geojson", e.list("iclei-offices", ".geojson", MediaTypeGeoJSON, officesGeoJSON)},
		{"GET /export/offices.csv", e.list("iclei-offices", ".csv", MediaTypeCSV, officesCSV)},
		{"GET /export/cities.csv", e.list("iclei-cities", ".csv", MediaTypeCSV, citiesCSV)},
		{"GET /export/offices/{file}", http.HandlerFunc(e.officeVCard)},
	}
}

type exports struct {
	snaps Snapshots
	opts  Options
}

// filter is the optional filter of a list export.
type filter struct {
	Region, Country string
}

// list serves a list export: it checks the filter, answers a conditional request from the revision, and writes
// the file named by base, the filter and ext.
func (e *exports) list(base, ext, mediaType string, write func(io.Writer, *directory.Snapshot, filter) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		snap := e.snapshot(w)
		if snap == nil {
			return
		}
		f, ok := filterOf(w, r, snap)
		if !ok {
			return
		}
		name := base
		for _, v := range []string{f.Region, strings.ToLower(f.Country)} {
			if v != "" {
				name += "-" + v
			}
		}
		e.serve(w, r, snap, name+ext, mediaType, []string{r.URL.Path, f.Region, f.Country},
			func(w io.Writer) error { return write(w, snap, f) })
	})
}

// serve answers an export request: 304 when the client's copy is current, else the rendered file.
func (e *exports) serve(w http.ResponseWriter, r *http.Request, snap *directory.Snapshot, filename, mediaType string, etagParts []string, render func(io.Writer) error) {
	etag := httpcache.ETag(snap.PublicRevision, append([]string{e.opts.Build}, etagParts...)...)
	w.Header().Set("ETag", etag)
	w.Header().Set("Cache-Control", e.opts.CacheControl)
	if httpcache.NotModified(r, etag) {
		httpcache.WriteNotModified(w)
		return
	}
	var buf bytes.Buffer
	if err := render(&buf); err != nil {
		e.opts.Log.ErrorContext(r.Context(), "render export", "path", r.URL.Path, "err", err)
		httperror.Write(w, string(directory.CodeInternal), "internal error; it has been logged")
		return
	}
	w.Header().Set("Content-Type", mediaType)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": filename}))
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	_, _ = w.Write(buf.Bytes())
}

// snapshot returns the current snapshot, or answers 503 while there is none.
func (e *exports) snapshot(w http.ResponseWriter) *directory.Snapshot {
	snap := e.snaps.Snapshot()
	if snap == nil {
		w.Header().Set("Retry-After", "5")
		httperror.Write(w, string(directory.CodeUnavailable), "the directory is still loading; try again shortly")
	}
	return snap
}

// filterOf reads the filter from the query string, validated as the GraphQL filters are; it answers 400,
// naming the valid values, for a filter that is not.
func filterOf(w http.ResponseWriter, r *http.Request, snap *directory.Snapshot) (filter, bool) {
	var f filter
	q := r.URL.Query()
	for name, values := range q {
		if name != "region" && name != "country" {
			httperror.Write(w, string(directory.CodeInvalidInput), fmt.Sprintf("unknown parameter %q; the parameters are region and country", name))
			return f, false
		}
		if len(values) > 1 {
			httperror.Write(w, string(directory.CodeInvalidInput), fmt.Sprintf("give the %s parameter at most once", name))
			return f, false
		}
	}
	var err error
	if f.Region = strings.TrimSpace(q.Get("region")); f.Region != "" {
		err = snap.CheckRegion("region", f.Region)
	}
	if c := strings.TrimSpace(q.Get("country")); c != "" && err == nil {
		f.Country, err = directory.CheckCountry("country", c)
	}
	if err != nil {
		code, msg := string(directory.CodeInvalidInput), "the filter is not valid"
		if derr := (*directory.Error)(nil); errors.As(err, &derr) {
			code, msg = string(derr.Code), derr.Message
			if len(derr.Choices) > 0 {
				msg = fmt.Sprintf("unknown %s %q; the valid values are %s", derr.Field, q.Get(derr.Field), strings.Join(derr.Choices, ", "))
			}
		}
		httperror.Write(w, code, msg)
		return f, false
	}
	return f, true
}

func officesGeoJSON(w io.Writer, snap *directory.Snapshot, f filter) error {
	offices, err := snap.ListOffices(directory.OfficeFilter{Region: f.Region, Country: f.Country})
	if err != nil {
		return err
	}
	return OfficesGeoJSON(w, offices)
}

func officesCSV(w io.Writer, snap *directory.Snapshot, f filter) error {
	offices, err := snap.ListOffices(directory.OfficeFilter{Region: f.Region, Country: f.Country})
	if err != nil {
		return err
	}
	return OfficesCSV(w, offices)
}

func citiesCSV(w io.Writer, snap *directory.Snapshot, f filter) error {
	cities, err := snap.ListCities(directory.CityFilter{Region: f.Region, Country: f.Country})
	if err != nil {
		return err
	}
	return CitiesCSV(w, cities)
}

// officeVCard serves /export/offices/{key}.vcf.
func (e *exports) officeVCard(w http.ResponseWriter, r *http.Request) {
	key, ok := strings.CutSuffix(r.PathValue("file"), ".vcf")
	if !ok {
		httperror.Write(w, string(directory.CodeNotFound), "not found; an office's vCard is at /export/offices/{key}.vcf")
		return
	}
	if len(r.URL.Query()) > 0 {
		httperror.Write(w, string(directory.CodeInvalidInput), "an office's vCard takes no parameters")
		return
	}
	snap := e.snapshot(w)
	if snap == nil {
		return
	}
	o := snap.Office(key)
	if o == nil {
		httperror.Write(w, string(directory.CodeNotFound), fmt.Sprintf("no office with key %q; the offices and their keys are listed at /export/offices.csv", key))
		return
	}
	source := strings.TrimSuffix(e.opts.BaseURL, "/") + "/export/offices/" + url.PathEscape(key) + ".vcf"
	// The base URL is part of the entity tag: servers behind one cache may be configured with different ones.
	e.serve(w, r, snap, key+".vcf", MediaTypeVCard, []string{r.URL.Path, e.opts.BaseURL},
		func(w io.Writer) error { return OfficeVCard(w, o, source) })
}
