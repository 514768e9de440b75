package kubelet

import (
	"errors"
	"io"
	"net"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestImageName(t *testing.T) {
	for in, want := range map[string]string{
		"registry.k8s.io/gateway-api/echo-basic:v1.5.1":   echoImage,
		"registry.k8s.io/gateway-api/echo-basic@sha256:0": echoImage,
		"localhost:5000/echo":                             "localhost:5000/echo",
		"registry.k8s.io/coredns/coredns:v1.12.2":         corednsImage,
	} {
		if got := imageName(in); got != want {
			t.Errorf("imageName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEchoPorts(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"http", map[string]string{}, []string{"HTTP_PORT", "H2C_PORT"}},
		{"https", map[string]string{"TLS_SERVER_CERT": "c", "TLS_SERVER_PRIVKEY": "k"}, []string{"HTTP_PORT", "H2C_PORT", "HTTPS_PORT"}},
		{"https needs the http spelling of the key", map[string]string{"TLS_SERVER_CERT": "c", "TLS_SERVER_PRIV_KEY": "k"}, []string{"HTTP_PORT", "H2C_PORT"}},
		{"grpc tls", map[string]string{"GRPC_ECHO_SERVER": "1", "TLS_SERVER_CERT": "c", "TLS_SERVER_PRIV_KEY": "k"}, []string{"HTTP_PORT", "HTTPS_PORT"}},
		{"tcp", map[string]string{"TCP_ECHO_SERVER": "1"}, []string{"TCP_PORT"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ports, err := echoPorts(tc.env)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range ports {
				got = append(got, p.env)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("ports %v, want %v", got, tc.want)
			}
		})
	}
	if _, err := echoPorts(map[string]string{"UDP_ECHO_SERVER": "1"}); err == nil {
		t.Error("the UDP mode was accepted")
	}
}

func TestHostPath(t *testing.T) {
	c := &corev1.Container{VolumeMounts: []corev1.VolumeMount{{Name: "secret-volume", MountPath: "/etc/secret-volume"}}}
	if got, ok := hostPath(c, "/pods/p/volumes", "/etc/secret-volume/crt"); !ok || got != "/pods/p/volumes/secret-volume/crt" {
		t.Errorf("hostPath = %q, %v", got, ok)
	}
	if _, ok := hostPath(c, "/pods/p/volumes", "/etc/secret-volume-2/crt"); ok {
		t.Error("a path beside the mount was rewritten")
	}
}

func TestProjectKeysWaitsForAMissingKey(t *testing.T) {
	data := map[string][]byte{"tls.crt": []byte("c")}
	if _, err := projectKeys(data, []corev1.KeyToPath{{Key: "tls.key", Path: "key"}}, "secret s"); err == nil {
		t.Fatal("a missing key was not reported")
	}
	got, err := projectKeys(data, []corev1.KeyToPath{{Key: "tls.crt", Path: "crt"}}, "secret s")
	if err != nil || string(got["crt"]) != "c" {
		t.Fatalf("projectKeys = %v, %v", got, err)
	}
}

func TestAbsent(t *testing.T) {
	yes, no := true, false
	notFound := apierrors.NewNotFound(schema.GroupResource{Resource: "secrets"}, "s")
	forbidden := apierrors.NewForbidden(schema.GroupResource{Resource: "secrets"}, "s", errors.New("no"))
	for _, tc := range []struct {
		name     string
		err      error
		optional *bool
		notYet   bool // errNotYet; otherwise another error, or none when ok
		ok       bool
	}{
		{"missing key", nil, nil, true, false},
		{"missing optional key", nil, &yes, false, true},
		{"missing object", notFound, &no, true, false},
		{"missing optional object", notFound, &yes, false, true},
		{"object not readable", forbidden, &yes, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := absent(tc.err, tc.optional, "secret s")
			if tc.ok != (err == nil) || errors.Is(err, errNotYet) != tc.notYet {
				t.Errorf("absent = %v", err)
			}
		})
	}
}

func TestContainerLogSinceTime(t *testing.T) {
	l := &containerLog{}
	_, _ = l.Write([]byte("before\n"))
	since := time.Now()
	time.Sleep(10 * time.Millisecond)
	_, _ = l.Write([]byte("after 1\nafter"))
	_, _ = l.Write([]byte(" 2\n"))
	if got := string(l.render(logQuery{since: since, tail: -1})); got != "after 1\nafter 2\n" {
		t.Errorf("since: %q", got)
	}
	if got := string(l.render(logQuery{tail: 1})); got != "after 2\n" {
		t.Errorf("tail 1: %q", got)
	}
	req := httptest.NewRequest("GET", "/containerLogs/ns/p/c?sinceTime=2026-01-02T03:04:05Z&timestamps=true", nil)
	q, err := parseLogQuery(req)
	if err != nil || !q.timestamps || q.since.IsZero() {
		t.Errorf("parseLogQuery = %+v, %v", q, err)
	}
}

// TestForwarderHalfCloseAndReset checks that a client's half-close reaches the backend (which still
// answers) and that a backend's reset reaches the client.
func TestForwarderHalfCloseAndReset(t *testing.T) {
	backend, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer backend.Close()
	go func() {
		for {
			c, err := backend.Accept()
			if err != nil {
				return
			}
			b, _ := io.ReadAll(c) // until the half-close
			if string(b) == "reset" {
				reset(c.(*net.TCPConn))
				continue
			}
			_, _ = c.Write(append([]byte("echo:"), b...))
			c.Close()
		}
	}()
	f, err := startForwarder("127.0.0.1:0", backend.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer f.close()
	send := func(msg string) (string, error) {
		c, err := net.Dial("tcp", f.lis.Addr().String())
		if err != nil {
			return "", err
		}
		defer c.Close()
		_, _ = c.Write([]byte(msg))
		_ = c.(*net.TCPConn).CloseWrite()
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		b, err := io.ReadAll(c)
		return string(b), err
	}
	if got, err := send("hello"); err != nil || got != "echo:hello" {
		t.Errorf("after a half-close: %q, %v; want echo:hello", got, err)
	}
	if got, err := send("reset"); err == nil {
		t.Errorf("a backend reset reached the client as %q without an error", got)
	}
}
