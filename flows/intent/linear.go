package intent

import (
	"math"
	"math/rand/v2"
)

// Training settings of the softmax regression; plain stochastic gradient descent with a
// little L2 shrinkage, from a fixed seed so that the same examples give the same model.
const (
	epochs = 40
	rate   = 3
	l2     = 1e-4
	// dropout is the share of a sentence's n-grams left out at each step.
	dropout = 0.3
)

// fit trains the softmax regression on the example vectors.
func (m *Model) fit(vecs [][]entry) {
	k := len(m.labels)
	m.weights = make([]float32, len(m.idf)*k)
	m.bias = make([]float32, k)
	if k == 0 {
		return
	}
	order := make([]int, len(vecs))
	for i := range order {
		order[i] = i
	}
	rng := rand.New(rand.NewPCG(1, 2))
	p := make([]float64, k)
	var kept []entry
	for ep := 0; ep < epochs; ep++ {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		lr := rate / (1 + 0.1*float64(ep))
		for _, d := range order {
			v := vecs[d]
			if len(v) > 3 {
				// Feature dropout: a sentence said a little differently still counts.
				kept = kept[:0]
				for _, e := range v {
					if rng.Float64() >= dropout {
						kept = append(kept, e)
					}
				}
				v = kept
			}
			m.probabilities(v, p)
			p[m.doc[d]] -= 1 // gradient of the log loss: p - y
			for c := 0; c < k; c++ {
				g := float32(lr * p[c])
				m.bias[c] -= g
				for _, e := range v {
					w := &m.weights[int(e.id)*k+c]
					*w -= g*e.w + float32(lr*l2)*(*w)
				}
			}
		}
	}
}

// probabilities fills p with the softmax of the intents' linear scores for v.
func (m *Model) probabilities(v []entry, p []float64) {
	k := len(m.labels)
	for c := 0; c < k; c++ {
		p[c] = float64(m.bias[c])
	}
	for _, e := range v {
		row := m.weights[int(e.id)*k : int(e.id)*k+k]
		for c, w := range row {
			p[c] += float64(w * e.w)
		}
	}
	max := math.Inf(-1)
	for _, x := range p {
		max = math.Max(max, x)
	}
	var sum float64
	for c := range p {
		p[c] = math.Exp(p[c] - max)
		sum += p[c]
	}
	for c := range p {
		p[c] /= sum
	}
}
