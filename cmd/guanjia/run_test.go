package main

import (
	"bytes"
	"context"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/guanjia/guanjia/storage/mongostore"
)

// env builds a getenv from pairs, so tests never read the machine's environment.
func env(pairs map[string]string) func(string) string {
	return func(k string) string { return pairs[k] }
}

func runCmd(t *testing.T, getenv func(string) string, stdin string, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	if err := run(context.Background(), args, getenv, strings.NewReader(stdin), &out, &errOut); err != nil {
		t.Fatalf("guanjia %s: %v\nstderr:\n%s", strings.Join(args, " "), err, errOut.String())
	}
	return out.String()
}

var ticketNoRe = regexp.MustCompile(`工单号 (R\d{8}-\d{4})`)

// TestConsoleThenAdminInNewProcess drives guanjia as a person would, through piped input,
// and then reads the ticket back with the admin command, as a separate run would.
func TestConsoleThenAdminInNewProcess(t *testing.T) {
	cfg := testConfig(t)
	getenv := env(map[string]string{
		"REDIS_URL": cfg.RedisURL, "GUANJIA_REDIS_PREFIX": cfg.RedisPrefix,
		"MONGODB_URI": cfg.MongoURI, "MONGODB_DATABASE": cfg.MongoDatabase, "GUANJIA_DATA": cfg.DataDir,
	})
	if out := runCmd(t, getenv, "", "seed"); !strings.Contains(out, "示例花园") {
		t.Fatalf("seed said: %s", out)
	}
	out := runCmd(t, getenv, "张三: 报修\n张三: 1\n张三: 1\n张三: 厨房水管接头漏水\n张三: 跳过\n张三: 1\n张三: 1\n", "console")
	m := ticketNoRe.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no ticket number told to 张三:\n%s", out)
	}
	no := m[1]
	if !strings.Contains(out, "[张三] 报修已提交，工单号 "+no) || !strings.Contains(out, "[员工群] 【新报修】"+no) {
		t.Fatalf("the number should reach 张三 and 员工群:\n%s", out)
	}
	out = runCmd(t, getenv, "王管家@员工群: 接单 "+no+"\n", "console")
	if !strings.Contains(out, "[员工群] @王管家 已接单："+no) || !strings.Contains(out, "[张三] 您的报修 "+no+" 已由王管家受理") {
		t.Fatalf("accept not confirmed or 张三 not told:\n%s", out)
	}
	show := runCmd(t, getenv, "", "tickets", "show", no)
	for _, want := range []string{"小区：示例花园", "工单 " + no + "（已受理）", "张三 提交", "王管家 受理", "厨房水管接头漏水"} {
		if !strings.Contains(show, want) {
			t.Errorf("tickets show lacks %q:\n%s", want, show)
		}
	}
	if strings.Contains(show, "accepted") || strings.Contains(show, "sample") {
		t.Errorf("tickets show names a status or community by its code:\n%s", show)
	}
	list := runCmd(t, getenv, "", "tickets", "-status", "accepted")
	if !strings.Contains(list, no) || !strings.Contains(list, "示例花园") {
		t.Errorf("tickets -status accepted lacks %s in 示例花园:\n%s", no, list)
	}
	// Each column starts where its heading does, as a terminal shows Chinese (two columns a
	// character).
	lines := strings.Split(strings.TrimSpace(list), "\n")
	for _, heading := range []string{"状态", "小区", "地址", "类别", "报修人", "提交时间"} {
		at := displayWidth(lines[0][:strings.Index(lines[0], heading)])
		for _, l := range lines[1:] {
			if cellStart(l, at) != at {
				t.Errorf("column %s starts at %d in the heading, not in:\n%s", heading, at, list)
			}
		}
	}
	if list := runCmd(t, getenv, "", "tickets", "-status", "closed"); strings.Contains(list, no) {
		t.Errorf("tickets -status closed lists an accepted ticket:\n%s", list)
	}
}

// TestEmbeddedDefaultResumesAfterRestart runs with nothing configured but the data folder:
// embedded FerretDB, the embedded Redis (redis-server, installed wherever the tests run) and
// the sample data. A conversation cut by a stop resumes at the next start.
func TestEmbeddedDefaultResumesAfterRestart(t *testing.T) {
	getenv := env(map[string]string{"GUANJIA_DATA": t.TempDir()})
	out := runCmd(t, getenv, "张三: 报修\n张三: 1\n", "")
	if !strings.Contains(out, "[张三] 请问是哪一类问题？") {
		t.Fatalf("first run:\n%s", out)
	}
	out = runCmd(t, getenv, "张三: 2\n张三: 阳台窗户关不严\n张三: 跳过\n张三: 1\n张三: 1\n", "console")
	if !strings.HasPrefix(out, "[张三] 请简单描述一下问题") {
		t.Fatalf("the conversation did not resume where it was:\n%s", out)
	}
	m := ticketNoRe.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no ticket filed after the restart:\n%s", out)
	}
	if show := runCmd(t, getenv, "", "tickets", "show", m[1]); !strings.Contains(show, "阳台窗户关不严") {
		t.Fatalf("tickets show:\n%s", show)
	}
}

