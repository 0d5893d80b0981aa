package livekit

import (
	"bufio"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/livekit/protocol/auth"
	lk "github.com/livekit/protocol/livekit"

	"github.com/stagedoor/stagedoor/access"
)

// mapping is the mapping table of docs/livekit.md, one case per row: what
// the permission adds to the grant of a token holding room.join alone.
var mapping = map[string]func(t *testing.T, g *auth.VideoGrant, p *lk.ParticipantPermission){
	"room.join": func(t *testing.T, g *auth.VideoGrant, p *lk.ParticipantPermission) {
		if !g.RoomJoin || g.Room != "stage" {
			t.Fatalf("grant %+v", g)
		}
	},
	"room.ask_join": func(t *testing.T, g *auth.VideoGrant, p *lk.ParticipantPermission) {
		if !g.RoomJoin || g.Room != "stage" {
			t.Fatalf("an admitted applicant's grant %+v", g)
		}
	},
	"room.create": func(t *testing.T, g *auth.VideoGrant, _ *lk.ParticipantPermission) {
		if !g.RoomCreate {
			t.Fatal("no roomCreate")
		}
	},
	"produce.camera":     wantSources("camera", lk.TrackSource_CAMERA),
	"produce.microphone": wantSources("microphone", lk.TrackSource_MICROPHONE),
	"produce.screen":     wantSources("screen_share,screen_share_audio", lk.TrackSource_SCREEN_SHARE, lk.TrackSource_SCREEN_SHARE_AUDIO),
	"consume": func(t *testing.T, g *auth.VideoGrant, p *lk.ParticipantPermission) {
		if !g.GetCanSubscribe() || !p.CanSubscribe {
			t.Fatal("no canSubscribe")
		}
	},
	"data.send": func(t *testing.T, g *auth.VideoGrant, p *lk.ParticipantPermission) {
		if !g.GetCanPublishData() || !p.CanPublishData || g.GetCanPublish() {
			t.Fatalf("grant %+v, permission %v", g, p)
		}
	},
	"data.receive": unchanged,
	"metadata.update": func(t *testing.T, g *auth.VideoGrant, p *lk.ParticipantPermission) {
		if !g.GetCanUpdateOwnMetadata() || !p.CanUpdateMetadata {
			t.Fatal("no canUpdateOwnMetadata")
		}
	},
	"moderate.admit":       wantAdmin,
	"moderate.mute":        wantAdmin,
	"moderate.kick":        wantAdmin,
	"moderate.permissions": wantAdmin,
	"invite":               unchanged,
	"broadcast.manage": func(t *testing.T, g *auth.VideoGrant, _ *lk.ParticipantPermission) {
		if !g.RoomRecord || g.RoomAdmin {
			t.Fatalf("grant %+v", g)
		}
	},
	"api.read":  unchanged,
	"api.write": unchanged,
}

func wantSources(names string, sources ...lk.TrackSource) func(*testing.T, *auth.VideoGrant, *lk.ParticipantPermission) {
	return func(t *testing.T, g *auth.VideoGrant, p *lk.ParticipantPermission) {
		if !g.GetCanPublish() || strings.Join(g.CanPublishSources, ",") != names || !p.CanPublish || !slices.Equal(p.CanPublishSources, sources) {
			t.Fatalf("grant %+v, permission %v", g, p)
		}
		for _, s := range sources {
			if !g.GetCanPublishSource(s) {
				t.Fatalf("LiveKit reads the grant as not allowing %s", s)
			}
		}
		if g.GetCanPublishData() {
			t.Fatal("publishing media gave publishing data")
		}
	}
}

func wantAdmin(t *testing.T, g *auth.VideoGrant, _ *lk.ParticipantPermission) {
	if !g.RoomAdmin {
		t.Fatal("no roomAdmin")
	}
}

