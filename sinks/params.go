package sinks

import "slices"

// queryParams are the URL query parameters each compiled-in driver of
// gocloud.dev/blob (v0.47) accepts (for s3://, sinks' own opener), plus
// prefix and key, which blob itself takes for every scheme. The drivers
// reject any other parameter, but only when the bucket is opened;
// `validate` checks them with this list.
var queryParams = map[string][]string{
	"s3":     s3ParamNames(), // sinks opens s3:// itself (s3.go)
	"gs":     {"anonymous", "access_id", "private_key_path", "universe_domain", "grpc", "zonal"},
	"azblob": {"storage_account", "domain", "protocol", "cdn", "localemu"},
	"file":   {"create_dir", "dir_file_mode", "no_tmp_dir", "base_url", "secret_key_path", "metadata"},
	"mem":    {},
}

// QueryParams returns the query parameters a bucket URL of scheme may
// carry, and false for a scheme whose parameters are not known here.
func QueryParams(scheme string) ([]string, bool) {
	ps, ok := queryParams[scheme]
	if !ok {
		return nil, false
	}
	return slices.Concat(ps, []string{"prefix", "key"}), true
}
