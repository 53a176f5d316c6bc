package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/guanjia/guanjia"
	"github.com/guanjia/guanjia/storage/mongostore"
)

// TestComplaintNamingASupervisorSkipsThem files a complaint about the supervisor 赵主管 in a
// community with a second supervisor: only the second one gets it.
func TestComplaintNamingASupervisorSkipsThem(t *testing.T) {
	clk := newClock()
	var out bytes.Buffer
	app := openTestApp(t, testConfig(t), clk, &out)
	defer app.Close()
	ctx := context.Background()
	qian := guanjia.Person{ID: "p-qian", Community: mongostore.SampleCommunity, Name: "钱经理",
		Roles: []guanjia.Role{guanjia.RoleSupervisor}}
	if err := app.Store.PutPerson(ctx, qian); err != nil {
		t.Fatal(err)
	}
	if err := app.Store.PutChat(ctx, guanjia.Chat{Channel: "console", PlatformID: "钱经理", Name: "钱经理",
		Role: guanjia.ChatPrivate, Community: mongostore.SampleCommunity, Person: qian.ID}); err != nil {
		t.Fatal(err)
	}
	app.say(t, "张三: 投诉", "张三: 5", "张三: 赵主管说话很冲，还挂我电话", "张三: 跳过", "张三: 2", "张三: 1")
	got := out.String()
	if !strings.Contains(got, "[钱经理] 【新投诉】") || strings.Contains(got, "[赵主管] 【新投诉】") || strings.Contains(got, "[员工群] 【新投诉】") {
		t.Errorf("the complaint about 赵主管 went to the wrong people:\n%s", got)
	}
}
