package kubelet

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// The images this kubelet can run: the suite's echo backend as the echo-basic program, and CoreDNS
// (the backend of the UDPRoute tests only) as a small stand-in.
const (
	echoImage    = "registry.k8s.io/gateway-api/echo-basic"
	corednsImage = "registry.k8s.io/coredns/coredns"
)

// errUnsupported marks a pod this kubelet cannot run: it stays Pending with the error as its reason.
var errUnsupported = errors.New("not supported by the conformance kubelet")

// imageName returns an image reference without its tag or digest.
func imageName(image string) string {
	if i := strings.IndexByte(image, '@'); i >= 0 {
		image = image[:i]
	}
	if i := strings.LastIndexByte(image, ':'); i > strings.LastIndexByte(image, '/') {
		image = image[:i]
	}
	return image
}

// echoPort is a TCP port the echo backend listens on: the variable that sets it and its default.
type echoPort struct {
	env string
	def int
}

// echoPorts returns the TCP ports echo-basic listens on with env: which servers it starts depends on
// its mode and on whether it has a certificate (the gRPC and TCP modes spell the key variable
// TLS_SERVER_PRIV_KEY, the HTTP mode TLS_SERVER_PRIVKEY).
func echoPorts(env map[string]string) ([]echoPort, error) {
	switch {
	case env["GRPC_ECHO_SERVER"] != "":
		ports := []echoPort{{"HTTP_PORT", 3000}}
		if env["TLS_SERVER_CERT"] != "" && env["TLS_SERVER_PRIV_KEY"] != "" {
			ports = append(ports, echoPort{"HTTPS_PORT", 8443})
		}
		return ports, nil
	case env["TCP_ECHO_SERVER"] != "":
		ports := []echoPort{{"TCP_PORT", 3000}}
		if env["TLS_SERVER_CERT"] != "" && env["TLS_SERVER_PRIV_KEY"] != "" {
			ports = append(ports, echoPort{"TLS_PORT", 8443})
		}
		return ports, nil
	case env["UDP_ECHO_SERVER"] != "":
		return nil, fmt.Errorf("the UDP mode of echo-basic: %w", errUnsupported)
	}
	ports := []echoPort{{"HTTP_PORT", 3000}, {"H2C_PORT", 3001}}
	if env["TLS_SERVER_CERT"] != "" && env["TLS_SERVER_PRIVKEY"] != "" {
		ports = append(ports, echoPort{"HTTPS_PORT", 8443})
	}
	return ports, nil
}

// containerPort returns the port p stands for in env.
func (p echoPort) containerPort(env map[string]string) (int, error) {
	v, ok := env[p.env]
	if !ok || v == "" {
		return p.def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 || n > 65535 {
		return 0, fmt.Errorf("%s=%q is not a port", p.env, v)
	}
	return n, nil
}
