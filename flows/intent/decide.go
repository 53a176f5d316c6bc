package intent

import (
	"regexp"
	"slices"
	"strings"
)

// Confidence is how sure a decision is.
type Confidence int

// Confidences, from least sure.
const (
	// Unknown: nothing is close enough to say; offer the menu.
	Unknown Confidence = iota
	// Unsure: two or three intents are close; ask which.
	Unsure
	// Sure: one intent stands out; act on it.
	Sure
)

// Thresholds, found with `guanjia intents eval` on the built-in examples: a held-out message
// of the right intent scores above sureScore almost always, and a wrong runner-up rarely
// comes within sureMargin of it.
const (
	sureScore  = 0.40
	sureMargin = 0.15
	// askFloor is the least score worth offering as a choice.
	askFloor = 0.16
	// askAlone is the least score of a single candidate worth asking about.
	askAlone = 0.35
	// askRatio: a runner-up within this fraction of the best is offered too.
	askRatio = 0.75
	maxAsk   = 3
)

// Decision is what to do with a message.
type Decision struct {
	Confidence Confidence
	// Intents is the intent to act on (Sure) or those to offer (Unsure), best first.
	Intents []string
}

// Decide turns scores (best first) into a decision.
func Decide(scores []Score) Decision {
	if len(scores) == 0 || scores[0].Score < askFloor {
		return Decision{Confidence: Unknown}
	}
	best := scores[0]
	second := 0.0
	if len(scores) > 1 {
		second = scores[1].Score
	}
	if best.Score >= sureScore && best.Score-second >= sureMargin {
		return Decision{Confidence: Sure, Intents: []string{best.Intent}}
	}
	d := Decision{Confidence: Unsure, Intents: []string{best.Intent}}
	for _, s := range scores[1:] {
		if len(d.Intents) == maxAsk || s.Score < askFloor || s.Score < best.Score*askRatio {
			break
		}
		d.Intents = append(d.Intents, s.Intent)
	}
	if len(d.Intents) == 1 {
		switch {
		case best.Score >= sureScore:
			return Decision{Confidence: Sure, Intents: d.Intents}
		case best.Score < askAlone:
			// One faint candidate is no better than none.
			return Decision{Confidence: Unknown}
		}
		// One weak candidate: asking "did you mean X?" beats guessing.
	}
	return d
}

// requests are the intents that start something; two of them in one message are two things
// asked at once.
var requests = map[string]bool{"repair": true, "complaint": true, "fee": true, "progress": true,
	"inquiry": true, "event": true, "emergency": true}

// clauseBreak splits a message into its clauses.
var clauseBreak = regexp.MustCompile(`[，,。.；;！!？?\n]+|而且|并且|还有|另外|顺便`)

// Decide classifies text and decides what to do. A message whose clauses, each on its own,
// clearly ask for two different things ("厨房漏水了，物业还不管，我要投诉") is asked about
// rather than decided by whichever the whole leans to.
func (m *Model) Decide(text string, keep func(string) bool) (Decision, []Score) {
	if r := []rune(strings.TrimSpace(text)); len(r) == 1 && !isHan(r[0]) {
		// One letter or sign says nothing; one Chinese character may (修, 吵).
		return Decision{Confidence: Unknown}, nil
	}
	scores := m.Classify(text, keep)
	d := Decide(scores)
	if d.Confidence != Sure || !requests[d.Intents[0]] {
		return d, scores
	}
	if r := []rune(text); len(r) > maxRunes {
		text = string(r[:maxRunes])
	}
	clauses := clauseBreak.Split(text, -1)
	if len(clauses) < 2 {
		return d, scores
	}
	var found []string
	for _, c := range clauses {
		cd := Decide(m.Classify(c, keep))
		if cd.Confidence == Sure && requests[cd.Intents[0]] && !slices.Contains(found, cd.Intents[0]) {
			found = append(found, cd.Intents[0])
		}
	}
	if len(found) < 2 {
		return d, scores
	}
	// Offer them in the order the whole message leans to.
	ask := Decision{Confidence: Unsure}
	for _, s := range scores {
		if slices.Contains(found, s.Intent) && len(ask.Intents) < maxAsk {
			ask.Intents = append(ask.Intents, s.Intent)
		}
	}
	return ask, scores
}
