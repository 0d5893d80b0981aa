package console_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stagedoor/stagedoor/client"
)

// TestConsoleInChromium walks the console in headless chromium against a
// real stagedoor serve: sign in with a console link (which works once),
// create an app and a key whose secret shows once, define a role,
// generate a token and inspect it, revoke its user and inspect it again,
// then moderate a live room that separate clients use: a participant
// asking to join appears within a second and is admitted, a producer
// beyond the cap is refused and the console shows the room full, a hand is
// raised and granted, a participant is muted, another's role changed, and
// one kicked with block cannot join again. Every page is saved as
// screenshots at 1280x800 and 390x844 and checked with axe-core.
func TestConsoleInChromium(t *testing.T) {
	axe := need(t)
	srv := startServer(t)
	b := newBrowser(t, axe)
	op := b.tab(t)

	link := srv.login(t, "alice")
	op.open(link)
	op.waitText("#operator", "operator:alice")
	if h := eval[string](op, "location.hash"); strings.Contains(h, "code") {
		t.Fatalf("the link's code stays in the address: %s", h)
	}

	t.Log("the link works once")
	again := b.tab(t)
	again.open(link)
	again.waitText(`[data-field="code"] .error`, "used or expired")
	if !eval[bool](again, `document.getElementById("nav").hidden`) {
		t.Fatal("a used link signed in")
	}
	again.check("signin")

	t.Log("create an app and a key: the secret shows once")
	op.page("apps", "Apps and keys")
	op.set(`form[aria-labelledby="new-app-h"] input[name="name"]`, "no spaces")
	op.click(`form[aria-labelledby="new-app-h"] button[type="submit"]`)
	op.waitText(`form[aria-labelledby="new-app-h"] [data-field="name"] .error`, "must be 1-64 letters")
	op.set(`form[aria-labelledby="new-app-h"] input[name="name"]`, "shop")
	op.click(`form[aria-labelledby="new-app-h"] button[type="submit"]`)
	op.waitText("#keys-h", "API keys of shop")
	op.set(`form[aria-labelledby="new-key-h"] select[name="kind"]`, "production")
	op.click(`form[aria-labelledby="new-key-h"] button[type="submit"]`)
	op.waitText("#secret-h", "copy its secret now")
	key := strings.TrimSpace(op.text("#new-key"))
	secret := strings.Fields(op.text("#new-secret"))[0]
	op.check("apps")
	op.page("roles", "Roles")
	op.page("apps", "Apps and keys")
	op.waitText("#keys-h", "API keys of shop")
	if strings.Contains(op.text("main"), secret) || !strings.Contains(op.text("main"), key) {
		t.Fatal("the key list shows the secret, or not the key")
	}
	backend, err := client.New(srv.URL, client.WithAPIKey(key, secret))
	if err != nil {
		t.Fatal(err)
	}

	t.Log("a custom role, refused then saved")
	op.page("roles", "Roles")
	op.set(`form[aria-labelledby="role-h"] input[name="name"]`, "knocker")
	op.set(`form[aria-labelledby="role-h"] input[name="rank"]`, "101")
	for _, p := range []string{"room.ask_join", "consume", "produce.camera"} {
		op.click(`form[aria-labelledby="role-h"] input[value="` + p + `"]`)
	}
	op.click(`form[aria-labelledby="role-h"] button[type="submit"]`)
	op.waitText(`form[aria-labelledby="role-h"] [data-field="rank"] .error`, "outside [0, 100]")
	op.set(`form[aria-labelledby="role-h"] input[name="rank"]`, "10")
	op.click(`form[aria-labelledby="role-h"] button[type="submit"]`)
	op.waitText("main table", "knocker")
	op.check("roles")

	t.Log("generate a token and inspect it")
	op.page("tokens", "Token generator")
	op.set(`select[name="api_key"]`, key)
	op.set(`input[name="user_id"]`, "alice")
	op.set(`select[name="role"]`, "host")
	op.set(`input[name="rooms"]`, "demo")
	op.set(`input[name="ttl_seconds"]`, "999999")
	op.click(`form[aria-labelledby="gen-h"] button[type="submit"]`)
	op.waitText(`[data-field="ttl_seconds"] .error`, "must be between 1 and 86400")
	op.set(`input[name="ttl_seconds"]`, "600")
	op.click(`form[aria-labelledby="gen-h"] button[type="submit"]`)
	op.waitText("#minted", "stagedoor token mint --api-key "+key)
	tok := eval[string](op, `document.querySelector("#token-out").value`)
	if !strings.Contains(op.text("#minted"), "demo") || !strings.Contains(op.text("#minted"), "curl -s -u") {
		t.Fatalf("the generator shows %q", op.text("#minted"))
	}
	op.check("tokens")
	op.click("#to-inspector")
	op.waitText("#inspection", "Valid.")
	op.waitText("#inspection", "verified")
	op.check("inspect")
	op.set(`input[name="secret"]`, "short")
	op.click(`form[aria-labelledby="inspect-h"] button[type="submit"]`)
	op.waitText(`[data-field="secret"] .error`, "shorter than 32 bytes")
	op.set(`input[name="secret"]`, "")

	t.Log("revoke its user: the inspector says revoked, and why")
	op.page("revocations", "Revocations")
	op.set(`select[name="kind"]`, "user_id")
	op.set(`input[name="user_id"]`, "a/b")
	op.click(`form[aria-labelledby="revoke-h"] button[type="submit"]`)
	op.waitText(`[data-field="user_id"] .error`, "must not contain '/'")
	op.set(`input[name="user_id"]`, "alice")
	op.click(`form[aria-labelledby="revoke-h"] button[type="submit"]`)
	op.waitText("main", "Revoked: every token of user alice")
	op.check("revocations")
	op.page("inspect", "Inspector")
	op.set(`textarea[name="token"]`, tok)
	op.click(`form[aria-labelledby="inspect-h"] button[type="submit"]`)
	op.waitText("#inspection", "Invalid (revoked)")
	op.waitText("#inspection", "every token of user alice issued up to")
	op.check("inspect-revoked")

	moderate(t, op, srv.URL, backend)

	t.Log("the other pages")
	op.page("signing-keys", "Signing keys")
	op.check("signing-keys")
	op.click(`main form button[type="submit"]`)
	op.waitText("main", "signs from now on")
	op.page("audit", "Audit log")
	op.waitText("main table", "operator:alice")
	op.set(`input[name="since"]`, "2026-01-02T00:00:00")
	op.set(`input[name="until"]`, "2026-01-01T00:00:00")
	op.click(`form[aria-labelledby="audit-h"] button[type="submit"]`)
	op.waitText(`[data-field="until"] .error`, "must be after since")
	op.set(`input[name="since"]`, "")
	op.set(`input[name="until"]`, "")
	op.set(`select[name="app"]`, "")
	op.set(`input[name="actor"]`, "operator:alice")
	op.set(`input[name="action"]`, "app.create")
	op.click(`form[aria-labelledby="audit-h"] button[type="submit"]`)
	op.waitFor(`document.querySelectorAll("main table tbody tr").length === 1`, "for alice's app.create alone")
	if row := op.text("main table tbody tr"); !strings.Contains(row, "app.create") || !strings.Contains(row, "shop") {
		t.Fatalf("the audit log filtered to alice's app.create shows %q", row)
	}
	op.check("audit")
	op.page("sessions", "Console sessions")
	op.waitText("main table", "operator:alice")
	op.check("sessions")

	signedOut(t, srv, b, op)

	t.Log("an app's owner signs in with its key and sees its app only")
	owner := b.tab(t)
	owner.open(srv.URL + "/console/")
	owner.set(`input[name="api_key"]`, key)
	owner.set(`input[name="api_secret"]`, secret)
	owner.click(`form[aria-labelledby="signin-owner"] button[type="submit"]`)
	owner.waitText("#operator", "owner:"+key)
	owner.waitText("#app-picker", "shop")
	if opts := eval[int](owner, `document.querySelectorAll("#app-picker option").length`); opts != 1 {
		t.Fatalf("an owner picks among %d apps", opts)
	}
	owner.waitText("main h1", "Token generator")
	owner.waitText("#gen-h", "New token for shop")
	owner.check("owner-tokens")
	owner.page("signing-keys", "Signing keys")
	owner.waitText("main", "Only an operator")
	owner.check("owner-signing-keys")
	owner.click(`#who button`)
	owner.waitText("main h1", "Sign in")
}

