package wechat

import (
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/eatmoreapple/openwechat"

	"github.com/guanjia/guanjia"
	"github.com/guanjia/guanjia/bot"
)

func TestAssignGroupIDs(t *testing.T) {
	rec := func(name string, members ...string) groupRecord { return groupRecord{Name: name, Members: members} }
	gp := func(name string, members ...string) groupPrint { return groupPrint{name: name, members: members} }
	tests := []struct {
		name  string
		known map[string]groupRecord
		seen  []groupPrint
		taken map[string]bool
		want  []string
	}{
		{"new groups take their name's id, a second of one name a suffix", nil,
			[]groupPrint{gp("n1", "a"), gp("n1", "b"), gp("n2")}, nil,
			[]string{"g:n1", "g:n1.2", "g:n2"}},
		{"one name, told apart by members, in any order",
			map[string]groupRecord{"g:n1": rec("n1", "a", "b"), "g:n1.2": rec("n1", "c", "d")},
			[]groupPrint{gp("n1", "c", "d", "e"), gp("n1", "a")}, nil,
			[]string{"g:n1.2", "g:n1"}},
		{"a renamed group keeps its id when most members stay",
			map[string]groupRecord{"g:old": rec("old", "a", "b", "c", "d")},
			[]groupPrint{gp("new", "a", "b", "c", "e")}, nil,
			[]string{"g:old"}},
		{"too few members alike is another group",
			map[string]groupRecord{"g:old": rec("old", "a", "b", "c", "d")},
			[]groupPrint{gp("new", "a", "x", "y", "z")}, nil,
			[]string{"g:new"}},
		{"an id in use, or held by a record not seen, is never handed out new",
			map[string]groupRecord{"g:n1.2": rec("gone")},
			[]groupPrint{gp("n1")}, map[string]bool{"g:n1": true},
			[]string{"g:n1.3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := assign(tt.known, tt.seen, tt.taken); !slices.Equal(got, tt.want) {
				t.Errorf("assign = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestStripMention(t *testing.T) {
	names := []string{"小管家", "物业小管家"}
	tests := []struct {
		in, want  string
		mentioned bool
	}{
		{"@小管家\u2005报修", "报修", true},
		{"报修 @物业小管家", "报修", true},
		{"@小管家家 你好", "@小管家家 你好", false},
		{"我们@小管家\u2005看看", "我们看看", true},
		{"没有提到", "没有提到", false},
	}
	for _, tt := range tests {
		got, text := stripMention(tt.in, names)
		if got != tt.mentioned || text != tt.want {
			t.Errorf("stripMention(%q) = %v, %q; want %v, %q", tt.in, got, text, tt.mentioned, tt.want)
		}
	}
}

func TestRedactHidesTheLoginKeys(t *testing.T) {
	inner := &url.Error{Op: "Get", URL: "https://webpush.wx2.qq.com/cgi-bin/mmwebwx-bin/synccheck?skey=%40crypt_secret&sid=s3cret",
		Err: errors.New("connection reset")}
	err := bot.RedactQuery(errors.Join(openwechat.NetworkErr, inner))
	if strings.Contains(err.Error(), "secret") || strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), "synccheck") {
		t.Errorf("redacted error: %v", err)
	}
}

func TestSplitQuote(t *testing.T) {
	const line = "\n- - - - - - - - - - - - - - -\n"
	for _, c := range []struct{ content, quote, text string }{
		{"「物业小管家：【新报修】R20261126-0001\n地址：3-1-1201」" + line + "接单", "物业小管家：【新报修】R20261126-0001\n地址：3-1-1201", "接单"},
		{"「张三：楼道灯坏了」" + line + "派单 刘师傅", "张三：楼道灯坏了", "派单 刘师傅"},
		{"接单 R20261126-0001", "", "接单 R20261126-0001"},
		{"「这是书名号」里的话", "", "「这是书名号」里的话"},
		{"「没有分隔线」\n接单", "", "「没有分隔线」\n接单"},
	} {
		quote, text := splitQuote(c.content)
		if quote != c.quote || text != c.text {
			t.Errorf("splitQuote(%q) = %q, %q; want %q, %q", c.content, quote, text, c.quote, c.text)
		}
	}
	if !quotesOneOf("物业小管家：【新报修】", []string{"管家", "物业小管家"}) || quotesOneOf("张三：你好", []string{"物业小管家"}) {
		t.Error("quotesOneOf does not tell the bot's messages from others'")
	}
}

func TestOpenPhotoOnlyOwnPhotos(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(MediaDir(dir), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(MediaDir(dir), "123456.jpg"), []byte("jpeg"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, name, err := OpenPhoto(dir, "wx:123456.jpg")
	if err != nil || name != "123456.jpg" {
		t.Fatalf("own photo: %q, %v", name, err)
	}
	f.Close()
	for _, ref := range []string{"wx:../../etc/passwd", "wx:999.jpg", "tg:AgACAg", "wx:"} {
		if _, _, err := OpenPhoto(dir, ref); !errors.Is(err, guanjia.ErrNotFound) {
			t.Errorf("OpenPhoto(%q): err = %v, want ErrNotFound", ref, err)
		}
	}
}

func TestMatchFriends(t *testing.T) {
	rec := func(nick, sig string, attr int64) friendRecord {
		r := friendRecord{Nick: nameKey(nick), Attr: attr}
		if sig != "" {
			r.Sig = nameKey(sig)
		}
		return r
	}
	friend := func(user, nick, sig string, attr int64) *openwechat.User {
		return &openwechat.User{UserName: user, NickName: nick, Signature: sig, AttrStatus: attr}
	}
	tests := []struct {
		name    string
		known   map[string]friendRecord
		friends []*openwechat.User
		ids     map[string]string // UserName → id
		unsure  []string
	}{
		{"a kept remark wins", map[string]friendRecord{"p1": rec("张三", "", 0)},
			[]*openwechat.User{{UserName: "@a", NickName: "李四", RemarkName: "gj-p1"}},
			map[string]string{"@a": "f:p1"}, nil},
		{"one full match", map[string]friendRecord{"p1": rec("张三", "静好", 7)},
			[]*openwechat.User{friend("@a", "张三", "静好", 7), friend("@b", "李四", "", 0)},
			map[string]string{"@a": "f:p1"}, nil},
		{"two look-alikes are both unsure", map[string]friendRecord{"p1": rec("张三", "", 0)},
			[]*openwechat.User{friend("@a", "张三", "", 0), friend("@b", "张三", "", 0)},
			map[string]string{}, []string{"@a", "@b"}},
		{"a changed signature is unsure", map[string]friendRecord{"p1": rec("张三", "静好", 0)},
			[]*openwechat.User{friend("@a", "张三", "加油", 0)},
			map[string]string{}, []string{"@a"}},
		{"another account of the same name is not them", map[string]friendRecord{"p1": rec("张三", "", 7)},
			[]*openwechat.User{friend("@a", "张三", "", 8)},
			map[string]string{}, []string{"@a"}},
		{"a stranger is nobody", map[string]friendRecord{"p1": rec("张三", "静好", 0)},
			[]*openwechat.User{friend("@a", "王五", "", 0)},
			map[string]string{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDirectory()
			for _, f := range tt.friends {
				d.addFriend(f)
			}
			matchFriends(d, tt.known)
			if len(d.ids) != len(tt.ids) {
				t.Errorf("ids %v, want %v", d.ids, tt.ids)
			}
			for u, id := range tt.ids {
				if d.ids[u] != id {
					t.Errorf("%s is %q, want %q", u, d.ids[u], id)
				}
			}
			var unsure []string
			for u := range d.unsure {
				unsure = append(unsure, u)
			}
			slices.Sort(unsure)
			if !slices.Equal(unsure, tt.unsure) {
				t.Errorf("unsure %v, want %v", unsure, tt.unsure)
			}
		})
	}
}

func TestSplitQuoteRealForms(t *testing.T) {
	tests := []struct{ in, quote, text string }{
		{"「物业客服：【新报修】R20261126-0001」\n- - - - - - - - - - - - - - -\n好的", "物业客服：【新报修】R20261126-0001", "好的"},
		{"「张三：<msg><appmsg appid=\"\"><title>我来处理</title><type>57</type></appmsg></msg>」\n- - - - - - - - - - - - - - -\n接单", "张三：我来处理", "接单"},
		{"「没有结尾\n- - - -\n话", "", "「没有结尾\n- - - -\n话"},
		{"普通消息", "", "普通消息"},
	}
	for _, tt := range tests {
		if q, text := splitQuote(tt.in); q != tt.quote || text != tt.text {
			t.Errorf("splitQuote(%q) = %q, %q; want %q, %q", tt.in, q, text, tt.quote, tt.text)
		}
	}
}
