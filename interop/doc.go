// Package interop holds igexport's interoperability tests: the built
// igexport binary, driven as a user drives it, exports the emulator's data
// into every kind of bucket (mem://, file://, S3 through versitygw, GCS
// through fake-gcs-server, Azure Blob through Azurite), and an independent
// reader (DuckDB) checks that the lake is what SPEC §2–§3 promise and what
// `igexport ddl` declares.
//
// The package has no code besides its tests. The out-of-process servers and
// DuckDB come from ./.tools (make tools); tests that need them skip without
// them, or fail under IGEXPORT_REQUIRE_TOOLS=1 (make test).
package interop
