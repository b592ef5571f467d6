package hcl_test

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	hcl2 "github.com/hashicorp/hcl/v2"

	"github.com/igexport/igexport/hcl"
	"github.com/igexport/igexport/internal/schema"
)

// writeFiles writes name → content under a temp dir and returns the dir.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// mustLoad loads and fails the test on any error diagnostic.
func mustLoad(t *testing.T, path string, o hcl.LoadOptions) *hcl.Config {
	t.Helper()
	cfg, diags := hcl.Load(path, o)
	if diags.HasErrors() {
		t.Fatalf("Load(%s):\n%s", path, diags.Error())
	}
	return cfg
}

// clearRanges zeroes the source ranges so configs compare by value.
func clearRanges(c *hcl.Config) {
	for i := range c.Accounts {
		c.Accounts[i].DeclRange = hcl2.Range{}
	}
	for i := range c.Discover {
		c.Discover[i].DeclRange = hcl2.Range{}
	}
	for k, sc := range c.StreamSettings {
		sc.DeclRange = hcl2.Range{}
		c.StreamSettings[k] = sc
	}
	for i := range c.Variables {
		c.Variables[i].DeclRange = hcl2.Range{}
	}
}

func date(t *testing.T, s string) *schema.Date {
	t.Helper()
	d, err := schema.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return &d
}

func TestMinimalFileGetsEveryDefault(t *testing.T) {
	cfg := mustLoad(t, "testdata/valid/minimal.hcl", testOptions())
	clearRanges(cfg)
	want := &hcl.Config{
		Path:            "testdata/valid/minimal.hcl",
		GraphAPIURL:     "https://graph.facebook.com",
		GraphAPIVersion: "v27.0",
		Concurrency:     8,
		InstagramAPIURL: "https://graph.instagram.com", TokenWarnDays: 14,
		RequestTimeout:  2 * time.Minute,
		ReadIdleTimeout: 30 * time.Second,
		Accounts: []hcl.Account{{
			Name: "brand_a", IGUserID: "17841400000000001", AccessToken: "EAAB-test-token-0001", Login: "facebook",
			TokenEnv: []string{"IG_ACCESS_TOKEN"},
		}},
		Streams:        []string{"users", "media", "media_insights", "stories", "story_insights", "user_insights", "user_lifetime_insights"},
		StreamSettings: map[string]hcl.StreamConfig{},
		Destination:    hcl.Destination{URL: "file://./igexport-data", Prefix: "", Compression: "zstd"},
		State:          hcl.StateConfig{URL: "file://./igexport-data", Prefix: "_igexport"},
		RateLimit:      hcl.RateLimit{MaxUsagePercent: 75, MaxWait: 30 * time.Minute},
	}
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("got  %+v\nwant %+v", cfg, want)
	}
	if !reflect.DeepEqual(cfg.Streams, schema.DefaultNames()) {
		t.Errorf("default streams %v, want schema.DefaultNames() %v", cfg.Streams, schema.DefaultNames())
	}
}

func TestSpecExampleDecodes(t *testing.T) {
	cfg := mustLoad(t, "testdata/valid/full.hcl", testOptions())
	clearRanges(cfg)
	want := &hcl.Config{
		Path:            "testdata/valid/full.hcl",
		GraphAPIURL:     "https://graph.facebook.com",
		GraphAPIVersion: "v23.0",
		Concurrency:     8,
		InstagramAPIURL: "https://graph.instagram.com", TokenWarnDays: 14,
		RequestTimeout:  hcl.DefaultRequestTimeout,
		ReadIdleTimeout: hcl.DefaultReadIdleTimeout,
		Accounts: []hcl.Account{{
			Name: "brand_a", IGUserID: "17841400000000001",
			AccessToken: "EAAB-test-token-0001", AppSecret: "test-app-secret-0001",
			StartDate: date(t, "2026-01-01"), Login: "facebook",
		}},
		Discover: []hcl.Discover{{
			Name: "agency", AccessToken: "EAAB-test-token-0001", Include: []string{"*"}, Exclude: []string{"test_*"}, Login: "facebook",
		}},
		Streams: schema.DefaultNames(),
		StreamSettings: map[string]hcl.StreamConfig{
			"user_insights":  {Name: "user_insights", LookbackDays: 2},
			"media_insights": {Name: "media_insights", MaxMediaAgeDays: 365},
		},
		Destination: hcl.Destination{URL: "file://./lake", Prefix: "instagram", Compression: "zstd"},
		State:       hcl.StateConfig{URL: "s3://other-bucket", Prefix: "instagram/_igexport"},
		RateLimit:   hcl.RateLimit{MaxUsagePercent: 75, MaxWait: 30 * time.Minute},
		Variables:   []hcl.Variable{{Name: "token", Sensitive: true, Value: "EAAB-var-token-0002"}},
	}
	// var.token's default is env("IG_ACCESS_TOKEN"), but IGEXPORT_VAR_token
	// is set in testEnv and wins.
	want.Accounts[0].AccessToken = "EAAB-var-token-0002"
	want.Discover[0].AccessToken = "EAAB-var-token-0002"
	// An empty token is reported with the variables it comes from.
	want.Accounts[0].TokenEnv = []string{"IGEXPORT_VAR_token", "IG_ACCESS_TOKEN"}
	want.Discover[0].TokenEnv = []string{"IGEXPORT_VAR_token", "IG_ACCESS_TOKEN"}
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("got  %+v\nwant %+v", cfg, want)
	}
}

