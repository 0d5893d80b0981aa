package livekit

import (
	"slices"

	"github.com/livekit/protocol/auth"
	lk "github.com/livekit/protocol/livekit"

	"github.com/stagedoor/stagedoor/access"
)

// The mapping of stagedoor's permissions onto LiveKit's grants; the table
// in docs/livekit.md says the same, row by row.

// trackSources are the LiveKit track sources each produce permission
// allows.
var trackSources = []struct {
	perm    access.Permission
	sources []lk.TrackSource
}{
	{access.ProduceCamera, []lk.TrackSource{lk.TrackSource_CAMERA}},
	{access.ProduceMicrophone, []lk.TrackSource{lk.TrackSource_MICROPHONE}},
	{access.ProduceScreen, []lk.TrackSource{lk.TrackSource_SCREEN_SHARE, lk.TrackSource_SCREEN_SHARE_AUDIO}},
}

// publishable returns the track sources rights allow, in a fixed order.
func publishable(rights access.Set) []lk.TrackSource {
	var out []lk.TrackSource
	for _, ts := range trackSources {
		if rights.Has(ts.perm) {
			out = append(out, ts.sources...)
		}
	}
	return out
}

// sourceOf is the stagedoor source (camera, microphone, screen) of a
// LiveKit track source; false for a source stagedoor does not know.
func sourceOf(src lk.TrackSource) (string, bool) {
	switch src {
	case lk.TrackSource_CAMERA:
		return access.SourceCamera, true
	case lk.TrackSource_MICROPHONE:
		return access.SourceMicrophone, true
	case lk.TrackSource_SCREEN_SHARE, lk.TrackSource_SCREEN_SHARE_AUDIO:
		return access.SourceScreen, true
	}
	return "", false
}

// videoGrant is the video grant of a LiveKit token for room carrying
// rights. Every permission is set explicitly: LiveKit reads a missing one
// as granted.
func videoGrant(room string, rights access.Set) *auth.VideoGrant {
	g := &auth.VideoGrant{
		Room:       room,
		RoomJoin:   true,
		RoomCreate: rights.Has(access.RoomCreate),
		RoomAdmin:  rights&access.Moderate != 0,
		RoomRecord: rights.Has(access.BroadcastManage),
	}
	p := permission(rights)
	g.SetCanPublish(p.CanPublish)
	g.SetCanPublishSources(p.CanPublishSources)
	g.SetCanSubscribe(p.CanSubscribe)
	g.SetCanPublishData(p.CanPublishData)
	g.SetCanUpdateOwnMetadata(p.CanUpdateMetadata)
	g.SetCanSubscribeMetrics(false)
	return g
}

// permission is what LiveKit lets a participant holding rights do in its
// room: the part of the video grant the server API can change.
func permission(rights access.Set) *lk.ParticipantPermission {
	sources := publishable(rights)
	return &lk.ParticipantPermission{
		CanSubscribe:      rights.Has(access.Consume),
		CanPublish:        len(sources) > 0,
		CanPublishSources: sources,
		CanPublishData:    rights.Has(access.DataSend),
		CanUpdateMetadata: rights.Has(access.MetadataUpdate),
	}
}

// samePermission reports whether LiveKit's permission p is exactly want:
// anything more (hidden, recorder, agent...) was not granted by stagedoor.
func samePermission(p, want *lk.ParticipantPermission) bool {
	if p == nil {
		return false
	}
	have := slices.Clone(p.CanPublishSources)
	slices.Sort(have)
	wanted := slices.Clone(want.CanPublishSources)
	slices.Sort(wanted)
	return p.CanSubscribe == want.CanSubscribe && p.CanPublish == want.CanPublish && slices.Equal(have, wanted) &&
		p.CanPublishData == want.CanPublishData && p.CanUpdateMetadata == want.CanUpdateMetadata &&
		!p.Hidden && !p.Recorder && !p.Agent && !p.CanSubscribeMetrics && !p.CanManageAgentSession
}
