package guanjia

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Community is a residential compound (小区) with its buildings.
type Community struct {
	ID        string `bson:"_id" json:"id"`
	Name      string `bson:"name" json:"name"`
	Buildings []int  `bson:"buildings" json:"buildings"`
	Rates     Rates  `bson:"rates" json:"rates"`
	// DutyPhone is the office's 24-hour duty number, told to anyone who raises an alarm.
	DutyPhone string `bson:"duty_phone,omitempty" json:"duty_phone,omitempty"`
}

// Household is one dwelling (房屋), identified by its code within a community.
type Household struct {
	// ID is HouseholdID(Community, Code).
	ID        string `bson:"_id" json:"id"`
	Community string `bson:"community" json:"community"`
	// Code is building-entrance-room, e.g. "3-1-1201".
	Code     string `bson:"code" json:"code"`
	Building int    `bson:"building" json:"building"`
	// AreaCenti is the floor area in hundredths of a square metre (120.5 m² = 12050),
	// kept integral so that fees computed from it never suffer float rounding.
	AreaCenti int64 `bson:"area_centi" json:"area_centi"`
	// ParkingSpaces is how many parking spaces the household rents.
	ParkingSpaces int `bson:"parking_spaces,omitempty" json:"parking_spaces,omitempty"`
}

// HouseholdID is the storage key of a household.
func HouseholdID(community, code string) string { return community + ":" + code }

// Area renders the floor area in m², e.g. "120.5".
func (h Household) Area() string {
	s := fmt.Sprintf("%d.%02d", h.AreaCenti/100, h.AreaCenti%100)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

var householdCode = regexp.MustCompile(`^(\d{1,3})-(\d{1,2})-(\d{1,5})$`)

// ParseHouseholdCode validates a code such as "3-1-1201" and returns its building number.
func ParseHouseholdCode(code string) (building int, err error) {
	m := householdCode.FindStringSubmatch(strings.TrimSpace(code))
	if m == nil {
		return 0, fmt.Errorf("household code %q: %w", code, ErrInvalid)
	}
	building, _ = strconv.Atoi(m[1])
	return building, nil
}

// Role is what a person may do.
type Role string

// Roles of people.
const (
	RoleResident   Role = "resident"
	RoleSteward    Role = "steward"
	RoleWorker     Role = "worker"
	RoleSupervisor Role = "supervisor"
	RoleAdmin      Role = "admin"
)

// CareTag marks a resident who needs attention in emergencies and plans.
type CareTag string

// Care tags.
const (
	CareElderlyAlone CareTag = "elderly_alone"
	CarePregnant     CareTag = "pregnant"
	CareDisabled     CareTag = "disabled"
	CareInfant       CareTag = "infant"
)

// Person is a resident or a staff member of one community.
type Person struct {
	ID        string `bson:"_id" json:"id"`
	Name      string `bson:"name" json:"name"`
	Community string `bson:"community" json:"community"`
	Roles     []Role `bson:"roles" json:"roles"`
	// Phone is private: never shown in a group or written to a log.
	Phone string `bson:"phone,omitempty" json:"phone,omitempty"`
	// Household is the code of the resident's household, empty for staff and unbound residents.
	Household string `bson:"household,omitempty" json:"household,omitempty"`
	// Buildings are the buildings a steward looks after.
	Buildings []int `bson:"buildings,omitempty" json:"buildings,omitempty"`
	// ShiftStart is when a steward's shift starts, "08:30" (empty: DefaultShiftStart); the
	// morning plan comes then, and stewards follow each other on shift in its order.
	ShiftStart string    `bson:"shift_start,omitempty" json:"shift_start,omitempty"`
	CareTags   []CareTag `bson:"care_tags,omitempty" json:"care_tags,omitempty"`
	// CareNote is private, like Phone.
	CareNote string `bson:"care_note,omitempty" json:"care_note,omitempty"`
	// Lang is the preferred language, "zh" (default) or "en".
	Lang string `bson:"lang,omitempty" json:"lang,omitempty"`
}

// Has reports whether the person holds role r.
func (p Person) Has(r Role) bool { return slices.Contains(p.Roles, r) }

// IsStaff reports whether the person works for the property company.
func (p Person) IsStaff() bool {
	return p.Has(RoleSteward) || p.Has(RoleWorker) || p.Has(RoleSupervisor) || p.Has(RoleAdmin)
}

// IsOffice reports whether the person runs the office's business — stewards, supervisors and
// admins: money, binding residents, handing out jobs. Workers do the jobs they are given.
func (p Person) IsOffice() bool {
	return p.Has(RoleSteward) || p.Has(RoleSupervisor) || p.Has(RoleAdmin)
}

// IsSupervisor reports whether the person oversees the staff (complaints about them go here).
func (p Person) IsSupervisor() bool { return p.Has(RoleSupervisor) || p.Has(RoleAdmin) }

// Identity binds a platform account (a channel and the platform's stable user id) to a person.
type Identity struct {
	// ID is IdentityID(Channel, PlatformID).
	ID         string `bson:"_id" json:"id"`
	Channel    string `bson:"channel" json:"channel"`
	PlatformID string `bson:"platform_id" json:"platform_id"`
	Person     string `bson:"person" json:"person"`
}

// IdentityID is the storage key of a platform identity.
func IdentityID(channel, platformID string) string { return channel + ":" + platformID }
