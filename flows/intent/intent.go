// Package intent tells what a chat message asks for, learned from labelled examples rather
// than word lists. It needs no network and no model files. Each text becomes a vector of
// TF-IDF weighted character n-grams — Chinese needs no word segmentation this way, and a
// typo such as 保修 for 报修 still shares most of its n-grams. A softmax regression learned
// from the examples gives each intent a probability; how close the message is to that
// intent's nearest examples (found through an inverted index) tempers it, so that a message
// like none of the examples scores low everywhere.
package intent

import (
	"math"
	"slices"
	"sort"
	"strings"
)

// Example is one labelled sentence.
type Example struct {
	Intent string
	Text   string
	// Source names where the example came from ("repair.tsv:12"), for messages about it.
	Source string
}

// Score is how much a message looks like the examples of one intent, from 0 to 1.
type Score struct {
	Intent string
	Score  float64
}

// Model is a trained classifier. It is safe for concurrent use.
type Model struct {
	vocab    map[string]int32
	idf      []float32
	postings [][]posting
	labels   []string // labels[intent id]
	doc      []int32  // doc[example] = intent id
	examples []Example
	// weights[feature*len(labels)+intent] and bias[intent]: a softmax regression over the
	// same vectors, which learns which n-grams tell intents apart.
	weights []float32
	bias    []float32
}

type posting struct {
	doc    int32
	weight float32
}

// maxRunes bounds the part of a message that is looked at: what a message asks for is said
// early, and a 5,000-character paste must not cost more than a short one.
const maxRunes = 300

// Train builds a model from examples. Examples without text or intent are skipped.
func Train(examples []Example) *Model {
	m := &Model{vocab: map[string]int32{}}
	ids := map[string]int32{}
	var docs [][]string
	for _, ex := range examples {
		feats := features(ex.Text)
		if ex.Intent == "" || len(feats) == 0 {
			continue
		}
		id, ok := ids[ex.Intent]
		if !ok {
			id = int32(len(m.labels))
			ids[ex.Intent] = id
			m.labels = append(m.labels, ex.Intent)
		}
		m.doc = append(m.doc, id)
		m.examples = append(m.examples, ex)
		docs = append(docs, feats)
	}
	df := map[string]int{}
	for _, feats := range docs {
		seen := map[string]bool{}
		for _, f := range feats {
			if !seen[f] {
				seen[f] = true
				df[f]++
			}
		}
	}
	keys := make([]string, 0, len(df))
	for f := range df {
		keys = append(keys, f)
	}
	slices.Sort(keys) // ids independent of map order: the same data gives the same model
	n := float64(len(docs))
	m.idf = make([]float32, len(keys))
	m.postings = make([][]posting, len(keys))
	for i, f := range keys {
		m.vocab[f] = int32(i)
		m.idf[i] = float32(math.Log((n+1)/(float64(df[f])+1)) + 1)
	}
	vecs := make([][]entry, len(docs))
	for d, feats := range docs {
		vecs[d] = m.vector(feats)
		for _, e := range vecs[d] {
			m.postings[e.id] = append(m.postings[e.id], posting{doc: int32(d), weight: e.w})
		}
	}
	m.fit(vecs)
	return m
}

// Labels lists the intents the model knows, sorted.
func (m *Model) Labels() []string {
	l := slices.Clone(m.labels)
	slices.Sort(l)
	return l
}

// Size is the number of examples the model learned from.
func (m *Model) Size() int { return len(m.examples) }

type entry struct {
	id int32
	w  float32
}

// vector weighs known features by sublinear term frequency and idf, normalised to length 1.
func (m *Model) vector(feats []string) []entry {
	tf := map[int32]int{}
	for _, f := range feats {
		if id, ok := m.vocab[f]; ok {
			tf[id]++
		}
	}
	v := make([]entry, 0, len(tf))
	var norm float64
	for id, c := range tf {
		w := (1 + math.Log(float64(c))) * float64(m.idf[id])
		v = append(v, entry{id, float32(w)})
		norm += w * w
	}
	if norm == 0 {
		return nil
	}
	// In id order: training draws its dropout per entry, and the same data must give the
	// same model.
	slices.SortFunc(v, func(a, b entry) int { return int(a.id - b.id) })
	inv := float32(1 / math.Sqrt(norm))
	for i := range v {
		v[i].w *= inv
	}
	return v
}

// similarities returns the cosine similarity of text to every example.
func (m *Model) similarities(text string) []float32 {
	sims := make([]float32, len(m.examples))
	for _, e := range m.vector(features(text)) {
		for _, p := range m.postings[e.id] {
			sims[p.doc] += e.w * p.weight
		}
	}
	return sims
}

