package main

//go:generate go run ./graph/printschema -out schema.graphql

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/cors"

	"github.com/iclei/directory/auth"
	"github.com/iclei/directory/directory"
	"github.com/iclei/directory/export"
	"github.com/iclei/directory/graph"
	"github.com/iclei/directory/graph/schema"
	"github.com/iclei/directory/httpcache"
	"github.com/iclei/directory/metrics"
	"github.com/iclei/directory/mongodb"
	"github.com/iclei/directory/playground"
	"github.com/iclei/directory/requestlog"
)

// newHTTPHandler routes the server's endpoints (docs/http.md lists them). Every route's latency is measured
// under its pattern; every request gets an ID and an access-log line.
func newHTTPHandler(cfg *config, log *slog.Logger, rm *directory.ReadModel, store *mongodb.Store) http.Handler {
	// The server's own registry: nothing is registered globally, and each server (each test's) has its own.
	m := metrics.New(prometheus.NewRegistry(), rm, metrics.DefaultMaxOperationNames)
	mux := http.NewServeMux()
	limit := limitRequests(cfg)
	handle := func(pattern string, h http.Handler) {
		probe := pattern == "GET /healthz" || pattern == "GET /readyz" || pattern == "GET /metrics"
		mux.Handle(pattern, m.Route(pattern, limit(h, probe)))
	}

	handle("/graphql", throttleApplications(graph.NewHandler(rm, graph.Options{
		Introspection: cfg.Introspection, QueryCacheSize: cfg.QueryCacheSize, Log: log,
		PersistedQueryCacheSize: cfg.PersistedQueryCacheSize, ResponseCacheBytes: cfg.ResponseCacheBytes,
		CacheControl: cfg.CacheControl, Observer: m,
		Writer: directory.NewWriter(store, rm, log),
		Auth:   auth.New(store, jwtConfig(cfg)),
		Limits: graph.Limits{MaxDepth: cfg.MaxDepth, MaxComplexity: cfg.MaxComplexity, MaxAliases: cfg.MaxAliases,
			MaxTokens: cfg.MaxTokens, DisableSuggestions: !cfg.FieldSuggestions},
	}), cfg))
	pg := playground.Handler(playground.Options{Title: "ICLEI Directory", Endpoint: "/graphql", Tabs: exampleTabs})
	handle("/{$}", pg)
	handle(playground.AssetPrefix, pg)
	// Published even with introspection off: the schema is committed in the open, and clients need it to build.
	handle("GET /schema.graphql", schemaHandler(log, cfg.CacheControl))
	ex := &exports{rm: rm, log: log, cacheControl: cfg.CacheControl, publicURL: cfg.PublicURL, build: httpcache.BuildID()}
	handle("GET /export/offices.geojson", ex.handler("iclei-offices", ".geojson", export.MediaTypeGeoJSON, ex.officesGeoJSON))
	handle("GET /export/offices.csv", ex.handler("iclei-offices", ".csv", export.MediaTypeCSV, ex.officesCSV))
	handle("GET /export/cities.csv", ex.handler("iclei-cities", ".csv", export.MediaTypeCSV, ex.citiesCSV))
	handle("GET /export/offices/{file}", http.HandlerFunc(ex.officeVCard))
	handle("GET /metrics", m.Handler())
	handle("GET /healthz", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok\n")
	}))
	handle("GET /readyz", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		switch {
		case rm.Snapshot() == nil:
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, "directory not loaded\n")
		case store.Ping(ctx) != nil:
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, "database unreachable\n")
		default:
			_, _ = fmt.Fprintf(w, "ready: revision %d\n", rm.Snapshot().Revision)
		}
	}))
	c := cors.New(cors.Options{
		AllowedOrigins: cfg.CORSOrigins,
		AllowedMethods: []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodOptions},
		AllowedHeaders: []string{"Content-Type", "Authorization", "Accept", "If-None-Match", requestlog.Header},
		ExposedHeaders: []string{"ETag", "Content-Disposition", requestlog.Header},
		MaxAge:         600,
	})
	return requestlog.Middleware(log, c.Handler(mux))
}

// schemaHandler serves the schema's SDL, the same text as schema.graphql at the repository root.
func schemaHandler(log *slog.Logger, cacheControl string) http.Handler {
	sdl, err := schema.SDL()
	etag := httpcache.ETag(0, string(sdl))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err != nil {
			log.ErrorContext(r.Context(), "print the schema", "err", err)
			http.Error(w, "internal error; it has been logged", http.StatusInternalServerError)
			return
		}
		w.Header().Set("ETag", etag)
		w.Header().Set("Cache-Control", cacheControl)
		if httpcache.NotModified(r, etag) {
			httpcache.WriteNotModified(w)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write(sdl)
	})
}

// exports serves the directory in other formats (package export), each from one snapshot of the read model.
type exports struct {
	rm           *directory.ReadModel
	log          *slog.Logger
	cacheControl string
	// publicURL is the server's public base URL; empty derives it from each request.
	publicURL string
	// build names the build in entity tags: another release may render the same revision differently.
	build string
}

