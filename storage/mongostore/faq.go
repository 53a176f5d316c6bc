package mongostore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"gopkg.in/yaml.v3"

	"github.com/guanjia/guanjia"
)

// faqDoc is how a FAQ entry is stored: entry ids are the admin's own ("office_hours") and
// repeat across communities, so the key is the community and the id together.
type faqDoc struct {
	Key       string   `bson:"_id"`
	ID        string   `bson:"id"`
	Community string   `bson:"community"`
	Question  string   `bson:"question"`
	Keywords  []string `bson:"keywords"`
	Answer    string   `bson:"answer"`
}

// PutFAQ saves a FAQ entry, replacing the community's entry with the same ID. It needs an ID,
// a question, an answer and at least one keyword.
func (s *Store) PutFAQ(ctx context.Context, f guanjia.FAQ) error {
	f = tidyFAQ(f)
	if msg := checkFAQ(f); msg != "" {
		return fmt.Errorf("mongostore: faq %q: %s: %w", f.ID, msg, guanjia.ErrInvalid)
	}
	if f.Community == "" {
		return fmt.Errorf("mongostore: faq %q: no community: %w", f.ID, guanjia.ErrInvalid)
	}
	d := faqDoc{Key: f.Community + ":" + f.ID, ID: f.ID, Community: f.Community,
		Question: f.Question, Keywords: f.Keywords, Answer: f.Answer}
	return put(ctx, s.faqs(), d.Key, d, "faq")
}

// FAQs lists a community's FAQ entries, ordered by id; none is an empty list.
func (s *Store) FAQs(ctx context.Context, community string) ([]guanjia.FAQ, error) {
	docs, err := findAll[faqDoc](ctx, s.faqs(), bson.D{{Key: "community", Value: community}},
		"faqs of "+community, options.Find().SetSort(bson.D{{Key: "id", Value: 1}}))
	if err != nil {
		return nil, err
	}
	list := make([]guanjia.FAQ, len(docs))
	for i, d := range docs {
		list[i] = guanjia.FAQ{ID: d.ID, Community: d.Community, Question: d.Question, Keywords: d.Keywords, Answer: d.Answer}
	}
	return list, nil
}

// ImportFAQ reads a YAML list of {id, question, keywords, answer} into a community's FAQ,
// replacing the entries with the same ids and keeping the others. A file with any bad entry
// is an *ImportError listing each by line, and nothing of it is imported.
func (s *Store) ImportFAQ(ctx context.Context, community string, r io.Reader) (int, error) {
	if _, err := s.Community(ctx, community); err != nil {
		return 0, err
	}
	list, err := ParseFAQ(r, community)
	if err != nil {
		return 0, err
	}
	for _, f := range list {
		if err := s.PutFAQ(ctx, f); err != nil {
			return 0, err
		}
	}
	return len(list), nil
}

// faqFields are the fields an entry of a FAQ file may have.
var faqFields = []string{"id", "question", "keywords", "answer"}

// ParseFAQ reads a YAML list of FAQ entries for a community, checking every entry. A bad file
// is an *ImportError listing each problem by line.
func ParseFAQ(r io.Reader, community string) ([]guanjia.FAQ, error) {
	var doc yaml.Node
	if err := yaml.NewDecoder(r).Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return nil, &ImportError{Kind: "faq", Rows: []RowError{{Line: yamlLine(err), Reason: err.Error()}}}
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.SequenceNode || len(doc.Content[0].Content) == 0 {
		return nil, &ImportError{Kind: "faq", Rows: []RowError{{Line: 1, Reason: "want a list of entries with id, question, keywords and answer"}}}
	}
	var bad problems
	seen := map[string]int{}
	list := []guanjia.FAQ{}
	for _, item := range doc.Content[0].Content {
		if item.Kind != yaml.MappingNode {
			bad.add(item.Line, "want an entry with id, question, keywords and answer")
			continue
		}
		unknown := false
		for i := 0; i+1 < len(item.Content); i += 2 {
			if k := item.Content[i]; !slices.Contains(faqFields, k.Value) {
				bad.add(k.Line, "unknown field %q (want %s)", k.Value, strings.Join(faqFields, ", "))
				unknown = true
			}
		}
		var f guanjia.FAQ
		if err := item.Decode(&f); err != nil {
			bad.add(item.Line, "%s", strings.ReplaceAll(strings.TrimPrefix(err.Error(), "yaml: unmarshal errors:\n  "), "\n  ", "; "))
			continue
		}
		f.Community = community
		f = tidyFAQ(f)
		if msg := checkFAQ(f); msg != "" {
			bad.add(item.Line, "%s", msg)
			continue
		}
		if first, dup := seen[f.ID]; dup {
			bad.add(item.Line, "id %q is also on line %d", f.ID, first)
			continue
		}
		seen[f.ID] = item.Line
		if !unknown {
			list = append(list, f)
		}
	}
	if err := bad.err("faq"); err != nil {
		return nil, err
	}
	return list, nil
}

// tidyFAQ trims what people type around the words and drops empty keywords.
func tidyFAQ(f guanjia.FAQ) guanjia.FAQ {
	f.ID, f.Question, f.Answer = strings.TrimSpace(f.ID), strings.TrimSpace(f.Question), strings.TrimSpace(f.Answer)
	kw := []string{}
	for _, k := range f.Keywords {
		if k = strings.TrimSpace(k); k != "" && !slices.Contains(kw, k) {
			kw = append(kw, k)
		}
	}
	f.Keywords = kw
	return f
}

// checkFAQ says what a tidied entry lacks, or "".
func checkFAQ(f guanjia.FAQ) string {
	switch {
	case f.ID == "" || strings.ContainsAny(f.ID, " \t:"):
		return fmt.Sprintf("id %q: want a short name without spaces or colons, e.g. office_hours", f.ID)
	case f.Question == "":
		return "no question"
	case f.Answer == "":
		return "no answer"
	case len(f.Keywords) == 0:
		return "no keywords: residents' questions are matched by them"
	}
	return ""
}

// yamlLine finds the line number in a YAML syntax error ("yaml: line 7: ..."), or 1.
func yamlLine(err error) int {
	var n int
	if _, scanErr := fmt.Sscanf(strings.TrimPrefix(err.Error(), "yaml: "), "line %d", &n); scanErr != nil || n < 1 {
		return 1
	}
	return n
}
