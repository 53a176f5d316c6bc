package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/guanjia/guanjia/bot/console"
	"github.com/guanjia/guanjia/bot/outbox"
	"github.com/guanjia/guanjia/storage/embedded"
)

var update = flag.Bool("update", false, "rewrite the golden transcripts")

// realRedisURL is the Redis every test of Redis behaviour runs against.
const realRedisURL = "redis://127.0.0.1:6379/0"

var sharedFerret *embedded.Ferret

func TestMain(m *testing.M) {
	if args, ok := os.LookupEnv(asMainEnv); ok {
		// This test binary is guanjia itself, for tests that signal or kill a process.
		os.Args = append(os.Args[:1], strings.Fields(args)...)
		main()
		os.Exit(0)
	}
	flag.Parse()
	dir, err := os.MkdirTemp("", "guanjia-cmd-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	sharedFerret, err = embedded.StartFerret(dir, slog.New(slog.DiscardHandler))
	if err != nil {
		fmt.Fprintln(os.Stderr, "start embedded FerretDB:", err)
		os.Exit(1)
	}
	code := m.Run()
	_ = sharedFerret.Close()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newClock() *clock {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	return &clock{t: time.Date(2026, 11, 26, 9, 0, 0, 0, loc)}
}

// testConfig points a test at real Redis (its own key prefix) and the shared embedded
// FerretDB (its own database), so tests neither see each other nor need cleaning up.
func testConfig(t testing.TB) Config {
	t.Helper()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	id := strings.NewReplacer("/", "_", " ", "_").Replace(t.Name()) + "_" + hex.EncodeToString(b)
	cfg := defaults()
	cfg.DataDir = t.TempDir()
	cfg.RedisURL = realRedisURL
	cfg.RedisPrefix = "guanjia-test:" + id + ":"
	cfg.MongoURI = sharedFerret.URI()
	cfg.MongoDatabase = "t_" + id
	if len(cfg.MongoDatabase) > 60 {
		cfg.MongoDatabase = cfg.MongoDatabase[:60]
	}
	t.Cleanup(func() {
		opts, _ := redis.ParseURL(realRedisURL)
		rdb := redis.NewClient(opts)
		defer rdb.Close()
		ctx := context.Background()
		if keys, err := rdb.Keys(ctx, cfg.RedisPrefix+"*").Result(); err == nil && len(keys) > 0 {
			rdb.Del(ctx, keys...)
		}
	})
	return cfg
}

// testApp is an opened app with a console attached and its outbound queue running.
type testApp struct {
	*App
	con     *console.Console
	stopOut context.CancelFunc
	outDone chan struct{}
}

// openTestApp opens the app on cfg with the sample data loaded, a console writing to out.
func openTestApp(t testing.TB, cfg Config, clk *clock, out io.Writer) *testApp {
	t.Helper()
	ctx := context.Background()
	a, err := Open(ctx, cfg, slog.New(slog.DiscardHandler), clk.Now)
	if err != nil {
		t.Fatalf("open: %v (is redis-server running on 127.0.0.1:6379?)", err)
	}
	if err := a.Store.SeedAt(ctx, clk.Now()); err != nil {
		t.Fatalf("seed: %v", err)
	}
	ta := &testApp{App: a, con: console.New(nil, out, clk.Now), outDone: make(chan struct{})}
	a.Attach(ta.con, outbox.ConsoleLimits())
	var outCtx context.Context
	outCtx, ta.stopOut = context.WithCancel(ctx)
	go func() {
		defer close(ta.outDone)
		_ = a.Outbox.Run(outCtx)
	}()
	return ta
}

// say plays console lines ("张三: 报修") one after another, as people type them.
func (ta *testApp) say(t *testing.T, lines ...string) {
	t.Helper()
	for _, line := range lines {
		if err := ta.con.Line(context.Background(), ta.Mux, line); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
	}
}

// drain waits until the outbound queue of the console is empty: what a job run beside the app
// queued has been shown.
func (ta *testApp) drain(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		n, err := ta.Outbox.Depth(context.Background(), ta.con.Name())
		if err != nil {
			t.Fatalf("outbox depth: %v", err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the outbound queue still holds %d messages", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (ta *testApp) Close() error {
	ta.stopOut()
	<-ta.outDone
	return ta.App.Close()
}

// runScript plays a transcript script through the console channel and returns what was
// shown. Each chat line moves the clock 20 s on. Lines starting with "!" direct the test: "!wait 31m" moves the clock on,
// "!restart" closes the app and opens a new one on the same stores. A line "$ guanjia <command>"
// runs an admin command on the same stores, as an office would beside the running bot.
func runScript(t *testing.T, script string) string {
	t.Helper()
	cfg := testConfig(t)
	clk := newClock()
	cfg.now = clk.Now // admin commands run on the script's clock
	var out bytes.Buffer
	app := openTestApp(t, cfg, clk, &out)
	defer func() { _ = app.Close() }()
	ctx := context.Background()
	sc := bufio.NewScanner(strings.NewReader(script))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		fmt.Fprintf(&out, "> %s\n", line)
		switch {
		case strings.HasPrefix(line, "!wait "):
			d, err := time.ParseDuration(strings.TrimPrefix(line, "!wait "))
			if err != nil {
				t.Fatalf("bad directive %q", line)
			}
			clk.Advance(d)
		case strings.HasPrefix(line, "!job "):
			// "!job sla 2026-11-26 09:20" (or "!job sla now"): a job run as of a time, and what
			// it sent delivered.
			f := strings.SplitN(strings.TrimPrefix(line, "!job "), " ", 2)
			when, err := clk.Now(), error(nil)
			if f[1] != "now" {
				when, err = parseWhen(f[1], cfg.location())
			}
			if err != nil {
				t.Fatalf("bad directive %q: %v", line, err)
			}
			run, ran, err := app.Scheduler.RunAt(ctx, f[0], when)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			if !ran {
				fmt.Fprintf(&out, "(job %s: ran already for this time)\n", f[0])
				continue
			}
			waitDelivered(t, app)
			fmt.Fprintf(&out, "(job %s: %s %v)\n", f[0], run.Status, run.Counts)
		case line == "!restart":
			if err := app.Close(); err != nil {
				t.Fatalf("close: %v", err)
			}
			app = openTestApp(t, cfg, clk, &out)
		case strings.HasPrefix(line, "$ guanjia "):
			args := strings.Fields(strings.TrimPrefix(line, "$ guanjia "))
			admin, ok := adminCommands[args[0]]
			if !ok {
				t.Fatalf("no admin command in %q", line)
			}
			if err := admin(ctx, cfg, slog.New(slog.DiscardHandler), args[1:], &out); err != nil {
				fmt.Fprintf(&out, "guanjia: %v\n", err)
			}
			// What the command queued (a job speaking first) is shown before the next line.
			app.drain(t)
		case strings.HasPrefix(line, "#"):
		default:
			if strings.Contains(line, "{code}") {
				seen := bindCode.FindAllStringSubmatch(out.String(), -1)
				if len(seen) == 0 {
					t.Fatalf("%q: no binding code shown yet", line)
				}
				line = strings.ReplaceAll(line, "{code}", seen[len(seen)-1][1])
			}
			// People take a moment to type; the timeline shows it.
			clk.Advance(20 * time.Second)
			if err := app.con.Line(ctx, app.Mux, line); err != nil {
				t.Fatalf("line %q: %v", line, err)
			}
		}
	}
	// Codes are random: the transcript shows where they were, not what they were. So is the
	// host and process that ran a job.
	return jobInstance.ReplaceAllString(maskCodes(out.String()), "$1，<instance>）")
}

// jobInstance finds the process named in a job run's description.
var jobInstance = regexp.MustCompile(`(手动|按计划|启动时补跑)，[^）\n]+）`)

// bindCode finds a binding code as the bot shows it; a script uses the last one as {code}.
var bindCode = regexp.MustCompile(`绑定码：(\d{6})`)

// maskCodes hides every binding code shown, also where a person typed it.
func maskCodes(s string) string {
	for _, m := range bindCode.FindAllStringSubmatch(s, -1) {
		s = strings.ReplaceAll(s, m[1], "<code>")
	}
	// Jobs run by hand name the process that ran them (host/pid).
	host, _ := os.Hostname()
	return strings.ReplaceAll(s, fmt.Sprintf("%s/%d", host, os.Getpid()), "<instance>")
}

// TestTranscripts plays every testdata/*.txt script and compares the conversation with
// its .golden file (go test -run Transcripts -update rewrites them).
func TestTranscripts(t *testing.T) {
	scripts, err := filepath.Glob("testdata/*.txt")
	if err != nil || len(scripts) == 0 {
		t.Fatalf("no transcripts: %v", err)
	}
	for _, path := range scripts {
		name := strings.TrimSuffix(filepath.Base(path), ".txt")
		t.Run(name, func(t *testing.T) {
			script, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			got := runScript(t, string(script))
			for _, leak := range residentGroupLeaks(got) {
				t.Errorf("a residents' group was shown private data: %q", leak)
			}
			golden := strings.TrimSuffix(path, ".txt") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("transcript %s differs from %s:\n%s", name, golden, diff(string(want), got))
			}
		})
	}
}

// privateData is what must never reach a residents' group: a household's amounts (always
// shown in yuan and fen, 301.25), phone numbers (whole or masked) and care notes. Prices the
// office publishes in its FAQ (300 元/月) may be said there.
var privateData = regexp.MustCompile(`\d+\.\d\d|1\d{10}|\d{3}\*{4}\d{4}|耳背|独居`)

// residentGroupLeaks returns the bot messages to residents' groups (named …业主群 in the
// sample data) that show private data.
func residentGroupLeaks(transcript string) []string {
	var leaks []string
	inGroup := false
	for _, line := range strings.Split(transcript, "\n") {
		switch {
		case strings.HasPrefix(line, "["):
			chat, _, _ := strings.Cut(line[1:], "]")
			inGroup = strings.HasSuffix(chat, "业主群")
		case !strings.HasPrefix(line, "  "):
			inGroup = false
		}
		if inGroup && privateData.MatchString(line) {
			leaks = append(leaks, line)
		}
	}
	return leaks
}

// diff shows the first lines where two transcripts part.
func diff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return fmt.Sprintf("line %d\nwant: %s\ngot:  %s", i+1, wl, gl)
		}
	}
	return "(equal)"
}

