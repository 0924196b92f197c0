#!/usr/bin/env bash
# Release notes for galaxy.yml's version, at release time (maintainers; `make release-notes`):
#   scripts/release-notes.sh [--dry-run]
# Lints the fragments, then `antsibull-changelog release` writes the release into changelogs/changelog.yaml,
# regenerates CHANGELOG.md and removes the fragments (keep_fragments: false). Commit the result with the version.
# --dry-run does it in a copy under build/release-notes and prints the CHANGELOG.md it would write.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=${VENV:-$ROOT/.venv}/bin
version=$(sed -n 's/^version: *//p' galaxy.yml)
[ -n "$version" ] || { echo "release-notes: no version in galaxy.yml" >&2; exit 1; }
ls changelogs/fragments/*.yml >/dev/null 2>&1 || { echo "release-notes: no fragments in changelogs/fragments" >&2; exit 1; }
grep -q "^release_summary:" changelogs/fragments/*.yml ||
  { echo "release-notes: no fragment has a release_summary for $version" >&2; exit 1; }
where=$ROOT
if [ "${1:-}" = --dry-run ]; then
  where="$ROOT/build/release-notes"
  rm -rf "$where" && mkdir -p "$where"
  git ls-files -z --cached --others --exclude-standard | grep -zv '^\.venv$' | tar --null -T - -cf - | tar -C "$where" -xf -
fi
cd "$where"
export PATH="$BIN:$PATH"  # antsibull-changelog runs ansible-doc to list the new modules, plugins and roles
"$BIN/antsibull-changelog" lint
"$BIN/antsibull-changelog" release --version "$version"
"$BIN/antsibull-changelog" lint-changelog-yaml changelogs/changelog.yaml
echo "release-notes: $version written to $where/CHANGELOG.md and $where/changelogs/changelog.yaml"
if [ "$where" != "$ROOT" ]; then cat "$where/CHANGELOG.md"; fi
