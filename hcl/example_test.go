package hcl_test

import (
	"fmt"
	"os"

	"github.com/igexport/igexport/hcl"
)

func ExampleLoad() {
	env := map[string]string{"IG_ACCESS_TOKEN": "EAAB-example"}
	cfg, diags := hcl.Load("testdata/valid/minimal.hcl", hcl.LoadOptions{
		LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
	})
	if diags.HasErrors() {
		_ = diags.Write(os.Stderr, false)
		return
	}
	a := cfg.Accounts[0]
	fmt.Println(a.Name, a.IGUserID)
	fmt.Println(cfg.Destination.URL, cfg.Destination.Compression)
	fmt.Println(cfg.State.URL, cfg.State.Prefix)
	fmt.Println(cfg.StreamSetting("user_insights").LookbackDays)
	// Output:
	// brand_a 17841400000000001
	// file://./igexport-data zstd
	// file://./igexport-data _igexport
	// 2
}

func ExampleDiagnostics_Write() {
	_, diags := hcl.Load("testdata/invalid/ratelimit.hcl", hcl.LoadOptions{
		LookupEnv: func(string) (string, bool) { return "EAAB-example", true },
		Schemes:   []string{"azblob", "file", "gs", "mem", "s3"}, // sinks.Schemes() in igexport
	})
	_ = diags.Write(os.Stdout, false)
	// Output:
	// Error: Invalid bucket URL
	//
	//   on testdata/invalid/ratelimit.hcl:7:9, in destination:
	//    7:   url = "./lake"  # ERROR: Invalid bucket URL: "./lake" has no scheme.
	//               ^^^^^^^^
	//
	// "./lake" has no scheme. Use a bucket URL such as "s3://my-bucket" or "file://./lake"; schemes: azblob, file, gs, mem, s3.
	//
	// Error: Invalid max_usage_percent
	//
	//   on testdata/invalid/ratelimit.hcl:11:23, in rate_limit:
	//   11:   max_usage_percent = 0     # ERROR: must be between 1 and 100, not 0.
	//                             ^
	//
	// max_usage_percent must be between 1 and 100, not 0.
	//
	// Error: Invalid max_wait
	//
	//   on testdata/invalid/ratelimit.hcl:12:23, in rate_limit:
	//   12:   max_wait          = "-5m" # ERROR: max_wait must not be negative.
	//                             ^^^^^
	//
	// max_wait must not be negative.
}
