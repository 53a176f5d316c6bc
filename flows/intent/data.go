package intent

import (
	"bufio"
	"embed"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

//go:embed examples/*.tsv
var embedded embed.FS

var (
	ticketNo = regexp.MustCompile(`(?i)[RCQHE]\d{8}-\d{4,}`)
	home     = regexp.MustCompile(`\d+-\d+-\d+`)
)

// Builtin returns the examples that ship with guanjia.
func Builtin() ([]Example, error) {
	paths, err := fs.Glob(embedded, "examples/*.tsv")
	if err != nil {
		return nil, fmt.Errorf("intent: list examples: %w", err)
	}
	slices.Sort(paths)
	var all []Example
	for _, p := range paths {
		f, err := embedded.Open(p)
		if err != nil {
			return nil, fmt.Errorf("intent: open %s: %w", p, err)
		}
		ex, err := Parse(f, path.Base(p))
		_ = f.Close()
		if err != nil {
			return nil, err
		}
		all = append(all, ex...)
	}
	return all, nil
}

// LoadDir reads an office's own examples: every *.tsv file in dir, in name order.
func LoadDir(dir string) ([]Example, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.tsv"))
	if err != nil {
		return nil, fmt.Errorf("intent: list %s: %w", dir, err)
	}
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("intent: examples folder: %w", err)
	}
	slices.Sort(paths)
	var all []Example
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, fmt.Errorf("intent: %w", err)
		}
		ex, err := Parse(f, filepath.Base(p))
		_ = f.Close()
		if err != nil {
			return nil, err
		}
		all = append(all, ex...)
	}
	return all, nil
}

// Parse reads examples, one a line: the intent, a tab, the text. Blank lines and lines
// starting with # are skipped. name is used in error messages.
func Parse(r io.Reader, name string) ([]Example, error) {
	var out []Example
	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		label, text, ok := strings.Cut(line, "\t")
		label, text = strings.TrimSpace(label), strings.TrimSpace(text)
		if !ok || label == "" || text == "" {
			return nil, fmt.Errorf("intent: %s line %d: want <intent><TAB><text>, got %q", name, n, line)
		}
		if len(features(text)) == 0 {
			return nil, fmt.Errorf("intent: %s line %d: %q has no letters or characters to learn from", name, n, text)
		}
		out = append(out, Example{Intent: label, Text: text, Source: fmt.Sprintf("%s:%d", name, n)})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("intent: read %s: %w", name, err)
	}
	return out, nil
}

// Learnable reports whether text has anything to learn from (letters or characters).
func Learnable(text string) bool { return len(features(text)) > 0 }
