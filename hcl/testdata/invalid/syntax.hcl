# A syntax error stops decoding: only it is reported.
account "brand_a" {
  ig_user_id   "17841400000000001"  # ERROR: Invalid block definition
  access_token = env("IG_ACCESS_TOKEN")
}