func TestVariablesFixture(t *testing.T) {
	cfg := mustLoad(t, "testdata/valid/variables.hcl", testOptions())
	if got := cfg.Accounts[0].AppSecret; got != "shh-app-secret-from-file" {
		t.Errorf("app_secret from trimspace(file(...)) relative to the config = %q", got)
	}
	if got := cfg.Accounts[1]; got.IGUserID != "17841400000000002" || got.AccessToken != "EAAB-var-token-0002" {
		t.Errorf("brand_b: numeric ig_user_id and coalesce fallback: %+v", got)
	}
	if got := cfg.Destination; got.URL != "s3://igexport-dev?region=eu-west-1" || got.Prefix != "PROD/instagram" {
		t.Errorf("destination from format()/upper() with slashes trimmed: %+v", got)
	}
	if got := cfg.State.Prefix; got != "PROD/instagram/_igexport" {
		t.Errorf("state prefix defaults under the destination prefix: %q", got)
	}
	if got := cfg.RateLimit.MaxWait; got != 90*time.Minute {
		t.Errorf("max_wait = %v", got)
	}
	uli := cfg.StreamSetting("user_lifetime_insights")
	if !reflect.DeepEqual(uli.Breakdowns, []string{"age,gender", "country"}) || uli.Timeframe != "this_week" {
		t.Errorf("user_lifetime_insights settings: %+v", uli)
	}
	ui := cfg.StreamSetting("user_insights")
	if ui.LookbackDays != 0 || ui.StartDate == nil || ui.StartDate.String() != "2024-12-01" {
		t.Errorf("lookback_days = 0 must stay 0, start_date set: %+v", ui)
	}
}

func TestStreamSettingDefaults(t *testing.T) {
	cfg := mustLoad(t, "testdata/valid/minimal.hcl", testOptions())
	tests := []struct {
		stream string
		want   hcl.StreamConfig
	}{
		{"users", hcl.StreamConfig{Name: "users"}},
		{"media_insights", hcl.StreamConfig{Name: "media_insights"}},
		{"user_insights", hcl.StreamConfig{Name: "user_insights", LookbackDays: 2}},
		{"user_lifetime_insights", hcl.StreamConfig{
			Name: "user_lifetime_insights", Timeframe: "this_month",
			Breakdowns: []string{"age", "gender", "country", "city", "age,gender"},
		}},
	}
	for _, tt := range tests {
		if got := cfg.StreamSetting(tt.stream); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("StreamSetting(%q) = %+v, want %+v", tt.stream, got, tt.want)
		}
	}
}

// precedenceConfig declares "region" with a default and uses it.
const precedenceConfig = `
variable "region" {
  default = "from-default"
}
account "a" {
  ig_user_id   = "1"
  access_token = env("T")
}
destination {
  url = "s3://bucket?region=${var.region}"
}
`

