package convert

import (
	"errors"
	"fmt"
	"os"
	"time"
)

// ErrUnreadableFolder means the folder itself could not be listed; nothing was loaded.
var ErrUnreadableFolder = errors.New("cannot read folder")

// FolderLoader reads a folder of manifests again and again, decoding only the files that changed
// (by size and modification time) since the last load: in standalone mode an edit to one file of a
// large folder costs the parse of that file, not of the whole folder.
type FolderLoader struct {
	Dir              string
	DefaultNamespace string

	files map[string]loadedFile
}

type loadedFile struct {
	size    int64
	modTime time.Time
	input   Input
	err     error // reading or decoding
	statErr error // the file could not be stat'ed: nothing read
}

// Load returns the Input of the folder and whether any file was added, removed or changed since the
// previous Load (always true the first time). As with LoadPaths, the Input holds every document that
// could be read even when the error is not nil.
func (l *FolderLoader) Load() (Input, bool, error) {
	paths, err := ManifestFiles(l.Dir)
	if err != nil {
		return Input{}, false, fmt.Errorf("%w %s: %w", ErrUnreadableFolder, l.Dir, err)
	}
	changed := l.files == nil || len(paths) != len(l.files)
	next := make(map[string]loadedFile, len(paths))
	var in Input
	var errs []error
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			// A file that cannot be stat'ed (a dangling link, say) counts as a change once, not at
			// every Load.
			if old, ok := l.files[p]; !ok || old.statErr == nil {
				changed = true
			}
			next[p] = loadedFile{statErr: err}
			errs = append(errs, err)
			continue
		}
		f, ok := l.files[p]
		if !ok || f.statErr != nil || f.size != info.Size() || !f.modTime.Equal(info.ModTime()) {
			f = loadedFile{size: info.Size(), modTime: info.ModTime()}
			f.input, f.err = readManifestFile(p, l.DefaultNamespace)
			changed = true
		}
		next[p] = f
		in.append(&f.input)
		if f.err != nil {
			errs = append(errs, f.err)
		}
	}
	l.files = next
	return in, changed, errors.Join(errs...)
}

// append adds the objects of other to in; the objects are shared, not copied (Translate reads its
// Input without changing it).
func (in *Input) append(other *Input) {
	in.IngressClasses = append(in.IngressClasses, other.IngressClasses...)
	in.Ingresses = append(in.Ingresses, other.Ingresses...)
	in.GatewayClasses = append(in.GatewayClasses, other.GatewayClasses...)
	in.Gateways = append(in.Gateways, other.Gateways...)
	in.ListenerSets = append(in.ListenerSets, other.ListenerSets...)
	in.HTTPRoutes = append(in.HTTPRoutes, other.HTTPRoutes...)
	in.GRPCRoutes = append(in.GRPCRoutes, other.GRPCRoutes...)
	in.TLSRoutes = append(in.TLSRoutes, other.TLSRoutes...)
	in.ReferenceGrants = append(in.ReferenceGrants, other.ReferenceGrants...)
	in.RoutePolicies = append(in.RoutePolicies, other.RoutePolicies...)
	in.Services = append(in.Services, other.Services...)
	in.EndpointSlices = append(in.EndpointSlices, other.EndpointSlices...)
	in.Namespaces = append(in.Namespaces, other.Namespaces...)
	in.Secrets = append(in.Secrets, other.Secrets...)
	in.BackendTLSPolicies = append(in.BackendTLSPolicies, other.BackendTLSPolicies...)
	in.ConfigMaps = append(in.ConfigMaps, other.ConfigMaps...)
}
