package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// readier is implemented by channels that know whether they work (Telegram's last poll).
type readier interface {
	Ready(ctx context.Context) error
}

// httpServer serves health and metrics while the app runs.
type httpServer struct {
	srv  *http.Server
	ln   net.Listener
	done chan error
}

// serveHTTP starts /healthz (the process answers), /readyz (Redis, MongoDB and every channel
// work; 503 otherwise, with what fails) and /metrics (Prometheus).
func (a *App) serveHTTP(addr string) (*httpServer, error) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", a.readyz)
	mux.Handle("GET /metrics", promhttp.HandlerFor(a.Registry, promhttp.HandlerOpts{}))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("http: listen %s: %w", addr, err)
	}
	s := &httpServer{srv: &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}, ln: ln, done: make(chan error, 1)}
	go func() { s.done <- s.srv.Serve(ln) }()
	a.log.Info("http server listening", "addr", ln.Addr().String())
	return s, nil
}

func (s *httpServer) wait() error {
	err := <-s.done
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

func (s *httpServer) shutdown() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = s.srv.Shutdown(ctx)
}

// readiness checks each part the app depends on.
func (a *App) readiness(ctx context.Context) map[string]string {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	status := map[string]string{}
	check := func(name string, err error) {
		if err != nil {
			status[name] = err.Error()
		} else {
			status[name] = "ok"
		}
	}
	check("redis", a.State.Ping(ctx))
	check("mongodb", a.Store.Ping(ctx))
	for _, ch := range a.channels {
		if r, ok := ch.(readier); ok {
			check("channel:"+ch.Name(), r.Ready(ctx))
		} else {
			check("channel:"+ch.Name(), nil)
		}
	}
	a.coverageStatus(ctx, status)
	return status
}

func (a *App) readyz(w http.ResponseWriter, r *http.Request) {
	status := a.readiness(r.Context())
	code := http.StatusOK
	for name, s := range status {
		if s != "ok" && !strings.HasPrefix(name, "coverage:") {
			code = http.StatusServiceUnavailable
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(status)
}

// newRegistry is the app's metrics registry, carrying the Go runtime's and the process's
// own metrics (go_goroutines, go_memstats_*, process_cpu_seconds_total, ...) beside
// guanjia's.
func newRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}
