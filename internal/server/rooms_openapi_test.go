package server

import (
	"net/http"
	"testing"
)

// The rooms endpoints answer as the OpenAPI document says, on success and
// on failure; requests the document calls invalid are those the server
// refuses for their shape.
func TestOpenAPIContractRooms(t *testing.T) {
	s := newTestServer(t)
	ct := newContract(t, s)
	s.newRoom(t, map[string]any{"name": "stage", "type": "private", "metadata": map[string]any{"k": 1}})
	gus := s.user(t, "gus", "guest")
	gusID := s.joined(t, gus, "stage", "joined")
	wantOK(t, s.produce(t, gus, "stage", gusID, "camera"), http.StatusOK)
	kim := s.user(t, "kim", s.askJoiner(t))
	kimID := s.joined(t, kim, "stage", "waiting")
	kim2 := s.user(t, "kim2", "knocker")
	kim2ID := s.joined(t, kim2, "stage", "waiting")
	vic := s.user(t, "vic", "viewer")
	vicID := s.joined(t, vic, "stage", "joined")
	hand := s.act(t, vic, "stage", vicID, "requests", map[string]any{"permission": "produce.microphone"})
	wantOK(t, hand, http.StatusCreated)
	handPath := "/v1/rooms/stage/sessions/" + vicID + "/requests/" + hand.body["id"].(string)
	host := s.user(t, "hana", "host")
	leaver := s.user(t, "lea", "guest")
	leaverID := s.joined(t, leaver, "stage", "joined")
	kicked := s.joined(t, s.user(t, "kev", "guest"), "stage", "joined")
	accept := map[string]string{"Accept": "application/json"}
	session := "/v1/rooms/stage/sessions/"

	ct.check(t, s, []contractCase{
		{"create a room", call{method: "POST", path: "/v1/rooms", basic: &s.prod, body: map[string]any{"name": "hall", "type": "conference", "max_participants": 100, "metadata": map[string]any{"a": "b"}}}, 201, false},
		{"create a room by token", call{method: "POST", path: "/v1/rooms", bearer: host, body: map[string]any{"name": "den"}}, 201, false},
		{"create a live room", call{method: "POST", path: "/v1/rooms", basic: &s.prod, body: map[string]any{"name": "stage"}}, 409, false},
		{"create a room of no type", call{method: "POST", path: "/v1/rooms", basic: &s.prod, body: map[string]any{"name": "x", "type": "arena"}}, 400, true},
		{"create a room as a viewer", call{method: "POST", path: "/v1/rooms", bearer: vic, body: map[string]any{"name": "x"}}, 403, false},
		{"create a room without credentials", call{method: "POST", path: "/v1/rooms", body: map[string]any{"name": "x"}}, 401, true},
		{"get a room", call{method: "GET", path: "/v1/rooms/stage", basic: &s.prod}, 200, false},
		{"get a room as a participant", call{method: "GET", path: "/v1/rooms/stage", bearer: gus}, 200, false},
		{"get a room as an outsider", call{method: "GET", path: "/v1/rooms/stage", bearer: s.user(t, "out", "viewer")}, 403, false},
		{"get no room", call{method: "GET", path: "/v1/rooms/none", basic: &s.prod}, 404, false},
		{"join", call{method: "POST", path: "/v1/rooms/stage/join", bearer: s.user(t, "joe", "guest"), body: map[string]any{}}, 201, false},
		{"join and wait", call{method: "POST", path: "/v1/rooms/stage/join", bearer: s.user(t, "kit", "knocker")}, 201, false},
		{"join no room", call{method: "POST", path: "/v1/rooms/none/join", bearer: gus}, 404, false},
		{"join without a token", call{method: "POST", path: "/v1/rooms/stage/join"}, 401, true},
		{"join with a body", call{method: "POST", path: "/v1/rooms/stage/join", bearer: gus, body: map[string]any{"x": 1}}, 400, true},
		{"produce", call{method: "POST", path: session + gusID + "/produce", bearer: gus, body: map[string]any{"source": "microphone"}}, 200, false},
		{"produce as a viewer", call{method: "POST", path: session + vicID + "/produce", bearer: vic, body: map[string]any{"source": "camera"}}, 403, false},
		{"produce a hologram", call{method: "POST", path: session + gusID + "/produce", bearer: gus, body: map[string]any{"source": "hologram"}}, 400, true},
		{"unproduce", call{method: "POST", path: session + gusID + "/unproduce", bearer: gus, body: map[string]any{"source": "microphone"}}, 200, false},
		{"heartbeat", call{method: "POST", path: session + gusID + "/heartbeat", bearer: gus}, 200, false},
		{"heartbeat another's session", call{method: "POST", path: session + gusID + "/heartbeat", bearer: vic}, 403, false},
		{"heartbeat no session", call{method: "POST", path: session + "ses_none/heartbeat", basic: &s.prod}, 404, false},
		{"admit", call{method: "POST", path: session + kimID + "/admit", bearer: host}, 200, false},
		{"admit again", call{method: "POST", path: session + kimID + "/admit", bearer: host}, 409, false},
		{"reject", call{method: "POST", path: session + kim2ID + "/reject", basic: &s.prod}, 200, false},
		{"session token", call{method: "POST", path: session + gusID + "/token", bearer: gus}, 201, false},
		{"mute", call{method: "PATCH", path: session + gusID, bearer: host, body: map[string]any{"mute": []string{"camera"}}}, 200, false},
		{"promote", call{method: "PATCH", path: session + vicID, bearer: host, body: map[string]any{"role": "speaker"}}, 200, false},
		{"set permissions", call{method: "PATCH", path: session + vicID, bearer: host, body: map[string]any{"permissions": []string{"room.join", "consume"}}}, 200, false},
		{"escalate", call{method: "PATCH", path: session + gusID, bearer: s.user(t, "cory", "co-host"), body: map[string]any{"role": "host"}}, 403, false},
		{"change nothing", call{method: "PATCH", path: session + gusID, bearer: host, body: map[string]any{}}, 400, true},
		{"raise a hand twice", call{method: "POST", path: session + vicID + "/requests", bearer: vic, body: map[string]any{"permission": "consume"}}, 409, false},
		{"raise a hand for nothing", call{method: "POST", path: session + vicID + "/requests", bearer: vic, body: map[string]any{"permission": "fly"}}, 400, true},
		{"grant a hand", call{method: "POST", path: handPath + "/grant", bearer: host}, 200, false},
		{"deny a granted hand", call{method: "POST", path: handPath + "/deny", bearer: host}, 409, false},
		{"leave", call{method: "POST", path: session + leaverID + "/leave", bearer: leaver}, 200, false},
		{"kick", call{method: "DELETE", path: session + kicked + "?block=true", bearer: host}, 200, false},
		{"kick again", call{method: "DELETE", path: session + kicked, bearer: host}, 409, false},
		{"poll events", call{method: "GET", path: "/v1/rooms/stage/events?after=0&wait=0s", basic: &s.prod, header: accept}, 200, false},
		{"poll events as a participant", call{method: "GET", path: "/v1/rooms/stage/events?after=3", bearer: gus, header: accept}, 200, false},
		{"poll events after -1", call{method: "GET", path: "/v1/rooms/stage/events?after=-1", basic: &s.prod, header: accept}, 400, true},
		{"set the join policy", call{method: "PUT", path: "/v1/app/session-policy", basic: &s.prod, body: map[string]any{"policy": "join"}}, 200, false},
		{"set no policy", call{method: "PUT", path: "/v1/app/session-policy", basic: &s.prod, body: map[string]any{"policy": "never"}}, 400, true},
		{"end a room", call{method: "DELETE", path: "/v1/rooms/hall", basic: &s.prod}, 204, false},
		{"end it again", call{method: "DELETE", path: "/v1/rooms/hall", basic: &s.prod}, 409, false},
	})
}
