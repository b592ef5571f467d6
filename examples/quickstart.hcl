# Quickstart: one Instagram business (or creator) account into a local lake.
#
#   export IG_ACCESS_TOKEN=...      # see docs/getting-a-token.md
#   igexport validate -config examples/quickstart.hcl
#   igexport plan     -config examples/quickstart.hcl
#   igexport apply    -config examples/quickstart.hcl
#
# Then query ./lake with DuckDB: igexport ddl -dialect duckdb -config examples/quickstart.hcl

variable "token" {
  description = "Long-lived user token with instagram_basic, instagram_manage_insights, pages_show_list, pages_read_engagement"
  sensitive   = true
  default     = env("IG_ACCESS_TOKEN")
}

account "brand_a" {
  ig_user_id   = "17841400000000001" # Graph API Explorer: GET me/accounts?fields=instagram_business_account
  access_token = var.token
  start_date   = "2026-01-01" # first run: account insights from this day (default: 2 years back)
}

destination {
  url = "file://./lake" # s3://bucket?region=eu-west-1, gs://bucket, azblob://container, mem://
}
