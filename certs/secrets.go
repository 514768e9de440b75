package certs

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/gatebridge/gatebridge/model"
)

// ErrInvalidSecret marks a Secret whose material cannot be served.
var ErrInvalidSecret = errors.New("invalid TLS secret")

// Material validates the Secrets named "namespace/name" in names and returns the TLS material of those
// that can be served: the certificate and key parse, match, and the leaf is valid at now. Each Secret
// that cannot be served yields an error naming it (never its bytes).
func Material(secrets []corev1.Secret, names []string, now time.Time) ([]model.TLSSecret, []error) {
	byName := map[string]*corev1.Secret{}
	for i := range secrets {
		byName[secrets[i].Namespace+"/"+secrets[i].Name] = &secrets[i]
	}
	var out []model.TLSSecret
	var errs []error
	for _, name := range names {
		s, ok := byName[name]
		if !ok {
			errs = append(errs, fmt.Errorf("%w: secret %s not found", ErrInvalidSecret, name))
			continue
		}
		cert, key := secretBytes(s, corev1.TLSCertKey), secretBytes(s, corev1.TLSPrivateKeyKey)
		if err := checkPair(cert, key, now); err != nil {
			errs = append(errs, fmt.Errorf("%w: secret %s: %w", ErrInvalidSecret, name, err))
			continue
		}
		out = append(out, model.TLSSecret{Name: name, Cert: cert, Key: key})
	}
	slices.SortFunc(out, func(a, b model.TLSSecret) int {
		if a.Name < b.Name {
			return -1
		}
		return 1
	})
	return out, errs
}

func secretBytes(s *corev1.Secret, key string) []byte {
	if b := s.Data[key]; len(b) > 0 {
		return b
	}
	return []byte(s.StringData[key])
}

func checkPair(cert, key []byte, now time.Time) error {
	pair, err := tls.X509KeyPair(cert, key)
	if err != nil {
		return fmt.Errorf("certificate and key: %w", err)
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return fmt.Errorf("certificate: %w", err)
	}
	if now.Before(leaf.NotBefore) || now.After(leaf.NotAfter) {
		return fmt.Errorf("certificate is valid from %s to %s", leaf.NotBefore.Format(time.RFC3339), leaf.NotAfter.Format(time.RFC3339))
	}
	return nil
}
