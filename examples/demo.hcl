# The demo: igexport against the built-in emulator (igfake) into ./lake.
# `make demo` starts igfake on 127.0.0.1:8089 (PORT= picks another) and runs `igexport apply` with this file.

igexport {
  # make demo PORT=8090 runs igfake on port 8090 and sets IGFAKE_URL=http://127.0.0.1:8090.
  graph_api_url     = coalesce(env("IGFAKE_URL"), "http://127.0.0.1:8089")
  graph_api_version = "v23.0"
  concurrency       = 8
}

variable "token" {
  sensitive = true
  default   = env("IG_ACCESS_TOKEN")
}

discover "emulator" {
  access_token = var.token
  include      = ["*"]
}

stream "user_insights" {
  lookback_days = 2
}

destination {
  url         = "file://./lake"
  compression = "zstd"
}
