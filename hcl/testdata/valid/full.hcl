# The example of SPEC §5.
igexport {
  graph_api_url     = "https://graph.facebook.com"  # default; an emulator URL in tests
  graph_api_version = "v23.0"                       # default, pinned
  concurrency       = 8                             # requests in flight across all accounts
}

variable "token" {
  sensitive = true
  default   = env("IG_ACCESS_TOKEN")
}

account "brand_a" {
  ig_user_id   = "17841400000000001"
  access_token = var.token
  app_secret   = env("IG_APP_SECRET")   # optional: sends appsecret_proof on every call
  start_date   = "2026-01-01"           # optional: first-run lower bound for user_insights (default: 2 years back)
}

discover "agency" {                     # optional: every IG business account behind the token
  access_token = var.token
  include      = ["*"]                  # username globs
  exclude      = ["test_*"]
}

streams = ["users", "media", "media_insights", "stories", "story_insights",
           "user_insights", "user_lifetime_insights"]   # default: all seven

stream "user_insights" {
  lookback_days = 2
}
stream "media_insights" {
  max_media_age_days = 365   # optional: only refresh insights of media younger than this
}

destination {
  url         = "file://./lake"      # any gocloud.dev/blob URL: s3://, gs://, azblob://, file://, mem://
  prefix      = "instagram"
  compression = "zstd"
}

state {                              # optional; defaults to the destination bucket
  url    = "s3://other-bucket"
  prefix = "instagram/_igexport"
}

rate_limit {
  max_usage_percent = 75             # slow down above this value of any usage header
  max_wait          = "30m"          # then defer the account to the next run (exit code 3)
}
