package token

import "github.com/stagedoor/stagedoor/access"

// GrantsOf reads a token's grants into the access package's terms. Unknown
// permission names or user types, and a subject, participant or room that
// breaks the name rule (access.CheckName), make the token malformed: a token
// must speak the vocabulary, and a partner-minted token carries no name the
// API would refuse (one that could not be revoked or addressed).
func GrantsOf(c *Claims) (access.Grants, error) {
	if err := checkNames(c); err != nil {
		return access.Grants{}, malformed(err.Error())
	}
	perms, err := access.ParseSet(c.Grants.Permissions)
	if err != nil {
		return access.Grants{}, malformed(err.Error())
	}
	user := access.Authenticated
	if c.User != nil {
		if user, err = access.ParseUserType(c.User.Type); err != nil {
			return access.Grants{}, malformed(err.Error())
		}
	}
	return access.Grants{Role: c.Grants.Role, Permissions: perms, Rooms: c.Grants.Rooms, Participant: c.Grants.Participant, User: user}, nil
}

// checkNames applies the name rule to the names a token carries; an
// absent subject or participant is no name.
func checkNames(c *Claims) error {
	if c.Subject != "" {
		if err := access.CheckName("sub", c.Subject); err != nil {
			return err
		}
	}
	if c.Grants.Participant != "" {
		if err := access.CheckName("grants.participant", c.Grants.Participant); err != nil {
			return err
		}
	}
	for _, room := range c.Grants.Rooms {
		if err := access.CheckName("grants.rooms", room); err != nil {
			return err
		}
	}
	return nil
}
