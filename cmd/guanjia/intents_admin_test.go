package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestIntentsTry(t *testing.T) {
	out := runCmd(t, os.Getenv, "", "intents", "try", "阳台的窗户关不上了")
	for _, want := range []string{"repair", "decision: sure → repair", "nearest examples:", "repair.tsv:"} {
		if !strings.Contains(out, want) {
			t.Errorf("intents try: missing %q in\n%s", want, out)
		}
	}
	out = runCmd(t, os.Getenv, "", "intents", "try", "厨房漏水了，物业也一直不管，我要投诉")
	if !strings.Contains(out, "decision: ask → complaint / repair") {
		t.Errorf("a message asking two things: want the decision to ask, got\n%s", out)
	}
	out = runCmd(t, os.Getenv, "", "intents", "try", "😀")
	if !strings.Contains(out, "decision: no idea") {
		t.Errorf("emoji alone: want no idea, got\n%s", out)
	}
}

func TestIntentsEval(t *testing.T) {
	out := runCmd(t, os.Getenv, "", "intents", "eval", "-k", "3")
	for _, want := range []string{"3-fold cross-validation", "intent", "accuracy", "repair", "staff.accept", "confusion (true intent → taken for):"} {
		if !strings.Contains(out, want) {
			t.Errorf("intents eval: missing %q in\n%s", want, out)
		}
	}
}

// An office's own examples are learned with the built-in ones, and a broken file is named.
func TestIntentsOfficeExamples(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "ours.tsv"), []byte("inquiry\t锦鲤池的鱼能喂吗\ninquiry\t锦鲤池能不能喂鱼\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	getenv := func(k string) string {
		if k == "GUANJIA_INTENTS" {
			return dir
		}
		return os.Getenv(k)
	}
	out := runCmd(t, getenv, "", "intents", "try", "锦鲤池可以喂鱼吗")
	if !strings.Contains(out, "ours.tsv:") || !strings.Contains(out, "decision: sure → inquiry") {
		t.Errorf("office examples not learned:\n%s", out)
	}
	if err := os.WriteFile(filepath.Join(dir, "bad.tsv"), []byte("inquiry 没有制表符\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	msg, _ := runFail(t, getenv, "intents", "try", "你好")
	if !strings.Contains(msg, "bad.tsv line 1") {
		t.Errorf("a bad example file: %q, want it named with its line", msg)
	}
}

func TestIntentsMistakes(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"intents"}, "要写 eval 或 try。"},
		{[]string{"intents", "guess"}, "不认识「guess」。"},
		{[]string{"intents", "try"}, "要写一句话"},
		{[]string{"intents", "eval", "-k", "1"}, "-k 要写 2 到"},
		{[]string{"intents", "eval", "-k", "x"}, "不是「x」"},
		{[]string{"intents", "eval", "-bogus"}, "没有选项 -bogus"},
	} {
		msg, _ := runFail(t, os.Getenv, c.args...)
		if !strings.Contains(msg, c.want) || !strings.Contains(msg, "用法（usage）：guanjia intents") {
			t.Errorf("guanjia %s: %q, want %q and the usage", strings.Join(c.args, " "), msg, c.want)
		}
	}
}

// No conversation ends in a bare "not understood": what is unclear is asked, what is unknown
// gets the menu and the steward.
func TestNoBareNotUnderstood(t *testing.T) {
	goldens, err := filepath.Glob("testdata/*.golden")
	if err != nil || len(goldens) == 0 {
		t.Fatalf("no transcripts: %v", err)
	}
	for _, g := range goldens {
		b, err := os.ReadFile(g)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			if !strings.HasPrefix(line, ">") && (strings.Contains(line, "没太明白") || strings.Contains(line, "didn't quite catch")) {
				t.Errorf("%s:%d: %s", g, i+1, line)
			}
		}
	}
}
