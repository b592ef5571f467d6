package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/igexport/igexport/export"
	"github.com/igexport/igexport/hcl"
)

// checkTokens reports the first selected account (or discover block) whose
// access_token is empty, before plan or apply sends anything: such a run
// could only fail at the API with an unhelpful error.
func checkTokens(cfg *hcl.Config, o export.Options) error {
	for _, a := range cfg.Accounts {
		if len(o.Accounts) > 0 && !slices.Contains(o.Accounts, a.Name) && !slices.Contains(o.Accounts, a.IGUserID) {
			continue
		}
		// Without ig_user_id (Instagram Login) the shard is known after
		// GET /me only: every shard checks the token, as for discover blocks.
		if o.Shards > 1 && a.IGUserID != "" && export.ShardOf(a.IGUserID, o.Shards) != o.Shard {
			continue
		}
		if a.AccessToken == "" {
			return fmt.Errorf("the token for account %s is empty (%s)", a.Name, tokenHint(a.TokenEnv))
		}
	}
	for _, d := range cfg.Discover {
		if d.AccessToken == "" {
			return fmt.Errorf("the token for discover block %s is empty (%s)", d.Name, tokenHint(d.TokenEnv))
		}
	}
	return nil
}

// tokenHint names the environment variables an empty token comes from:
// those read with env() first, the IGEXPORT_VAR_ ones when there is none.
func tokenHint(names []string) string {
	var envs, vars []string
	for _, n := range names {
		if strings.HasPrefix(n, hcl.EnvVarPrefix) {
			vars = append(vars, n)
		} else {
			envs = append(envs, n)
		}
	}
	if len(envs) == 0 {
		envs = vars
	}
	if len(envs) == 0 {
		return "access_token is an empty string"
	}
	return strings.Join(envs, " or ") + " not set?"
}
