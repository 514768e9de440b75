package annotations

// CertManagerPrefix is the prefix of cert-manager's annotations.
const CertManagerPrefix = "cert-manager.io/"

// certManagerFamily lists cert-manager's ingress-shim and gateway-shim annotations. cert-manager itself
// acts on them (it creates the Certificate and the Secret); gatebridge serves the Secret it produces.
var certManagerFamily = &family{
	name:   "cert-manager",
	prefix: CertManagerPrefix,
	known: keySet(
		"issuer", "cluster-issuer", "issuer-kind", "issuer-group", "common-name", "alt-names",
		"ip-sans", "uri-sans", "email-sans", "subject-organizations", "subject-organizationalunits",
		"subject-countries", "subject-provinces", "subject-localities", "subject-postalcodes",
		"subject-streetaddresses", "subject-serialnumber", "duration", "renew-before",
		"renew-before-percentage", "usages", "revision-history-limit", "private-key-algorithm",
		"private-key-encoding", "private-key-size", "private-key-rotation-policy", "secret-template",
		"allow-direct-injection", "inject-ca-from", "inject-ca-from-secret", "inject-apiserver-ca",
		"certificate-name", "issue-temporary-certificate",
	),
}

func init() { certManagerFamily.supported = certManagerFamily.known }
