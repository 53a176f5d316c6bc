package guanjia

import (
	"errors"
	"testing"
)

func TestMoney(t *testing.T) {
	for in, want := range map[string]Money{"356.50": 35650, "356.5": 35650, "356": 35600, "0.07": 7, "12元": 1200} {
		got, err := ParseMoney(in)
		if err != nil || got != want {
			t.Errorf("ParseMoney(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "1.234", "-5", "abc", "1,000", "5.-1", "5.+1", "+5", "5.", ".5", "1e3", "1 000", "１２", "0x10"} {
		if _, err := ParseMoney(bad); !errors.Is(err, ErrAmountFormat) {
			t.Errorf("ParseMoney(%q) = %v, want ErrAmountFormat", bad, err)
		}
	}
	// Too large, however many digits: never wrapped round to a small amount.
	for _, big := range []string{"4611686018427387905", "92233720368547758.08", "99999999999.99", "1000000.01",
		"000000000000000000000000000000001000001"} {
		if m, err := ParseMoney(big); !errors.Is(err, ErrAmountTooLarge) || !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseMoney(%q) = %s, %v; want ErrAmountTooLarge", big, m, err)
		}
	}
	if m, err := ParseMoney("1000000.00"); err != nil || m != MaxMoney {
		t.Errorf("ParseMoney of the maximum = %s, %v", m, err)
	}
	if s := Money(35650).String(); s != "356.50" {
		t.Errorf("String = %s", s)
	}
	if s := Money(-5).String(); s != "-0.05" {
		t.Errorf("String = %s", s)
	}
}
