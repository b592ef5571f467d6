# A historical backfill of account insights (user_insights), as far back as
# the API serves (2 years; follower_count 30 days), without touching the
# nightly job's cursor: -from/-to never move a cursor backwards.
#
#   export IG_ACCESS_TOKEN=...
#   igexport plan  -config examples/backfill.hcl -from 2025-01-01 -to 2025-06-30
#   igexport apply -config examples/backfill.hcl -from 2025-01-01 -to 2025-06-30
#
# plan shows the range, the partitions (one per day) and what is too old to
# recover. Re-running is safe: every partition is merged by its key (date).
# The same flags work on the nightly config; this file only narrows the run
# to the one stream a backfill concerns.

variable "token" {
  sensitive = true
  default   = env("IG_ACCESS_TOKEN")
}

account "brand_a" {
  ig_user_id   = "17841400000000001"
  access_token = var.token
}

streams = ["user_insights"]

stream "user_insights" {
  lookback_days = 2 # the nightly re-read window (the API may lag 48 h)
}

destination {
  url    = "file://./lake"
  prefix = ""
}

rate_limit {
  max_wait = "2h" # a backfill may wait longer on throttling than a nightly job
}
