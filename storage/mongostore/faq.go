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
		return nil, &ImportError{Kind: "faq", Rows: []RowError{{Line: yamlLine(err), Reason: yamlProblem(err)}}}
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.SequenceNode || len(doc.Content[0].Content) == 0 {
		return nil, &ImportError{Kind: "faq", Rows: []RowError{{Line: 1,
			Reason: "文件应为一条条问答，每条以「- id:」开头，写 id、question、keywords、answer 四项"}}}
	}
	var bad problems
	seen := map[string]int{}
	list := []guanjia.FAQ{}
	for _, item := range doc.Content[0].Content {
		if item.Kind != yaml.MappingNode {
			bad.add(item.Line, "这一条格式不对，应写 id、question、keywords、answer 四项")
			continue
		}
		unknown := false
		for i := 0; i+1 < len(item.Content); i += 2 {
			if k := item.Content[i]; !slices.Contains(faqFields, k.Value) {
				bad.add(k.Line, "字段「%s」无法识别，应为 %s 之一", k.Value, strings.Join(faqFields, "、"))
				unknown = true
			}
		}
		if msg := faqShape(item); msg != "" {
			bad.add(item.Line, "%s", msg)
			continue
		}
		var f guanjia.FAQ
		if err := item.Decode(&f); err != nil {
			bad.add(item.Line, "这一条读不懂（%s）", strings.ReplaceAll(strings.TrimPrefix(err.Error(), "yaml: unmarshal errors:\n  "), "\n  ", "; "))
			continue
		}
		f.Community = community
		f = tidyFAQ(f)
		if msg := checkFAQ(f); msg != "" {
			bad.add(item.Line, "%s", msg)
			continue
		}
		if first, dup := seen[f.ID]; dup {
			bad.add(item.Line, "与第 %d 行重复：编号 id「%s」出现了两次", first, f.ID)
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

// faqFieldNames are the fields of a FAQ entry in the office's words.
var faqFieldNames = map[string]string{"id": "编号", "question": "问题", "keywords": "关键词", "answer": "答案"}

// faqShape says which values of an entry are of the wrong shape (keywords not a list, an
// answer that is a list), or "", in the office's words rather than yaml's.
func faqShape(item *yaml.Node) string {
	var msgs []string
	for i := 0; i+1 < len(item.Content); i += 2 {
		k, v := item.Content[i], item.Content[i+1]
		switch k.Value {
		case "keywords":
			ok := v.Kind == yaml.SequenceNode || v.Kind == yaml.AliasNode || v.Kind == yaml.ScalarNode && v.Tag == "!!null"
			for _, w := range v.Content {
				ok = ok && w.Kind == yaml.ScalarNode
			}
			if !ok {
				msgs = append(msgs, "关键词 keywords 应写成列表，如 [停车, 车位]")
			}
		case "id", "question", "answer":
			if v.Kind != yaml.ScalarNode && v.Kind != yaml.AliasNode {
				msgs = append(msgs, fmt.Sprintf("%s %s 应直接写一段文字", faqFieldNames[k.Value], k.Value))
			}
		}
	}
	return strings.Join(msgs, "；")
}

// checkFAQ says what a tidied entry lacks, or "", in the office's words: an import shows it
// by the entry's line.
func checkFAQ(f guanjia.FAQ) string {
	switch {
	case f.ID == "":
		return "没有填编号 id：请起一个不含空格和冒号的简短名字，如 office_hours"
	case strings.ContainsAny(f.ID, " \t:"):
		return fmt.Sprintf("编号 id「%s」不对，应为不含空格和冒号的简短名字，如 office_hours", f.ID)
	case f.Question == "":
		return "没有填问题 question"
	case f.Answer == "":
		return "没有填答案 answer"
	case len(f.Keywords) == 0:
		return "没有填关键词 keywords：住户的提问靠关键词来匹配"
	}
	return ""
}

// yamlProblem says what is wrong with a file yaml cannot read, keeping yaml's own words
// after the line number for the exact cause.
func yamlProblem(err error) string {
	cause := strings.TrimPrefix(err.Error(), "yaml: ")
	if n := yamlLine(err); strings.HasPrefix(cause, fmt.Sprintf("line %d: ", n)) {
		cause = strings.TrimPrefix(cause, fmt.Sprintf("line %d: ", n))
	}
	return "不是有效的 YAML，请检查缩进、冒号和括号（" + cause + "）"
}

// yamlLine finds the line number in a YAML syntax error ("yaml: line 7: ..."), or 1.
func yamlLine(err error) int {
	var n int
	if _, scanErr := fmt.Sscanf(strings.TrimPrefix(err.Error(), "yaml: "), "line %d", &n); scanErr != nil || n < 1 {
		return 1
	}
	return n
}
