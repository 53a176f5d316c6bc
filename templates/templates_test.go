package templates

import (
	"slices"
	"testing"
)

func TestEveryKeyInEveryLanguage(t *testing.T) {
	s, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	base := s.Keys(Languages[0])
	if len(base) < 20 {
		t.Fatalf("only %d templates in %s", len(base), Languages[0])
	}
	for _, lang := range Languages[1:] {
		keys := s.Keys(lang)
		for _, k := range base {
			if !slices.Contains(keys, k) {
				t.Errorf("%s lacks %q", lang, k)
			}
		}
		for _, k := range keys {
			if !slices.Contains(base, k) {
				t.Errorf("%s has %q, which %s lacks", lang, k, Languages[0])
			}
		}
	}
}

func TestRenderFallsBackAndFailsOnMissingData(t *testing.T) {
	s, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	zh, err := s.Render("zh", "common.cancelled", nil)
	if err != nil || zh == "" {
		t.Fatalf("zh cancelled: %q, %v", zh, err)
	}
	fr, err := s.Render("fr", "common.cancelled", nil)
	if err != nil || fr != zh {
		t.Fatalf("unsupported language should fall back to zh: %q, %v", fr, err)
	}
	if _, err := s.Render("zh", "repair.submitted", map[string]any{}); err == nil {
		t.Fatal("a template missing its data must fail, not print <no value>")
	}
	if _, err := s.Render("zh", "no.such.key", nil); err == nil {
		t.Fatal("unknown key must fail")
	}
}
