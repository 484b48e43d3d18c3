// Package auth holds what sign-in needs outside the web layer: password
// hashing with argon2id (RFC 9106's second recommended parameters) and the
// roles. The command line (user add|passwd) and the login page share it.
package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Roles, lowest first: each can do what the ones before it can.
const (
	Viewer   = "viewer"
	Operator = "operator"
	Admin    = "admin"
)

var roles = []string{Viewer, Operator, Admin}

// ValidRole says whether r is a role.
func ValidRole(r string) bool { return slices.Contains(roles, r) }

// AtLeast says whether role has at least the rights of min.
func AtLeast(role, min string) bool {
	i, j := slices.Index(roles, role), slices.Index(roles, min)
	return i >= 0 && j >= 0 && i >= j
}

// argon2id parameters: 64 MiB, 3 passes, 1 lane (RFC 9106, 4.).
const (
	memKiB  = 64 * 1024
	passes  = 3
	lanes   = 1
	keyLen  = 32
	saltLen = 16
)

// NoPassword is stored for users who can only sign in through SSO: no
// password verifies against it.
const NoPassword = "!"

// Hash returns the PHC string of password.
func Hash(password string) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, passes, memKiB, lanes, keyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, memKiB, passes, lanes, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Verify says whether password matches hash.
func Verify(hash, password string) (bool, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		if hash == NoPassword {
			return false, nil
		}
		return false, errors.New("password hash: not an argon2id PHC string")
	}
	var v, m, t int
	var p uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return false, fmt.Errorf("password hash: version %q", parts[2])
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m <= 0 || t <= 0 || p == 0 || m > 1<<22 || t > 100 {
		return false, fmt.Errorf("password hash: parameters %q", parts[3])
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	key, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(key) == 0 {
		return false, errors.New("password hash: bad encoding")
	}
	got := argon2.IDKey([]byte(password), salt, uint32(t), uint32(m), p, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

// Generate returns a random password of 20 characters.
func Generate() string {
	b := make([]byte, 15)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