func TestVariablePrecedence(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"igexport.hcl": precedenceConfig,
		"one.hcl":      `region = "from-file-one"`,
		"two.hcl":      "# later files win\nregion = \"from-file-two\"\n",
	})
	cfgPath := filepath.Join(dir, "igexport.hcl")
	one, two := filepath.Join(dir, "one.hcl"), filepath.Join(dir, "two.hcl")
	env := map[string]string{"T": "tok"}
	withEnv := map[string]string{"T": "tok", "IGEXPORT_VAR_region": "from-env"}

	tests := []struct {
		name     string
		env      map[string]string
		varFiles []string
		vars     map[string]string
		want     string
	}{
		{"the default when nothing else is given", env, nil, nil, "from-default"},
		{"IGEXPORT_VAR_ wins over the default", withEnv, nil, nil, "from-env"},
		{"a var file wins over the environment", withEnv, []string{one}, nil, "from-file-one"},
		{"the last var file wins", withEnv, []string{one, two}, nil, "from-file-two"},
		{"-var wins over everything", withEnv, []string{one, two}, map[string]string{"region": "from-flag"}, "from-flag"},
		{"-var wins over the default", env, nil, map[string]string{"region": "from-flag"}, "from-flag"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := mustLoad(t, cfgPath, hcl.LoadOptions{LookupEnv: fakeEnv(tt.env), VarFiles: tt.varFiles, Vars: tt.vars})
			if want := "s3://bucket?region=" + tt.want; cfg.Destination.URL != want {
				t.Errorf("url = %q, want %q", cfg.Destination.URL, want)
			}
			if got := cfg.Variables[0].Value; got != tt.want {
				t.Errorf("Variables[0].Value = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestVariableValueProblems(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"igexport.hcl": precedenceConfig,
		"vars.hcl":     "region = \"eu\"\nregoin = \"typo\"\n",
		"broken.hcl":   "region = \n",
	})
	cfgPath := filepath.Join(dir, "igexport.hcl")
	env := fakeEnv(map[string]string{"T": "tok"})

	t.Run("a -var for an undeclared variable is an error", func(t *testing.T) {
		_, diags := hcl.Load(cfgPath, hcl.LoadOptions{LookupEnv: env, Vars: map[string]string{"regoin": "x"}})
		list := diags.List()
		if !diags.HasErrors() || len(list) != 1 || list[0].Summary != "Undeclared variable" || !strings.Contains(list[0].Detail, `Did you mean "region"?`) {
			t.Fatalf("got %+v", list)
		}
		if list[0].Filename != "" {
			t.Errorf("a -var has no place in a file, got %s", list[0].Filename)
		}
	})
	t.Run("an undeclared variable in a var file is a warning at its line", func(t *testing.T) {
		cfg, diags := hcl.Load(cfgPath, hcl.LoadOptions{LookupEnv: env, VarFiles: []string{filepath.Join(dir, "vars.hcl")}})
		list := diags.List()
		if diags.HasErrors() || len(list) != 1 || list[0].Severity != "warning" || list[0].Line != 2 || !strings.HasSuffix(list[0].Filename, "vars.hcl") {
			t.Fatalf("got %+v", list)
		}
		if cfg.Variables[0].Value != "eu" {
			t.Errorf("the declared value still applies: %q", cfg.Variables[0].Value)
		}
	})
	t.Run("a var file with a syntax error", func(t *testing.T) {
		_, diags := hcl.Load(cfgPath, hcl.LoadOptions{LookupEnv: env, VarFiles: []string{filepath.Join(dir, "broken.hcl")}})
		if !diags.HasErrors() || !strings.Contains(diags.Error(), "broken.hcl:1:") {
			t.Fatalf("got %s", diags.Error())
		}
	})
	t.Run("a missing var file", func(t *testing.T) {
		_, diags := hcl.Load(cfgPath, hcl.LoadOptions{LookupEnv: env, VarFiles: []string{filepath.Join(dir, "nope.hcl")}})
		if !diags.HasErrors() || !strings.Contains(diags.Error(), "nope.hcl") {
			t.Fatalf("got %s", diags.Error())
		}
	})
	t.Run("undeclared IGEXPORT_VAR_ variables are ignored", func(t *testing.T) {
		_, diags := hcl.Load(cfgPath, hcl.LoadOptions{LookupEnv: fakeEnv(map[string]string{"T": "tok", "IGEXPORT_VAR_other": "x"})})
		if diags.Len() != 0 {
			t.Fatalf("got %s", diags.Error())
		}
	})
}

func TestEnvFunction(t *testing.T) {
	dir := writeFiles(t, map[string]string{"igexport.hcl": `
account "a" {
  ig_user_id   = "1"
  access_token = env("SET")
  app_secret   = env("UNSET")
}
`})
	cfg := mustLoad(t, filepath.Join(dir, "igexport.hcl"), hcl.LoadOptions{LookupEnv: fakeEnv(map[string]string{"SET": "tok-123"})})
	if got := cfg.Accounts[0]; got.AccessToken != "tok-123" || got.AppSecret != "" {
		t.Errorf("env(SET) = %q, env(UNSET) = %q; want tok-123 and empty", got.AccessToken, got.AppSecret)
	}
}

func TestEnvFunctionDefaultsToTheProcessEnvironment(t *testing.T) {
	t.Setenv("IGEXPORT_TEST_TOKEN", "from-process-env")
	dir := writeFiles(t, map[string]string{"igexport.hcl": `
account "a" {
  ig_user_id   = "1"
  access_token = env("IGEXPORT_TEST_TOKEN")
}
`})
	cfg := mustLoad(t, filepath.Join(dir, "igexport.hcl"), hcl.LoadOptions{})
	if got := cfg.Accounts[0].AccessToken; got != "from-process-env" {
		t.Errorf("access_token = %q", got)
	}
}

func TestFileFunctionIsRelativeToTheConfigFile(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"conf/igexport.hcl": `
account "a" {
  ig_user_id   = "1"
  access_token = trimspace(file("secrets/token.txt"))
}
`,
		"conf/secrets/token.txt": "tok-from-file\n",
		"secrets/token.txt":      "wrong: relative to the working directory",
	})
	t.Chdir(dir)
	cfg := mustLoad(t, "conf/igexport.hcl", hcl.LoadOptions{LookupEnv: fakeEnv(nil)})
	if got := cfg.Accounts[0].AccessToken; got != "tok-from-file" {
		t.Errorf("access_token = %q", got)
	}
}

