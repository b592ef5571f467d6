# file() reads regular files of at most 1 MiB, nothing else (a FIFO and a
# file over the limit are made by TestFileReadsRegularFilesOnly).
account "a" {
  ig_user_id   = "17841400000000001"
  access_token = file("/dev/zero")  # ERROR: Call to function "file" failed: /dev/zero is a character device, not a regular file
  app_secret   = file(".")  # ERROR: testdata/invalid is a directory, not a regular file
}
