// Package wxfake is a fake web-WeChat server for tests. It speaks the endpoints openwechat
// v1.4.8 uses in Desktop (UOS) mode — jslogin, qrcode, login polling with its redirect,
// webwxnewloginpage, webwxinit, webwxstatusnotify, webwxgetcontact, webwxbatchgetcontact,
// synccheck, webwxsync, webwxsendmsg, webwxoplog (remark names), webwxgetmsgimg and
// webwxlogout — and is reached through openwechat's own http.Client: Transport routes every
// WeChat host to it and refuses every other host, so a test never talks to real WeChat.
//
// Tests add friends, other group members and groups, confirm a QR scan, push messages as
// people would send them (privately, in groups, with an @-mention of the bot), kick the
// account, and look at what the bot sent and when. Every login confirmed by a scan gives
// everyone new UserNames, as WeChat does; a hot login with the kept session keeps them.
package wxfake

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/guanjia/guanjia/bot/bottest"
)

// The account the server pretends the bot is logged in as.
const (
	BotNick       = "物业小管家"
	BotUin  int64 = 2100000001
	// BaseHost is the web-WeChat domain the login redirects to; openwechat then uses it,
	// with "webpush." and "file." in front, for everything after the login.
	BaseHost = "wx2.qq.com"
)

// WaitTimeout is how long the Wait… helpers wait before failing the test.
const WaitTimeout = 5 * time.Second

// Server is a running fake web-WeChat. All its methods are safe for concurrent use.
type Server struct {
	t         testing.TB
	srv       *httptest.Server
	transport *http.Transport
	closed    chan struct{}
	closeOnce sync.Once

	mu      sync.Mutex
	changes bottest.Changes // wakes long polls and waiters on every change
	hold    time.Duration
	calls   map[string]int
	real

	contacts
	logins
	inbox
	outbox
}

// New starts a server and stops it when the test ends.
func New(t testing.TB) *Server {
	s := &Server{t: t, closed: make(chan struct{}),
		hold: 300 * time.Millisecond, calls: map[string]int{}}
	s.contacts.init()
	s.logins.init()
	s.inbox.init()
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	addr := s.srv.Listener.Addr().String()
	s.transport = &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
	}
	t.Cleanup(s.Close)
	return s
}

// Close stops the server, ending long polls at once. It is safe to call more than once.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.closed)
		s.transport.CloseIdleConnections()
		s.srv.CloseClientConnections()
		s.srv.Close()
	})
}

// SetHold sets how long synccheck and login polls wait for something to happen before they
// answer "nothing new" (WeChat holds about 25 s; the default here is 300 ms).
func (s *Server) SetHold(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hold = d
}

// URL is the server's own address, for a client that sends WeChat's requests there itself
// (guanjia's WECHAT_SERVER_URL), keeping the WeChat host in the Host header.
func (s *Server) URL() string { return s.srv.URL }

// Transport is the http.RoundTripper to give openwechat's http.Client: it sends requests for
// any WeChat host (qq.com and its subdomains) to this server, keeping the host they were
// meant for, and refuses any other host.
func (s *Server) Transport() http.RoundTripper { return roundTripper{s} }

type roundTripper struct{ s *Server }

// RoundTrip implements http.RoundTripper.
func (rt roundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	host := req.URL.Hostname()
	if host != "qq.com" && !strings.HasSuffix(host, ".qq.com") {
		if req.Body != nil {
			_ = req.Body.Close()
		}
		return nil, fmt.Errorf("wxfake: refusing a request to %s, which is not a WeChat host", host)
	}
	if err := rt.s.networkDown(); err != nil {
		if req.Body != nil {
			_ = req.Body.Close()
		}
		return nil, err
	}
	out := req.Clone(req.Context())
	out.URL.Scheme = "http"
	out.Host = req.URL.Host
	return rt.s.transport.RoundTrip(out)
}