func TestSecrets(t *testing.T) {
	dir := writeFiles(t, map[string]string{"igexport.hcl": `
variable "token" {
  sensitive = true
}
variable "webhook" {
  sensitive = true
  default   = "https://hooks.example/very-secret"
}
variable "region" {
  default = "eu-not-secret"
}
account "a" {
  ig_user_id   = "1"
  access_token = var.token
  app_secret   = env("APP_SECRET")
}
account "b" {
  ig_user_id   = "2"
  access_token = env("TOKEN_B")
}
discover "d" {
  access_token = var.token
  app_secret   = env("EMPTY")
}
`})
	cfg := mustLoad(t, filepath.Join(dir, "igexport.hcl"), hcl.LoadOptions{
		LookupEnv: fakeEnv(map[string]string{"APP_SECRET": "app-secret-a", "TOKEN_B": "tok-b", "EMPTY": ""}),
		Vars:      map[string]string{"token": "tok-shared-by-a-and-d"},
	})
	want := []string{"https://hooks.example/very-secret", "tok-shared-by-a-and-d", "app-secret-a", "tok-b"}
	if got := cfg.Secrets(); !reflect.DeepEqual(got, want) {
		t.Errorf("Secrets() = %q, want %q (no duplicates, no empty strings, longest first)", got, want)
	}
}

