package envoyxds

import (
	"errors"
	"fmt"
	"regexp"

	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"
)

// ErrInvalid marks resources that must not be pushed to Envoy.
var ErrInvalid = errors.New("invalid envoy resources")

type validatorAll interface{ ValidateAll() error }

// Validate checks every resource the way Envoy would before it accepts them: the generated ValidateAll
// of each message, of each message packed in an Any (the generated validation does not look inside),
// RE2 compilation of each regular expression, every reference between resources, and each secret's
// certificate and key.
func (r *Resources) Validate() error {
	var errs []error
	check := func(kind, name string, m proto.Message) {
		if err := validateDeep(m.ProtoReflect()); err != nil {
			errs = append(errs, fmt.Errorf("%w: %s %q: %w", ErrInvalid, kind, name, err))
		}
	}
	for _, l := range r.Listeners {
		check("listener", l.Name, l)
	}
	for _, rc := range r.Routes {
		check("route", rc.Name, rc)
	}
	for _, c := range r.Clusters {
		check("cluster", c.Name, c)
	}
	for _, e := range r.Endpoints {
		check("endpoints", e.ClusterName, e)
	}
	for _, s := range r.Secrets {
		check("secret", s.Name, s)
	}
	errs = append(errs, r.checkReferences())
	return errors.Join(errs...)
}

// validateDeep validates a message with its generated ValidateAll (which covers every nested message
// but stops at Any), then walks it for what that misses: the payload of each Any, validated the same
// way, and the RE2 syntax of each regex.
func validateDeep(m protoreflect.Message) error {
	if v, ok := m.Interface().(validatorAll); ok {
		if err := v.ValidateAll(); err != nil {
			return err
		}
	}
	return walkUnvalidated(m)
}

// walkUnvalidated finds the Any payloads and regexes below m.
func walkUnvalidated(m protoreflect.Message) error {
	switch msg := m.Interface().(type) {
	case *routev3.FilterConfig:
		if c := msg.GetConfig(); c != nil && c.TypeUrl == "" && len(c.Value) == 0 {
			return nil // an empty config enables a filter the chain holds disabled
		}
	case *anypb.Any:
		inner, err := msg.UnmarshalNew()
		if err != nil {
			return fmt.Errorf("unpack %s: %w", msg.TypeUrl, err)
		}
		return validateDeep(inner.ProtoReflect())
	case *matcherv3.RegexMatcher:
		if _, err := regexp.Compile(msg.Regex); err != nil {
			return fmt.Errorf("regex %q: %w", msg.Regex, err)
		}
		return nil
	}
	var err error
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsList() && fd.Message() != nil:
			l := v.List()
			for i := 0; i < l.Len() && err == nil; i++ {
				err = walkUnvalidated(l.Get(i).Message())
			}
		case fd.IsMap() && fd.MapValue().Message() != nil:
			v.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool {
				err = walkUnvalidated(mv.Message())
				return err == nil
			})
		case fd.Message() != nil && !fd.IsList() && !fd.IsMap():
			err = walkUnvalidated(v.Message())
		}
		return err == nil
	})
	return err
}
