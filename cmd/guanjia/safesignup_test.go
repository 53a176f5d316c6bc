package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestBindSameAccountAgain: an account bound to a person that binds to them again is told
// it is bound already, and neither the person nor the office is alerted a second time.
func TestBindSameAccountAgain(t *testing.T) {
	clk := newClock()
	var out bytes.Buffer
	app := openTestApp(t, testConfig(t), clk, &out)
	defer app.Close()
	app.say(t, "Mary: bind 李四 0502")
	first := out.String()
	if !strings.Contains(first, "[Mary] 绑定成功") {
		t.Fatalf("the first binding did not succeed:\n%s", first)
	}
	out.Reset()
	app.say(t, "Mary: 绑定 李四 0502")
	got := out.String()
	if !strings.Contains(got, "[Mary] 您已经绑定了") {
		t.Errorf("the second binding was not told it is bound already:\n%s", got)
	}
	for _, unwanted := range []string{"绑定成功", "安全提醒", "【绑定提醒】"} {
		if strings.Contains(got, unwanted) {
			t.Errorf("the second binding sent %q:\n%s", unwanted, got)
		}
	}
}