// unchanged checks a permission with no LiveKit equivalent: the grant is
// room.join's alone.
func unchanged(t *testing.T, g *auth.VideoGrant, p *lk.ParticipantPermission) {
	t.Helper()
	want := videoGrant("stage", access.Of(access.RoomJoin))
	if *g.CanPublish != *want.CanPublish || *g.CanSubscribe != *want.CanSubscribe || *g.CanPublishData != *want.CanPublishData ||
		*g.CanUpdateOwnMetadata != *want.CanUpdateOwnMetadata || g.RoomAdmin || g.RoomCreate || g.RoomRecord || len(g.CanPublishSources) > 0 {
		t.Fatalf("grant %+v", g)
	}
	if !samePermission(p, permission(access.Of(access.RoomJoin))) {
		t.Fatalf("permission %v", p)
	}
}

func TestMappingTable(t *testing.T) {
	rows := docRows(t)
	var vocabulary []string
	for _, p := range access.All.Permissions() {
		vocabulary = append(vocabulary, p.String())
	}
	if !slices.Equal(rows, vocabulary) {
		t.Fatalf("docs/livekit.md maps %v, want every permission in order: %v", rows, vocabulary)
	}
	for _, name := range rows {
		t.Run(name, func(t *testing.T) {
			check, ok := mapping[name]
			if !ok {
				t.Fatalf("no test for the row of %s", name)
			}
			p, err := access.ParsePermission(name)
			if err != nil {
				t.Fatal(err)
			}
			rights := access.Of(access.RoomJoin, p)
			if p == access.RoomAskJoin {
				rights = access.Of(p)
			}
			g := videoGrant("stage", rights)
			for _, b := range []*bool{g.CanPublish, g.CanSubscribe, g.CanPublishData, g.CanUpdateOwnMetadata, g.CanSubscribeMetrics} {
				if b == nil {
					t.Fatalf("grant %+v leaves a permission unset, which LiveKit reads as granted", g)
				}
			}
			if g.Hidden || g.Recorder || g.Agent || g.RoomList || g.IngressAdmin {
				t.Fatalf("grant %+v", g)
			}
			check(t, g, permission(rights))
		})
	}
}

// docRows reads the stagedoor permissions of the mapping table in
// docs/livekit.md, in order.
func docRows(t *testing.T) []string {
	t.Helper()
	f, err := os.Open("../../docs/livekit.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []string
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "## "):
			in = line == "## Permissions"
		case in && strings.HasPrefix(line, "| `"):
			name, _, _ := strings.Cut(strings.TrimPrefix(line, "| `"), "`")
			rows = append(rows, name)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestSamePermission(t *testing.T) {
	want := permission(access.Of(access.RoomJoin, access.Consume, access.ProduceScreen))
	same := &lk.ParticipantPermission{CanSubscribe: true, CanPublish: true,
		CanPublishSources: []lk.TrackSource{lk.TrackSource_SCREEN_SHARE_AUDIO, lk.TrackSource_SCREEN_SHARE}}
	if !samePermission(same, want) {
		t.Fatal("the same sources in another order differ")
	}
	for name, wider := range map[string]func(p *lk.ParticipantPermission){
		"hidden":   func(p *lk.ParticipantPermission) { p.Hidden = true },
		"recorder": func(p *lk.ParticipantPermission) { p.Recorder = true },
		"agent":    func(p *lk.ParticipantPermission) { p.Agent = true },
		"metrics":  func(p *lk.ParticipantPermission) { p.CanSubscribeMetrics = true },
		"data":     func(p *lk.ParticipantPermission) { p.CanPublishData = true },
		"metadata": func(p *lk.ParticipantPermission) { p.CanUpdateMetadata = true },
		"a source": func(p *lk.ParticipantPermission) {
			p.CanPublishSources = append(p.CanPublishSources, lk.TrackSource_CAMERA)
		},
		"subscribe":  func(p *lk.ParticipantPermission) { p.CanSubscribe = false },
		"agent sess": func(p *lk.ParticipantPermission) { p.CanManageAgentSession = true },
	} {
		p := permission(access.Of(access.RoomJoin, access.Consume, access.ProduceScreen))
		wider(p)
		if samePermission(p, want) {
			t.Errorf("%s: a changed permission reads as the same", name)
		}
	}
	if samePermission(nil, want) {
		t.Error("an unknown permission reads as the same")
	}
}
