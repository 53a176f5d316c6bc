package flows

import "testing"

// Residents acknowledge an emergency in their own words; what is not an acknowledgement stays
// a message of its own.
func TestAckReply(t *testing.T) {
	for _, c := range []struct {
		text      string
		ack, safe bool
	}{
		{"收到", true, false},
		{"好的收到了", true, false},
		{"好的，收到了！", true, false},
		{"嗯嗯知道了", true, false},
		{"1", true, false},
		{"我安全", true, true},
		{"我们都安全", true, true},
		{"好的，我很安全", true, true},
		{"没收到", false, false},
		{"收到了吗？", false, false},
		{"不知道了", false, false},
		{"楼下的水还在漏，收到请回复", false, false},
		{"好的", false, false},
		{"好", false, false},
		{"我们家都安全", true, true},
		{"家里人都平安", true, true},
		{"全家都好", true, true},
		{"我们都没事", true, true},
		{"家里人都没事了，谢谢", true, true},
		{"我们一家都挺好", true, true},
		{"不安全", false, false},
		{"家里不安全", false, false},
		{"没事吧?", false, false},
		{"没事吧", false, false},
		{"家里人都好吗", false, false},
	} {
		ack, safe := ackReply(c.text)
		if ack != c.ack || safe != c.safe {
			t.Errorf("ackReply(%q) = %v, %v; want %v, %v", c.text, ack, safe, c.ack, c.safe)
		}
	}
}
