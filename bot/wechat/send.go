package wechat

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/eatmoreapple/openwechat"

	"github.com/guanjia/guanjia"
	"github.com/guanjia/guanjia/bot"
)

// groupGrace is how long after a login a group not found is waited for rather than given up.
const groupGrace = 10 * time.Minute

// reloadEvery is how often a send to a chat not found may load the contacts again.
const reloadEvery = time.Minute

// errNotLoggedIn is a send while the account is logged out: it waits for the next login.
var errNotLoggedIn = errors.New("wechat: not logged in")

// Send implements bot.Channel: the text, with the choices as numbered lines ("1) 水电"), to
// the friend or group the id stands for in the current login. WeChat has no buttons; people
// answer with the number or the words. Failures are *bot.SendError: logged out is transient
// (the message waits for the next login), a chat that no longer exists is permanent, and
// WeChat's "too often" asks the queue to wait. Photos are not sent; their text is.
func (c *Channel) Send(ctx context.Context, r bot.Reply) error {
	s := c.current()
	if s == nil {
		return &bot.SendError{Kind: bot.SendTransient, Reason: "logged_out", Err: errNotLoggedIn}
	}
	to, err := c.resolve(ctx, s, r.ChatID)
	if err != nil {
		return err
	}
	self, _ := s.me()
	msg := openwechat.NewTextSendMessage(withChoices(r.Text, r.Choices), self, to)
	_, err = s.bot.Caller.WebWxSendMsg(ctx, &openwechat.CallerWebWxSendMsgOptions{
		LoginInfo: s.bot.Storage.LoginInfo, BaseRequest: s.bot.Storage.Request, Message: msg})
	if err != nil {
		return sendError(err)
	}
	s.sentText(to, msg.Content)
	return nil
}

// withChoices appends the choices as numbered lines.
func withChoices(text string, choices []bot.Choice) string {
	if len(choices) == 0 {
		return text
	}
	var b strings.Builder
	b.WriteString(text)
	for i, ch := range choices {
		fmt.Fprintf(&b, "\n%d) %s", i+1, ch.Label)
	}
	return b.String()
}

// resolve finds the UserName a chat id stands for in the current login. A group or friend
// not found after asking WeChat again is gone (left, removed, unfriended); a "u:" id from an
// earlier login can never be found again.
func (c *Channel) resolve(ctx context.Context, s *session, chat string) (string, error) {
	find := func() string {
		dir, unlock := s.lockDir()
		defer unlock()
		if strings.HasPrefix(chat, "g:") {
			if g := dir.byID[chat]; g != nil {
				return g.userName
			}
			return ""
		}
		return dir.userOf(chat)
	}
	if to := find(); to != "" {
		return to, nil
	}
	reason := "stale_id"
	switch {
	case strings.HasPrefix(chat, "g:"):
		reason = "group_not_found"
	case strings.HasPrefix(chat, "f:"):
		reason = "friend_not_found"
	case !strings.HasPrefix(chat, "u:"):
		reason = "not_a_chat"
	}
	if (reason == "group_not_found" || reason == "friend_not_found") && s.reloadDue() {
		// Joined or befriended since the login: the contacts say. Not more than once a
		// minute: two hundred reminders to a friend gone must not load the contacts 200 times.
		if err := c.loadContacts(ctx, s); err != nil {
			return "", &bot.SendError{Kind: bot.SendTransient, Reason: "contacts", Err: err}
		}
		if to := find(); to != "" {
			return to, nil
		}
	}
	if reason == "group_not_found" && time.Since(s.started) < groupGrace && c.knownGroup(ctx, chat) {
		// WeChat lists a group not saved to the contacts only once it has messages again:
		// right after a login, a group the channel knew is not gone.
		return "", &bot.SendError{Kind: bot.SendTransient, Reason: "group_not_listed", RetryAfter: time.Minute,
			Err: fmt.Errorf("wechat: send: group %s not listed since the login", chat)}
	}
	return "", &bot.SendError{Kind: bot.SendPermanent, Reason: reason,
		Err: fmt.Errorf("wechat: send: no chat %s in this login", chat)}
}

