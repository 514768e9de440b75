package certs

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"

	"github.com/gatebridge/gatebridge/model"
)

// CACertKey is the key of a Secret (or ConfigMap) that holds PEM CA certificates.
const CACertKey = "ca.crt"

// ClientMaterial is the material a DestinationRule's credentialName ("namespace/name") needs to
// originate TLS to a backend: the CA certificates of ca.crt, which verify the backend, and, when
// mutual, the certificate and key (checked as Check does) that Envoy presents. Without mutual TLS a
// Secret holding ca.crt alone is enough, and its tls.crt and tls.key are not read. The error names the
// Secret, never its bytes.
func (v *Verdicts) ClientMaterial(name string, mutual bool) (model.TLSSecret, error) {
	s, ok := v.secrets[name]
	if !ok {
		return model.TLSSecret{}, NotFound(name)
	}
	if s.Type != "" && s.Type != corev1.SecretTypeTLS && s.Type != corev1.SecretTypeOpaque {
		return model.TLSSecret{}, &secretError{name: name, err: fmt.Errorf("has type %s, want %s or %s", s.Type, corev1.SecretTypeTLS, corev1.SecretTypeOpaque)}
	}
	ca := secretBytes(s, CACertKey)
	if len(ca) > 0 {
		if err := CheckCABundle(ca); err != nil {
			return model.TLSSecret{}, &secretError{name: name, err: fmt.Errorf("%s: %w", CACertKey, err)}
		}
	}
	out := model.TLSSecret{Name: name, CA: ca}
	if mutual {
		verdict, _ := v.verdict(name)
		if verdict.Err != nil {
			return model.TLSSecret{}, verdict.Err
		}
		out.Cert, out.Key = verdict.Material.Cert, verdict.Material.Key
	} else if len(ca) == 0 {
		return model.TLSSecret{}, &secretError{name: name, err: fmt.Errorf("has no %s to verify the backend with", CACertKey)}
	}
	return out, nil
}

// CheckCABundle checks that b holds PEM certificates only (at least one), each of which parses.
func CheckCABundle(b []byte) error {
	n := 0
	for i := 1; ; i++ {
		var block *pem.Block
		block, b = pem.Decode(b)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			return fmt.Errorf("block %d is a %s, not a CERTIFICATE", i, block.Type)
		}
		if _, err := x509.ParseCertificate(block.Bytes); err != nil {
			return fmt.Errorf("certificate %d does not parse: %w", i, err)
		}
		n++
	}
	if n == 0 {
		return errors.New("no PEM certificate")
	}
	return nil
}
