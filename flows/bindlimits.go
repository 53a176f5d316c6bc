package flows

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/guanjia/guanjia"
	"github.com/guanjia/guanjia/bot"
)

// Binding is guarded three ways, so that guessing from many accounts gains nothing over
// guessing from one: each account has its own daily tries (maxCodeTries, maxBindTries); wrong
// name-and-digits tries on one name lock that name for everyone; and wrong codes from the
// accounts of one community (or from accounts no community knows yet) lock codes there.
const (
	// maxNameFailures wrong tries on one name within nameWindow lock binding by that name
	// for nameLock, whoever tries.
	maxNameFailures = 10
	nameWindow      = 24 * time.Hour
	nameLock        = 24 * time.Hour
	// maxCommunityCodeFailures wrong codes within codeWindow from one community lock binding
	// by code there for codeLock. A code (one of 900 000) then faces at most 20 guesses every
	// 6 hours from each community's accounts and as many from unknown accounts: over its
	// 72 hours, about 240 of each, a chance of about one in two thousand (README, Commands).
	maxCommunityCodeFailures = 20
	codeWindow               = time.Hour
	codeLock                 = 6 * time.Hour
)

// codeScope is whose wrong codes a code try counts with: the community of the chat or the
// person, or "none" for an account no community knows yet.
func codeScope(t *turn) string {
	if t.chat.Community != "" {
		return t.chat.Community
	}
	if t.person.Community != "" {
		return t.person.Community
	}
	return "none"
}

// nameScope is the key a binding name is counted under.
func nameScope(name string) string { return strings.ToLower(strings.TrimSpace(name)) }

// locked reports whether a lock is on.
func (e *Engine) locked(ctx context.Context, lock string) (bool, error) {
	n, err := e.Attempts.Tries(ctx, lock)
	if err != nil {
		return false, fmt.Errorf("flows: binding lock: %w", err)
	}
	return n > 0, nil
}

// failed counts a failure and sets the lock when it is the one that reaches the limit; it
// reports whether it did, so that the lock is announced once.
func (e *Engine) failed(ctx context.Context, counter string, window time.Duration, limit int64, lock string, lockFor time.Duration) (bool, error) {
	n, err := e.Attempts.CountAttempt(ctx, counter, window)
	if err != nil {
		return false, fmt.Errorf("flows: binding failure: %w", err)
	}
	if n < limit {
		return false, nil
	}
	if _, err := e.Attempts.CountAttempt(ctx, lock, lockFor); err != nil {
		return false, fmt.Errorf("flows: binding lock: %w", err)
	}
	return n == limit, nil
}

// codeFailed counts a wrong code; when code binding is locked by it, the office hears of it.
func (e *Engine) codeFailed(ctx context.Context, t *turn) error {
	scope := codeScope(t)
	lockedNow, err := e.failed(ctx, "bindfail:code:"+scope, codeWindow, maxCommunityCodeFailures, "bindlock:code:"+scope, codeLock)
	if err != nil || !lockedNow {
		return err
	}
	e.Log.Warn("binding by code locked", "scope", scope)
	communities := []string{scope}
	if scope == "none" {
		// Accounts no community knows: every office should know its codes are being guessed.
		list, err := e.Directory.Communities(ctx)
		if err != nil {
			return fmt.Errorf("flows: communities: %w", err)
		}
		communities = communities[:0]
		for _, c := range list {
			communities = append(communities, c.ID)
		}
	}
	for _, c := range communities {
		if err := e.toStaff(ctx, t, c, func(lang string, errp *error) bot.Reply {
			return bot.Reply{Text: e.render(lang, "bind.office_code_lock", map[string]any{"Count": maxCommunityCodeFailures,
				"Minutes": int(codeWindow.Minutes()), "Hours": int(codeLock.Hours()), "Unknown": scope == "none"}, errp)}
		}); err != nil {
			return err
		}
	}
	return nil
}

// nameFailed counts a wrong name-and-digits try on a name; when it locks the name, the
// residents of that name hear of it privately, and their offices without the name.
func (e *Engine) nameFailed(ctx context.Context, t *turn, name string) error {
	scope := nameScope(name)
	lockedNow, err := e.failed(ctx, "bindfail:name:"+scope, nameWindow, maxNameFailures, "bindlock:name:"+scope, nameLock)
	if err != nil || !lockedNow {
		return err
	}
	people, err := e.Directory.PeopleByName(ctx, name)
	if err != nil {
		return fmt.Errorf("flows: binding failures: %w", err)
	}
	told := map[string]bool{}
	for _, p := range people {
		if !p.Has(guanjia.RoleResident) {
			continue
		}
		e.Log.Warn("binding by name locked", "person", p.ID)
		if _, err := e.toPerson(ctx, t, p, func(lang string) bot.Reply {
			return bot.Reply{Text: e.render(lang, "bind.warn_failures", map[string]any{"Hours": int(nameLock.Hours())}, &t.err)}
		}); err != nil {
			return err
		}
		if told[p.Community] {
			continue
		}
		told[p.Community] = true
		if err := e.toStaff(ctx, t, p.Community, func(lang string, errp *error) bot.Reply {
			return bot.Reply{Text: e.render(lang, "bind.office_failures", map[string]any{"Count": maxNameFailures,
				"Hours": int(nameLock.Hours())}, errp)}
		}); err != nil {
			return err
		}
	}
	return nil
}

// tellNewAccount tells a person, on their other accounts, that an account was just bound to
// them, and their office without their name: if it was not them, both should know at once.
func (e *Engine) tellNewAccount(ctx context.Context, t *turn, p guanjia.Person, others []guanjia.Chat, byPhone bool) error {
	when := e.Now().In(e.location()).Format("01-02 15:04")
	for _, c := range others {
		lang := e.Templates.Lang(p.Lang)
		t.send(bot.Reply{Channel: c.Channel, ChatID: c.PlatformID, Text: e.render(lang, "bind.warn_new_account",
			map[string]any{"Channel": e.channelLabel(lang, t.msg.Channel), "When": when}, &t.err)})
	}
	return e.toStaff(ctx, t, p.Community, func(lang string, errp *error) bot.Reply {
		return bot.Reply{Text: e.render(lang, "bind.office_new_account", map[string]any{"Channel": e.channelLabel(lang, t.msg.Channel),
			"ByPhone": byPhone, "Staff": p.IsStaff()}, errp)}
	})
}

// channelLabel names a channel for people; a channel without a label is named as it is.
func (e *Engine) channelLabel(lang, channel string) string {
	if s, err := e.Templates.Render(lang, "channel."+channel, nil); err == nil {
		return s
	}
	return channel
}
