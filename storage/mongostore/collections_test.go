package mongostore

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestEveryCollectionMadeAtOpen checks that each collection the store writes to is made when
// a store opens: one left out would be made later by whichever process writes first, and a
// guanjia running beside an admin command (guanjia routes import, a survey drafted) would
// not see what that command wrote until it restarted.
func TestEveryCollectionMadeAtOpen(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	named := regexp.MustCompile(`Collection\("([a-z_]+)"\)|\bcoll[A-Z]\w*\s*=\s*"([a-z_]+)"`)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range named.FindAllStringSubmatch(string(src), -1) {
			name := m[1] + m[2]
			if !slices.Contains(collections, name) {
				t.Errorf("%s: collection %q is not made when the store opens (add it to collections)", f, name)
			}
		}
	}
}
