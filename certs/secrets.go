package certs

import (
	"cmp"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/gatebridge/gatebridge/model"
)

var (
	// ErrInvalidSecret marks a Secret whose material cannot be served, including one that does not exist.
	ErrInvalidSecret = errors.New("invalid TLS secret")
	// ErrSecretNotFound marks a Secret that does not exist; such an error is also ErrInvalidSecret.
	ErrSecretNotFound = errors.New("secret not found")
)

// clockSkew is how far in the future a certificate's NotBefore may be and the certificate still be
// served: cert-manager starts validity at the moment it signs, by its own clock, and a controller whose
// clock is a little behind would otherwise refuse a fresh certificate until something else changes.
const clockSkew = 5 * time.Minute

// minRSABits is the smallest RSA key Envoy loads; a smaller one would make Envoy reject the whole
// listener update.
const minRSABits = 2048

// secretError says why one Secret cannot be served, naming it but never quoting its bytes.
type secretError struct {
	name    string
	err     error
	missing bool
}

func (e *secretError) Error() string {
	if e.missing {
		// In a cluster the controller reads only TLS Secrets: an Opaque one exists but is not seen.
		return "secret " + e.name + " not found (in a cluster, only Secrets of type kubernetes.io/tls are read)"
	}
	return "secret " + e.name + ": " + e.err.Error()
}

func (e *secretError) Unwrap() error { return e.err }

func (e *secretError) Is(target error) bool {
	return target == ErrInvalidSecret || (e.missing && target == ErrSecretNotFound)
}

// NotFound is the error of a Secret ("namespace/name") that does not exist.
func NotFound(name string) error { return &secretError{name: name, missing: true} }

// Verdict is what validation found about one Secret.
type Verdict struct {
	// Err says why the Secret cannot be served; nil when it can.
	Err error
	// Material is the certificate chain and key to serve, set when Err is nil.
	Material model.TLSSecret
	// NotBefore and NotAfter bound the validity of the leaf certificate, when it parsed.
	NotBefore, NotAfter time.Time
	// leaf is the leaf certificate, when it parsed.
	leaf *x509.Certificate
}

// Verdicts judges Secrets at one instant, each only when asked about and at most once: a cluster holds
// many TLS Secrets that no Ingress or Gateway names, and parsing them would be wasted work.
type Verdicts struct {
	now     time.Time
	secrets map[string]*corev1.Secret
	checked map[string]Verdict
}

// Validate makes the Verdicts of secrets at now (see Check), by "namespace/name". It parses nothing: a
// Secret is checked when Err or Material first asks about it.
func Validate(secrets []corev1.Secret, now time.Time) *Verdicts {
	v := &Verdicts{now: now, secrets: make(map[string]*corev1.Secret, len(secrets)), checked: map[string]Verdict{}}
	for i := range secrets {
		s := &secrets[i]
		v.secrets[s.Namespace+"/"+s.Name] = s
	}
	return v
}

// verdict checks the Secret name ("namespace/name") the first time it is asked about; ok is false when
// no such Secret exists.
func (v *Verdicts) verdict(name string) (Verdict, bool) {
	if verdict, ok := v.checked[name]; ok {
		return verdict, true
	}
	s, ok := v.secrets[name]
	if !ok {
		return Verdict{}, false
	}
	verdict := Check(s, v.now)
	v.checked[name] = verdict
	return verdict, true
}

// Err is why the Secret name ("namespace/name") cannot be served, or nil; a Secret that was not given
// to Validate does not exist.
func (v *Verdicts) Err(name string) error {
	verdict, ok := v.verdict(name)
	if !ok {
		return NotFound(name)
	}
	return verdict.Err
}

// Covers reports whether the Secret name ("namespace/name") can be served and its certificate is
// valid for host (a DNS name, or a wildcard that one of its names is exactly).
func (v *Verdicts) Covers(name, host string) bool {
	verdict, ok := v.verdict(name)
	return ok && verdict.Err == nil && verdict.leaf != nil && verdict.leaf.VerifyHostname(host) == nil
}

// Material returns the material of the usable Secrets among names, sorted by name, and an error for
// each of the others.
func (v *Verdicts) Material(names []string) ([]model.TLSSecret, []error) {
	var out []model.TLSSecret
	var errs []error
	for _, name := range names {
		if err := v.Err(name); err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, v.checked[name].Material)
	}
	slices.SortFunc(out, func(a, b model.TLSSecret) int { return cmp.Compare(a.Name, b.Name) })
	return slices.CompactFunc(out, func(a, b model.TLSSecret) bool { return a.Name == b.Name }), errs
}

// NextChange is the earliest validity bound after the instant of the Verdicts among the Secrets asked
// about: when a usable certificate expires or a not yet valid one becomes valid, their verdicts change.
// Secrets nobody asked about cannot change an answer. It is zero when nothing will change by itself,
// and when validity is not checked (a zero instant).
func (v *Verdicts) NextChange() time.Time {
	var next time.Time
	if v.now.IsZero() {
		return next
	}
	for _, verdict := range v.checked {
		for _, t := range []time.Time{verdict.NotBefore.Add(-clockSkew), verdict.NotAfter.Add(time.Second)} {
			if t.After(v.now) && (next.IsZero() || t.Before(next)) {
				next = t
			}
		}
	}
	return next
}

