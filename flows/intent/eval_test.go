package intent

import (
	"os"
	"testing"
)

func TestHeldOutAccuracy(t *testing.T) {
	ex, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	r := CrossValidate(ex, 5)
	if testing.Verbose() {
		r.Print(os.Stdout, true)
	}
	if r.Accuracy() < 0.95 {
		t.Errorf("held-out accuracy %.1f%%, want at least 95%%", 100*r.Accuracy())
	}
}

// Sentences written apart from the examples (testdata/unseen.tsv) reach the right intent
// nine times in ten or more; new examples must never be copied from that file.
func TestUnseenRequests(t *testing.T) {
	f, err := os.Open("testdata/unseen.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	unseen, err := Parse(f, "unseen.tsv")
	if err != nil {
		t.Fatal(err)
	}
	m := model(t)
	right := 0
	for _, ex := range unseen {
		scores := m.Classify(ex.Text, Audience(ex.Intent))
		if len(scores) > 0 && scores[0].Intent == ex.Intent {
			right++
			continue
		}
		t.Logf("%s: %q taken for %v", ex.Intent, ex.Text, head(scores))
	}
	if acc := float64(right) / float64(len(unseen)); acc < 0.9 {
		t.Errorf("%d of %d unseen requests right (%.0f%%), want at least 90%%", right, len(unseen), 100*acc)
	}
}