// TestSensitiveValuesNeverRendered makes diagnostics sit on or next to
// sensitive values in every way we know, and checks that no rendering
// shows them.
func TestSensitiveValuesNeverRendered(t *testing.T) {
	const (
		varSecret     = "s3cr3t-var-value-xyz"
		literalToken  = "EAAB-literal-token-abc"
		fileSecret    = "s3cr3t-from-var-file"
		defaultSecret = "s3cr3t-default-overridden"
	)
	dir := writeFiles(t, map[string]string{
		"igexport.hcl": `
variable "token" {
  sensitive = true
  default   = "` + defaultSecret + `"
}
variable "hook" {
  sensitive = true
}
account "a" {
  ig_user_id   = "` + varSecret + `"
  access_token = var.token
  start_date   = var.token
}
account "b" {
  ig_user_id   = "2"
  access_token = "` + literalToken + `"
  start_date   = jsondecode(var.hook)
}
stream "user_insights" {
  start_date = "${var.hook}-x"
}
`,
		"secret.hcl": `hook = "` + fileSecret + `"` + "\n" + `hookk = "` + fileSecret + `"` + "\n",
	})
	_, diags := hcl.Load(filepath.Join(dir, "igexport.hcl"), hcl.LoadOptions{
		LookupEnv: fakeEnv(nil),
		Vars:      map[string]string{"token": varSecret},
		VarFiles:  []string{filepath.Join(dir, "secret.hcl")},
	})
	if !diags.HasErrors() {
		t.Fatal("expected errors")
	}
	var plain, color bytes.Buffer
	if err := diags.Write(&plain, false); err != nil {
		t.Fatal(err)
	}
	if err := diags.Write(&color, true); err != nil {
		t.Fatal(err)
	}
	var list strings.Builder
	for _, d := range diags.List() {
		list.WriteString(d.Summary + "\n" + d.Detail + "\n")
	}
	for name, out := range map[string]string{
		"Write": plain.String(), "Write(color)": color.String(), "Error": diags.Error(), "List": list.String(),
	} {
		// jsondecode's error names the character it choked on: a piece
		// of the secret.
		for _, s := range []string{varSecret, literalToken, fileSecret, defaultSecret, "invalid character"} {
			if strings.Contains(out, s) {
				t.Errorf("%s shows %q:\n%s", name, s, out)
			}
		}
	}
	// The diagnostics are still there and still useful.
	for _, want := range []string{"Invalid ig_user_id", "Invalid date", "Secret in the configuration file", "Undeclared variable", "jsondecode"} {
		if !strings.Contains(plain.String(), want) {
			t.Errorf("Write lost %q:\n%s", want, plain.String())
		}
	}
	if !strings.Contains(plain.String(), `ig_user_id   = "********************"`) {
		t.Errorf("the source line holding a secret is masked, not dropped:\n%s", plain.String())
	}
}

func TestDiagnosticsErrAndWarnings(t *testing.T) {
	_, diags := hcl.Load("testdata/invalid/secrets.hcl", testOptions())
	if diags.HasErrors() || diags.Len() == 0 {
		t.Fatalf("want warnings only, got %s", diags.Error())
	}
	if err := diags.Err(); err != nil {
		t.Errorf("Err() with warnings only = %v, want nil", err)
	}
	if !strings.Contains(diags.Error(), "secrets.hcl:4:18: warning: Secret in the configuration file") {
		t.Errorf("Error() = %s", diags.Error())
	}
	_, diags = hcl.Load("testdata/invalid/values.hcl", testOptions())
	if err := diags.Err(); err == nil || !strings.Contains(err.Error(), "values.hcl:20:19: Invalid lookback_days") {
		t.Errorf("Err() = %v", err)
	}
}

func TestLoadMissingFile(t *testing.T) {
	cfg, diags := hcl.Load(filepath.Join(t.TempDir(), "igexport.hcl"), testOptions())
	if cfg != nil || !diags.HasErrors() || !strings.Contains(diags.Error(), "igexport.hcl") {
		t.Fatalf("cfg = %v, diags = %s", cfg, diags.Error())
	}
}

func TestSyntaxErrorGivesNilConfig(t *testing.T) {
	cfg, diags := hcl.Load("testdata/invalid/syntax.hcl", testOptions())
	if cfg != nil || !diags.HasErrors() {
		t.Fatalf("cfg = %v, diags = %s", cfg, diags.Error())
	}
}

func TestDiscoverMatch(t *testing.T) {
	d := hcl.Discover{Include: []string{"brand_*", "shop"}, Exclude: []string{"brand_test*"}}
	for username, want := range map[string]bool{
		"brand_a": true, "shop": true, "brand_test1": false, "other": false, "shop2": false,
	} {
		if got := d.Match(username); got != want {
			t.Errorf("Match(%q) = %v, want %v", username, got, want)
		}
	}
}

// TestMetricNamesSharedAcrossStreams: reach, views, likes… exist both as
// media metrics and as account metrics; a user_insights block must accept
// them.
func TestMetricNamesSharedAcrossStreams(t *testing.T) {
	dir := writeFiles(t, map[string]string{"igexport.hcl": `
account "a" {
  ig_user_id   = "1"
  access_token = env("T")
}
stream "user_insights" {
  metrics = ["reach", "follower_count", "views", "likes"]
}
stream "story_insights" {
  metrics = ["views", "replies"]
}
`})
	_, diags := hcl.Load(filepath.Join(dir, "igexport.hcl"), hcl.LoadOptions{LookupEnv: fakeEnv(map[string]string{"T": "tok"})})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
}

