# Many mistakes in one file, all reported in one run.
igexport {
  graph_api_url     = "graph.facebook.com"  # ERROR: Invalid graph_api_url
  graph_api_version = "v99.0"               # ERROR: Unsupported Graph API version: Graph API version "v99.0" is not in the metric catalog
  concurrency       = 0                     # ERROR: Invalid concurrency: concurrency must be >= 1
}

account "brand_a" {
  ig_user_id   = "brand.a"                  # ERROR: Invalid ig_user_id: ig_user_id must be the numeric Instagram user id
  access_token = env("IG_ACCESS_TOKEN")
  start_date   = "2026-13-01"               # ERROR: Invalid date: start_date must be a date in YYYY-MM-DD form, such as "2026-01-01", not "2026-13-01".
}

discover "agency" {
  access_token = env("IG_ACCESS_TOKEN")
  include      = ["brand_*", "[a-"]         # ERROR: Invalid glob: "[a-" is not a valid username glob
}

stream "user_insights" {
  lookback_days = -1                        # ERROR: Invalid lookback_days: lookback_days must be >= 0
  start_date    = "01/02/2026"              # ERROR: Invalid date
}

stream "media_insights" {
  max_media_age_days = 1.5                  # ERROR: Invalid value: max_media_age_days must be a whole number.
}

stream "user_lifetime_insights" {
  breakdowns = ["age", "age,age", "region"] # ERROR: Invalid breakdown: "age,age" is not a breakdown  # ERROR: Invalid breakdown: "region" is not a breakdown
  timeframe  = "last_90_days"               # ERROR: Unsupported timeframe: timeframe must be one of this_week, this_month, not "last_90_days".
}

stream "comments" {                         # WARNING: Stream not enabled: There is a stream "comments" block, but "comments" is opt-in
  refresh_days = -3                         # ERROR: Invalid refresh_days: refresh_days must be >= 0
  usernames    = "hashed"                   # ERROR: Unsupported usernames: usernames must be one of keep, hash, drop, not "hashed". Did you mean "hash"?
}

destination {
  url         = "ftp://example.com/lake"    # ERROR: Unsupported bucket scheme: This igexport has no driver for "ftp://" URLs.
  compression = "lz4"                       # ERROR: Unsupported compression: compression must be one of zstd, snappy, gzip, none, not "lz4".
}

state {
  url = "s3://bad bucket/%zz"               # ERROR: Invalid bucket URL: "s3://bad bucket/%zz" is not a valid URL.
}

rate_limit {
  max_usage_percent = 101                   # ERROR: Invalid max_usage_percent: max_usage_percent must be between 1 and 100, not 101.
  max_wait          = "30 minutes"          # ERROR: Invalid max_wait: max_wait must be a duration such as "30m"
}
