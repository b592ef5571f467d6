igexport {
  concurency = 4  # ERROR: Unsupported argument: An argument named "concurency" is not expected here. Did you mean "concurrency"?
}

acount "brand_b" {  # ERROR: Unsupported block type: Blocks of type "acount" are not expected here. Did you mean "account"?
}

account "brand_a" {
  ig_user_id   = "17841400000000001"
  access_token = env("IG_ACCESS_TOKEN")
  start_dat    = "2026-01-01"  # ERROR: Did you mean "start_date"?
}

streams = ["users", "medias", "storys"]  # ERROR: There is no stream "medias". Did you mean "media"?  # ERROR: There is no stream "storys". Did you mean "stories"?

stream "user_insight" {  # ERROR: Unknown stream: There is no stream "user_insight". Did you mean "user_insights"?
  lookback_days = 3
}

stream "media" {  # WARNING: Stream not enabled
  lookback_days = 3  # ERROR: Argument not valid for this stream: lookback_days applies to user_insights only, not to media
}

stream "media_insights" {  # WARNING: Stream not enabled
  timeframe = "this_month"  # ERROR: timeframe applies to user_lifetime_insights only
}

destination {
  url    = "file://./lake"
  bucket = "x"  # ERROR: Unsupported argument
}

rate_limit {
  max_wait = "1m"
  retries  = 3  # ERROR: Unsupported argument
}