// Calls reports how often an endpoint was called, by the last part of its path, e.g.
// Calls("synccheck") or Calls("jslogin").
func (s *Server) Calls(endpoint string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[endpoint]
}

// Wait waits up to timeout for cond to hold and reports whether it did. It checks cond after
// every change to the server's state, and every few milliseconds for conditions on anything
// else.
func (s *Server) Wait(timeout time.Duration, cond func() bool) bool {
	return s.changes.Wait(timeout, cond)
}

// notify wakes everything waiting for a change; callers hold s.mu.
func (s *Server) notify() { s.changes.Notify() }

// await waits, with s.mu held, until ready reports true or the hold time passes, and says
// which; it releases s.mu while waiting.
func (s *Server) await(r *http.Request, ready func() bool) bool {
	timer := time.NewTimer(s.hold)
	defer timer.Stop()
	for !ready() {
		ch := s.changes.Next()
		s.mu.Unlock()
		select {
		case <-ch:
			s.mu.Lock()
		case <-timer.C:
			s.mu.Lock()
			return ready()
		case <-r.Context().Done():
			s.mu.Lock()
			return false
		case <-s.closed:
			s.mu.Lock()
			return false
		}
	}
	return true
}

// serve routes by the last part of the path; the host each endpoint belongs to is checked
// too, since openwechat builds them from the domain the login redirected to.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	endpoint := path[strings.LastIndex(path, "/")+1:]
	if strings.HasPrefix(path, "/qrcode/") {
		endpoint = "qrcode"
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 10<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[endpoint]++
	want := map[string]string{"jslogin": "login.wx.qq.com", "login": "login.wx.qq.com",
		"qrcode": "login.weixin.qq.com", "synccheck": "webpush." + BaseHost}[endpoint]
	if want == "" {
		want = BaseHost
	}
	if r.Host != want {
		http.Error(w, "wxfake: "+endpoint+" asked of "+r.Host+", not "+want, http.StatusNotFound)
		return
	}
	if !s.cookiesFit(r, endpoint) {
		// WeChat answers a request without the login's cookies for its host as logged out.
		s.cookieMisses++
		writeJSON(w, map[string]any{"BaseResponse": ret(1101)})
		return
	}
	switch endpoint {
	case "jslogin":
		s.jslogin(w, r)
	case "qrcode":
		s.qrcode(w, r)
	case "login":
		s.checkLogin(w, r)
	case "webwxnewloginpage":
		s.newLoginPage(w, r)
	case "webwxinit":
		s.webInit(w, body)
	case "webwxstatusnotify":
		s.statusNotify(w, body)
	case "webwxgetcontact":
		s.getContact(w, r)
	case "webwxbatchgetcontact":
		s.batchGetContact(w, body)
	case "webwxoplog":
		s.opLog(w, body)
	case "synccheck":
		s.syncCheck(w, r)
	case "webwxsync":
		s.webSync(w, body)
	case "webwxsendmsg":
		s.sendMsg(w, body)
	case "webwxgetmsgimg":
		s.getMsgImg(w, r)
	case "webwxlogout":
		s.logout(w, r)
	default:
		http.Error(w, "wxfake: no endpoint "+path, http.StatusNotFound)
	}
}

// baseRequest is the BaseRequest every JSON call carries.
type baseRequest struct {
	Uin                 int64
	Sid, Skey, DeviceID string
}

// decode reads a JSON body; a malformed one is the bot's fault and fails the test.
func (s *Server) decode(body []byte, v any) bool {
	if err := json.Unmarshal(body, v); err != nil {
		s.t.Errorf("wxfake: undecodable request %q: %v", body, err)
		return false
	}
	return true
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8") // as WeChat labels its JSON
	_ = json.NewEncoder(w).Encode(v)
}

// ret is a BaseResponse with a return code, 0 for success.
func ret(code int) map[string]any { return map[string]any{"Ret": code, "ErrMsg": ""} }

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func (s *Server) isClosed() bool {
	select {
	case <-s.closed:
		return true
	default:
		return false
	}
}
