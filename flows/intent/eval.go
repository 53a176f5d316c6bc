package intent

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
)

// Report is the outcome of a cross-validation: each example classified by a model that did
// not learn from it.
type Report struct {
	Folds int
	// Total and Correct count held-out examples and those whose best intent was right.
	Total, Correct int
	// PerIntent counts, per true intent, [total, correct, sure-and-right, sure-and-wrong].
	PerIntent map[string]*IntentCount
	// Confusion counts true intent → predicted intent, for wrong predictions.
	Confusion map[[2]string]int
	// Mistakes are the wrongly classified examples.
	Mistakes []Mistake
}

// IntentCount is one intent's line of a report.
type IntentCount struct {
	Total, Correct int
	// SureWrong counts examples the decision would have acted on with the wrong intent.
	SureWrong int
	// Asked counts examples the decision would have asked about (Unsure or Unknown).
	Asked int
}

// Mistake is a held-out example classified wrongly.
type Mistake struct {
	Example Example
	Got     Score
}

// Accuracy is the share of held-out examples classified right.
func (r Report) Accuracy() float64 {
	if r.Total == 0 {
		return 0
	}
	return float64(r.Correct) / float64(r.Total)
}

// CrossValidate splits the examples into k folds, each intent spread evenly over them, and
// classifies each fold with a model trained on the others. A resident's example is
// classified as a resident's message is, among the intents residents have.
func CrossValidate(examples []Example, k int) Report {
	if k < 2 {
		k = 2
	}
	r := Report{Folds: k, PerIntent: map[string]*IntentCount{}, Confusion: map[[2]string]int{}}
	fold := make([]int, len(examples))
	seen := map[string]int{}
	for i, ex := range examples {
		fold[i] = seen[ex.Intent] % k
		seen[ex.Intent]++
	}
	for f := 0; f < k; f++ {
		var train, test []Example
		for i, ex := range examples {
			if fold[i] == f {
				test = append(test, ex)
			} else {
				train = append(train, ex)
			}
		}
		m := Train(train)
		for _, ex := range test {
			c := r.PerIntent[ex.Intent]
			if c == nil {
				c = &IntentCount{}
				r.PerIntent[ex.Intent] = c
			}
			c.Total++
			r.Total++
			d, scores := m.Decide(ex.Text, Audience(ex.Intent))
			if d.Confidence != Sure {
				c.Asked++
			}
			if len(scores) > 0 && scores[0].Intent == ex.Intent {
				c.Correct++
				r.Correct++
				continue
			}
			got := Score{}
			if len(scores) > 0 {
				got = scores[0]
			}
			if d.Confidence == Sure {
				c.SureWrong++
			}
			r.Confusion[[2]string{ex.Intent, got.Intent}]++
			r.Mistakes = append(r.Mistakes, Mistake{Example: ex, Got: got})
		}
	}
	return r
}

// Print writes the report as people read it: accuracy per intent, then the confusions.
func (r Report) Print(w io.Writer, mistakes bool) {
	fmt.Fprintf(w, "%d examples, %d-fold cross-validation: %d right (%.1f%%)\n\n", r.Total, r.Folds, r.Correct, 100*r.Accuracy())
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "intent\texamples\tright\taccuracy\twould ask\tsure but wrong")
	labels := make([]string, 0, len(r.PerIntent))
	for l := range r.PerIntent {
		labels = append(labels, l)
	}
	slices.Sort(labels)
	for _, l := range labels {
		c := r.PerIntent[l]
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.1f%%\t%d\t%d\n", l, c.Total, c.Correct, 100*float64(c.Correct)/float64(c.Total), c.Asked, c.SureWrong)
	}
	_ = tw.Flush()
	if len(r.Confusion) == 0 {
		fmt.Fprintln(w, "\nno confusion between intents")
		return
	}
	type pair struct {
		from, to string
		n        int
	}
	var pairs []pair
	for k, n := range r.Confusion {
		pairs = append(pairs, pair{k[0], k[1], n})
	}
	slices.SortFunc(pairs, func(a, b pair) int {
		if a.n != b.n {
			return b.n - a.n
		}
		return strings.Compare(a.from+a.to, b.from+b.to)
	})
	fmt.Fprintln(w, "\nconfusion (true intent → taken for):")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, p := range pairs {
		fmt.Fprintf(tw, "  %s\t→ %s\t%d\n", p.from, p.to, p.n)
	}
	_ = tw.Flush()
	if mistakes {
		fmt.Fprintln(w, "\nmistakes:")
		for _, m := range r.Mistakes {
			fmt.Fprintf(w, "  %s [%s] %s → %s %.3f\n", m.Example.Source, m.Example.Intent, m.Example.Text, m.Got.Intent, m.Got.Score)
		}
	}
}

// Audience is the filter a message of intent is classified with: staff intents only for staff.
func Audience(intent string) func(string) bool {
	if IsStaff(intent) {
		return nil
	}
	return func(i string) bool { return !IsStaff(i) }
}

// IsStaff reports whether an intent is a staff command family.
func IsStaff(intent string) bool { return strings.HasPrefix(intent, "staff.") }
