#!/usr/bin/env bash
# Checks the systemd unit with systemd-analyze where it is available, and that every example
# configuration is accepted by the daemon's own parser (redrund serve --check-config).
set -u
redrund=$(readlink -f "$1")
top=$2
failures=0
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
if command -v systemd-analyze >/dev/null 2>&1; then
  # verify resolves ExecStart: point it at the built binary in a copy of the unit.
  sed "s|/usr/local/bin/redrund|$redrund|" "$top/deploy/redrund.service" >"$scratch/redrund.service"
  if ! out=$(systemd-analyze verify "$scratch/redrund.service" 2>&1); then
    echo "FAIL: systemd-analyze verify: $out"; failures=$((failures + 1))
  fi
else
  echo "systemd-analyze not available: unit not verified"
fi
for config in "$top"/config/redrund.json "$top"/config/gps-service.json; do
  if ! "$redrund" serve --config "$config" --check-config >/dev/null 2>"$scratch.err"; then
    echo "FAIL: $config rejected: $(cat "$scratch.err")"; failures=$((failures + 1))
  fi
done
printf '{"listen": {"tcp": 5}}' >"${TMPDIR:-/tmp}/redrund-bad-config.json"
if "$redrund" serve --config "${TMPDIR:-/tmp}/redrund-bad-config.json" --check-config >/dev/null 2>&1; then
  echo "FAIL: a bad config was accepted"; failures=$((failures + 1))
fi
rm -f "${TMPDIR:-/tmp}/redrund-bad-config.json"
[ "$failures" -eq 0 ] && echo "deploy checks passed"
exit $((failures > 0))
