package guanjia

import "testing"

func TestMoney(t *testing.T) {
	for in, want := range map[string]Money{"356.50": 35650, "356.5": 35650, "356": 35600, "0.07": 7, "12元": 1200} {
		got, err := ParseMoney(in)
		if err != nil || got != want {
			t.Errorf("ParseMoney(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "1.234", "-5", "abc", "1,000"} {
		if _, err := ParseMoney(bad); err == nil {
			t.Errorf("ParseMoney(%q) accepted", bad)
		}
	}
	if s := Money(35650).String(); s != "356.50" {
		t.Errorf("String = %s", s)
	}
	if s := Money(-5).String(); s != "-0.05" {
		t.Errorf("String = %s", s)
	}
}
