package token_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/stagedoor/stagedoor/token"
)

func Example() {
	key, err := token.NewHMACKey("api_key_prod", []byte("a secret of at least thirty-two bytes"), token.Production)
	if err != nil {
		panic(err)
	}
	issued := time.Now()
	tok, err := token.Mint(key, &token.Claims{
		Subject:   "user_2f9a81c4",
		Audience:  token.AudienceRTC,
		ID:        "tok_8d1e6b0f5a2c4e79",
		IssuedAt:  issued,
		ExpiresAt: issued.Add(time.Hour),
		Grants:    token.Grants{Role: "speaker", Permissions: []string{"room.join"}, Rooms: []string{"lobby"}},
	})
	if err != nil {
		panic(err)
	}

	keys, err := token.NewKeySet(key)
	if err != nil {
		panic(err)
	}
	v := token.NewVerifier(keys, token.WithAudience(token.AudienceRTC))
	claims, err := v.Verify(context.Background(), tok)
	if err != nil {
		panic(err)
	}
	fmt.Println(claims.Issuer, claims.Subject, claims.Grants.Rooms)

	late := token.NewVerifier(keys, token.WithClock(func() time.Time { return issued.Add(2 * time.Hour) }))
	_, err = late.Verify(context.Background(), tok)
	fmt.Println(errors.Is(err, token.ErrExpired))
	// Output:
	// api_key_prod user_2f9a81c4 [lobby]
	// true
}
