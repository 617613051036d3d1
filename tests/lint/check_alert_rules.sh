#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# DOC: the sample alert rules load in Prometheus
#
# `promtool check rules helpers/anycheck-alerts.yml`: YAML, PromQL and
# templates valid, and the expected alerts present. promtool comes with
# Debian's prometheus package (helpers/install-deps.sh); without it the
# test is skipped (77).
set -u
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
rules="$repo/helpers/anycheck-alerts.yml"
if ! command -v promtool >/dev/null 2>&1; then
	echo "SKIP: promtool not installed (Debian package prometheus)"
	exit 77
fi
output=$(promtool check rules "$rules" 2>&1)
status=$?
echo "$output"
if [ "$status" -ne 0 ]; then
	echo "FAIL: promtool check rules $rules"
	exit 1
fi
for alert in AnycheckServiceDownEverywhere AnycheckBackendDisconnected \
    AnycheckReloadFailing AnycheckServiceFlapping; do
	if ! grep -q "alert: $alert\$" "$rules"; then
		echo "FAIL: $rules has no alert $alert"
		exit 1
	fi
done
echo "alert rules OK"
