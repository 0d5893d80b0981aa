package token

import "context"

// KeyResolver finds the key for a token's kid. When there is no such key
// it returns an error that matches ErrUnknownKey; any other error is
// treated as a lookup failure and passed on by Verify.
type KeyResolver interface {
	ResolveKey(ctx context.Context, kid string) (*Key, error)
}

// KeyResolverFunc adapts a function to the KeyResolver interface.
type KeyResolverFunc func(ctx context.Context, kid string) (*Key, error)

// ResolveKey returns f(ctx, kid).
func (f KeyResolverFunc) ResolveKey(ctx context.Context, kid string) (*Key, error) {
	return f(ctx, kid)
}

// KeySet is a fixed set of keys with distinct ids. It implements
// KeyResolver and is safe for concurrent use.
type KeySet struct {
	keys []*Key
	byID map[string]*Key
}

// NewKeySet returns a set of the given keys, which must have distinct ids.
func NewKeySet(keys ...*Key) (*KeySet, error) {
	s := &KeySet{byID: make(map[string]*Key, len(keys))}
	for _, k := range keys {
		if k == nil {
			return nil, newError(ErrInvalidKey, "nil key")
		}
		if _, dup := s.byID[k.id]; dup {
			return nil, newError(ErrInvalidKey, "duplicate key id "+quote(k.id))
		}
		s.byID[k.id] = k
		s.keys = append(s.keys, k)
	}
	return s, nil
}

// ResolveKey returns the key with id kid, or ErrUnknownKey.
func (s *KeySet) ResolveKey(_ context.Context, kid string) (*Key, error) {
	if k, ok := s.byID[kid]; ok {
		return k, nil
	}
	return nil, ErrUnknownKey
}

// Keys returns the keys of the set in the order they were given.
func (s *KeySet) Keys() []*Key {
	return append([]*Key(nil), s.keys...)
}
