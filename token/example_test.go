package token_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/stagedoor/stagedoor/access"
	"github.com/stagedoor/stagedoor/token"
)

func Example() {
	key, err := token.NewHMACKey("api_key_prod", []byte("a secret of at least thirty-two bytes"), access.Production)
	if err != nil {
		panic(err)
	}
	issued := time.Now()
	tok, err := token.Mint(key, &token.Claims{
		Subject:   "user_2f9a81c4",
		Audience:  access.AudienceRTC,
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
	v := token.NewVerifier(keys, token.WithAudience(access.AudienceRTC))
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

// Grants resolved by the access package go into a token through NewClaims
// and come back out through GrantsOf, ready for access's decisions.
func ExampleNewClaims() {
	catalog, err := access.NewCatalog()
	if err != nil {
		panic(err)
	}
	speaker, err := catalog.Role(access.Speaker)
	if err != nil {
		panic(err)
	}
	grants, err := access.Resolve(access.KeyHolder(access.Production), access.Production, access.Request{
		Role: speaker, Rooms: []string{"lobby"}, TTL: access.DefaultTTL,
	})
	if err != nil {
		panic(err)
	}
	key, err := token.NewHMACKey("api_key_prod", []byte("a secret of at least thirty-two bytes"), access.Production)
	if err != nil {
		panic(err)
	}
	tok, err := token.Mint(key, token.NewClaims(token.Spec{
		Issuer: key.ID(), Kind: key.Kind(), Subject: "user_2f9a81c4", Audience: access.AudienceRTC,
		ID: "tok_8d1e6b0f5a2c4e79", IssuedAt: time.Now(), TTL: access.DefaultTTL, Grants: grants,
	}))
	if err != nil {
		panic(err)
	}

	keys, err := token.NewKeySet(key)
	if err != nil {
		panic(err)
	}
	claims, err := token.NewVerifier(keys).Verify(context.Background(), tok)
	if err != nil {
		panic(err)
	}
	held, err := token.GrantsOf(claims)
	if err != nil {
		panic(err)
	}
	fmt.Println(held.Permissions)
	fmt.Println(held.Check("lobby", "", access.ProduceMicrophone) == nil, held.Check("lobby", "", access.ProduceCamera))
	// Output:
	// consume,data.receive,data.send,metadata.update,produce.microphone,room.join
	// true missing permission produce.camera
}
