# Variables, functions and every stream setting.
variable "token" {
  description = "Long-lived user access token."
  sensitive   = true
}

variable "secret" {
  sensitive = true
  default   = trimspace(file("app_secret.txt"))
}

variable "env" {
  default = "prod"
}

variable "bucket" {
  description = "Set per environment with -var or IGEXPORT_VAR_bucket."
  default     = "igexport-${lower("DEV")}"
}

account "brand_a" {
  ig_user_id   = "17841400000000001"
  access_token = var.token
  app_secret   = var.secret
}

account "brand_b" {
  ig_user_id   = 17841400000000002
  access_token = coalesce(env("IG_TOKEN_BRAND_B"), var.token)
  start_date   = "2025-06-30"
}

stream "media_insights" {
  metrics            = ["views", "reach", "saved", "ig_reels_avg_watch_time"]
  max_media_age_days = 90
}

stream "story_insights" {
  metrics = ["views", "navigation"]
}

stream "user_insights" {
  metrics       = ["accounts_engaged", "follows_and_unfollows"]
  lookback_days = 0
  start_date    = "2024-12-01"
}

stream "user_lifetime_insights" {
  metrics    = ["follower_demographics"]
  breakdowns = ["age,gender", "country"]
  timeframe  = "this_week"
}

destination {
  url    = format("s3://%s?region=eu-west-1", var.bucket)
  prefix = "/${upper(var.env)}/instagram/"
}

rate_limit {
  max_usage_percent = 90
  max_wait          = "1h30m"
}
