package wxfake_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/guanjia/guanjia/bot/wechat/wxfake"
)

func TestTransportReachesOnlyTheFake(t *testing.T) {
	s := wxfake.New(t)
	client := &http.Client{Transport: s.Transport()}
	resp, err := client.Get("https://login.wx.qq.com/jslogin?redirect_uri=https%3A%2F%2Fwx.qq.com%2Fcgi-bin%2Fmmwebwx-bin%2Fwebwxnewloginpage%3Fmod%3Ddesktop")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "window.QRLogin.uuid") || s.QRShown() != 1 {
		t.Errorf("jslogin answered %q", body)
	}
	for _, u := range []string{"https://example.com/", "https://qq.com.evil.test/jslogin"} {
		if _, err := client.Get(u); err == nil || !strings.Contains(err.Error(), "not a WeChat host") {
			t.Errorf("GET %s: %v, want refused", u, err)
		}
	}
	// An endpoint asked of the wrong WeChat host is not found, as openwechat builds its hosts
	// from the login's domain.
	resp, err = client.Get("https://" + wxfake.BaseHost + "/cgi-bin/mmwebwx-bin/synccheck")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("synccheck on the base host: %d", resp.StatusCode)
	}
}
