package wechat

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/eatmoreapple/openwechat"
	"github.com/mdp/qrterminal/v3"
	qrcode "github.com/skip2/go-qrcode"

	"github.com/guanjia/guanjia/bot"
)

// QRFile is the name of the login QR code image in the data folder.
const QRFile = "wechat-qr.png"

// errNoKeptLogin is what a QR login's storage answers openwechat's attempt to reload.
var errNoKeptLogin = errors.New("wechat: no kept login offered")

// login logs in with the kept session while WeChat may still accept it, else by QR code,
// and loads the contacts. It runs on Run's goroutine (or Login's) only.
func (c *Channel) login(ctx context.Context) (*session, error) {
	saved, err := c.cfg.Login.Saved(ctx)
	if err != nil {
		return nil, fmt.Errorf("wechat: kept login: %w", err)
	}
	if saved && c.hotFailures < c.cfg.HotRetries {
		s, err := c.hotLogin(ctx)
		var ret openwechat.Ret
		switch {
		case err == nil:
			c.hotFailures = 0
			return s, nil
		case errors.As(err, &ret):
			// WeChat refused the session itself: trying it again cannot help.
			c.log.Warn("wechat kept login refused", "ret", int(ret))
			c.hotFailures = c.cfg.HotRetries
		case openwechat.IsNetworkError(err) || ctx.Err() != nil:
			// WeChat was not reached: the session may well be good, keep trying it.
			return nil, err
		default:
			c.hotFailures++
			return nil, err
		}
	}
	s, err := c.scanLogin(ctx)
	if err == nil {
		c.hotFailures = 0
	}
	return s, err
}

func (c *Channel) hotLogin(ctx context.Context) (*session, error) {
	s := c.newSession(ctx)
	if err := s.bot.HotLogin(c.cfg.Login); err != nil {
		s.end()
		return nil, fmt.Errorf("wechat: hot login: %w", bot.RedactQuery(err))
	}
	if err := c.loadContacts(ctx, s); err != nil {
		s.end()
		return nil, err
	}
	c.log.Info("wechat logged in with the kept session")
	return s, nil
}

// scanLogin shows QR codes until one is scanned and confirmed on the phone.
func (c *Channel) scanLogin(ctx context.Context) (*session, error) {
	c.markDown(ctx, "waiting for a QR scan")
	for {
		s := c.newSession(ctx)
		s.bot.UUIDCallback = c.showQR
		s.bot.ScanCallBack = func(openwechat.CheckLoginResponse) {
			c.log.Info("wechat QR code scanned, waiting for the phone to confirm")
		}
		err := s.bot.HotLogin(fresh{c.cfg.Login}, scanOnFailure{})
		if err == nil {
			if err := c.loadContacts(ctx, s); err != nil {
				err = endedAfterScan(s, err)
				s.end()
				return nil, err
			}
			c.log.Info("wechat logged in by QR code")
			s.scanned, s.started = true, time.Now()
			return s, nil
		}
		s.end()
		if !errors.Is(err, openwechat.ErrLoginTimeout) || ctx.Err() != nil {
			return nil, fmt.Errorf("wechat: QR login: %w", bot.RedactQuery(err))
		}
		c.log.Info("wechat QR code expired, showing a new one")
	}
}

// fresh offers openwechat no kept session, so that it logs in by QR code, and writes the new
// login through to the store: the kept one is replaced only once a scan succeeded, never
// lost to a QR code nobody scans.
type fresh struct{ LoginStore }

// Read implements io.Reader: there is nothing to reload.
func (fresh) Read([]byte) (int, error) { return 0, errNoKeptLogin }

// scanOnFailure makes openwechat's hot login fall back to a QR login; with a hot-login
// storage in place, openwechat then keeps the new login in it and updates it as it goes.
//
// It scans once and returns what that gave. Calling b.Login here instead would feed every
// error of the scan login back into OnError — a loop without a pause that never ends, even
// once the bot's context is done.
type scanOnFailure struct{ openwechat.BaseBotLoginOption }

// OnError implements openwechat.BotLoginOption.
func (scanOnFailure) OnError(b *openwechat.Bot, err error) error {
	if !errors.Is(err, errNoKeptLogin) {
		return err
	}
	if err := b.Context().Err(); err != nil {
		return err
	}
	return (&openwechat.ScanLogin{}).Login(b)
}

// showQR draws the login QR code in the terminal, saves it as a PNG in the data folder and
// logs the address of WeChat's own image of it, so whoever holds the phone can scan it.
func (c *Channel) showQR(uuid string) {
	link := "https://login.weixin.qq.com/l/" + uuid
	path := filepath.Join(c.cfg.DataDir, QRFile)
	if err := os.MkdirAll(c.cfg.DataDir, 0o755); err != nil {
		c.log.Error("wechat QR code not saved", "err", err)
	} else if err := qrcode.WriteFile(link, qrcode.Medium, 320, path); err != nil {
		c.log.Error("wechat QR code not saved", "err", err)
	}
	if c.cfg.QROut != nil {
		fmt.Fprintln(c.cfg.QROut, "请用物业的微信号扫码登录 / scan with the property's WeChat account:")
		qrterminal.GenerateWithConfig(link, qrterminal.Config{Level: qrterminal.L, Writer: c.cfg.QROut,
			HalfBlocks: true, BlackChar: qrterminal.BLACK_BLACK, WhiteBlackChar: qrterminal.WHITE_BLACK,
			WhiteChar: qrterminal.WHITE_WHITE, BlackWhiteChar: qrterminal.BLACK_WHITE, QuietZone: 2})
		fmt.Fprintln(c.cfg.QROut, openwechat.GetQrcodeUrl(uuid))
	}
	c.log.Warn("wechat needs a QR scan", "qr_url", openwechat.GetQrcodeUrl(uuid), "qr_file", path)
}

// errEndedAfterScan is a login WeChat ended (1101, 1102) while it was being set up, right
// after its scan: the brake's case too.
type errEndedAfterScan struct {
	code int
	err  error
}

func (e *errEndedAfterScan) Error() string { return e.err.Error() }
func (e *errEndedAfterScan) Unwrap() error { return e.err }

// endedAfterScan tells a login WeChat ended during its setup from other failures: the
// heartbeat, which starts first, or the setup's own requests heard 1101 or 1102.
func endedAfterScan(s *session, err error) error {
	var ret openwechat.Ret
	if errors.As(err, &ret) && s.endCode() == 0 {
		// The setup heard WeChat refuse the login; the heartbeat says why (1101 or 1102),
		// as soon as its answer is in.
		t := time.NewTimer(2 * time.Second)
		defer t.Stop()
		select {
		case <-s.bot.Context().Done():
		case <-t.C:
		}
	}
	code := s.endCode()
	if code == 0 && errors.As(err, &ret) {
		code = int(ret)
	}
	if code == 1101 || code == 1102 {
		return &errEndedAfterScan{code: code, err: err}
	}
	return err
}