// TestAdminBesideRunningEmbedded runs admin commands while guanjia runs on the embedded
// stores of the same data folder, as an office does in a second terminal: what they write is
// seen by the running guanjia at once.
func TestAdminBesideRunningEmbedded(t *testing.T) {
	dir := t.TempDir()
	getenv := env(map[string]string{"GUANJIA_DATA": dir})
	cfg, err := loadConfig(getenv)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	running, err := Open(ctx, cfg, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer running.Close()
	period := time.Now().In(cfg.location()).Format("2006-01")
	runCmd(t, getenv, "", "bills", "generate", period)
	runCmd(t, getenv, "", "import", "households", "samples/households.csv")
	bill, err := running.Store.Bill(ctx, mongostore.SampleCommunity, "3-1-1201", period)
	if err != nil || bill.Total == 0 {
		t.Errorf("the running guanjia does not see the bill made beside it: %+v, %v", bill, err)
	}
	if _, err := running.Store.Household(ctx, mongostore.SampleCommunity, "2-1-601"); err != nil {
		t.Errorf("the running guanjia does not see an imported household: %v", err)
	}
}

func TestConfigIsValidatedAndRedacted(t *testing.T) {
	out := runCmd(t, env(map[string]string{
		"REDIS_URL":   "redis://:s3cret-redis@cache:6379/0",
		"MONGODB_URI": "mongodb://app:s3cret-mongo@db:27017/",
	}), "", "config")
	if strings.Contains(out, "s3cret") {
		t.Fatalf("config printed a password:\n%s", out)
	}
	if !strings.Contains(out, "cache:6379") || !strings.Contains(out, "session_idle: 30m0s") {
		t.Fatalf("config output:\n%s", out)
	}
	for _, bad := range []map[string]string{
		{"GUANJIA_SESSION_IDLE": "soon"},
		{"GUANJIA_SESSION_IDLE": "10s"},
		{"GUANJIA_TIMEZONE": "Mars/Olympus"},
		{"REDIS_URL": "http://example"},
		{"GUANJIA_LOG_LEVEL": "loud"},
	} {
		var o, e bytes.Buffer
		if err := run(context.Background(), []string{"config"}, env(bad), nil, &o, &e); err == nil {
			t.Errorf("%v was accepted", bad)
		}
	}
}

func TestCodeCommandBindsOnce(t *testing.T) {
	cfg := testConfig(t)
	getenv := env(map[string]string{
		"REDIS_URL": cfg.RedisURL, "GUANJIA_REDIS_PREFIX": cfg.RedisPrefix,
		"MONGODB_URI": cfg.MongoURI, "MONGODB_DATABASE": cfg.MongoDatabase, "GUANJIA_DATA": cfg.DataDir,
	})
	runCmd(t, getenv, "", "seed")
	out := runCmd(t, getenv, "", "code", "张三")
	m := regexp.MustCompile(`绑定码：(\d{6})`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no code printed: %s", out)
	}
	// On the console the code binds the console account "新手机" to 张三.
	chat := runCmd(t, getenv, "新手机: 绑定 "+m[1]+"\n新手机: 报修\n新手机: 取消\n访客: 绑定 "+m[1]+"\n", "console")
	for _, want := range []string{"[新手机] 绑定成功！张三您好", "[新手机] 好的，我来帮您登记报修。\n  报修地址是 3-1-1201 吗", "[访客] 这个绑定码无效、已过期或已经用过了"} {
		if !strings.Contains(chat, want) {
			t.Errorf("console output lacks %q:\n%s", want, chat)
		}
	}
	var o, e bytes.Buffer
	if err := run(context.Background(), []string{"code", "没这个人"}, getenv, nil, &o, &e); err == nil {
		t.Error("a code for an unknown person was issued")
	}
}

// cellStart is the terminal column where the cell that covers column at begins: at itself
// when a cell starts there after a space.
func cellStart(line string, at int) int {
	col := 0
	for i, r := range line {
		if col == at {
			if i > 0 && line[i-1] == ' ' && r != ' ' {
				return at
			}
			return -1
		}
		col += displayWidth(string(r))
	}
	return -1
}
