package annotations

import "testing"

func TestBasicAuth(t *testing.T) {
	runPolicyCases(t, []policyCase{
		{
			name: "auth-file secret of the Ingress's namespace",
			in:   map[string]string{"auth-type": "basic", "auth-secret": "users", "auth-realm": "Shop staff"},
			want: NginxPolicy{BasicAuth: &BasicAuth{SecretName: "users", SecretType: AuthFile, Realm: "Shop staff"}},
		},
		{
			name: "auth-map secret named with its namespace",
			in:   map[string]string{"auth-type": "basic", "auth-secret": "auth/users", "auth-secret-type": "auth-map"},
			want: NginxPolicy{BasicAuth: &BasicAuth{SecretNamespace: "auth", SecretName: "users", SecretType: AuthMap}},
		},
		{name: "a secret without auth-type asks nothing", in: map[string]string{"auth-secret": "users"}},
		{name: "digest is not supported: every request is refused", in: map[string]string{"auth-type": "digest", "auth-secret": "users"}, want: NginxPolicy{RefuseAll: true}, findings: map[string]FindingKind{"auth-type": Invalid}},
		{
			name:     "no secret: every request is refused",
			in:       map[string]string{"auth-type": "basic"},
			want:     NginxPolicy{BasicAuth: &BasicAuth{SecretType: AuthFile}},
			findings: map[string]FindingKind{"auth-secret": Invalid},
		},
		{
			name:     "an unknown secret type falls back to auth-file",
			in:       map[string]string{"auth-type": "basic", "auth-secret": "users", "auth-secret-type": "ldap"},
			want:     NginxPolicy{BasicAuth: &BasicAuth{SecretName: "users", SecretType: AuthFile}},
			findings: map[string]FindingKind{"auth-secret-type": Invalid},
		},
	})
}
