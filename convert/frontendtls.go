package convert

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	istionet "istio.io/api/networking/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/gatebridge/gatebridge/model"
)

// frontendCredentialPrefix starts the credential name of the CA certificates that verify the client
// certificates on a port of a Gateway ("frontendca/namespace/gateway/port"): the bundle of the
// ConfigMaps its spec.tls.frontend names for the port, which no Secret holds.
const frontendCredentialPrefix = "frontendca/"

// clientValidation is how an HTTPS listener verifies client certificates: the credential of its CA
// bundle and whether a client without a valid certificate is still let in.
type clientValidation struct {
	credential string
	insecure   bool
}

// frontendValidation is the client certificate validation a Gateway asks for on a port: the port's
// own (perPort replaces the default, even with no validation), or the default; nil for none.
func frontendValidation(gw *gwapiv1.Gateway, port gwapiv1.PortNumber) *gwapiv1.FrontendTLSValidation {
	if gw.Spec.TLS == nil || gw.Spec.TLS.Frontend == nil {
		return nil
	}
	f := gw.Spec.TLS.Frontend
	for _, pp := range f.PerPort {
		if pp.Port == port {
			return pp.TLS.Validation
		}
	}
	return f.Default.Validation
}

// listenerClientValidation resolves the CA certificates that verify the client certificates of an
// HTTPS listener. It returns the ResolvedRefs reason and problems of the references that cannot be
// used, and ok false when none can (the listener is then not accepted: serving it without the
// verification asked for would let anyone in).
func (t *translator) listenerClientValidation(gw *gwapiv1.Gateway, li *listenerInfo) (reason string, problems []string, ok bool) {
	v := frontendValidation(gw, li.spec.Port)
	if v == nil {
		return "", nil, true
	}
	var bundle [][]byte
	for _, ref := range v.CACertificateRefs {
		b, r, problem := t.frontendCARef(gw, ref)
		if problem != "" {
			problems = append(problems, problem)
			if reason == "" || r == string(gwapiv1.ListenerReasonRefNotPermitted) {
				reason = r
			}
			continue
		}
		bundle = append(bundle, b)
	}
	if len(bundle) == 0 {
		return reason, problems, false
	}
	cred := frontendCredentialPrefix + gw.Namespace + "/" + gw.Name + "/" + strconv.Itoa(int(li.spec.Port))
	t.frontendCAs[cred] = model.TLSSecret{Name: cred, CA: bytes.Join(bundle, []byte("\n"))}
	li.clientValidation = &clientValidation{credential: cred, insecure: v.Mode == gwapiv1.AllowInsecureFallback}
	return reason, problems, true
}

// frontendCARef reads the ca.crt of a ConfigMap a Gateway names to verify client certificates, or
// returns the listener's ResolvedRefs reason and message of why it cannot be used.
func (t *translator) frontendCARef(gw *gwapiv1.Gateway, ref gwapiv1.ObjectReference) ([]byte, string, string) {
	ns := gw.Namespace
	if ref.Namespace != nil && *ref.Namespace != "" {
		ns = string(*ref.Namespace)
	}
	if ref.Group != "" || ref.Kind != "ConfigMap" {
		return nil, string(gwapiv1.ListenerReasonInvalidCACertificateKind),
			fmt.Sprintf("caCertificateRef %s/%s: kind %q of group %q is not supported, only ConfigMap", ns, ref.Name, ref.Kind, ref.Group)
	}
	if !t.ix.refAllowed(gwapiv1.GroupName, "Gateway", gw.Namespace, "", "ConfigMap", ns, string(ref.Name)) {
		return nil, string(gwapiv1.ListenerReasonRefNotPermitted),
			fmt.Sprintf("caCertificateRef to ConfigMap %s/%s is not permitted by any ReferenceGrant in namespace %s", ns, ref.Name, ns)
	}
	b, err := t.configMapBundle(ns, string(ref.Name))
	if err != nil {
		return nil, string(gwapiv1.ListenerReasonInvalidCACertificateRef), "caCertificateRef " + err.Error()
	}
	return b, "", ""
}

// frontendConditions sets the Gateway conditions of spec.tls.frontend: InsecureFrontendValidationMode
// while a validation the Gateway asks for lets clients in without a valid certificate.
func (t *translator) frontendConditions(gw *gwapiv1.Gateway, st *gwapiv1.GatewayStatus) {
	if gw.Spec.TLS == nil || gw.Spec.TLS.Frontend == nil {
		return
	}
	f := gw.Spec.TLS.Frontend
	insecure := []string{}
	if v := f.Default.Validation; v != nil && v.Mode == gwapiv1.AllowInsecureFallback {
		insecure = append(insecure, "the default")
	}
	for _, pp := range f.PerPort {
		if v := pp.TLS.Validation; v != nil && v.Mode == gwapiv1.AllowInsecureFallback {
			insecure = append(insecure, fmt.Sprintf("port %d", pp.Port))
		}
	}
	if len(insecure) > 0 {
		t.setCondition(&st.Conditions, gw.Generation, string(gwapiv1.GatewayConditionInsecureFrontendValidationMode), true,
			string(gwapiv1.GatewayReasonConfigurationChanged),
			"client certificate validation of "+strings.Join(insecure, ", ")+" is AllowInsecureFallback: clients without a valid certificate are let in")
	}
}

// serverClientTLS makes an HTTPS server verify client certificates: MUTUAL requires a certificate the
// CA bundle verifies; OPTIONAL_MUTUAL asks for one and lets in clients without one or whose certificate
// does not verify (Gateway API's AllowInsecureFallback: the backend decides).
func serverClientTLS(s *istionet.ServerTLSSettings, v *clientValidation) {
	if v == nil || s == nil {
		return
	}
	s.Mode = istionet.ServerTLSSettings_MUTUAL
	if v.insecure {
		s.Mode = istionet.ServerTLSSettings_OPTIONAL_MUTUAL
	}
	s.CaCertCredentialName = v.credential
}
