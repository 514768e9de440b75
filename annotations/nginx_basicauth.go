package annotations

import "strings"

// basicAuthKeys ask for HTTP basic authentication against the users of a Secret.
var basicAuthKeys = keySet("auth-type", "auth-secret", "auth-secret-type", "auth-realm")

// Values of auth-secret-type.
const (
	// AuthFile is a Secret whose key "auth" holds htpasswd lines.
	AuthFile = "auth-file"
	// AuthMap is a Secret whose keys are user names and values their password hashes.
	AuthMap = "auth-map"
)

// BasicAuth asks for the credentials of the users in a Secret; requests without valid ones get 401.
type BasicAuth struct {
	// SecretNamespace is empty when auth-secret names a Secret of the Ingress's own namespace.
	SecretNamespace, SecretName string
	// SecretType is AuthFile or AuthMap.
	SecretType string
	Realm      string
}

// parseBasicAuth reads the basic auth keys; refuse says an auth-type is set that gatebridge cannot ask.
func parseBasicAuth(annotations map[string]string, findings []Finding) (*BasicAuth, bool, []Finding) {
	typ, ok := nginxValue(annotations, "auth-type")
	if !ok {
		return nil, false, findings
	}
	if strings.TrimSpace(typ) != "basic" {
		return nil, true, append(findings, invalid("auth-type", "%q is not supported (only basic is); %s", typ, RefusedAuth))
	}
	ba := BasicAuth{SecretType: AuthFile}
	ba.Realm, _ = nginxValue(annotations, "auth-realm")
	if t, ok := nginxValue(annotations, "auth-secret-type"); ok {
		switch t = strings.TrimSpace(t); t {
		case AuthFile, AuthMap:
			ba.SecretType = t
		default:
			findings = append(findings, invalid("auth-secret-type", "%q is neither %s nor %s; %s is used", t, AuthFile, AuthMap, AuthFile))
		}
	}
	secret := strings.TrimSpace(annotations[NginxPrefix+"auth-secret"])
	ns, name, found := strings.Cut(secret, "/")
	if !found {
		ns, name = "", secret
	}
	if name == "" || strings.Contains(name, "/") {
		// Authentication was asked for: without users every request is refused, never let through.
		findings = append(findings, invalid("auth-secret", "%q does not name a Secret (name or namespace/name); every request gets 401", secret))
	}
	ba.SecretNamespace, ba.SecretName = ns, name
	return &ba, false, findings
}
