#!/usr/bin/env bash
# install-tools.sh — install the out-of-process test tools into ./.tools at pinned versions.
#
#   .tools/bin/versitygw            S3 gateway (posix backend)        go install, pinned
#   .tools/bin/fake-gcs-server      GCS emulator                      go install, pinned
#   .tools/node/node_modules/...    azurite (Azure Blob), @duckdb/node-api
#                                   npm ci from tools/node/package-lock.json
#
# Idempotent: each tool has a stamp file under .tools/stamps recording what was
# installed (version, Go/Node version, lockfile hash); a tool whose stamp matches and
# whose files are present is skipped. Delete .tools (or one stamp) to force a reinstall.
#
# Environment:
#   IGEXPORT_TOOLS   install root (default: <repo>/.tools)
#   TOOLS_ONLY       space-separated subset of: versitygw fake-gcs-server node
#   TOOLS_SERIAL=1   install one tool after the other (default: the three run in parallel;
#                    the npm download overlaps the Go builds)
#
# Needs: go (the module's toolchain), node >= 20 and npm; network access to the Go
# module proxy and the npm registry. Nothing is written outside the install root
# (apart from the usual Go module/build caches and the npm cache).
set -euo pipefail

VERSITYGW_VERSION=v1.8.0
FAKE_GCS_VERSION=v1.56.1

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOOLS=${IGEXPORT_TOOLS:-$ROOT/.tools}
ONLY=${TOOLS_ONLY:-versitygw fake-gcs-server node}
mkdir -p "$TOOLS/bin" "$TOOLS/stamps" "$TOOLS/logs"
TOOLS=$(cd "$TOOLS" && pwd)

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }
log() { printf 'install-tools: %s\n' "$*"; }
wanted() { [[ " $ONLY " == *" $1 "* ]]; }

hash_files() { cat "$@" | sha256sum | cut -c1-16; }

need() {
	command -v "$1" >/dev/null 2>&1 || {
		log "ERROR: '$1' not found in PATH ($2)"
		exit 1
	}
}

# go_tool NAME PACKAGE VERSION: go install PACKAGE@VERSION into $TOOLS/bin unless the stamp matches.
go_tool() {
	local name=$1 pkg=$2 version=$3
	local stamp="$TOOLS/stamps/$name" want
	want="$pkg@$version $(go env GOVERSION) $(go env GOOS)/$(go env GOARCH)"
	if [[ -x "$TOOLS/bin/$name" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
		log "$name $version: up to date (skipped)"
		return 0
	fi
	local t0 logf="$TOOLS/logs/$name.log"
	t0=$(now)
	log "$name $version: go install $pkg@$version ..."
	rm -f "$stamp"
	# GOFLAGS from the caller (e.g. -mod=vendor) must not leak into a module-mode install;
	# -trimpath and -s -w keep the binaries smaller and reproducible.
	if ! env GOBIN="$TOOLS/bin" GOFLAGS=-buildvcs=false GOWORK=off \
		go install -trimpath -ldflags='-s -w' "$pkg@$version" >"$logf" 2>&1; then
		log "$name: FAILED after $(elapsed "$t0"); log follows"
		cat "$logf" >&2
		return 1
	fi
	printf '%s' "$want" >"$stamp"
	log "$name $version: installed in $(elapsed "$t0") ($(du -h "$TOOLS/bin/$name" | cut -f1))"
}

node_tools() {
	local src="$ROOT/tools/node" dst="$TOOLS/node" stamp="$TOOLS/stamps/node" want
	want="$(hash_files "$src/package.json" "$src/package-lock.json") node-$(node --version) $(uname -s)/$(uname -m)"
	if [[ -d "$dst/node_modules/azurite" && -d "$dst/node_modules/@duckdb/node-api" &&
		-f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
		log "node tools (azurite, @duckdb/node-api): up to date (skipped)"
		return 0
	fi
	local t0 logf="$TOOLS/logs/node.log"
	t0=$(now)
	log "node tools: npm ci in $dst ..."
	rm -f "$stamp"
	mkdir -p "$dst"
	cp "$src/package.json" "$src/package-lock.json" "$dst/"
	# No package needs an install script (the DuckDB bindings ship prebuilt per platform).
	if ! (cd "$dst" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) >"$logf" 2>&1; then
		log "node tools: FAILED after $(elapsed "$t0"); log follows"
		cat "$logf" >&2
		return 1
	fi
	printf '%s' "$want" >"$stamp"
	log "node tools: installed in $(elapsed "$t0") ($(du -sh "$dst/node_modules" | cut -f1))"
}

T0=$(now)
wanted versitygw || wanted fake-gcs-server && need go "install Go 1.26"
if wanted node; then
	need node "install Node.js >= 20"
	need npm "install npm"
	major=$(node -p 'process.versions.node.split(".")[0]')
	if ((major < 20)); then
		log "ERROR: Node.js >= 20 required, found $(node --version)"
		exit 1
	fi
fi

jobs_=()
fail=0
run() {
	if [[ ${TOOLS_SERIAL:-0} == 1 ]]; then
		"$@" || fail=1
	else
		"$@" &
		jobs_+=($!)
	fi
}
wanted versitygw && run go_tool versitygw github.com/versity/versitygw/cmd/versitygw "$VERSITYGW_VERSION"
wanted fake-gcs-server && run go_tool fake-gcs-server github.com/fsouza/fake-gcs-server "$FAKE_GCS_VERSION"
wanted node && run node_tools

for p in "${jobs_[@]}"; do
	wait "$p" || fail=1
done
if ((fail)); then
	log "FAILED (total $(elapsed "$T0"))"
	exit 1
fi
log "done in $(elapsed "$T0"); tools in $TOOLS"
