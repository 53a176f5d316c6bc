package flows

import (
	"testing"

	"github.com/guanjia/guanjia/templates"
)

// Every flow is named to the person when it lapses ("您的「投诉」已超时结束"), in every language.
func TestEveryFlowHasAName(t *testing.T) {
	set, err := templates.Load()
	if err != nil {
		t.Fatal(err)
	}
	e := New(Deps{Templates: set})
	for name := range e.flows {
		for _, lang := range []string{"zh", "en"} {
			if _, err := set.Render(lang, "flow."+name, nil); err != nil {
				t.Errorf("flow %q has no name in %s: %v", name, lang, err)
			}
		}
	}
}
