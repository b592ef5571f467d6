# Secrets written in the file are warnings, not errors.
account "brand_a" {
  ig_user_id   = "17841400000000001"
  access_token = "EAAB-literal-token-in-file"  # WARNING: Secret in the configuration file: access_token is written in the file
  app_secret   = "literal-app-secret"          # WARNING: Secret in the configuration file: app_secret is written in the file
}

account "brand_b" {
  ig_user_id   = "17841400000000002"
  access_token = env("UNSET_TOKEN")  # WARNING: Empty access_token
}

discover "agency" {
  access_token = "EAAB-${"template"}-token-in-file"  # WARNING: Secret in the configuration file
}

variable "pasted" {
  sensitive = true
  default   = "EAAB-pasted-into-a-default"  # WARNING: Secret in the configuration file: access_token = var.pasted, and this default of var.pasted is written in the file
}

variable "overridden" {
  default = "EAAB-default-replaced-by-IGEXPORT_VAR"
}

account "brand_c" {
  ig_user_id   = "17841400000000003"
  access_token = var.pasted
  app_secret   = var.overridden
}

account "brand_d" {
  ig_user_id   = "17841400000000004"
  access_token = var.pasted
}