// LoadOptions.Schemes are the bucket schemes the program can open: a URL
// with another scheme is an error naming them; nil leaves the scheme to
// the bucket opener.
func TestBucketSchemes(t *testing.T) {
	dir := writeFiles(t, map[string]string{"igexport.hcl": `
account "a" {
  ig_user_id   = "1"
  access_token = "tok"
}
destination { url = "sharedmem://lake" }
`})
	for _, tc := range []struct {
		name    string
		schemes []string
		want    string // "" for no error
	}{
		{"any scheme", nil, ""},
		{"a listed scheme", []string{"file", "sharedmem"}, ""},
		{"an unlisted scheme", []string{"file", "s3"}, `no driver for "sharedmem://" URLs. Schemes compiled in: file, s3.`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, diags := hcl.Load(filepath.Join(dir, "igexport.hcl"), hcl.LoadOptions{LookupEnv: fakeEnv(nil), Schemes: tc.schemes})
			switch {
			case tc.want == "" && diags.HasErrors():
				t.Fatalf("unexpected errors:\n%s", diags.Error())
			case tc.want != "" && !strings.Contains(diags.Error(), tc.want):
				t.Fatalf("diagnostics lack %q:\n%s", tc.want, diags.Error())
			}
		})
	}
}

// TestGraphAPIVersionExpiry: a pinned version expiring within 90 days is a
// warning at its expression; once expired it is an error there.
func TestGraphAPIVersionExpiry(t *testing.T) {
	dir := writeFiles(t, map[string]string{"igexport.hcl": `igexport {
  graph_api_version = "v21.0"
}
account "a" {
  ig_user_id   = "1"
  access_token = env("T")
}
`})
	path := filepath.Join(dir, "igexport.hcl")
	tests := []struct {
		now  time.Time
		want string // "" no diagnostic
		err  bool
	}{
		{time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), "", false},
		{time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC), "igexport.hcl:2:23: warning: Graph API version expires soon: Graph API v21.0 expires on 2027-01-21, in 50 days; pin a newer version (newest: v27.0).", false},
		{time.Date(2027, 1, 21, 0, 0, 0, 0, time.UTC), "igexport.hcl:2:23: Expired Graph API version: Graph API v21.0 expired on 2027-01-21; pin a newer version (newest: v27.0).", true},
	}
	for _, tt := range tests {
		_, diags := hcl.Load(path, hcl.LoadOptions{LookupEnv: fakeEnv(map[string]string{"T": "tok"}), Now: func() time.Time { return tt.now }})
		got := diags.Error()
		if tt.want == "" && diags.Len() > 0 || tt.want != "" && !strings.Contains(got, tt.want) || diags.HasErrors() != tt.err {
			t.Errorf("at %s: diagnostics %q, want %q (error %v)", tt.now.Format(time.DateOnly), got, tt.want, tt.err)
		}
	}
}

// TestV21RemovedMetrics: the account metrics v21.0 removed are rejected as
// such, not as unknown names.
func TestV21RemovedMetrics(t *testing.T) {
	for _, m := range []string{"email_contacts", "get_direction_clicks", "text_message_clicks", "phone_call_clicks", "profile_views", "website_clicks"} {
		dir := writeFiles(t, map[string]string{"igexport.hcl": `account "a" {
  ig_user_id   = "1"
  access_token = env("T")
}
stream "user_insights" {
  metrics = ["reach", "` + m + `"]
}
`})
		_, diags := hcl.Load(filepath.Join(dir, "igexport.hcl"), hcl.LoadOptions{LookupEnv: fakeEnv(map[string]string{"T": "tok"}), Now: func() time.Time { return testNow }})
		want := `igexport.hcl:6:23: Invalid metric: Metric "` + m + `" was removed in Graph API v21.0`
		if !strings.Contains(diags.Error(), want) {
			t.Errorf("%s: %s\nwant %s", m, diags.Error(), want)
		}
	}
}

