package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/guanjia/guanjia/storage/embedded"
)

// TestStartupFailuresSayWhatFailed: each store that cannot start ends guanjia with a plain
// error naming it — not a panic in Close with the cause never printed.
func TestStartupFailuresSayWhatFailed(t *testing.T) {
	truncated := t.TempDir()
	if err := os.WriteFile(filepath.Join(truncated, embedded.SnapshotFile), []byte(`{"version":1,"keys":[{"ke`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"redis down", map[string]string{"REDIS_URL": "redis://:pw@127.0.0.1:1/0"}, []string{"连接 Redis", "127.0.0.1:1", "connection refused"}},
		{"bad redis database", map[string]string{"REDIS_URL": "redis://127.0.0.1:6379/99"}, []string{"连接 Redis", "DB index is out of range"}},
		{"unreadable redis database", map[string]string{"REDIS_URL": "redis://127.0.0.1:6379/x"}, []string{"REDIS_URL", "database number"}},
		{"mongodb down", map[string]string{"REDIS_URL": realRedisURL, "MONGODB_URI": "mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=300"}, []string{"连接 MongoDB", "127.0.0.1:1"}},
		{"truncated snapshot", map[string]string{"GUANJIA_DATA": truncated, "GUANJIA_EMBEDDED_REDIS": embedded.KindInProcess}, []string{"快照文件", embedded.SnapshotFile}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := map[string]string{"GUANJIA_DATA": t.TempDir(), "MONGODB_URI": sharedFerret.URI(), "MONGODB_DATABASE": "t_startup"}
			for k, v := range tc.env {
				e[k] = v
			}
			var out, errOut bytes.Buffer
			err := run(context.Background(), []string{"console"}, env(e), strings.NewReader(""), &out, &errOut)
			if err == nil {
				t.Fatal("guanjia started")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if strings.Contains(err.Error(), ":pw@") {
				t.Errorf("error shows the Redis password: %q", err)
			}
		})
	}
}

func TestCloseOfUnopenedApp(t *testing.T) {
	if err := (&App{}).Close(); err != nil {
		t.Fatal(err)
	}
}

