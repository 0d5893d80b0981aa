package access

import (
	"errors"
	"slices"
	"testing"
)

func TestSources(t *testing.T) {
	for src, want := range map[string]Permission{"camera": ProduceCamera, "microphone": ProduceMicrophone, "screen": ProduceScreen} {
		if got, err := SourcePermission(src); err != nil || got != want {
			t.Errorf("%s = %v, %v", src, got, err)
		}
	}
	if _, err := SourcePermission("video"); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown source: %v", err)
	}
	speaker := mustRole(t, Speaker).Permissions
	if got := LostSources([]string{"camera", "microphone", "screen"}, speaker); !slices.Equal(got, []string{"camera", "screen"}) {
		t.Errorf("speaker loses %v, want camera and screen", got)
	}
	if got := LostSources([]string{"microphone"}, speaker); got != nil {
		t.Errorf("speaker keeps microphone, lost %v", got)
	}
}

// The seeds' room limits: NativeFrame's private broadcasts have at most one
// producer and its conferences at most ten.
func TestDefaultRoomSettings(t *testing.T) {
	rows := []struct {
		creator string
		asked   RoomSettings
		want    RoomSettings
	}{
		{"private-broadcaster", RoomSettings{}, RoomSettings{Type: RoomPrivate, MaxProducers: 1}},
		{"conference-owner", RoomSettings{}, RoomSettings{Type: RoomConference, MaxProducers: 10}},
		{"broadcaster", RoomSettings{}, RoomSettings{Type: RoomLivestream}},
		{"host", RoomSettings{}, RoomSettings{Type: RoomCustom}},
		{"host", RoomSettings{Type: RoomPrivate}, RoomSettings{Type: RoomPrivate, MaxProducers: 1}},
		{"host", RoomSettings{Type: RoomConference, MaxProducers: 4, MaxParticipants: 50}, RoomSettings{Type: RoomConference, MaxProducers: 4, MaxParticipants: 50}},
		{"conference-owner", RoomSettings{Type: RoomLivestream}, RoomSettings{Type: RoomLivestream}},
	}
	for _, row := range rows {
		got, err := DefaultRoomSettings(mustRole(t, row.creator), row.asked)
		if err != nil || got != row.want {
			t.Errorf("%s %+v = %+v, %v; want %+v", row.creator, row.asked, got, err, row.want)
		}
	}
	if _, err := DefaultRoomSettings(mustRole(t, Host), RoomSettings{Type: "party"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown type: %v", err)
	}
	if _, err := DefaultRoomSettings(mustRole(t, Host), RoomSettings{MaxProducers: -1}); !errors.Is(err, ErrInvalid) {
		t.Errorf("negative cap: %v", err)
	}
}

func TestCanModerate(t *testing.T) {
	host, cohost, admin, guest := holderOf(mustRole(t, Host)), holderOf(mustRole(t, CoHost)), holderOf(mustRole(t, Admin)), holderOf(mustRole(t, Guest))
	rows := []struct {
		name   string
		actor  Holder
		need   Permission
		target int
		reason Reason
	}{
		{"host mutes co-host", host, ModerateMute, mustRole(t, CoHost).Rank, ""},
		{"co-host mutes host", cohost, ModerateMute, mustRole(t, Host).Rank, ReasonEscalation},
		{"co-host kicks co-host", cohost, ModerateKick, mustRole(t, CoHost).Rank, ""},
		{"admin kicks guest", admin, ModerateKick, mustRole(t, Guest).Rank, ""},
		{"guest kicks guest", guest, ModerateKick, mustRole(t, Guest).Rank, ReasonMissingPermission},
	}
	for _, row := range rows {
		err := CanModerate(row.actor, row.need, row.target)
		var fe *ForbiddenError
		if row.reason == "" && err != nil || row.reason != "" && (!errors.As(err, &fe) || fe.Reason != row.reason) {
			t.Errorf("%s: %v, want %q", row.name, err, row.reason)
		}
	}
}
