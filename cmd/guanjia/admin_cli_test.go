package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/guanjia/guanjia"
	"github.com/guanjia/guanjia/storage/mongostore"
)

// runFail runs a command that must fail and returns its error text and what it printed.
func runFail(t *testing.T, getenv func(string) string, args ...string) (msg, stdout string) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, getenv, strings.NewReader(""), &out, &errOut)
	if err == nil {
		t.Fatalf("guanjia %s succeeded:\n%s", strings.Join(args, " "), out.String())
	}
	return err.Error(), out.String()
}

// storeWords are signs of an internal error text reaching the office.
var storeWords = []string{"mongostore", ": not found", ": invalid", "flag provided", "Usage of"}

// TestAdminCommandMistakes types every admin command wrong and checks that the office is told,
// once and in plain words, what is wrong and how to put it right.
func TestAdminCommandMistakes(t *testing.T) {
	pinClock(t)
	_, getenv := feeEnv(t)
	runCmd(t, getenv, "", "seed")
	for _, c := range []struct {
		args  []string
		wants []string
	}{
		{[]string{"code"}, []string{"要写一个人的姓名或编号", "用法（usage）：guanjia code <姓名或人员编号>"}},
		{[]string{"code", "张三", "李四"}, []string{"要写一个人的姓名或编号"}},
		{[]string{"code", "没这个人"}, []string{"找不到姓名或编号为「没这个人」的人。"}},
		{[]string{"code", "-x", "张三"}, []string{"没有选项 -x", "用法（usage）：guanjia code"}},

		{[]string{"tickets", "-kind", "X"}, []string{"没有「X」这类工单。-kind 可选：R 或 repair（报修）、C 或 complaint（投诉）、Q 或 inquiry（咨询）、H 或 hazard（隐患）。"}},
		{[]string{"tickets", "-community", "nope"}, []string{"找不到小区「nope」。-community 请写小区编号或名称，现有：sample（示例花园）。"}},
		{[]string{"tickets", "-status", "foo"}, []string{"没有「foo」这个工单状态。-status 可选：submitted（待受理）、", "cancelled（已撤销）"}},
		{[]string{"tickets", "-limit", "abc"}, []string{"-limit 要写一个整数，如 -limit 20（0 表示全部），不是「abc」。"}},
		{[]string{"tickets", "-limit", "-3"}, []string{"-limit 要写一个整数"}},
		{[]string{"tickets", "-limit"}, []string{"选项 -limit 后面要写一个值", "用法（usage）：guanjia tickets"}},
		{[]string{"tickets", "-bogus"}, []string{"没有选项 -bogus", "用法（usage）：guanjia tickets"}},
		{[]string{"tickets", "list"}, []string{"不认识「list」。"}},
		{[]string{"tickets", "show"}, []string{"要写一个工单号，如 guanjia tickets show R20261126-0001。"}},
		{[]string{"tickets", "show", "abc"}, []string{"「abc」不是工单号。工单号形如 R20261126-0001"}},
		{[]string{"tickets", "show", "r20261126-0099"}, []string{"没有工单 R20261126-0099。请核对工单号"}},

		{[]string{"seed", "again"}, []string{"seed 不带参数", "用法（usage）：guanjia seed"}},

		{[]string{"import"}, []string{"要写导入什么和哪个文件", "用法（usage）：guanjia import"}},
		{[]string{"import", "households", "samples/households.csv", "-community"}, []string{"选项 -community 后面要写一个值"}},
		{[]string{"faq"}, []string{"要写 import 和文件名", "用法（usage）：guanjia faq import"}},
		{[]string{"faq", "import", "nofile.yaml"}, []string{"找不到文件 nofile.yaml，请核对文件名和路径。"}},
		{[]string{"faq", "import", "samples/faq.yaml", "-community", "nope"}, []string{"找不到小区「nope」。"}},

		{[]string{"bills"}, []string{"用法（usage）：\n  guanjia bills generate <YYYY-MM>"}},
		{[]string{"bills", "print"}, []string{"不认识「print」：bills 后面写 generate、show 或 correct。"}},
		{[]string{"bills", "generate"}, []string{"bills generate 要写一个月份"}},
		{[]string{"bills", "generate", "11/2026"}, []string{"月份「11/2026」不对：请写成 YYYY-MM"}},
		{[]string{"bills", "generate", "2026-11", "-community", "nope"}, []string{"找不到小区「nope」。"}},
		{[]string{"bills", "show"}, []string{"bills show 要写房号"}},
		{[]string{"bills", "show", "9-9-9"}, []string{"示例花园（sample）没有房号 9-9-9。请核对房号（形如 3-1-1201）；别的小区请加 -community。"}},
		{[]string{"bills", "show", "3-1-1201", "2026-13"}, []string{"月份「2026-13」不对"}},
		{[]string{"bills", "correct", "3-1-1201"}, []string{"bills correct 要写房号和月份"}},
		{[]string{"bills", "correct", "9-9-9", "2026-11"}, []string{"示例花园（sample）没有房号 9-9-9。"}},
		{[]string{"bills", "correct", "3-1-1201", "2025-01"}, []string{"3-1-1201 没有 2025-01 的账单，无从更正。账单由 guanjia bills generate 2025-01 生成。"}},
		{[]string{"bills", "-x"}, []string{"没有选项 -x", "用法（usage）：\n  guanjia bills"}},
	} {
		name := strings.Join(c.args, " ")
		msg, out := runFail(t, getenv, c.args...)
		mustContain(t, name, msg, c.wants...)
		for _, w := range storeWords {
			if strings.Contains(msg, w) {
				t.Errorf("%s: the office sees %q:\n%s", name, w, msg)
			}
		}
		if out != "" {
			t.Errorf("%s printed as well as failing:\n%s", name, out)
		}
	}
}

