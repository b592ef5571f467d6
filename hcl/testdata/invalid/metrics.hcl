account "brand_a" {
  ig_user_id   = "17841400000000001"
  access_token = env("IG_ACCESS_TOKEN")
}

stream "media_insights" {
  metrics = ["views", "impressions", "replies"]  # ERROR: Invalid metric: Metric "impressions" was removed in Graph API v22.0: use views.  # ERROR: Invalid metric: Metric "replies" is not a media_insights metric in Graph API v27.0
}

stream "story_insights" {
  metrics = ["taps_forward"]  # ERROR: was removed in Graph API v18.0: use navigation (tap_forward column)
}

stream "user_insights" {
  metrics = ["reach", "email_contacts", "website_clicks"]  # ERROR: Invalid metric: Metric "email_contacts" was removed in Graph API v21.0: use profile_links_taps.  # ERROR: Invalid metric: Metric "website_clicks" was removed in Graph API v21.0.
}

stream "user_lifetime_insights" {
  metrics = []  # ERROR: No metrics
}

stream "users" {
  metrics = ["views"]  # ERROR: Argument not valid for this stream: metrics applies to media_insights, story_insights, user_insights, user_lifetime_insights only, not to users. Arguments of a stream "users" block: none.
}