// sendError classifies a failed send for the outbound queue.
func sendError(err error) error {
	e := &bot.SendError{Kind: bot.SendTransient, Reason: "network", Err: fmt.Errorf("wechat: send: %w", bot.RedactQuery(err))}
	var ret openwechat.Ret
	if !errors.As(err, &ret) {
		if !openwechat.IsNetworkError(err) {
			e.Reason = "bad_response"
		}
		return e
	}
	switch code := int(ret); {
	case code == 1100 || code == 1101 || code == 1102:
		e.Reason = "logged_out"
	case code == 1205:
		// "operate too often": WeChat wants the account to slow down.
		e.Kind, e.Reason, e.RetryAfter = bot.SendRateLimited, "too_often", time.Minute
	case code < 0:
		e.Reason = "server_error"
	default:
		e.Kind, e.Reason = bot.SendPermanent, "rejected_"+strconv.Itoa(code)
	}
	return e
}

// errEmptyPhoto is a photo download that brought no bytes.
var errEmptyPhoto = errors.New("wechat: photo: empty download")

// photoName keeps a downloaded photo's file name to the message id's characters.
var photoName = regexp.MustCompile(`^[0-9A-Za-z_-]{1,64}$`)

// MediaDir is where photos received on WeChat are kept, under the data folder.
func MediaDir(dataDir string) string { return filepath.Join(dataDir, "wechat-media") }

// OpenPhoto opens a photo received on WeChat by its reference ("wx:<file>") for another
// channel to send, with its file name; other references are guanjia.ErrNotFound.
func OpenPhoto(dataDir, ref string) (io.ReadCloser, string, error) {
	name, ok := strings.CutPrefix(ref, "wx:")
	if !ok || !photoName.MatchString(strings.TrimSuffix(name, ".jpg")) {
		return nil, "", fmt.Errorf("wechat: photo %q: %w", ref, guanjia.ErrNotFound)
	}
	f, err := os.Open(filepath.Join(MediaDir(dataDir), name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, "", fmt.Errorf("wechat: photo %q: %w", ref, guanjia.ErrNotFound)
	}
	if err != nil {
		return nil, "", fmt.Errorf("wechat: photo: %w", err)
	}
	return f, name, nil
}

// savePhoto downloads a photo into the data folder's wechat-media/ and returns its file
// reference, "wx:<file name>".
func (c *Channel) savePhoto(ctx context.Context, s *session, m *openwechat.Message) (string, error) {
	if !photoName.MatchString(m.MsgId) {
		return "", fmt.Errorf("wechat: photo: odd message id")
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	resp, err := s.bot.Caller.Client.WebWxGetMsgImg(ctx, m, s.bot.Storage.LoginInfo)
	if err != nil {
		return "", fmt.Errorf("wechat: photo: %w", bot.RedactQuery(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("wechat: photo: http %d", resp.StatusCode)
	}
	dir := MediaDir(c.cfg.DataDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("wechat: photo: %w", err)
	}
	name := m.MsgId + ".jpg"
	tmp, err := os.CreateTemp(dir, name+".*")
	if err != nil {
		return "", fmt.Errorf("wechat: photo: %w", err)
	}
	n, err := io.Copy(tmp, io.LimitReader(resp.Body, 20<<20))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil && n == 0 {
		// WeChat answers an image it no longer has with nothing: not a photo.
		err = errEmptyPhoto
	}
	if err == nil {
		// Renamed only once complete, so a half photo is never taken for a whole one.
		err = os.Rename(tmp.Name(), filepath.Join(dir, name))
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
		return "", fmt.Errorf("wechat: photo: %w", err)
	}
	return "wx:" + name, nil
}

// knownGroup reports whether the channel has a record of a group, from this or an earlier
// login; in doubt, it has.
func (c *Channel) knownGroup(ctx context.Context, id string) bool {
	known, err := c.knownGroups(ctx)
	if err != nil {
		c.log.Warn("wechat group records", "err", err)
		return true
	}
	_, ok := known[id]
	return ok
}
