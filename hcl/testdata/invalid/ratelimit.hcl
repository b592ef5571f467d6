account "brand_a" {
  ig_user_id   = "17841400000000001"
  access_token = env("IG_ACCESS_TOKEN")
}

destination {
  url = "./lake"  # ERROR: Invalid bucket URL: "./lake" has no scheme.
}

rate_limit {
  max_usage_percent = 0     # ERROR: must be between 1 and 100, not 0.
  max_wait          = "-5m" # ERROR: max_wait must not be negative.
}
