# No account block: every IG business account behind the token, but the
# test ones.
discover "agency" {
  access_token = env("IG_ACCESS_TOKEN")
  app_secret   = env("IG_APP_SECRET")
  exclude      = ["test_*", "sandbox?"]
}

streams = ["users", "media", "media_insights"]

destination {
  url         = "mem://"
  compression = "snappy"
}
