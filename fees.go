package guanjia

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Money is an amount in fen (cents of a yuan). Money is never a float.
type Money int64

// String renders yuan with two decimals, e.g. "356.50".
func (m Money) String() string {
	sign := ""
	if m < 0 {
		sign, m = "-", -m
	}
	return fmt.Sprintf("%s%d.%02d", sign, m/100, m%100)
}

// MaxMoney is the largest amount ParseMoney accepts, 1,000,000.00 yuan: far above any fee,
// rate or payment of a home, and far below where sums of amounts could overflow.
const MaxMoney Money = 100_000_000

// Amount errors, both wrapping ErrInvalid: ErrAmountFormat for text that is not an amount,
// ErrAmountTooLarge for one above MaxMoney.
var (
	ErrAmountFormat   = fmt.Errorf("amount: want digits with at most two decimals, like 356.50: %w", ErrInvalid)
	ErrAmountTooLarge = fmt.Errorf("amount: more than %s: %w", MaxMoney, ErrInvalid)
)

// ParseMoney reads an amount of yuan: digits with at most two decimals, "356.5", "356.50" or
// "356", optionally with "元" after or "¥" before. Anything else — signs, spaces inside,
// thousands separators, exponents, more decimals — is ErrAmountFormat, and an amount above
// MaxMoney is ErrAmountTooLarge. It is the one parser of amounts: chat, imports and rates use it.
func ParseMoney(s string) (Money, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimSpace(strings.TrimSuffix(s, "元"))
	s = strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(s, "¥"), "￥"))
	c, err := ParseCenti(s, int64(MaxMoney))
	if errors.Is(err, ErrAmountTooLarge) {
		return 0, fmt.Errorf("%q: %w", s, ErrAmountTooLarge)
	}
	if err != nil {
		return 0, fmt.Errorf("%q: %w", s, ErrAmountFormat)
	}
	return Money(c), nil
}

// ParseCenti reads a non-negative decimal with at most two decimals ("120.5", "1523.00", "7")
// as hundredths, refusing anything above max hundredths with ErrAmountTooLarge and anything
// that is not such a decimal with ErrAmountFormat. Only ASCII digits count, so no sign, space,
// exponent or separator slips through, and no value can overflow.
func ParseCenti(s string, max int64) (int64, error) {
	whole, frac, dot := strings.Cut(s, ".")
	if whole == "" || !digits(whole) || len(frac) > 2 || (dot && (frac == "" || !digits(frac))) {
		return 0, ErrAmountFormat
	}
	whole = strings.TrimLeft(whole, "0")
	if len(whole) > 15 {
		return 0, ErrAmountTooLarge
	}
	var w int64
	if whole != "" {
		w, _ = strconv.ParseInt(whole, 10, 64)
	}
	frac += strings.Repeat("0", 2-len(frac))
	f, _ := strconv.ParseInt(frac, 10, 64)
	v := w*100 + f
	if v > max {
		return 0, ErrAmountTooLarge
	}
	return v, nil
}

func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// Fee kinds, the items of a bill.
const (
	FeeProperty    = "property"
	FeeWater       = "water"
	FeeElectricity = "electricity"
	FeeParking     = "parking"
)

// Rates are what a community charges, in fen per unit.
type Rates struct {
	// PropertyPerM2 is the property fee per m² of floor area per month.
	PropertyPerM2 Money `bson:"property_per_m2" json:"property_per_m2"`
	// ParkingPerSpace is the fee per rented parking space per month.
	ParkingPerSpace Money `bson:"parking_per_space" json:"parking_per_space"`
	// WaterPerUnit is per cubic metre (吨), ElectricityPerUnit per kWh (度).
	WaterPerUnit       Money `bson:"water_per_unit" json:"water_per_unit"`
	ElectricityPerUnit Money `bson:"electricity_per_unit" json:"electricity_per_unit"`
	// DueDay is the day of the month after the period by which a bill is due (default 15).
	DueDay int `bson:"due_day" json:"due_day"`
}

// BillItem is one line of a bill: what, how much of it, at what rate.
type BillItem struct {
	Kind string `bson:"kind" json:"kind"`
	// Quantity is in hundredths of the unit (m², 吨, 度, spaces), so that 120.5 m² is 12050.
	QuantityCenti int64 `bson:"quantity_centi" json:"quantity_centi"`
	Rate          Money `bson:"rate" json:"rate"`
	Amount        Money `bson:"amount" json:"amount"`
	// Note says where the quantity comes from, e.g. the meter readings "1523 → 1535".
	Note string `bson:"note,omitempty" json:"note,omitempty"`
}

// Bill is a household's bill for one month.
type Bill struct {
	// ID is BillID(Community, Household, Period).
	ID        string     `bson:"_id" json:"id"`
	Community string     `bson:"community" json:"community"`
	Household string     `bson:"household" json:"household"`
	Period    string     `bson:"period" json:"period"` // "2026-11"
	Items     []BillItem `bson:"items" json:"items"`
	Total     Money      `bson:"total" json:"total"`
	Due       time.Time  `bson:"due" json:"due"`
	CreatedAt time.Time  `bson:"created_at" json:"created_at"`
	// Rates are the rates the bill was made with; a correction prices with them unless the
	// office asks for today's. Bills made before they were kept have none (see RatesOf).
	Rates *Rates `bson:"rates,omitempty" json:"rates,omitempty"`
	// Corrections are the times the bill was worked out again (a late or wrong meter
	// reading, a wrong area), each with the total it had before.
	Corrections []BillCorrection `bson:"corrections,omitempty" json:"corrections,omitempty"`
}

