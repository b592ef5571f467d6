# Token health and Instagram Login settings (SPEC §5).
igexport {
  instagram_api_url = "http://127.0.0.1:8089/"
  token_warn_days   = 7
}

account "brand_a" {
  ig_user_id   = "17841400000000001"
  access_token = env("IG_ACCESS_TOKEN")
  app_id       = "1234567890"
  app_secret   = env("IG_APP_SECRET")
}

account "creator_b" {
  ig_user_id   = "17841400000000002"
  access_token = env("IG_ACCESS_TOKEN")
  login        = "instagram"
}

discover "agency" {
  access_token = env("IG_ACCESS_TOKEN")
  app_id       = "1234567890"
  login        = "facebook"
}
