package flows

import (
	"slices"
	"testing"
)

func TestNamedFlows(t *testing.T) {
	tests := []struct {
		text string
		want []string
	}{
		{"报修和投诉", []string{flowRepair, flowComplaint}},
		{"我要投诉，顺便报修一下厨房", []string{flowComplaint, flowRepair}},
		{"厨房漏水了", nil},
		{"报修", []string{flowRepair}},
		{"repair and complain", []string{flowRepair, flowComplaint}},
	}
	for _, tt := range tests {
		if got := namedFlows(tt.text); !slices.Equal(got, tt.want) {
			t.Errorf("namedFlows(%q) = %v, want %v", tt.text, got, tt.want)
		}
	}
}

func TestCommandFlow(t *testing.T) {
	tests := []struct {
		text, want string
		ok         bool
	}{
		{"报修 厨房漏水", flowRepair, true},
		{"咨询 小区能养鸡吗", flowInquiry, true},
		{"投诉：楼上太吵", flowComplaint, true},
		{"报修怎么还没人来", "", false},
		{"维修师傅什么时候来", "", false},
	}
	for _, tt := range tests {
		got, ok := commandFlow(tt.text)
		if got != tt.want || ok != tt.ok {
			t.Errorf("commandFlow(%q) = %q, %v; want %q, %v", tt.text, got, ok, tt.want, tt.ok)
		}
	}
}

func TestAsksWhy(t *testing.T) {
	for text, want := range map[string]bool{
		"why is my bill so high": true, "水费为啥这么多": true, "物业费怎么算的": true,
		"物业费多少": false, "how much do I owe": false,
	} {
		if got := asksWhy(text); got != want {
			t.Errorf("asksWhy(%q) = %v, want %v", text, got, want)
		}
	}
}

// The chat's model knows the words of the trigger table: a word added there still starts its flow.
func TestTriggerWordsAreLearned(t *testing.T) {
	ex, err := IntentExamples()
	if err != nil {
		t.Fatal(err)
	}
	learned := map[string]string{}
	for _, e := range ex {
		if e.Source == "flows word list" {
			learned[e.Text] = e.Intent
		}
	}
	for _, tr := range triggers {
		for _, w := range tr.words {
			if learned[w] != tr.flow {
				t.Errorf("trigger word %q: learned as %q, want %q", w, learned[w], tr.flow)
			}
		}
	}
	m, err := BuiltinIntents()
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"漏水", "扰民", "物业费", "进度"} {
		if d, _ := m.Decide(w, nil); len(d.Intents) == 0 {
			t.Errorf("Decide(%q) = %+v, want an intent", w, d)
		}
	}
}
