// Package idcrypt protects national ID numbers at rest: AES-GCM encryption
// under a ring of versioned keys, and a keyed hash for exact-match search.
//
// The first key of the ring encrypts; every key decrypts. A ciphertext names
// the version of its key, so a key is rotated by putting a new one first:
// rows written under the old key stay readable until they are re-encrypted.
package idcrypt

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// KeySize is the size of an encryption key: AES-256.
const KeySize = 32

// minHashKey is the shortest hash key accepted.
const minHashKey = 32

// ErrUnknownKey is returned for a ciphertext whose key is not in the ring.
var ErrUnknownKey = errors.New("idcrypt: ciphertext of a key not in the ring")

// Sealer encrypts, decrypts and hashes ID numbers.
type Sealer struct {
	current string
	keys    map[string]cipher.AEAD
	hashKey []byte
}

// New builds a Sealer from the ring "v2:<base64 key>,v1:<base64 key>" (the
// first key encrypts) and a base64 hash key of at least 32 bytes. Errors
// never repeat key material.
func New(ring, hashKey string) (*Sealer, error) {
	s := &Sealer{keys: map[string]cipher.AEAD{}}
	for i, entry := range strings.Split(ring, ",") {
		version, encoded, ok := strings.Cut(strings.TrimSpace(entry), ":")
		if !ok || version == "" {
			return nil, fmt.Errorf("idcrypt: key %d of the ring is not <version>:<base64 key>", i+1)
		}
		if _, dup := s.keys[version]; dup {
			return nil, fmt.Errorf("idcrypt: key version %q appears twice in the ring", version)
		}
		key, err := base64.StdEncoding.DecodeString(encoded)
		if err != nil || len(key) != KeySize {
			return nil, fmt.Errorf("idcrypt: key %q must be %d bytes in base64", version, KeySize)
		}
		block, err := aes.NewCipher(key)
		if err != nil {
			return nil, err
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		s.keys[version] = aead
		if i == 0 {
			s.current = version
		}
	}
	hk, err := base64.StdEncoding.DecodeString(strings.TrimSpace(hashKey))
	if err != nil || len(hk) < minHashKey {
		return nil, fmt.Errorf("idcrypt: the hash key must be at least %d bytes in base64", minHashKey)
	}
	s.hashKey = hk
	return s, nil
}

// Current is the version of the key that encrypts.
func (s *Sealer) Current() string { return s.current }

// Seal encrypts plain with the current key and a random nonce, bound to
// context (the row's id), as "<version>:<base64 nonce+ciphertext>".
func (s *Sealer) Seal(plain, context string) (string, error) {
	aead := s.keys[s.current]
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	sealed := aead.Seal(nonce, nonce, []byte(plain), []byte(context))
	return s.current + ":" + base64.StdEncoding.EncodeToString(sealed), nil
}

// Open decrypts what Seal returned under the same context.
func (s *Sealer) Open(sealed, context string) (string, error) {
	version, encoded, ok := strings.Cut(sealed, ":")
	if !ok {
		return "", errors.New("idcrypt: malformed ciphertext")
	}
	aead, ok := s.keys[version]
	if !ok {
		return "", fmt.Errorf("%w: version %q", ErrUnknownKey, version)
	}
	raw, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil || len(raw) < aead.NonceSize() {
		return "", errors.New("idcrypt: malformed ciphertext")
	}
	plain, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], []byte(context))
	if err != nil {
		return "", errors.New("idcrypt: ciphertext does not authenticate")
	}
	return string(plain), nil
}

// Version is the key version a sealed value was written with.
func Version(sealed string) string {
	v, _, _ := strings.Cut(sealed, ":")
	return v
}

// Hash is the keyed hash of an ID number for exact-match search: equal
// numbers hash equal under one hash key, and the hash reveals nothing
// without it.
func (s *Sealer) Hash(plain string) []byte {
	m := hmac.New(sha256.New, s.hashKey)
	m.Write([]byte(plain))
	return m.Sum(nil)
}

// NewKey returns a random key in the ring's base64 form.
func NewKey() string {
	key := make([]byte, KeySize)
	_, _ = rand.Read(key) // crypto/rand.Read never fails
	return base64.StdEncoding.EncodeToString(key)
}
