#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# DOC: chaos soak of anycheck-exabgp against the real ExaBGP 4.2 (route truth under faults)
#
# What it does, its bounds and its environment (CHAOS_SECONDS, CHAOS_SEED,
# ...): tests/integration/chaos.sh. Needs root. Prints "PASS name" /
# "FAIL name (why)" per assertion, then "N passed, N failed"; exits non-zero
# on any failure, 77 when this machine cannot run it.

set -u
# shellcheck source=tests/integration/chaos.sh
. "$(dirname "${BASH_SOURCE[0]}")/chaos.sh"
chaos_main exabgp
