# Token settings with wrong values.
igexport {
  instagram_api_url = "graph.instagram.com" # ERROR: Invalid instagram_api_url
  token_warn_days   = -1                    # ERROR: Invalid token_warn_days: token_warn_days must be >= 0
}

account "brand_a" {
  ig_user_id   = "17841400000000001"
  access_token = env("IG_ACCESS_TOKEN")
  app_id       = "my-app"                   # ERROR: Invalid app_id: app_id must be the numeric Meta app id
  login        = "threads"                  # ERROR: Invalid login: login must be "facebook" (Instagram API with Facebook Login, graph.facebook.com) or "instagram"
}

discover "agency" {
  access_token = env("IG_ACCESS_TOKEN")
  login        = "Instagram"                # ERROR: Invalid login: login must be "facebook"
}
