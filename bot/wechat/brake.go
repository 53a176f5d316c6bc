package wechat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// BrakeFile is the file in the data folder that holds the brake while it is on.
const BrakeFile = "wechat-brake.json"

// Brake is why the channel stopped logging in: WeChat ended a login soon after its QR scan
// (1101, 1102), as it does to accounts it warns or restricts. Scanning again and again is what
// turns a warning into a ban, so nothing is tried until an admin runs `guanjia wechat login`.
type Brake struct {
	At     time.Time `json:"at"`
	Code   int       `json:"code"`
	Reason string    `json:"reason"`
}

// Message is the brake as staff and operators read it.
func (b Brake) Message() string {
	return fmt.Sprintf("braked since %s: WeChat ended the login soon after its QR scan (%s), the account may be restricted; run `guanjia wechat login` once it is safe",
		b.At.UTC().Format(time.RFC3339), b.Reason)
}

// Braked reads the brake kept in the data folder; ok is false when there is none.
func Braked(dataDir string) (b Brake, ok bool, err error) {
	body, err := os.ReadFile(filepath.Join(dataDir, BrakeFile))
	if errors.Is(err, fs.ErrNotExist) {
		return Brake{}, false, nil
	}
	if err != nil {
		return Brake{}, false, fmt.Errorf("wechat: brake: %w", err)
	}
	if err := json.Unmarshal(body, &b); err != nil {
		// A damaged file still means someone braked: stay on the safe side.
		return Brake{Reason: "unreadable brake file"}, true, nil
	}
	return b, true, nil
}

// ReleaseBrake lets the channel log in again; releasing no brake is not an error.
func ReleaseBrake(dataDir string) error {
	err := os.Remove(filepath.Join(dataDir, BrakeFile))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("wechat: release brake: %w", err)
	}
	return nil
}

func putBrake(dataDir string, b Brake) error {
	body, err := json.Marshal(b)
	if err != nil {
		return fmt.Errorf("wechat: brake: %w", err)
	}
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return fmt.Errorf("wechat: brake: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dataDir, BrakeFile), body, 0o644); err != nil {
		return fmt.Errorf("wechat: brake: %w", err)
	}
	return nil
}

// shouldBrake reports whether a login's end puts the brake on: WeChat logged it out or
// kicked it within BrakeAfterScan of the scan that made it.
func (c *Channel) shouldBrake(s *session) (Brake, bool) {
	code := s.endCode()
	if !s.scanned || code != 1101 && code != 1102 || time.Since(s.started) > c.cfg.BrakeAfterScan {
		return Brake{}, false
	}
	return Brake{At: time.Now().UTC(), Code: code, Reason: retReason(retCode(code))}, true
}

// brake puts the brake on and tells OnBrake.
func (c *Channel) brake(ctx context.Context, b Brake) {
	if err := putBrake(c.cfg.DataDir, b); err != nil {
		// Held in memory all the same: this process asks for no QR code.
		c.log.Error("wechat brake not saved", "err", err)
		c.unsaved = &b
	}
	c.log.Error("wechat login ended right after a scan: the account may be restricted; not logging in again until `guanjia wechat login`",
		"code", b.Code)
	c.setHealth(errors.New("wechat: " + b.Message()))
	if c.cfg.OnBrake != nil {
		c.cfg.OnBrake(ctx, b)
	}
}

// waitBrake waits while a brake is on, checking every BrakePoll whether an admin released
// it; it reports false when ctx ended first. A brake this process could not save holds
// until the process restarts.
func (c *Channel) waitBrake(ctx context.Context) bool {
	for {
		b, on, err := Braked(c.cfg.DataDir)
		if err != nil {
			c.log.Error("wechat brake unreadable", "err", err)
			on, b = true, Brake{Reason: "brake file unreadable"}
		}
		if !on && c.unsaved != nil {
			on, b = true, *c.unsaved
		}
		if !on {
			return true
		}
		c.setHealth(errors.New("wechat: " + b.Message()))
		if !sleep(ctx, c.cfg.BrakePoll) {
			return false
		}
	}
}
