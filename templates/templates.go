// Package templates holds every text a person reads, in Simplified Chinese and English,
// embedded in the binary and parsed once at start so that a broken template stops start-up
// rather than a conversation.
package templates

import (
	"embed"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"text/template"
)

//go:embed zh/*.tmpl en/*.tmpl
var files embed.FS

// Languages lists the supported languages; the first is the default.
var Languages = []string{"zh", "en"}

// Set is the parsed templates of every language.
type Set struct {
	langs map[string]*template.Template
}

// Load parses the embedded templates of every language.
func Load() (*Set, error) {
	s := &Set{langs: map[string]*template.Template{}}
	for _, lang := range Languages {
		t := template.New(lang).Option("missingkey=error")
		paths, err := fs.Glob(files, lang+"/*.tmpl")
		if err != nil {
			return nil, fmt.Errorf("templates: list %s: %w", lang, err)
		}
		if _, err := t.ParseFS(files, paths...); err != nil {
			return nil, fmt.Errorf("templates: parse %s: %w", lang, err)
		}
		s.langs[lang] = t
	}
	return s, nil
}

// Lang returns lang when it is supported, otherwise the default language.
func (s *Set) Lang(lang string) string {
	if _, ok := s.langs[lang]; ok {
		return lang
	}
	return Languages[0]
}

// Render executes the template key in lang (falling back to the default language) and
// trims the surrounding white space that the template files' layout leaves.
func (s *Set) Render(lang, key string, data any) (string, error) {
	t := s.langs[s.Lang(lang)].Lookup(key)
	if t == nil {
		return "", fmt.Errorf("templates: %s: no template %q", lang, key)
	}
	var b strings.Builder
	if err := t.Execute(&b, data); err != nil {
		return "", fmt.Errorf("templates: render %s %s: %w", lang, key, err)
	}
	return strings.TrimSpace(b.String()), nil
}

// Keys lists the template names defined for lang, sorted.
func (s *Set) Keys(lang string) []string {
	var keys []string
	t, ok := s.langs[lang]
	if !ok {
		return nil
	}
	for _, d := range t.Templates() {
		if name := d.Name(); strings.Contains(name, ".") && !strings.HasSuffix(name, ".tmpl") {
			keys = append(keys, name)
		}
	}
	slices.Sort(keys)
	return keys
}