// Classify scores every intent allowed by keep (nil keeps all) for text, best first.
// The score blends the linear model's probability (most of it) with how close the nearest
// examples of the intent are, so that a message like no example at all scores low everywhere
// instead of being spread over the intents by the softmax.
func (m *Model) Classify(text string, keep func(intent string) bool) []Score {
	v := m.vector(features(text))
	if len(v) == 0 || len(m.labels) == 0 {
		return nil
	}
	sims := make([]float32, len(m.examples))
	for _, e := range v {
		for _, p := range m.postings[e.id] {
			sims[p.doc] += e.w * p.weight
		}
	}
	top := make([][3]float32, len(m.labels))
	for d, s := range sims {
		t := &top[m.doc[d]]
		switch {
		case s > t[0]:
			t[0], t[1], t[2] = s, t[0], t[1]
		case s > t[1]:
			t[1], t[2] = s, t[1]
		case s > t[2]:
			t[2] = s
		}
	}
	p := make([]float64, len(m.labels))
	m.probabilities(v, p)
	scores := make([]Score, 0, len(m.labels))
	var sum float64
	for id := range m.labels {
		if keep != nil && !keep(m.labels[id]) {
			continue
		}
		sum += p[id]
	}
	for id, t := range top {
		if keep != nil && !keep(m.labels[id]) {
			continue
		}
		near := 0.6*float64(t[0]) + 0.25*float64(t[1]) + 0.15*float64(t[2])
		prob := p[id] / sum // renormalised over the intents kept
		s := prob * (probFloor + (1-probFloor)*math.Min(1, near/nearEnough))
		scores = append(scores, Score{Intent: m.labels[id], Score: math.Round(s*1000) / 1000})
	}
	sort.SliceStable(scores, func(i, j int) bool {
		if scores[i].Score != scores[j].Score {
			return scores[i].Score > scores[j].Score
		}
		return scores[i].Intent < scores[j].Intent
	})
	return scores
}

// nearEnough is the similarity to the nearest examples above which a message counts as
// fully like them; probFloor is the share of the probability an intent keeps however far its
// examples are.
const (
	nearEnough = 0.35
	probFloor  = 0.1
)

// Nearest returns the examples most like text, best first, at most n.
func (m *Model) Nearest(text string, n int) []Neighbour {
	sims := m.similarities(text)
	var out []Neighbour
	for d, s := range sims {
		if s > 0 {
			out = append(out, Neighbour{Example: m.examples[d], Similarity: float64(s)})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Similarity > out[j].Similarity })
	if len(out) > n {
		out = out[:n]
	}
	return out
}

// Neighbour is an example and how similar a message is to it.
type Neighbour struct {
	Example    Example
	Similarity float64
}

// Match finds which of a few labelled texts (an office's FAQ questions and keywords) text is
// most like, weighing n-grams as the model does; ok is false when nothing is shared.
func (m *Model) Match(text string, candidates []Example) (label string, similarity float64, ok bool) {
	q := m.vector(features(text))
	if len(q) == 0 {
		return "", 0, false
	}
	qw := make(map[int32]float32, len(q))
	for _, e := range q {
		qw[e.id] = e.w
	}
	best := -1.0
	for _, c := range candidates {
		var s float64
		for _, e := range m.vector(features(c.Text)) {
			s += float64(e.w * qw[e.id])
		}
		if s > best {
			best, label = s, c.Intent
		}
	}
	return label, best, best > 0
}

// normalize folds what should not matter: case, full-width forms, digits (a building or
// floor number says nothing about the intent), and ticket numbers and homes into one token.
func normalize(text string) string {
	r := []rune(text)
	if len(r) > maxRunes {
		r = r[:maxRunes]
	}
	s := string(r)
	s = ticketNo.ReplaceAllString(s, " 工单号 ")
	s = home.ReplaceAllString(s, " 房号 ")
	var b strings.Builder
	for _, c := range strings.ToLower(s) {
		switch {
		case c >= '！' && c <= '～':
			c = c - '！' + '!'
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
		case c == '\u3000':
			c = ' '
		}
		if c >= '0' && c <= '9' {
			c = '0'
		}
		b.WriteRune(c)
	}
	return b.String()
}

func isHan(c rune) bool {
	return c >= 0x4E00 && c <= 0x9FFF || c >= 0x3400 && c <= 0x4DBF || c == '〇'
}

func isWordRune(c rune) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

// features are the n-grams of a text: Chinese characters alone, in pairs and in threes; Latin
// words whole and as letter triples (so "reapir" still meets "repair"); digits as one token.
func features(text string) []string {
	s := normalize(text)
	var feats []string
	var han, word []rune
	flushHan := func() {
		for i := range han {
			feats = append(feats, string(han[i]))
			if i+1 < len(han) {
				feats = append(feats, string(han[i:i+2]))
			}
			if i+2 < len(han) {
				feats = append(feats, string(han[i:i+3]))
			}
		}
		han = han[:0]
	}
	flushWord := func() {
		if len(word) == 0 {
			return
		}
		w := string(word)
		feats = append(feats, "w:"+w)
		if len(word) > 3 {
			padded := []rune("<" + w + ">")
			for i := 0; i+3 <= len(padded); i++ {
				feats = append(feats, "t:"+string(padded[i:i+3]))
			}
		}
		word = word[:0]
	}
	for _, c := range s {
		switch {
		case isHan(c):
			flushWord()
			han = append(han, c)
		case isWordRune(c):
			flushHan()
			word = append(word, c)
		default:
			flushHan()
			flushWord()
		}
	}
	flushHan()
	flushWord()
	if len(feats) > 0 {
		// Where a message starts and ends says much: "谢谢…", "…吗", "…了".
		r := []rune(strings.TrimSpace(s))
		if first := r[0]; !isWordRune(first) {
			feats = append(feats, "^"+string(first))
		}
		if last := r[len(r)-1]; !isWordRune(last) {
			feats = append(feats, string(last)+"$")
		}
	}
	return feats
}
