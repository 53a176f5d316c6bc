package flows

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/guanjia/guanjia"
)

// Most conversations are forms: ask, read the answer, check it, keep it, ask the next; then a
// preview and a confirm. A form is a table of steps run by one engine that already knows
// re-asking with a reason, 取消 (handled by the router for every flow), expiry and resuming
// after a restart (the session holds the step and the answers), and asking the waiting
// question again after something else was answered in between.

// field is one question of a form.
type field struct {
	// name is the step's name in the session, and the key its answer is kept under.
	name string
	// prompt is the template of the question; its data is the form's data.
	prompt string
	// options, when set, are the choices offered; an answer must pick one of them.
	options func(t *turn, s *guanjia.Session) []option
	// parse turns a free-text answer into the value kept, or returns a reason template key
	// (re-asked with it) when the answer will not do; reasonSaid when it has said why itself.
	// nil keeps the text, 1 to 500 characters.
	parse func(ctx context.Context, t *turn, s *guanjia.Session, text string) (value, reason string, err error)
	// skip reports that the step needs no question (its answer is known already).
	skip func(s *guanjia.Session) bool
	// again, when set, asks the same field once more while it reports true after an answer:
	// one question per item of a list (a reason for each item left open at a handover).
	again func(s *guanjia.Session) bool
}

// form is a conversation made of fields, a summary and a confirm.
type form struct {
	e    *Engine
	name string
	// fields are asked in order.
	fields []field
	// data is what the prompts and the summary show, worked out from the answers so far.
	data func(t *turn, s *guanjia.Session) map[string]any
	// begin prepares a new session from the message that started the form (answers it already
	// gives); it may refuse to start by saying why and returning false.
	begin func(ctx context.Context, t *turn, s *guanjia.Session) (bool, error)
	// summary is the template of the preview asked to be confirmed.
	summary string
	// submit does what the form is for, once confirmed. It ends the conversation itself.
	submit func(ctx context.Context, t *turn, s *guanjia.Session) error
}

// formConfirm is the step of a form's preview.
const formConfirm = "confirm"

// reasonSaid is the reason of an answer that will not do when the field has already said why
// (with data a reason's template has not): the question is only asked again.
const reasonSaid = "-"

func (f *form) start(ctx context.Context, t *turn) error {
	s := guanjia.Session{Key: t.key, Flow: f.name, Data: map[string]string{}}
	if f.begin != nil {
		ok, err := f.begin(ctx, t, &s)
		if err != nil || !ok {
			return err
		}
	}
	return f.next(ctx, t, &s, 0)
}

// next asks the first field from i on that is not skipped, or the confirm after the last.
func (f *form) next(ctx context.Context, t *turn, s *guanjia.Session, i int) error {
	for ; i < len(f.fields); i++ {
		fd := f.fields[i]
		if fd.skip != nil && fd.skip(s) {
			continue
		}
		s.Step = fd.name
		f.ask(t, s, fd, "")
		return f.e.save(ctx, s)
	}
	s.Step = formConfirm
	f.ask(t, s, field{}, "")
	return f.e.save(ctx, s)
}

// ask shows a field's question (the confirm for the zero field), after a reason if given.
func (f *form) ask(t *turn, s *guanjia.Session, fd field, reason string) {
	key, opts := fd.prompt, []option(nil)
	if fd.name == "" {
		key, opts = f.summary, confirmOptions
	} else if fd.options != nil {
		opts = fd.options(t, s)
	}
	data := f.data(t, s)
	if reason != "" && reason != reasonSaid {
		t.reask(reason, key, data, opts)
		return
	}
	t.ask(key, data, opts)
}

// prompt asks the question the form waits on again (see prompter).
func (f *form) prompt(t *turn, s *guanjia.Session) bool {
	if s.Step == formConfirm {
		f.ask(t, s, field{}, "")
		return true
	}
	for _, fd := range f.fields {
		if fd.name == s.Step {
			f.ask(t, s, fd, "")
			return true
		}
	}
	t.say("danger.resume_last", nil)
	return true
}

func (f *form) answer(ctx context.Context, t *turn, s *guanjia.Session) error {
	if s.Step == formConfirm {
		return f.e.confirm(ctx, t, s, f.summary, func() any { return f.data(t, s) }, f.start, f.submit)
	}
	for i, fd := range f.fields {
		if fd.name != s.Step {
			continue
		}
		value, reason, err := f.take(ctx, t, s, fd)
		if err != nil {
			return fmt.Errorf("flows: %s: %s: %w", f.name, fd.name, err)
		}
		if reason != "" {
			f.ask(t, s, fd, reason)
			return f.e.save(ctx, s)
		}
		s.Data[fd.name] = value
		if fd.again != nil && fd.again(s) {
			f.ask(t, s, fd, "")
			return f.e.save(ctx, s)
		}
		return f.next(ctx, t, s, i+1)
	}
	return fmt.Errorf("flows: %s: unknown step %q", f.name, s.Step)
}

// take reads the answer to one field.
func (f *form) take(ctx context.Context, t *turn, s *guanjia.Session, fd field) (string, string, error) {
	if fd.options != nil {
		if v, ok := t.pick(fd.options(t, s)); ok {
			return v, "", nil
		}
		if fd.parse == nil {
			return "", "common.pick_one", nil
		}
	}
	if f.confirmWord(t) {
		// 「确认提交」 where the form waits for words: the confirm comes after the last
		// question, and the words are not what this one asks for.
		return "", "form.not_confirm_yet", nil
	}
	text := strings.TrimSpace(t.text())
	if fd.parse != nil {
		return fd.parse(ctx, t, s, text)
	}
	if n := utf8.RuneCountInString(text); n < 1 || n > 500 {
		return "", "form.bad_text", nil
	}
	return text, "", nil
}

// confirmWords are what people send to a form's confirm step besides its options' own words.
var confirmWords = []string{"确认", "确定", "提交", "确认提交", "确定提交", "确认发送", "重新填写", "重填", "重新填",
	"confirm", "submit", "start over", "redo"}

// confirmWord reports whether the answer is only a word of the confirm step (确认提交, 重新填写),
// sent before the form has come to it.
func (f *form) confirmWord(t *turn) bool {
	if t.msg.Photo != "" {
		return false
	}
	for _, text := range answerForms(t.msg.Text) {
		if slices.Contains(confirmWords, strings.ToLower(text)) {
			return true
		}
		for _, o := range confirmOptions[:2] {
			for _, lang := range []string{t.lang, "zh", "en"} {
				if l, err := f.e.Templates.Render(lang, o.label, nil); err == nil && strings.EqualFold(l, text) {
					return true
				}
			}
		}
	}
	return false
}