// Material validates the Secrets named "namespace/name" in names and returns the TLS material of those
// that can be served, sorted by name, with an error naming each Secret that cannot (never its bytes).
func Material(secrets []corev1.Secret, names []string, now time.Time) ([]model.TLSSecret, []error) {
	return Validate(secrets, now).Material(names)
}

// Check validates one Secret as Envoy will serve it: a kubernetes.io/tls (or Opaque) Secret whose
// tls.crt holds a PEM certificate chain and whose tls.key holds the matching private key, RSA keys of
// at least 2048 bits, the leaf certificate valid at now (up to clockSkew before its NotBefore). A zero
// now skips the validity period.
func Check(s *corev1.Secret, now time.Time) Verdict {
	name := s.Namespace + "/" + s.Name
	leaf, err := checkSecret(s)
	var v Verdict
	if leaf != nil {
		v.NotBefore, v.NotAfter, v.leaf = leaf.NotBefore, leaf.NotAfter, leaf
	}
	if err == nil {
		err = checkValidity(leaf, now)
	}
	if err != nil {
		v.Err = &secretError{name: name, err: err}
		return v
	}
	v.Material = model.TLSSecret{Name: name, Cert: secretBytes(s, corev1.TLSCertKey), Key: secretBytes(s, corev1.TLSPrivateKeyKey)}
	return v
}

// checkSecret checks the type, the keys and the pair of a Secret; it returns the leaf certificate when
// tls.crt parses, even if something else is wrong.
func checkSecret(s *corev1.Secret) (*x509.Certificate, error) {
	if s.Type != "" && s.Type != corev1.SecretTypeTLS && s.Type != corev1.SecretTypeOpaque {
		return nil, fmt.Errorf("has type %s, want %s", s.Type, corev1.SecretTypeTLS)
	}
	certPEM, keyPEM := secretBytes(s, corev1.TLSCertKey), secretBytes(s, corev1.TLSPrivateKeyKey)
	for _, k := range []string{corev1.TLSCertKey, corev1.TLSPrivateKeyKey} {
		if len(secretBytes(s, k)) == 0 {
			return nil, fmt.Errorf("has no %s", k)
		}
	}
	leaf, err := parseChain(certPEM)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", corev1.TLSCertKey, err)
	}
	key, err := parseKey(keyPEM)
	if err != nil {
		return leaf, fmt.Errorf("%s: %w", corev1.TLSPrivateKeyKey, err)
	}
	if err := checkPair(leaf, key); err != nil {
		return leaf, err
	}
	return leaf, nil
}

func secretBytes(s *corev1.Secret, key string) []byte {
	if b := s.Data[key]; len(b) > 0 {
		return b
	}
	return []byte(s.StringData[key])
}

// parseChain parses every CERTIFICATE block of a PEM chain and returns the first, the leaf.
func parseChain(b []byte) (*x509.Certificate, error) {
	var leaf *x509.Certificate
	for i := 0; ; i++ {
		var block *pem.Block
		block, b = pem.Decode(b)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("certificate %d does not parse: %w", i+1, err)
		}
		if leaf == nil {
			leaf = c
		}
	}
	if leaf == nil {
		return nil, errors.New("no PEM certificate")
	}
	return leaf, nil
}

// parseKey parses the first private key block of a PEM file (PKCS#8, PKCS#1 or SEC 1).
func parseKey(b []byte) (crypto.Signer, error) {
	for {
		var block *pem.Block
		block, b = pem.Decode(b)
		if block == nil {
			return nil, errors.New("no PEM private key")
		}
		if !strings.HasSuffix(block.Type, "PRIVATE KEY") {
			continue
		}
		if block.Type == "ENCRYPTED PRIVATE KEY" || strings.Contains(block.Headers["Proc-Type"], "ENCRYPTED") {
			return nil, errors.New("the private key is encrypted")
		}
		var key any
		var err error
		switch block.Type {
		case "RSA PRIVATE KEY":
			key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
		case "EC PRIVATE KEY":
			key, err = x509.ParseECPrivateKey(block.Bytes)
		default:
			key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		}
		if err != nil {
			return nil, fmt.Errorf("private key does not parse: %w", err)
		}
		signer, ok := key.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("private key of type %T cannot sign", key)
		}
		return signer, nil
	}
}

// checkPair checks that the key belongs to the leaf certificate and that Envoy takes its kind.
func checkPair(leaf *x509.Certificate, key crypto.Signer) error {
	pub, ok := leaf.PublicKey.(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(key.Public()) {
		return fmt.Errorf("%s does not match the certificate in %s", corev1.TLSPrivateKeyKey, corev1.TLSCertKey)
	}
	switch k := key.(type) {
	case *rsa.PrivateKey:
		if bits := k.N.BitLen(); bits < minRSABits {
			return fmt.Errorf("RSA key of %d bits; Envoy takes %d bits or more", bits, minRSABits)
		}
	case *ecdsa.PrivateKey, ed25519.PrivateKey:
	default:
		return fmt.Errorf("private key of type %T is not supported", key)
	}
	return nil
}

func checkValidity(leaf *x509.Certificate, now time.Time) error {
	switch {
	case now.IsZero():
		return nil
	case now.After(leaf.NotAfter):
		return fmt.Errorf("certificate expired at %s", leaf.NotAfter.UTC().Format(time.RFC3339))
	case now.Add(clockSkew).Before(leaf.NotBefore):
		return fmt.Errorf("certificate is not valid before %s", leaf.NotBefore.UTC().Format(time.RFC3339))
	}
	return nil
}