// TestResidentGroupLeaks checks the check: what it must catch in a residents' group, and what
// may be said there or anywhere else.
func TestResidentGroupLeaks(t *testing.T) {
	transcript := "> 张三@3号楼业主群: 物业费\n" +
		"[3号楼业主群] @张三 合计 768.21 元\n" + // an amount: caught
		"[3号楼业主群] 请联系\n  李奶奶女儿 138****1234\n" + // a masked phone on a continuation line: caught
		"[3号楼业主群] 停车每月 300 元，3号楼1单元\n" + // published prices and addresses: fine
		"[张三] 合计 768.21 元\n" + // private: fine
		"[员工群] 13800001201\n" // staff: fine
	got := residentGroupLeaks(transcript)
	want := []string{"[3号楼业主群] @张三 合计 768.21 元", "  李奶奶女儿 138****1234"}
	if !slices.Equal(got, want) {
		t.Errorf("leaks = %q, want %q", got, want)
	}
}

// waitDelivered waits until what a job queued has been shown on the console.
func waitDelivered(t *testing.T, app *testApp) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		n, err := app.Outbox.Depth(context.Background(), "console")
		if err == nil && n == 0 {
			time.Sleep(150 * time.Millisecond)
			if n, err = app.Outbox.Depth(context.Background(), "console"); err == nil && n == 0 {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("a job's messages were not delivered in time")
}

// checkText fails t for each of want that got lacks and each of not that it holds.
func checkText(t *testing.T, got string, want, not []string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("missing %q in:\n%s", w, got)
		}
	}
	for _, w := range not {
		if strings.Contains(got, w) {
			t.Errorf("unexpected %q in:\n%s", w, got)
		}
	}
}
