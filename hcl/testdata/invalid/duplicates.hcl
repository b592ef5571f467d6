variable "token" {
  default = env("IG_ACCESS_TOKEN")
}
variable "token" {  # ERROR: Duplicate variable: A variable named "token" was already declared at testdata/invalid/duplicates.hcl:1.
  default = "other"
}

account "brand_a" {
  ig_user_id   = "17841400000000001"
  access_token = var.token
}
account "brand_a" {  # ERROR: Duplicate account: An account named "brand_a" was already declared at testdata/invalid/duplicates.hcl:8.
  ig_user_id   = "17841400000000009"
  access_token = var.token
}
account "brand_b" {
  ig_user_id   = "17841400000000001"  # ERROR: Duplicate ig_user_id: Account "brand_b" has the same ig_user_id as the account at testdata/invalid/duplicates.hcl:8
  access_token = var.token
}

discover "agency" {
  access_token = var.token
}
discover "agency" {  # ERROR: Duplicate discover block: A discover block named "agency" was already declared at testdata/invalid/duplicates.hcl:21.
  access_token = var.token
}

streams = ["users", "media", "users"]  # ERROR: Duplicate stream: "users" is already listed at testdata/invalid/duplicates.hcl:28.

stream "media_insights" {  # WARNING: Stream not enabled
  metrics = ["views", "reach", "views"]  # ERROR: Duplicate metric
}
stream "media_insights" {  # ERROR: Duplicate stream block: A stream "media_insights" block was already declared at testdata/invalid/duplicates.hcl:30.
  max_media_age_days = 30
}

destination {
  url = "mem://"
}
destination {  # ERROR: Duplicate destination block: Only one destination block is allowed; the first one is at testdata/invalid/duplicates.hcl:37.
  url = "mem://"
}