// TestAdminHelp asks a command for its flags: they are printed, and that is no failure.
func TestAdminHelp(t *testing.T) {
	_, getenv := feeEnv(t)
	out := runCmd(t, getenv, "", "tickets", "-h")
	mustContain(t, "tickets -h", out, "用法（usage）：guanjia tickets", "-kind string", "repair, complaint, inquiry, hazard")
}

// TestTicketsFilters lists tickets by kind, as letter, word or Chinese name, and by community,
// as id or name.
func TestTicketsFilters(t *testing.T) {
	cfg, getenv := feeEnv(t)
	runCmd(t, getenv, "", "seed")
	st := openFeeStore(t, cfg)
	at := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	repair := guanjia.Ticket{Community: mongostore.SampleCommunity, Kind: guanjia.KindRepair, Status: guanjia.StatusSubmitted,
		Category: "plumbing", Address: "3-1-1201", ReporterName: "张三", CreatedAt: at}
	complaint := guanjia.Ticket{Community: mongostore.SampleCommunity, Kind: guanjia.KindComplaint, Status: guanjia.StatusAccepted,
		Category: "noise", Address: "2-2-502", ReporterName: "李四", CreatedAt: at.Add(time.Minute)}
	for _, tk := range []*guanjia.Ticket{&repair, &complaint} {
		if err := st.CreateTicket(context.Background(), tk); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		args       []string
		has, lacks string
	}{
		{[]string{"-kind", "R"}, repair.No, complaint.No},
		{[]string{"-kind", "repair"}, repair.No, complaint.No},
		{[]string{"-kind", "r"}, repair.No, complaint.No},
		{[]string{"-kind", "投诉"}, complaint.No, repair.No},
		{[]string{"-kind", "Complaint", "-community", "示例花园"}, complaint.No, repair.No},
		{[]string{"-status", "已受理", "-community", "sample"}, complaint.No, repair.No},
		{[]string{"-status", "SUBMITTED"}, repair.No, complaint.No},
		{[]string{"-limit", "1"}, complaint.No, repair.No},
	} {
		out := runCmd(t, getenv, "", append([]string{"tickets"}, c.args...)...)
		if !strings.Contains(out, c.has) || strings.Contains(out, c.lacks) {
			t.Errorf("tickets %s: want %s and not %s:\n%s", strings.Join(c.args, " "), c.has, c.lacks, out)
		}
	}
	if out := runCmd(t, getenv, "", "tickets", "-kind", "H"); out != "没有符合条件的工单。\n" {
		t.Errorf("tickets -kind H = %q", out)
	}
}

// TestCodeSaysHours shows a binding code's lifetime as the chat says it.
func TestCodeSaysHours(t *testing.T) {
	_, getenv := feeEnv(t)
	runCmd(t, getenv, "", "seed")
	out := runCmd(t, getenv, "", "code", "张三")
	mustContain(t, "code 张三", out, "（72 小时内有效，只能用一次）")
	for d, want := range map[time.Duration]string{
		72 * time.Hour: "72 小时", 30 * time.Minute: "30 分钟", 90 * time.Minute: "1 小时 30 分钟",
		24*time.Hour + 29*time.Second: "24 小时",
	} {
		if got := spanZH(d); got != want {
			t.Errorf("spanZH(%v) = %q, want %q", d, got, want)
		}
	}
}

// TestPolitely checks what the office sees when a command fails: its own message as it is,
// with the cause in the log only at debug level; an unexpected error as a short apology, with
// the cause in the log; nothing at all after -h.
func TestPolitely(t *testing.T) {
	cause := fmt.Errorf("mongostore: household sample:9-9-9: %w", guanjia.ErrNotFound)
	for _, c := range []struct {
		err              error
		want, wantLog    string
		debugOnly, quiet bool
	}{
		{err: tell(cause, "没有房号 9-9-9。"), want: "没有房号 9-9-9。", wantLog: "household sample:9-9-9", debugOnly: true},
		{err: fmt.Errorf("wrapped: %w", tell(nil, "找不到小区「x」。")), want: "找不到小区「x」。"},
		{err: errors.New("mongostore: list tickets: connection refused"), want: "guanjia tickets 出了意外的错误，没有做完",
			wantLog: "connection refused"},
		{err: flag.ErrHelp, quiet: true},
	} {
		for _, level := range []slog.Level{slog.LevelDebug, slog.LevelInfo} {
			var logged bytes.Buffer
			log := slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: level}))
			cmd := politely("tickets", func(context.Context, Config, *slog.Logger, []string, io.Writer) error { return c.err })
			err := cmd(context.Background(), Config{}, log, nil, io.Discard)
			switch {
			case c.quiet:
				if err != nil {
					t.Errorf("%v: err = %v, want nil", c.err, err)
				}
				continue
			case err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "mongostore"):
				t.Errorf("%v: the office sees %v, want %q", c.err, err, c.want)
			}
			logs := c.wantLog != "" && (level == slog.LevelDebug || !c.debugOnly)
			if logs && !strings.Contains(logged.String(), c.wantLog) || !logs && logged.Len() > 0 {
				t.Errorf("%v at %v: logged %q; want a log line with %q: %v", c.err, level, logged.String(), c.wantLog, logs)
			}
		}
	}
}
