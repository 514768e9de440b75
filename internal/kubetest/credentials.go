package kubetest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/gatebridge/gatebridge/internal/pki"
)

// serverName is the name in the API server's serving certificate; clients connect to 127.0.0.1 and
// verify this name.
const serverName = "localhost"

// adminUser is the user of the static token, in group system:masters.
const adminUser = "kubetest-admin"

// credentials are the files the API server and its clients need, all in one directory.
type credentials struct {
	token      string // never logged
	caPEM      []byte
	servingCrt string
	servingKey string
	saPub      string
	saKey      string
	tokenFile  string
}

// writeCredentials makes a CA and a serving certificate for the API server, a service account
// signing key pair and a static admin token, and writes them into dir.
func writeCredentials(dir string) (*credentials, error) {
	ca, err := pki.NewCA("kubetest CA")
	if err != nil {
		return nil, err
	}
	leaf, err := ca.IssueNow(serverName)
	if err != nil {
		return nil, err
	}
	saPub, saKey, err := serviceAccountKeys()
	if err != nil {
		return nil, err
	}
	tok := make([]byte, 24)
	if _, err := rand.Read(tok); err != nil {
		return nil, fmt.Errorf("generate token: %w", err)
	}
	c := &credentials{
		token:      hex.EncodeToString(tok),
		caPEM:      ca.CertPEM,
		servingCrt: filepath.Join(dir, "serving.crt"),
		servingKey: filepath.Join(dir, "serving.key"),
		saPub:      filepath.Join(dir, "sa.pub"),
		saKey:      filepath.Join(dir, "sa.key"),
		tokenFile:  filepath.Join(dir, "tokens.csv"),
	}
	// The token file is CSV: token,user,uid,"group1,group2".
	tokens := fmt.Sprintf("%s,%s,%s,\"system:masters\"\n", c.token, adminUser, adminUser)
	for path, data := range map[string][]byte{
		c.servingCrt: leaf.CertPEM,
		c.servingKey: leaf.KeyPEM,
		c.saPub:      saPub,
		c.saKey:      saKey,
		c.tokenFile:  []byte(tokens),
	} {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			return nil, fmt.Errorf("write %s: %w", filepath.Base(path), err)
		}
	}
	return c, nil
}

// serviceAccountKeys makes the key pair that signs and verifies service account tokens (ES256).
func serviceAccountKeys() (pubPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generate service account key: %w", err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("marshal service account key: %w", err)
	}
	pder, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return nil, nil, fmt.Errorf("marshal service account public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pder}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), nil
}

// writeKubeconfig writes a kubeconfig for the admin user to path (mode 0600: it holds the token).
func writeKubeconfig(path, server string, creds *credentials) error {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["kubetest"] = &clientcmdapi.Cluster{
		Server:                   server,
		CertificateAuthorityData: creds.caPEM,
		TLSServerName:            serverName,
	}
	cfg.AuthInfos[adminUser] = &clientcmdapi.AuthInfo{Token: creds.token}
	cfg.Contexts["kubetest"] = &clientcmdapi.Context{Cluster: "kubetest", AuthInfo: adminUser}
	cfg.CurrentContext = "kubetest"
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		return fmt.Errorf("write kubeconfig: %w", err)
	}
	return nil
}
