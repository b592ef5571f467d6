# ERROR: Nothing to export: The file has no account block and no discover block
streams = ["users"]

destination {
  url = "mem://"
}
