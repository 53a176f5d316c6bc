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
