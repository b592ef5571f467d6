account "a" {
  ig_user_id   = "1"
  access_token = env("T")
}
