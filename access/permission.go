// Package access is stagedoor's domain: the permission vocabulary, the role
// catalog, grants and the policy rules that hold everywhere (room and
// participant binding, no escalation, development-key limits, anonymous
// users). It does no I/O and imports nothing of stagedoor: the other
// packages, the public token library included, take the domain's words
// from it (key kinds, audiences, user types, lifetime caps, the limits on
// names and on what a token says about its user).
package access

import (
	"fmt"
	"math/bits"
	"sort"
	"strings"
)

// Permission is one atomic right from stagedoor's fixed vocabulary.
type Permission uint8

// The permission vocabulary. The order fixes each permission's bit in a Set;
// it is never persisted as a number, only as the permission's name.
const (
	RoomCreate Permission = iota
	RoomJoin
	RoomAskJoin
	ProduceCamera
	ProduceMicrophone
	ProduceScreen
	Consume
	DataSend
	DataReceive
	MetadataUpdate
	ModerateAdmit
	ModerateMute
	ModerateKick
	ModeratePermissions
	Invite
	BroadcastManage
	APIRead
	APIWrite
	numPermissions
)

var permissionNames = [numPermissions]string{
	RoomCreate:          "room.create",
	RoomJoin:            "room.join",
	RoomAskJoin:         "room.ask_join",
	ProduceCamera:       "produce.camera",
	ProduceMicrophone:   "produce.microphone",
	ProduceScreen:       "produce.screen",
	Consume:             "consume",
	DataSend:            "data.send",
	DataReceive:         "data.receive",
	MetadataUpdate:      "metadata.update",
	ModerateAdmit:       "moderate.admit",
	ModerateMute:        "moderate.mute",
	ModerateKick:        "moderate.kick",
	ModeratePermissions: "moderate.permissions",
	Invite:              "invite",
	BroadcastManage:     "broadcast.manage",
	APIRead:             "api.read",
	APIWrite:            "api.write",
}

// String returns the permission's name as it appears in tokens and APIs.
func (p Permission) String() string {
	if p < numPermissions {
		return permissionNames[p]
	}
	return fmt.Sprintf("permission(%d)", uint8(p))
}

// byLength lists the permissions by the length of their names: parsing,
// which every token minted and every grant read goes through, then
// compares a name with at most a few others.
var byLength = func() (t [32][]Permission) {
	for p, name := range permissionNames {
		t[len(name)] = append(t[len(name)], Permission(p))
	}
	return t
}()

// ParsePermission returns the permission named s, or an *UnknownPermissionError.
func ParsePermission(s string) (Permission, error) {
	if len(s) < len(byLength) {
		for _, p := range byLength[len(s)] {
			if permissionNames[p] == s {
				return p, nil
			}
		}
	}
	return 0, &UnknownPermissionError{Name: s}
}

// Set is a set of permissions. The zero value is the empty set.
type Set uint32

// Produce holds the three produce permissions (camera, microphone, screen).
const Produce = Set(1<<ProduceCamera | 1<<ProduceMicrophone | 1<<ProduceScreen)

// Data holds data.send and data.receive.
const Data = Set(1<<DataSend | 1<<DataReceive)

// Moderate holds every moderate.* permission.
const Moderate = Set(1<<ModerateAdmit | 1<<ModerateMute | 1<<ModerateKick | 1<<ModeratePermissions)

// All holds every permission of the vocabulary.
const All = Set(1<<numPermissions - 1)

// Of returns the set holding ps.
func Of(ps ...Permission) Set {
	var s Set
	for _, p := range ps {
		s |= 1 << p
	}
	return s
}

// ParseSet parses permission names into a set. Unknown names are an error;
// repeated names are harmless.
func ParseSet(names []string) (Set, error) {
	var s Set
	for _, n := range names {
		p, err := ParsePermission(n)
		if err != nil {
			return 0, err
		}
		s |= 1 << p
	}
	return s, nil
}

// Has reports whether s holds p.
func (s Set) Has(p Permission) bool { return p < numPermissions && s&(1<<p) != 0 }

// Contains reports whether every permission of o is in s.
func (s Set) Contains(o Set) bool { return o&^s == 0 }

// Union returns the permissions in s or o.
func (s Set) Union(o Set) Set { return s | o }

// Minus returns the permissions of s that are not in o.
func (s Set) Minus(o Set) Set { return s &^ o }

// Len returns the number of permissions in s.
func (s Set) Len() int { return bits.OnesCount32(uint32(s & All)) }

// Permissions returns the members of s in vocabulary order.
func (s Set) Permissions() []Permission {
	out := make([]Permission, 0, s.Len())
	for p := Permission(0); p < numPermissions; p++ {
		if s.Has(p) {
			out = append(out, p)
		}
	}
	return out
}

// Names returns the members' names sorted alphabetically: the form tokens carry.
func (s Set) Names() []string {
	out := make([]string, 0, s.Len())
	for _, p := range s.Permissions() {
		out = append(out, p.String())
	}
	sort.Strings(out)
	return out
}

// String returns the sorted names joined by commas.
func (s Set) String() string { return strings.Join(s.Names(), ",") }

// First returns the lowest permission of s in vocabulary order and whether s
// had any; used to name one missing permission in an error.
func (s Set) First() (Permission, bool) {
	s &= All
	if s == 0 {
		return 0, false
	}
	return Permission(bits.TrailingZeros32(uint32(s))), true
}

// Vocabulary returns every permission, in vocabulary order.
func Vocabulary() []Permission { return All.Permissions() }