// TestRequestTimeouts: request_timeout and read_idle_timeout bound every
// API request; they must be positive durations.
func TestRequestTimeouts(t *testing.T) {
	const account = `
account "a" {
  ig_user_id   = "17841400000000001"
  access_token = env("IG_ACCESS_TOKEN")
}
`
	dir := writeFiles(t, map[string]string{
		"ok.hcl":  "igexport {\n  request_timeout   = \"90s\"\n  read_idle_timeout = \"250ms\"\n}\n" + account,
		"bad.hcl": "igexport {\n  request_timeout   = \"0s\"\n  read_idle_timeout = \"soon\"\n}\n" + account,
	})
	cfg := mustLoad(t, filepath.Join(dir, "ok.hcl"), testOptions())
	if cfg.RequestTimeout != 90*time.Second || cfg.ReadIdleTimeout != 250*time.Millisecond {
		t.Errorf("timeouts %s, %s", cfg.RequestTimeout, cfg.ReadIdleTimeout)
	}
	_, diags := hcl.Load(filepath.Join(dir, "bad.hcl"), testOptions())
	err := diags.Err()
	for _, want := range []string{
		`bad.hcl:2:23: Invalid request_timeout: request_timeout (the most one request may take, body included) must be a positive duration such as "2m" or "30s", not "0s".`,
		`bad.hcl:3:23: Invalid read_idle_timeout`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("diagnostics %v; want %q", err, want)
		}
	}
}

// TestCommentsSettings: comments is opt-in (not in the default streams);
// named in streams, its block's refresh_days and usernames apply, and
// without a block the defaults do (3 days, keep).
func TestCommentsSettings(t *testing.T) {
	const account = "account \"a\" {\n  ig_user_id   = \"17841400000000001\"\n  access_token = \"t\"\n}\n"
	dir := writeFiles(t, map[string]string{
		"default.hcl":  account,
		"opt_in.hcl":   account + "streams = [\"media\", \"comments\"]\nstream \"comments\" {\n  refresh_days = 7\n  usernames    = \"hash\"\n}\n",
		"no_block.hcl": account + "streams = [\"comments\"]\n",
	})
	cfg := mustLoad(t, filepath.Join(dir, "default.hcl"), testOptions())
	if slices.Contains(cfg.Streams, schema.Comments) {
		t.Errorf("default streams %v include the opt-in comments", cfg.Streams)
	}
	cfg = mustLoad(t, filepath.Join(dir, "opt_in.hcl"), testOptions())
	if sc := cfg.StreamSetting(schema.Comments); !slices.Equal(cfg.Streams, []string{"media", "comments"}) || sc.RefreshDays != 7 || sc.Usernames != hcl.UsernamesHash {
		t.Errorf("streams %v, comments settings %+v", cfg.Streams, sc)
	}
	cfg = mustLoad(t, filepath.Join(dir, "no_block.hcl"), testOptions())
	if sc := cfg.StreamSetting(schema.Comments); sc.RefreshDays != hcl.DefaultRefreshDays || sc.Usernames != hcl.UsernamesKeep {
		t.Errorf("default comments settings %+v", sc)
	}
}

// TestProfileActivityBreakdownArgument: profile_activity_breakdown is a
// media_insights boolean (default false), an error elsewhere or when not a
// boolean, with file:line:col.
func TestProfileActivityBreakdownArgument(t *testing.T) {
	const account = `account "a" {
  ig_user_id   = "1"
  access_token = env("T")
}
`
	dir := writeFiles(t, map[string]string{
		"on.hcl":    account + "stream \"media_insights\" {\n  profile_activity_breakdown = true\n}\n",
		"story.hcl": account + "stream \"story_insights\" {\n  profile_activity_breakdown = true\n}\n",
		"text.hcl":  account + "stream \"media_insights\" {\n  profile_activity_breakdown = \"yes please\"\n}\n",
	})
	o := hcl.LoadOptions{LookupEnv: fakeEnv(map[string]string{"T": "tok"}), Now: func() time.Time { return testNow }}
	if cfg := mustLoad(t, filepath.Join(dir, "on.hcl"), o); !cfg.StreamSetting("media_insights").ProfileActivityBreakdown {
		t.Error("profile_activity_breakdown = true not read")
	}
	if mustLoad(t, filepath.Join(dir, "on.hcl"), o).StreamSetting("story_insights").ProfileActivityBreakdown {
		t.Error("profile_activity_breakdown leaked into story_insights")
	}
	for file, want := range map[string]string{
		"story.hcl": "story.hcl:6:3: Argument not valid for this stream: profile_activity_breakdown applies to media_insights only",
		"text.hcl":  "text.hcl:6:32: Incorrect value type: profile_activity_breakdown must be true or false, not string.",
	} {
		_, diags := hcl.Load(filepath.Join(dir, file), o)
		if !strings.Contains(diags.Error(), want) {
			t.Errorf("%s: %s\nwant %s", file, diags.Error(), want)
		}
	}
}