// TestOneDataFolderNeverSplits: a second guanjia on a data folder is refused, naming the
// first; an admin command beside it uses the same stores rather than starting its own.
// (TestGuanjiaWaitsForACommandOnItsFolder: the other way round.)
func TestOneDataFolderNeverSplits(t *testing.T) {
	dir := t.TempDir()
	cfg, err := loadConfig(env(map[string]string{"GUANJIA_DATA": dir}))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	first, err := openApp(ctx, cfg, log, nil, serving)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()

	second, err := openApp(ctx, cfg, log, nil, serving)
	if err == nil {
		second.Close()
		t.Fatal("a second guanjia started on the same data folder")
	}
	if want := fmt.Sprintf("进程 %d", os.Getpid()); !strings.Contains(err.Error(), want) {
		t.Errorf("refusal %q does not name the holder (%s)", err, want)
	}

	admin, err := openApp(ctx, cfg, log, nil, adminOnly)
	if err != nil {
		t.Fatalf("admin beside the running guanjia: %v", err)
	}
	if err := admin.rdb.Set(ctx, "guanjia:probe", "from admin", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if got, err := first.rdb.Get(ctx, "guanjia:probe").Result(); err != nil || got != "from admin" {
		t.Errorf("the running guanjia does not see the admin's Redis write: %q, %v", got, err)
	}
	if admin.emb.ferret != nil || admin.emb.redis != nil {
		t.Error("the admin command started its own embedded stores")
	}
	if err := admin.Close(); err != nil {
		t.Fatal(err)
	}
	if err := first.rdb.Ping(ctx).Err(); err != nil {
		t.Errorf("the admin's Close stopped the running guanjia's Redis: %v", err)
	}
	if err := first.Store.Ping(ctx); err != nil {
		t.Errorf("the admin's Close stopped the running guanjia's FerretDB: %v", err)
	}
}

func TestConfigRedactsEverySecret(t *testing.T) {
	out := runCmd(t, env(map[string]string{
		"REDIS_URL":   "redis://user:pw1@cache:6379/0?password=pw2",
		"MONGODB_URI": "mongodb://app:pw3@db1:27017,db2:27017/guanjia?tls=true&tlsCertificateKeyFile=/etc/k.pem&tlsCertificateKeyFilePassword=pw4&authMechanismProperties=AWS_SESSION_TOKEN:pw5&clientSecret=pw6",
	}), "", "config")
	for _, secret := range []string{"pw1", "pw2", "pw3", "pw4", "pw5", "pw6"} {
		if strings.Contains(out, secret) {
			t.Errorf("config shows %s:\n%s", secret, out)
		}
	}
	for _, want := range []string{"cache:6379", "db1:27017,db2:27017/guanjia", "tlsCertificateKeyFile=/etc/k.pem", "tlsCertificateKeyFilePassword=xxxxx"} {
		if !strings.Contains(out, want) {
			t.Errorf("config lacks %q:\n%s", want, out)
		}
	}
}

func TestConfigErrorsInChinese(t *testing.T) {
	for _, tc := range []struct{ env, want string }{
		{"GUANJIA_SESSION_IDLE=soon", "GUANJIA_SESSION_IDLE 的值「soon」不是一段时长"},
		{"GUANJIA_SESSION_IDLE=10s", "GUANJIA_SESSION_IDLE 至少要 1m"},
		{"GUANJIA_TIMEZONE=Mars/Olympus", "不是时区"},
		{"GUANJIA_REDIS_FSYNC=never", "GUANJIA_REDIS_FSYNC 只能是 everysec 或 always"},
	} {
		k, v, _ := strings.Cut(tc.env, "=")
		var out, errOut bytes.Buffer
		err := run(context.Background(), []string{"tickets"}, env(map[string]string{k: v}), nil, &out, &errOut)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "配置有误") {
			t.Errorf("%s: error %v; want it to say %q", tc.env, err, tc.want)
		}
	}
}

// TestAdminCommandsPrintOnlyTheirAnswer: the embedded stores' start-up and the sample data
// log at INFO; none of it belongs among an admin command's output.
func TestAdminCommandsPrintOnlyTheirAnswer(t *testing.T) {
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"tickets"}, env(map[string]string{"GUANJIA_DATA": t.TempDir()}), nil, &out, &errOut)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(errOut.String(), "INFO") || strings.Contains(out.String(), "INFO") {
		t.Errorf("INFO lines among the output:\nstdout:\n%s\nstderr:\n%s", out.String(), errOut.String())
	}
}

func TestMetricsCarryGoRuntime(t *testing.T) {
	cfg := testConfig(t)
	a, err := Open(context.Background(), cfg, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	srv, err := a.serveHTTP("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.shutdown()
	resp, err := http.Get("http://" + srv.ln.Addr().String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"go_goroutines ", "go_memstats_heap_alloc_bytes ", "process_open_fds ", "process_resident_memory_bytes "} {
		if !bytes.Contains(body, []byte(want)) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// TestGuanjiaWaitsForACommandOnItsFolder: guanjia started while a command holds the data
// folder waits for it, then holds the folder itself, rather than share stores that stop with
// the command or be refused.
func TestGuanjiaWaitsForACommandOnItsFolder(t *testing.T) {
	cfg, err := loadConfig(env(map[string]string{"GUANJIA_DATA": t.TempDir()}))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	command, err := Open(ctx, cfg, log, nil) // as a command that needs Redis would
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(time.Second)
		command.Close()
	}()
	start := time.Now()
	running, err := openApp(ctx, cfg, log, nil, serving)
	if err != nil {
		t.Fatalf("guanjia beside a command: %v", err)
	}
	defer running.Close()
	if time.Since(start) < 900*time.Millisecond || running.emb.folder == nil {
		t.Errorf("guanjia did not wait for the command and hold the folder (after %v)", time.Since(start))
	}
}
