package guanjia_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportsPointInwards keeps the layout honest: storage knows the domain and its drivers,
// never the flows or the chat core; the domain knows nothing of the rest.
func TestImportsPointInwards(t *testing.T) {
	const mod = "github.com/guanjia/guanjia"
	rules := []struct {
		pkgs      string
		forbidden []string
	}{
		{"./storage/...", []string{mod + "/flows", mod + "/bot", mod + "/cmd", mod + "/templates"}},
		{".", []string{mod + "/"}},
		{"./bot/...", []string{mod + "/flows", mod + "/storage", mod + "/cmd"}},
		{"./flows/...", []string{mod + "/storage", mod + "/cmd"}},
		{"./templates/...", []string{mod + "/"}},
	}
	list := func(args ...string) []string {
		out, err := exec.Command("go", append([]string{"list"}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("go list %v: %v\n%s", args, err, out)
		}
		return strings.Fields(string(out))
	}
	for _, r := range rules {
		own := map[string]bool{}
		for _, p := range list(r.pkgs) {
			own[p] = true
		}
		for _, dep := range list("-deps", r.pkgs) {
			for _, bad := range r.forbidden {
				if strings.HasPrefix(dep, bad) && !own[dep] {
					t.Errorf("%s depends on %s", r.pkgs, dep)
				}
			}
		}
	}
}