// exportFilter is the optional filter of a list export.
type exportFilter struct {
	Region, Country string
}

// handler serves a list export: it checks the filter, answers a conditional request from the revision, and
// writes the file named by base, the filter and ext.
func (e *exports) handler(base, ext, mediaType string, write func(io.Writer, *directory.Snapshot, exportFilter) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		snap := e.snapshot(w)
		if snap == nil {
			return
		}
		f, ok := exportFilterOf(w, r, snap)
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
	etag := httpcache.ETag(snap.Revision, append([]string{e.build}, etagParts...)...)
	w.Header().Set("ETag", etag)
	w.Header().Set("Cache-Control", e.cacheControl)
	if httpcache.NotModified(r, etag) {
		httpcache.WriteNotModified(w)
		return
	}
	var buf bytes.Buffer
	if err := render(&buf); err != nil {
		e.log.ErrorContext(r.Context(), "render export", "path", r.URL.Path, "err", err)
		w.Header().Del("ETag")
		w.Header().Set("Cache-Control", httpcache.NoStore)
		http.Error(w, "internal error; it has been logged", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", mediaType)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": filename}))
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	_, _ = w.Write(buf.Bytes())
}

// snapshot returns the read model's snapshot, or answers 503 while there is none.
func (e *exports) snapshot(w http.ResponseWriter) *directory.Snapshot {
	snap := e.rm.Snapshot()
	if snap == nil {
		w.Header().Set("Retry-After", "5")
		http.Error(w, "the directory is still loading; try again shortly", http.StatusServiceUnavailable)
	}
	return snap
}

// exportFilterOf reads the filter from the query string, validated as the GraphQL filters are; it answers 400,
// naming the valid values, for a filter that is not.
func exportFilterOf(w http.ResponseWriter, r *http.Request, snap *directory.Snapshot) (exportFilter, bool) {
	var f exportFilter
	q := r.URL.Query()
	for name, values := range q {
		if name != "region" && name != "country" {
			http.Error(w, fmt.Sprintf("unknown parameter %q; the parameters are region and country", name), http.StatusBadRequest)
			return f, false
		}
		if len(values) > 1 {
			http.Error(w, fmt.Sprintf("give the %s parameter at most once", name), http.StatusBadRequest)
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
		msg := err.Error()
		if derr := (*directory.Error)(nil); errors.As(err, &derr) && len(derr.Choices) > 0 {
			msg = fmt.Sprintf("unknown %s %q; the valid values are %s", derr.Field, q.Get(derr.Field), strings.Join(derr.Choices, ", "))
		}
		http.Error(w, msg, http.StatusBadRequest)
		return f, false
	}
	return f, true
}

func (e *exports) officesGeoJSON(w io.Writer, snap *directory.Snapshot, f exportFilter) error {
	offices, err := snap.ListOffices(directory.OfficeFilter{Region: f.Region, Country: f.Country})
	if err != nil {
		return err
	}
	return export.OfficesGeoJSON(w, offices)
}

func (e *exports) officesCSV(w io.Writer, snap *directory.Snapshot, f exportFilter) error {
	offices, err := snap.ListOffices(directory.OfficeFilter{Region: f.Region, Country: f.Country})
	if err != nil {
		return err
	}
	return export.OfficesCSV(w, offices)
}

func (e *exports) citiesCSV(w io.Writer, snap *directory.Snapshot, f exportFilter) error {
	cities, err := snap.ListCities(directory.CityFilter{Region: f.Region, Country: f.Country})
	if err != nil {
		return err
	}
	return export.CitiesCSV(w, cities)
}

// officeVCard serves /export/offices/{key}.vcf.
func (e *exports) officeVCard(w http.ResponseWriter, r *http.Request) {
	key, ok := strings.CutSuffix(r.PathValue("file"), ".vcf")
	if !ok {
		http.Error(w, "not found; an office's vCard is at /export/offices/{key}.vcf", http.StatusNotFound)
		return
	}
	if len(r.URL.Query()) > 0 {
		http.Error(w, "an office's vCard takes no parameters", http.StatusBadRequest)
		return
	}
	snap := e.snapshot(w)
	if snap == nil {
		return
	}
	o := snap.Office(key)
	if o == nil {
		http.Error(w, fmt.Sprintf("no office with key %q; the offices and their keys are listed at /export/offices.csv", key), http.StatusNotFound)
		return
	}
	source := e.baseURL(r) + "/export/offices/" + url.PathEscape(key) + ".vcf"
	e.serve(w, r, snap, key+".vcf", export.MediaTypeVCard, []string{r.URL.Path, source},
		func(w io.Writer) error { return export.OfficeVCard(w, o, source) })
}

// baseURL is the URL the server is reached at: the configured public URL, or else the one the request used.
func (e *exports) baseURL(r *http.Request) string {
	if e.publicURL != "" {
		return e.publicURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
