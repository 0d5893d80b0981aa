package access

import (
	"fmt"
	"strings"
)

// This file maps the words of the five platforms stagedoor replaces onto its
// own vocabulary, so their tokens and docs translate one to one.

// VideoSDKPermissions maps VideoSDK's token permissions: allow_join joins
// directly and admits waiting peers, ask_join waits to be admitted,
// allow_mod toggles other peers' camera and microphone.
func VideoSDKPermissions(names []string) (Set, error) {
	var s Set
	for _, n := range names {
		switch n {
		case "allow_join":
			s |= Of(RoomJoin, ModerateAdmit)
		case "ask_join":
			s |= Of(RoomAskJoin)
		case "allow_mod":
			s |= Of(ModerateMute)
		default:
			return 0, &InvalidError{Field: "permissions", Detail: fmt.Sprintf("unknown VideoSDK permission %q (want allow_join, ask_join or allow_mod)", n)}
		}
	}
	return s, nil
}

// VideoSDKAudiences maps VideoSDK's token roles: rtc runs meetings, crawler
// calls server-side APIs. No roles means a meeting token.
func VideoSDKAudiences(roles []string) ([]Audience, error) {
	if len(roles) == 0 {
		return []Audience{AudienceRTC}, nil
	}
	out := make([]Audience, 0, len(roles))
	for _, r := range roles {
		switch r {
		case "rtc":
			out = append(out, AudienceRTC)
		case "crawler":
			out = append(out, AudienceAPI)
		default:
			return nil, &InvalidError{Field: "roles", Detail: fmt.Sprintf("unknown VideoSDK role %q (want rtc or crawler)", r)}
		}
	}
	return out, nil
}

// HuddleSources is Huddle01's canProduceSources.
type HuddleSources struct {
	Cam, Mic, Screen bool
}

// HuddlePermissions is Huddle01's access-token permission object.
type HuddlePermissions struct {
	Admin             bool
	CanConsume        bool
	CanProduce        bool
	CanProduceSources HuddleSources
	CanRecvData       bool
	CanSendData       bool
	CanUpdateMetadata bool
}

// Set maps the Huddle01 permissions: admin is every moderate.* permission,
// and canProduce publishes only the sources canProduceSources names.
func (h HuddlePermissions) Set() Set {
	var s Set
	flag := func(on bool, ps ...Permission) {
		if on {
			s |= Of(ps...)
		}
	}
	if h.Admin {
		s |= Moderate
	}
	flag(h.CanConsume, Consume)
	flag(h.CanProduce && h.CanProduceSources.Cam, ProduceCamera)
	flag(h.CanProduce && h.CanProduceSources.Mic, ProduceMicrophone)
	flag(h.CanProduce && h.CanProduceSources.Screen, ProduceScreen)
	flag(h.CanRecvData, DataReceive)
	flag(h.CanSendData, DataSend)
	flag(h.CanUpdateMetadata, MetadataUpdate)
	return s
}

// StreamUser maps a Stream token's user_id and call_cids: the user id "!anon"
// is an anonymous user bound to the calls listed; call_cids, when present,
// binds any user to those calls.
func StreamUser(userID string, callCIDs []string) (UserType, []string, error) {
	if userID == AnonymousSubject {
		if len(callCIDs) == 0 {
			return "", nil, &InvalidError{Field: "call_cids", Detail: "an anonymous token must list the calls it may join"}
		}
		return Anonymous, callCIDs, nil
	}
	if userID == "" {
		return "", nil, &InvalidError{Field: "user_id", Detail: "a user id is required"}
	}
	return Authenticated, callCIDs, nil
}

// RoleAlias maps the role spellings of the seeds onto built-in role names:
// API.stream's HOST, COHOST, CONTRIBUTOR, GUEST, VIEWER and Huddle01's
// coHost. Other names come back unchanged.
func RoleAlias(name string) string {
	switch strings.ToLower(name) {
	case "cohost", "co_host", "co-host":
		return CoHost
	case "host", "contributor", "guest", "viewer", "speaker", "listener", "bot":
		return strings.ToLower(name)
	}
	return name
}