// signedOut ends bob's console session from alice's tab: bob's next step
// leads him back to the sign-in, and so does opening the console again
// with the ended session's token; alice's inspector says how it ended.
func signedOut(t *testing.T, srv *server, b *browser, op *tab) {
	t.Log("a console token refused leads back to the sign-in")
	bob := b.tab(t)
	bob.open(srv.login(t, "bob"))
	bob.waitText("#operator", "operator:bob")
	held := eval[string](bob, `sessionStorage.getItem("stagedoor.console")`)
	id := eval[string](bob, `JSON.parse(sessionStorage.getItem("stagedoor.console")).session.id`)
	bobToken := eval[string](bob, `JSON.parse(sessionStorage.getItem("stagedoor.console")).access_token`)

	op.page("inspect", "Inspector")
	op.page("sessions", "Console sessions")
	end := `button[aria-label$="of operator:bob (` + id + `)"]`
	op.click(end)
	op.waitText(end, "sure?")
	op.click(end)
	op.waitText("main", "Ended the session of operator:bob")

	bob.page("apps", "Sign in")
	bob.waitText("main", "Signed out: ")
	if !eval[bool](bob, `document.getElementById("nav").hidden`) {
		t.Fatal("signed out, the navigation still shows")
	}
	bob.check("signed-out")
	eval[bool](bob, fmt.Sprintf(`(sessionStorage.setItem("stagedoor.console", %q), true)`, held))
	bob.open(srv.URL + "/console/#/apps")
	bob.waitText("main h1", "Sign in")
	bob.waitText("main", "Signed out: ")

	t.Log("ending a session that signed out meanwhile: the refusal shows beside the button")
	carl := b.tab(t)
	carl.open(srv.login(t, "carl"))
	carl.waitText("#operator", "operator:carl")
	carlID := eval[string](carl, `JSON.parse(sessionStorage.getItem("stagedoor.console")).session.id`)
	op.page("inspect", "Inspector")
	op.page("sessions", "Console sessions")
	end = `button[aria-label$="of operator:carl (` + carlID + `)"]`
	op.click(end)
	op.waitText(end, "sure?")
	carl.click(`#who button`)
	carl.waitText("main", "Signed out.")
	op.click(end)
	op.waitText(end+" + .error", "already revoked")

	op.page("inspect", "Inspector")
	op.set(`textarea[name="token"]`, bobToken)
	op.click(`form[aria-labelledby="inspect-h"] button[type="submit"]`)
	op.waitText("#inspection", "Invalid (revoked)")
	op.waitText("#inspection", "its console session "+id+" was signed out at")
}

