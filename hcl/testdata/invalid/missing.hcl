account "brand_a" {  # ERROR: Missing required argument: The argument "ig_user_id" is required  # ERROR: The argument "access_token" is required
  start_date = "2026-01-01"
}

discover "agency" {  # ERROR: The argument "access_token" is required
}

account {  # ERROR: Missing name for account
  ig_user_id   = "17841400000000001"
  access_token = env("IG_ACCESS_TOKEN")
}
