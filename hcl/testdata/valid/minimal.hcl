# The smallest useful file: one account, everything else defaulted.
account "brand_a" {
  ig_user_id   = "17841400000000001"
  access_token = env("IG_ACCESS_TOKEN")
}
