package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// healthcheckFlags are the flags of the healthcheck command.
type healthcheckFlags struct {
	url     string
	timeout time.Duration
}

func (h *healthcheckFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&h.url, "url", "", "the URL to ask, such as http://localhost:8080/healthz; by default /healthz on this machine at LISTEN_ADDR or PORT")
	fs.DurationVar(&h.timeout, "timeout", 5*time.Second, "how long to wait for the answer")
}

// healthcheck asks the server's liveness probe and fails unless it answers 200. Container runtimes run it as
// the image's healthcheck: the distroless image has no shell or curl to do it.
func healthcheck(ctx context.Context, cfg *config, h *healthcheckFlags, stdout io.Writer) error {
	target := h.url
	if target == "" {
		host, port, err := net.SplitHostPort(cfg.Addr)
		if err != nil || port == "0" {
			return fmt.Errorf("cannot tell the server's port from %q; give -url", cfg.Addr)
		}
		if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
			host = "127.0.0.1"
		}
		target = "http://" + net.JoinHostPort(host, port) + "/healthz"
	}
	ctx, cancel := context.WithTimeout(ctx, h.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s answered %s", target, resp.Status)
	}
	fmt.Fprintf(stdout, "%s: %s\n", target, resp.Status)
	return nil
}
