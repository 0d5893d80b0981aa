package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/stagedoor/stagedoor/client"
)

// stagedoorURL is where stagedoor serves, and apiKey and apiSecret the API
// key the app's backend holds: in these examples, the server the tests
// start.
var stagedoorURL, apiKey, apiSecret string

// A backend token endpoint: the app's backend, which holds the API key,
// mints a short-lived token for the user it has logged in. The user's
// program asks it whenever its token is due, here through a TokenSource.
func Example_backendTokenEndpoint() {
	sd, err := client.New(stagedoorURL, client.WithAPIKey(apiKey, apiSecret))
	if err != nil {
		log.Fatal(err)
	}
	// loggedIn stands for the app's own session lookup.
	loggedIn := func(r *http.Request) (userID string, ok bool) {
		c, err := r.Cookie("session")
		if err != nil || c.Value != "alices-session" {
			return "", false
		}
		return "alice", true
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/stagedoor-token", func(w http.ResponseWriter, r *http.Request) {
		userID, ok := loggedIn(r)
		if !ok {
			http.Error(w, "log in first", http.StatusUnauthorized)
			return
		}
		tok, err := sd.CreateToken(r.Context(), client.TokenRequest{
			UserID: userID, Role: "conference-participant", Rooms: []string{"standup"}, TTLSeconds: 600,
		})
		var e *client.Error
		switch {
		case errors.As(err, &e) && e.Temporary():
			http.Error(w, "try again", http.StatusServiceUnavailable)
			return
		case err != nil:
			log.Print(err)
			http.Error(w, "cannot issue a token", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		json.NewEncoder(w).Encode(map[string]string{"token": tok.AccessToken})
	})
	app := httptest.NewServer(mux)
	defer app.Close()

	// The user's side: the refresh function asks the endpoint, with the
	// user's session cookie, never with the API secret.
	ts, err := client.NewTokenSource(func(ctx context.Context) (string, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, app.URL+"/api/stagedoor-token", nil)
		if err != nil {
			return "", err
		}
		req.AddCookie(&http.Cookie{Name: "session", Value: "alices-session"})
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return "", fmt.Errorf("token endpoint: %s", resp.Status)
		}
		var body struct{ Token string }
		err = json.NewDecoder(resp.Body).Decode(&body)
		return body.Token, err
	})
	if err != nil {
		log.Fatal(err)
	}
	tok, err := ts.Token()
	if err != nil {
		log.Fatal(err)
	}
	v, err := sd.Verify(context.Background(), tok.AccessToken, client.VerifyRequest{Room: "standup", Permission: "produce.camera"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(v.Subject, v.Role, v.Allowed, time.Until(tok.Expiry) > 9*time.Minute)
	// Output: alice conference-participant true true
}

// A media server's check: may the token a peer presents do this in this
// room? Verify answers the grants of an allowed token, and a 401 or 403
// *client.Error saying why for a refused one. (Package verifier checks
// tokens offline instead, from the JWKS and the revocation feed.)
func Example_mediaServerCheck() {
	sd, err := client.New(stagedoorURL)
	if err != nil {
		log.Fatal(err)
	}
	mayPublish := func(ctx context.Context, token, room string) string {
		v, err := sd.Verify(ctx, token, client.VerifyRequest{Room: room, Permission: "produce.camera"})
		var e *client.Error
		switch {
		case err == nil:
			return "allowed as " + v.Role
		case errors.As(err, &e) && (e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden):
			why := fmt.Sprintf("refused: %d %s", e.Status, e.Code)
			if e.Missing != "" {
				why += " " + e.Missing
			}
			return why
		default:
			return "cannot tell: " + err.Error()
		}
	}

	// Tokens the app's backend minted for two users of room "stage".
	backend, err := client.New(stagedoorURL, client.WithAPIKey(apiKey, apiSecret))
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	for _, who := range []struct{ user, role string }{{"hana", "host"}, {"vic", "viewer"}} {
		tok, err := backend.CreateToken(ctx, client.TokenRequest{UserID: who.user, Role: who.role, Rooms: []string{"stage"}})
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(who.user, "in stage:", mayPublish(ctx, tok.AccessToken, "stage"))
		fmt.Println(who.user, "elsewhere:", mayPublish(ctx, tok.AccessToken, "elsewhere"))
	}
	fmt.Println("garbage:", mayPublish(ctx, "not-a-token", "stage"))
	// Output:
	// hana in stage: allowed as host
	// hana elsewhere: refused: 403 room_mismatch
	// vic in stage: refused: 403 missing_permission produce.camera
	// vic elsewhere: refused: 403 room_mismatch
	// garbage: refused: 401 malformed
}

// An end user's program joins a room with a token kept fresh by its
// TokenSource, follows the room's events, and leaves.
func ExampleClient_JoinRoom() {
	ts, err := client.NewTokenSource(func(ctx context.Context) (string, error) {
		// Ask the app's backend token endpoint (see the first example).
		return "", errors.New("not in this example")
	})
	if err != nil {
		log.Fatal(err)
	}
	user, err := client.New(stagedoorURL, client.WithTokenSource(ts))
	if err != nil {
		log.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rs, err := user.JoinRoom(ctx, "standup", client.OnEvent(func(e client.Event) {
		fmt.Println(e.Seq, e.Type, e.SessionID)
	}))
	if err != nil {
		log.Fatal(err) // a 409 *client.Error room_full, an *client.EndedError when rejected...
	}
	defer rs.Close()
	if _, err := rs.Produce(ctx, "camera"); err != nil {
		log.Print(err)
	}
	<-rs.Done()
	log.Print("session ended: ", rs.Err())
}
