package convert

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

const loaderService = `apiVersion: v1
kind: Service
metadata: {name: %s}
spec: {ports: [{port: 80}]}
`

func TestFolderLoader(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	names := func(in Input) string {
		var out []string
		for _, s := range in.Services {
			out = append(out, s.Namespace+"/"+s.Name)
		}
		return strings.Join(out, ",")
	}
	l := &FolderLoader{Dir: dir, DefaultNamespace: "shop"}
	write("a.yaml", strings.Replace(loaderService, "%s", "a", 1))
	write("b.yaml", strings.Replace(loaderService, "%s", "b", 1))

	steps := []struct {
		name    string
		edit    func()
		changed bool
		want    string
		wantErr string
	}{
		{name: "first load", changed: true, want: "shop/a,shop/b"},
		{name: "nothing changed", changed: false, want: "shop/a,shop/b"},
		{name: "a file edited", edit: func() { write("b.yaml", strings.Replace(loaderService, "%s", "b2", 1)) }, changed: true, want: "shop/a,shop/b2"},
		{name: "same size, new time", edit: func() {
			write("b.yaml", strings.Replace(loaderService, "%s", "b3", 1))
			later := time.Now().Add(time.Minute)
			if err := os.Chtimes(filepath.Join(dir, "b.yaml"), later, later); err != nil {
				t.Fatal(err)
			}
		}, changed: true, want: "shop/a,shop/b3"},
		{name: "a file added", edit: func() { write("c.yaml", strings.Replace(loaderService, "%s", "c", 1)) }, changed: true, want: "shop/a,shop/b3,shop/c"},
		{name: "a file removed", edit: func() { _ = os.Remove(filepath.Join(dir, "a.yaml")) }, changed: true, want: "shop/b3,shop/c"},
		{name: "a broken file keeps the others", edit: func() { write("d.yaml", "kind: [") }, changed: true, want: "shop/b3,shop/c", wantErr: "d.yaml"},
		{name: "the broken file is reported again unchanged", changed: false, want: "shop/b3,shop/c", wantErr: "d.yaml"},
		{name: "a dangling link is a change once", edit: func() {
			_ = os.Remove(filepath.Join(dir, "d.yaml"))
			if err := os.Symlink(filepath.Join(dir, "nowhere"), filepath.Join(dir, "e.yaml")); err != nil {
				t.Fatal(err)
			}
		}, changed: true, want: "shop/b3,shop/c", wantErr: "e.yaml"},
		{name: "the dangling link unchanged", changed: false, want: "shop/b3,shop/c", wantErr: "e.yaml"},
	}
	for _, st := range steps {
		if st.edit != nil {
			st.edit()
		}
		in, changed, err := l.Load()
		if changed != st.changed || names(in) != st.want {
			t.Errorf("%s: changed %v, services %s; want %v, %s", st.name, changed, names(in), st.changed, st.want)
		}
		if (err == nil) != (st.wantErr == "") || err != nil && !strings.Contains(err.Error(), st.wantErr) {
			t.Errorf("%s: error %v, want one naming %q", st.name, err, st.wantErr)
		}
	}
}

// TestAppendCoversEveryKind fills one object of every kind the Input holds and checks append carries
// each: a kind added to Input but forgotten in append would vanish from standalone mode.
func TestAppendCoversEveryKind(t *testing.T) {
	var full Input
	v := reflect.ValueOf(&full).Elem()
	for i := range v.NumField() {
		f := v.Field(i)
		if f.Kind() != reflect.Slice {
			t.Fatalf("Input.%s is not a slice: update this test", v.Type().Field(i).Name)
		}
		f.Set(reflect.Append(f, reflect.New(f.Type().Elem()).Elem()))
	}
	var got Input
	got.append(&full)
	if !reflect.DeepEqual(got, full) {
		t.Errorf("append lost objects: got %+v", got)
	}
}
