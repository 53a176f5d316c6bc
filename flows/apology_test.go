package flows

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/guanjia/guanjia"
	"github.com/guanjia/guanjia/bot"
	"github.com/guanjia/guanjia/templates"
)

// downDirectory is a records store that does not answer.
type downDirectory struct{ Directory }

var errDown = errors.New("connection refused")

func (downDirectory) Chat(context.Context, string, string) (guanjia.Chat, error) {
	return guanjia.Chat{}, errDown
}

func (downDirectory) PersonByIdentity(context.Context, string, string) (guanjia.Person, error) {
	return guanjia.Person{}, errDown
}

// TestApologyAddressedOnlyInGroups: with the records store down, the apology in a private
// chat is not addressed 「@李四」 as in a group; in a group it is. The turn is marked failed, so
// that the message is tried again.
func TestApologyAddressedOnlyInGroups(t *testing.T) {
	set, err := templates.Load()
	if err != nil {
		t.Fatal(err)
	}
	e := New(Deps{Templates: set, Directory: downDirectory{}})
	for _, tc := range []struct {
		group bool
		want  string
	}{{false, "抱歉"}, {true, "@李四 抱歉"}} {
		tx := &bot.Turn{}
		msg := bot.Message{Channel: "telegram", ID: "1", ChatID: "42", SenderID: "42", SenderName: "李四", Text: "物业费", Group: tc.group}
		out := e.Handle(bot.WithTurn(context.Background(), tx), msg)
		if len(out) != 1 || !strings.HasPrefix(out[0].Text, tc.want) {
			t.Errorf("group %v: replies %+v, want one starting %q", tc.group, out, tc.want)
		}
		if tx.Err() == nil {
			t.Errorf("group %v: the turn did not fail; the message would not be tried again", tc.group)
		}
		if a := e.Apology(msg); len(a) != 1 || !strings.HasPrefix(a[0].Text, tc.want) {
			t.Errorf("group %v: apology %+v, want one starting %q", tc.group, a, tc.want)
		}
	}
}
