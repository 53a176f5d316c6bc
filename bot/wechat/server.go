package wechat

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// ServerTransport sends every request for a WeChat host (qq.com and its subdomains) to server
// instead — a relay in front of web WeChat, or a test server — keeping in the Host header the
// host it was meant for, as web WeChat spreads one login over several hosts. Requests for
// other hosts go out unchanged. base carries the requests; nil is Go's default transport.
func ServerTransport(server *url.URL, base http.RoundTripper) (http.RoundTripper, error) {
	if server == nil || server.Host == "" || (server.Scheme != "http" && server.Scheme != "https") {
		return nil, fmt.Errorf("wechat: server %v: want an http or https URL", server)
	}
	if base == nil {
		base = http.DefaultTransport
	}
	return serverTransport{server: server, base: base}, nil
}

type serverTransport struct {
	server *url.URL
	base   http.RoundTripper
}

// RoundTrip implements http.RoundTripper.
func (t serverTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	host := req.URL.Hostname()
	if host != "qq.com" && !strings.HasSuffix(host, ".qq.com") {
		return t.base.RoundTrip(req)
	}
	out := req.Clone(req.Context())
	out.URL.Scheme, out.URL.Host = t.server.Scheme, t.server.Host
	out.URL.Path = strings.TrimSuffix(t.server.Path, "/") + req.URL.Path
	out.Host = req.URL.Host
	return t.base.RoundTrip(out)
}