// moderate drives the live-room page while separate clients use the room.
func moderate(t *testing.T, op *tab, url string, backend *client.Client) {
	ctx := context.Background()
	if _, err := backend.CreateRoom(ctx, client.RoomRequest{Name: "stage", Type: "conference", MaxProducers: 1}); err != nil {
		t.Fatal(err)
	}
	user := func(id, role string) *client.Client {
		ts, err := client.NewTokenSource(func(ctx context.Context) (string, error) {
			tok, err := backend.CreateToken(ctx, client.TokenRequest{UserID: id, Role: role, Rooms: []string{"stage"}})
			return tok.AccessToken, err
		})
		if err != nil {
			t.Fatal(err)
		}
		c, err := client.New(url, client.WithTokenSource(ts))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}

	op.page("rooms", "Live rooms")
	op.waitText("main table", "stage")
	op.check("rooms")
	op.click(`main table a[href="#/rooms/stage"]`)
	op.waitText("#producers", "0 of 1")

	t.Log("kim asks to join: the console shows her within a second and admits her")
	kim := user("kim", "knocker")
	joined := make(chan error, 1)
	var kimRoom *client.RoomSession
	asked := time.Now()
	go func() {
		var err error
		kimRoom, err = kim.JoinRoom(ctx, "stage")
		joined <- err
	}()
	shown := op.waitText("#room-live", "kim", time.Second)
	t.Logf("kim waited %s before the console showed her (asked %s ago)", shown, time.Since(asked))
	op.check("room")
	op.click(`button[aria-label="Admit kim"]`)
	select {
	case err := <-joined:
		if err != nil {
			t.Fatalf("kim was not admitted: %v", err)
		}
	case <-time.After(stepTimeout):
		t.Fatal("kim never saw her admission")
	}
	defer kimRoom.Close()
	if _, err := kimRoom.Produce(ctx, "camera"); err != nil {
		t.Fatal(err)
	}
	op.waitText("#producers", "1 of 1")

	t.Log("a producer beyond the cap is refused, and the console shows the room full")
	gus, err := user("gus", "guest").JoinRoom(ctx, "stage")
	if err != nil {
		t.Fatal(err)
	}
	defer gus.Close()
	var refused *client.Error
	if _, err := gus.Produce(ctx, "camera"); !errors.As(err, &refused) || refused.Status != http.StatusConflict || refused.Code != "room_full" {
		t.Fatalf("a producer beyond the cap: %v", err)
	}
	op.waitText("#producers", "full: more are refused")

	t.Log("a raised hand granted, a mute, a role change")
	vic, err := user("vic", "viewer").JoinRoom(ctx, "stage")
	if err != nil {
		t.Fatal(err)
	}
	defer vic.Close()
	if _, err := vic.RequestPermission(ctx, "produce.microphone"); err != nil {
		t.Fatal(err)
	}
	op.click(`button[aria-label="Grant produce.microphone to vic"]`)
	op.waitText("#room-live", "No hand raised.")
	op.click(`button[aria-label="Mute the camera of kim"]`)
	op.waitText("#producers", "0 of 1")
	op.set(`select[aria-label="New role for gus"]`, "speaker")
	op.click(`button[data-key^="setrole-"][data-key$="` + gus.ID() + `"]`)
	op.waitText("#room-live", "speaker")
	op.check("room-moderated")

	t.Log("kick with block: kim cannot join again")
	op.click(`#block-` + kimRoom.ID())
	op.click(`button[aria-label="Kick kim"]`)
	select {
	case <-kimRoom.Done():
	case <-time.After(stepTimeout):
		t.Fatal("kim's session did not end")
	}
	var ended *client.EndedError
	if err := kimRoom.Err(); !errors.As(err, &ended) || ended.Session.EndReason != "kicked" {
		t.Fatalf("kim's session ended with %v", err)
	}
	if _, err := kim.JoinRoom(ctx, "stage"); !errors.As(err, &refused) || refused.Status != http.StatusForbidden || refused.Code != "blocked" {
		t.Fatalf("kim joining again: %v", err)
	}

	t.Log("the live rooms, a page at a time")
	for i := range 51 {
		if _, err := backend.CreateRoom(ctx, client.RoomRequest{Name: fmt.Sprintf("r%02d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	op.page("rooms", "Live rooms")
	op.waitText("#room-list", "r49")
	if rows := eval[int](op, `document.querySelectorAll("#room-list tbody tr").length`); rows != 50 || strings.Contains(op.text("#room-list"), "stage") {
		t.Fatalf("the first page of 52 rooms shows %d rows: %q", rows, op.text("#room-list"))
	}
	op.click(`#room-list button:last-child`)
	op.waitText("#room-list", "stage")
	if list := op.text("#room-list tbody") + op.text("#room-list .row"); !strings.Contains(list, "r50") || strings.Contains(list, "r49") || strings.Contains(list, "Next page") {
		t.Fatalf("the second page of rooms shows %q", list)
	}
	op.check("rooms-next")
	op.click(`#room-list button`)
	op.waitText("#room-list", "r00")
}
