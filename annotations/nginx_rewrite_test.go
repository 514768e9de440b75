package annotations

import "testing"

func TestNginxRewrite(t *testing.T) {
	runRoutingCases(t, []routingCase[NginxRewrite]{
		{name: "none", in: nil, want: NginxRewrite{}},
		{name: "use-regex", in: map[string]string{"use-regex": "true"}, want: NginxRewrite{UseRegex: true}},
		{name: "use-regex not a bool", in: map[string]string{"use-regex": "yes please"}, findings: map[string]FindingKind{"use-regex": Invalid}},
		{name: "capture groups become RE2 groups, rewrite implies regex", in: map[string]string{"rewrite-target": "/$2/x/${1}"},
			want: NginxRewrite{UseRegex: true, Target: `/\2/x/\1`}},
		{name: "a literal target", in: map[string]string{"rewrite-target": "/"}, want: NginxRewrite{UseRegex: true, Target: "/"}},
		{name: "a backslash stays literal", in: map[string]string{"rewrite-target": `/a\b`}, want: NginxRewrite{UseRegex: true, Target: `/a\\b`}},
		{name: "nginx variables cannot be used", in: map[string]string{"rewrite-target": "/$host/$1"},
			findings: map[string]FindingKind{"rewrite-target": Invalid}},
		{name: "app-root", in: map[string]string{"app-root": "/app"}, want: NginxRewrite{AppRoot: "/app"}},
		{name: "app-root must be a path", in: map[string]string{"app-root": "app"}, findings: map[string]FindingKind{"app-root": Invalid}},
		{name: "upstream-vhost and x-forwarded-prefix", in: map[string]string{"upstream-vhost": "internal.example.com", "x-forwarded-prefix": "/shop"},
			want: NginxRewrite{UpstreamVhost: "internal.example.com", XForwardedPrefix: "/shop"}},
		{name: "upstream-vhost with a variable", in: map[string]string{"upstream-vhost": "$host"}, findings: map[string]FindingKind{"upstream-vhost": Invalid}},
	}, func(r NginxRouting) NginxRewrite { return r.Rewrite })
}
