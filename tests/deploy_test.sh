#!/usr/bin/env bash
# Checks the systemd unit with systemd-analyze, and that every example
# configuration is accepted by the daemon's own parser (redrund serve --check-config).
set -u
redrund=$(readlink -f "$1")
top=$2
failures=0
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
# systemd-analyze comes with Debian's systemd package, which deploy/bootstrap.sh installs: a
# machine without it fails here rather than skipping the check.
if command -v systemd-analyze >/dev/null 2>&1; then
  # verify resolves ExecStart: point it at the built binary in a copy of the unit.
  sed "s|/usr/local/bin/redrund|$redrund|" "$top/deploy/redrund.service" >"$scratch/redrund.service"
  # An unknown or misspelt directive is only a warning to systemd (it ignores the line), so any
  # output counts as a failure, not just the exit status.
  verify() { out=$(systemd-analyze verify "$1" 2>&1) && [ -z "$out" ]; }
  if ! verify "$scratch/redrund.service"; then
    echo "FAIL: systemd-analyze verify: $out"; failures=$((failures + 1))
  fi
  # The check can fail: a misspelt directive and a missing binary are both noticed.
  printf '[Service]\nExecStart=%s serve\nProtectSystm=strict\n' "$redrund" >"$scratch/misspelt.service"
  printf '[Service]\nExecStart=%s/missing serve\n' "$scratch" >"$scratch/missing.service"
  for broken in misspelt missing; do
    if verify "$scratch/$broken.service"; then
      echo "FAIL: systemd-analyze verify accepted the $broken unit"; failures=$((failures + 1))
    fi
  done
else
  echo "FAIL: systemd-analyze not found (deploy/bootstrap.sh installs Debian's systemd package)"
  failures=$((failures + 1))
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
