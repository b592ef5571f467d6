variable "api_token" {  # ERROR: No value for variable: Variable "api_token" has no default and no value was given
  sensitive = true
}

variable "region" {
  default = var.api_token  # ERROR: Unsupported reference: var.api_token is not allowed here. Variables are decoded before everything else
}

variable "1st" {  # ERROR: Invalid variable name
}

variable "list" {
  default = ["a", "b"]  # ERROR: Incorrect value type: default must be a string, not tuple.
}

variable "flag" {
  sensitive = "maybe"  # ERROR: Incorrect value type: sensitive must be true or false, not string.
  default   = "x"
}

account "brand_a" {
  ig_user_id   = "17841400000000001"
  access_token = var.api_tokn  # ERROR: Undefined variable: No variable "api_tokn" is declared. Declare it with a variable "api_tokn" block. Did you mean "api_token"?
  app_secret   = env.IG_APP_SECRET  # ERROR: Unsupported reference: env.IG_APP_SECRET is not allowed here. Only var.NAME can be referenced; use env("NAME")
}

account "brand_b" {
  ig_user_id   = "17841400000000002"
  access_token = lookup("IG_ACCESS_TOKEN")  # ERROR: Call to unknown function
  start_date   = file("missing-file.txt")   # ERROR: Call to function "file" failed: no file exists at
}
