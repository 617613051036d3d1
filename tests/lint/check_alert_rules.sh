#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# DOC: the sample alert rules load in Prometheus, and fire when they should
#
# `promtool check rules helpers/anycheck-alerts.yml`: YAML, PromQL and
# templates valid, and the expected alerts present; then `promtool test
# rules tests/lint/anycheck-alerts.test.yml`: the alerts about where a
# service is announced (down everywhere, degraded everywhere) fire on the
# series that should fire them and stay quiet on the others. promtool
# comes with Debian's prometheus package (helpers/install-deps.sh); without
# it the test is skipped (77).
set -u
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
rules="$repo/helpers/anycheck-alerts.yml"
rule_tests="$repo/tests/lint/anycheck-alerts.test.yml"
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
for alert in AnycheckServiceDownEverywhere AnycheckServiceDegradedEverywhere \
    AnycheckBackendDisconnected AnycheckReloadFailing AnycheckServiceFlapping; do
	if ! grep -q "alert: $alert\$" "$rules"; then
		echo "FAIL: $rules has no alert $alert"
		exit 1
	fi
done
output=$(promtool test rules "$rule_tests" 2>&1)
status=$?
echo "$output"
if [ "$status" -ne 0 ]; then
	echo "FAIL: promtool test rules $rule_tests"
	exit 1
fi
echo "alert rules OK"
