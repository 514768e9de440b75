package kubelet

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// maxLogLines bounds what is kept of a container's log; older lines are dropped.
const maxLogLines = 200000

// logLine is one line of a container's output and when it was written.
type logLine struct {
	at   time.Time
	text []byte
}

// containerLog keeps a container's output by line with the time of each line, so that the kubelet API
// can answer sinceTime and timestamps as a real kubelet does. It also copies the output to a file.
type containerLog struct {
	mu      sync.Mutex
	lines   []logLine
	partial []byte
	file    io.Writer
}

func (l *containerLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.file != nil {
		_, _ = l.file.Write(p)
	}
	now := time.Now()
	l.partial = append(l.partial, p...)
	for {
		i := bytes.IndexByte(l.partial, '\n')
		if i < 0 {
			break
		}
		l.lines = append(l.lines, logLine{at: now, text: bytes.Clone(l.partial[:i])})
		l.partial = l.partial[i+1:]
	}
	if len(l.lines) > maxLogLines {
		l.lines = append([]logLine(nil), l.lines[len(l.lines)-maxLogLines:]...)
	}
	return len(p), nil
}

// logQuery is what a pods/log request asks for (the parts of PodLogOptions a kubelet answers here).
type logQuery struct {
	since      time.Time
	timestamps bool
	tail       int // < 0: all
	limit      int // <= 0: no limit
}

func parseLogQuery(r *http.Request) (logQuery, error) {
	q := logQuery{tail: -1}
	v := r.URL.Query()
	if s := v.Get("sinceTime"); s != "" {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return q, fmt.Errorf("sinceTime: %w", err)
		}
		q.since = t
	}
	if s := v.Get("sinceSeconds"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return q, fmt.Errorf("sinceSeconds: %w", err)
		}
		q.since = time.Now().Add(-time.Duration(n) * time.Second)
	}
	q.timestamps = v.Get("timestamps") == "true" || v.Get("timestamps") == "1"
	for name, dst := range map[string]*int{"tailLines": &q.tail, "limitBytes": &q.limit} {
		if s := v.Get(name); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil {
				return q, fmt.Errorf("%s: %w", name, err)
			}
			*dst = n
		}
	}
	return q, nil
}

// render writes the lines the query selects.
func (l *containerLog) render(q logQuery) []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	var sel []logLine
	for _, ln := range l.lines {
		if !ln.at.Before(q.since) {
			sel = append(sel, ln)
		}
	}
	if q.tail >= 0 && len(sel) > q.tail {
		sel = sel[len(sel)-q.tail:]
	}
	var b bytes.Buffer
	for _, ln := range sel {
		if q.timestamps {
			b.WriteString(ln.at.UTC().Format(time.RFC3339Nano))
			b.WriteByte(' ')
		}
		b.Write(ln.text)
		b.WriteByte('\n')
	}
	out := b.Bytes()
	if q.limit > 0 && len(out) > q.limit {
		out = out[:q.limit]
	}
	return out
}

// apiHandler serves the part of the kubelet API the suite reaches through the API server: container
// logs (pods/log), and a health check.
func (k *Kubelet) apiHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") })
	mux.HandleFunc("GET /containerLogs/{namespace}/{pod}/{container}", func(w http.ResponseWriter, r *http.Request) {
		q, err := parseLogQuery(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		log := k.containerLog(r.PathValue("namespace"), r.PathValue("pod"), r.PathValue("container"))
		if log == nil {
			http.Error(w, "no such container on this node", http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write(log.render(q))
	})
	return mux
}

// containerLog returns the log of a container of a pod this kubelet runs, or nil.
func (k *Kubelet) containerLog(namespace, pod, container string) *containerLog {
	k.mu.Lock()
	run := k.pods[namespace+"/"+pod]
	k.mu.Unlock()
	if run == nil || (container != "" && container != run.container) {
		return nil
	}
	return run.log
}