// RatesOf are the rates a bill was made with: those it kept, or, for a bill made before bills
// kept them, its items' rates, with fallback's for a fee it had no item of.
func RatesOf(b Bill, fallback Rates) Rates {
	if b.Rates != nil {
		return *b.Rates
	}
	r := fallback
	for _, it := range b.Items {
		switch it.Kind {
		case FeeProperty:
			r.PropertyPerM2 = it.Rate
		case FeeParking:
			r.ParkingPerSpace = it.Rate
		case FeeWater:
			r.WaterPerUnit = it.Rate
		case FeeElectricity:
			r.ElectricityPerUnit = it.Rate
		}
	}
	return r
}

// BillCorrection records one correction of a bill.
type BillCorrection struct {
	At            time.Time `bson:"at" json:"at"`
	PreviousTotal Money     `bson:"previous_total" json:"previous_total"`
	// CurrentRates is set when the office asked to price the bill at the rates of the day.
	CurrentRates bool `bson:"current_rates,omitempty" json:"current_rates,omitempty"`
}

// BillID is the storage key of a bill: one per household and period.
func BillID(community, household, period string) string {
	return community + ":" + household + ":" + period
}

// Payment is money received for a household's bill of one period.
type Payment struct {
	ID        string    `bson:"_id" json:"id"`
	Community string    `bson:"community" json:"community"`
	Household string    `bson:"household" json:"household"`
	Period    string    `bson:"period" json:"period"`
	Amount    Money     `bson:"amount" json:"amount"`
	At        time.Time `bson:"at" json:"at"`
	// By is the person id of the steward who recorded it, or "import".
	By string `bson:"by" json:"by"`
	// Ref is the receipt or import reference; with Period and Household it makes imports idempotent.
	Ref string `bson:"ref,omitempty" json:"ref,omitempty"`
	// VoidedAt and VoidedBy are set when a steward took the payment back (recorded by
	// mistake); a voided payment stays on record but pays nothing.
	VoidedAt time.Time `bson:"voided_at,omitempty" json:"voided_at,omitempty"`
	VoidedBy string    `bson:"voided_by,omitempty" json:"voided_by,omitempty"`
}

// Voided reports whether the payment was taken back.
func (p Payment) Voided() bool { return !p.VoidedAt.IsZero() }

// Arrear is what a household still owes for one period.
type Arrear struct {
	Period string    `json:"period"`
	Billed Money     `json:"billed"`
	Paid   Money     `json:"paid"`
	Owed   Money     `json:"owed"`
	Due    time.Time `json:"due"`
}

// ParsePeriod validates a billing period "YYYY-MM".
func ParsePeriod(s string) (time.Time, error) {
	t, err := time.Parse("2006-01", strings.TrimSpace(s))
	if err != nil {
		return t, fmt.Errorf("period %q: %w", s, ErrInvalid)
	}
	return t, nil
}

// FAQ is a question the property office answers the same way every time.
type FAQ struct {
	ID        string `bson:"_id" json:"id" yaml:"id"`
	Community string `bson:"community" json:"community" yaml:"community"`
	Question  string `bson:"question" json:"question" yaml:"question"`
	// Keywords match a resident's question; any one of them is a hit.
	Keywords []string `bson:"keywords" json:"keywords" yaml:"keywords"`
	Answer   string   `bson:"answer" json:"answer" yaml:"answer"`
}

// Why a payment is refused; the Reason of a PaymentError.
const (
	// PaymentAlreadyPaid: the period's bill is paid in full.
	PaymentAlreadyPaid = "already_paid"
	// PaymentTooMuch: more than the period's bill still asks for.
	PaymentTooMuch = "too_much"
	// PaymentTooOld: a period older than bills are made for; it would count nowhere.
	PaymentTooOld = "too_old"
	// PaymentTooFar: a period too far after the month it is paid in.
	PaymentTooFar = "too_far"
	// PaymentAdvanceCap: with the payments already made ahead of the period's bill, more
	// than a household may pay for one month before its bill.
	PaymentAdvanceCap = "advance_cap"
)

// PaymentError says why a payment was refused, with what the message to the office needs.
// It wraps ErrConflict when the period is already paid (the money arrived another way, or
// twice) and ErrInvalid otherwise.
type PaymentError struct {
	Reason string
	Period string
	// Total is the period's bill, Owed what it still asks for, Paid what was paid towards
	// it (ahead of its bill, for PaymentAdvanceCap), Max the most allowed.
	Total, Owed, Paid, Max Money
	// Months is the limit in months of PaymentTooOld and PaymentTooFar.
	Months int
}

func (e *PaymentError) Error() string {
	return fmt.Sprintf("payment for %s refused: %s (bill %s, owed %s, paid %s, max %s)",
		e.Period, e.Reason, e.Total, e.Owed, e.Paid, e.Max)
}

// Unwrap makes an already paid period a conflict and every other refusal invalid input.
func (e *PaymentError) Unwrap() error {
	if e.Reason == PaymentAlreadyPaid {
		return ErrConflict
	}
	return ErrInvalid
}
