package annotations

// Prefixes of cert-manager's annotations.
const (
	CertManagerPrefix     = "cert-manager.io/"
	CertManagerACMEPrefix = "acme.cert-manager.io/"
)

// cert-manager's annotations on Ingresses and Gateways, as its ingress-shim and gateway-shim (v1.21)
// read them to create Certificates. The certs package parses their values; this file only knows the
// names.
const (
	CertManagerIssuer                     = CertManagerPrefix + "issuer"
	CertManagerClusterIssuer              = CertManagerPrefix + "cluster-issuer"
	CertManagerIssuerKind                 = CertManagerPrefix + "issuer-kind"
	CertManagerIssuerGroup                = CertManagerPrefix + "issuer-group"
	CertManagerCommonName                 = CertManagerPrefix + "common-name"
	CertManagerAltNames                   = CertManagerPrefix + "alt-names"
	CertManagerIPSANs                     = CertManagerPrefix + "ip-sans"
	CertManagerURISANs                    = CertManagerPrefix + "uri-sans"
	CertManagerEmailSANs                  = CertManagerPrefix + "email-sans"
	CertManagerSubjectOrganizations       = CertManagerPrefix + "subject-organizations"
	CertManagerSubjectOrganizationalUnits = CertManagerPrefix + "subject-organizationalunits"
	CertManagerSubjectCountries           = CertManagerPrefix + "subject-countries"
	CertManagerSubjectProvinces           = CertManagerPrefix + "subject-provinces"
	CertManagerSubjectLocalities          = CertManagerPrefix + "subject-localities"
	CertManagerSubjectPostalCodes         = CertManagerPrefix + "subject-postalcodes"
	CertManagerSubjectStreetAddresses     = CertManagerPrefix + "subject-streetaddresses"
	CertManagerSubjectSerialNumber        = CertManagerPrefix + "subject-serialnumber"
	CertManagerDuration                   = CertManagerPrefix + "duration"
	CertManagerRenewBefore                = CertManagerPrefix + "renew-before"
	CertManagerRenewBeforePercentage      = CertManagerPrefix + "renew-before-percentage"
	CertManagerUsages                     = CertManagerPrefix + "usages"
	CertManagerRevisionHistoryLimit       = CertManagerPrefix + "revision-history-limit"
	CertManagerPrivateKeyAlgorithm        = CertManagerPrefix + "private-key-algorithm"
	CertManagerPrivateKeyEncoding         = CertManagerPrefix + "private-key-encoding"
	CertManagerPrivateKeySize             = CertManagerPrefix + "private-key-size"
	CertManagerPrivateKeyRotationPolicy   = CertManagerPrefix + "private-key-rotation-policy"
	CertManagerSecretTemplate             = CertManagerPrefix + "secret-template"
	// CertManagerIgnoreTLSListeners lists Gateway listeners (by name, comma-separated) to issue nothing for.
	CertManagerIgnoreTLSListeners = CertManagerPrefix + "ignore-tls-listeners"
	// CertManagerIssueTemporaryCertificate is set on Certificates of edit-in-place Ingresses.
	CertManagerIssueTemporaryCertificate = CertManagerPrefix + "issue-temporary-certificate"

	ACMEHTTP01EditInPlace      = CertManagerACMEPrefix + "http01-edit-in-place"
	ACMEHTTP01IngressClass     = CertManagerACMEPrefix + "http01-ingress-class"
	ACMEHTTP01IngressClassName = CertManagerACMEPrefix + "http01-ingress-ingressclassname"
	// ACMEHTTP01Solver labels the temporary Ingresses, HTTPRoutes and Pods of an HTTP-01 challenge.
	ACMEHTTP01Solver = CertManagerACMEPrefix + "http01-solver"

	// The annotations the shims put on the Certificates they create, from the ones above.
	ACMEHTTP01OverrideIngressName      = CertManagerACMEPrefix + "http01-override-ingress-name"
	ACMEHTTP01OverrideIngressClass     = CertManagerACMEPrefix + "http01-override-ingress-class"
	ACMEHTTP01OverrideIngressClassName = CertManagerACMEPrefix + "http01-override-ingress-ingressclassname"
	ACMEHTTP01ParentRefKind            = CertManagerACMEPrefix + "http01-parentrefkind"
	ACMEHTTP01ParentRefName            = CertManagerACMEPrefix + "http01-parentrefname"

	// TLSACME is the legacy annotation ("true") that makes ingress-shim use its default issuer.
	TLSACME = "kubernetes.io/tls-acme"
)

// certManagerKeys are the keys of cert-manager.io/ that cert-manager reads on Ingresses and Gateways
// (above), or on other objects (Certificates, Secrets, webhooks): known, and left to cert-manager.
var certManagerKeys = []string{
	CertManagerIssuer, CertManagerClusterIssuer, CertManagerIssuerKind, CertManagerIssuerGroup,
	CertManagerCommonName, CertManagerAltNames, CertManagerIPSANs, CertManagerURISANs, CertManagerEmailSANs,
	CertManagerSubjectOrganizations, CertManagerSubjectOrganizationalUnits, CertManagerSubjectCountries,
	CertManagerSubjectProvinces, CertManagerSubjectLocalities, CertManagerSubjectPostalCodes,
	CertManagerSubjectStreetAddresses, CertManagerSubjectSerialNumber, CertManagerDuration,
	CertManagerRenewBefore, CertManagerRenewBeforePercentage, CertManagerUsages,
	CertManagerRevisionHistoryLimit, CertManagerPrivateKeyAlgorithm, CertManagerPrivateKeyEncoding,
	CertManagerPrivateKeySize, CertManagerPrivateKeyRotationPolicy, CertManagerSecretTemplate,
	CertManagerIgnoreTLSListeners, CertManagerIssueTemporaryCertificate,
	CertManagerPrefix + "allow-direct-injection", CertManagerPrefix + "inject-ca-from",
	CertManagerPrefix + "inject-ca-from-secret", CertManagerPrefix + "inject-apiserver-ca",
	CertManagerPrefix + "certificate-name", CertManagerPrefix + "issuer-name",
}

// certManagerACMEKeys are the keys of acme.cert-manager.io/ on Ingresses, Gateways and Certificates.
var certManagerACMEKeys = []string{
	ACMEHTTP01EditInPlace, ACMEHTTP01IngressClass, ACMEHTTP01IngressClassName,
	ACMEHTTP01OverrideIngressName, ACMEHTTP01OverrideIngressClass, ACMEHTTP01OverrideIngressClassName,
	ACMEHTTP01ParentRefKind, ACMEHTTP01ParentRefName,
	CertManagerACMEPrefix + "http01-parentrefnamespace", CertManagerACMEPrefix + "http01-parentreffallback",
}

// certManagerFamily holds cert-manager's annotations. cert-manager itself acts on them (it creates the
// Certificate and the Secret); gatebridge serves the Secret it produces, so every known key is
// supported. The certs package checks their values.
var certManagerFamily = supportedFamily("cert-manager", CertManagerPrefix, certManagerKeys...)

// certManagerACMEFamily holds the keys of acme.cert-manager.io/, supported as the others.
var certManagerACMEFamily = supportedFamily("cert-manager ACME", CertManagerACMEPrefix, certManagerACMEKeys...)
