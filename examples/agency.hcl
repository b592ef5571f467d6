# An agency: every Instagram business account behind one token, found with
# GET /me/accounts (discover), filtered by username, plus one client whose
# account lives under another Business Manager (its own token), into S3.
#
#   export IG_ACCESS_TOKEN=... IG_APP_SECRET=... CLIENT_X_TOKEN=...
#   igexport plan  -config examples/agency.hcl
#   igexport apply -config examples/agency.hcl

igexport {
  concurrency = 16 # requests in flight across all accounts
}

variable "token" {
  sensitive = true
  default   = env("IG_ACCESS_TOKEN")
}

variable "app_secret" {
  description = "App secret: every call then carries appsecret_proof (required when the app enforces it)"
  sensitive   = true
  default     = env("IG_APP_SECRET")
}

variable "client_x_token" {
  sensitive = true
  default   = env("CLIENT_X_TOKEN")
}

discover "agency" {
  access_token = var.token
  app_secret   = var.app_secret
  include      = ["*"] # username globs (path.Match syntax)
  exclude      = ["test_*", "*_sandbox", "internal_*"]
}

account "client_x" {
  ig_user_id   = "17841400000000042"
  access_token = var.client_x_token
}

# The seven default streams, plus the opt-in comments.
streams = [
  "users", "media", "media_insights", "stories", "story_insights",
  "user_insights", "user_lifetime_insights", "comments",
]

stream "comments" {
  usernames    = "hash" # commenters are third parties: a salted SHA-256, never the name
  refresh_days = 3      # young media are re-read every run; older ones when comments_count moves
}

stream "media_insights" {
  max_media_age_days = 365 # refresh lifetime metrics of the last year's media only
}

stream "user_lifetime_insights" {
  breakdowns = ["age", "gender", "country", "age,gender"]
  timeframe  = "this_month"
}

destination {
  url         = "s3://acme-lake?region=eu-west-1" # AWS credentials from the environment
  prefix      = "instagram"
  compression = "zstd"
}

state {
  url    = "s3://acme-lake-state?region=eu-west-1" # keep state out of the data bucket
  prefix = "igexport"
}

rate_limit {
  max_usage_percent = 75    # slow down above 75 % of any usage header
  max_wait          = "20m" # then defer the account to the next run (exit 3)
}
