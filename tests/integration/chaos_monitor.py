#!/usr/bin/python3
# SPDX-License-Identifier: BSD-2-Clause
# DOC: route truth for the chaos soaks (tests/integration/chaos.sh)
#
# The expected routes come from the soak's ground truth, never from
# anycheck: DIR/running.json (the config anycheck is running: the soak
# copies it there once anycheck logged the reload) names each service's
# prefixes, its file check, its maintenance file and its attribute sets;
# the files themselves say which services are healthy and in maintenance.
# Each prefix is expected with the attributes of its owner's state (UP:
# "announce", maintenance: "disabled", unhealthy: "down"; "withdraw" is
# absent), the router's routes are read with birdc, and the two compared
# by MED and communities.
#
#   chaos_monitor.py monitor DIR BIRDC SOCKET PIDFILE MAX_SECONDS
#       every second until DIR/stop exists (or MAX_SECONDS): one "S time
#       divergences" line per sample in DIR/samples, a "D time prefix
#       expected | actual" line per divergent prefix, and an "R time pid
#       rss_kib fds" line for anycheck (pid from PIDFILE)
#   chaos_monitor.py compare DIR BIRDC SOCKET
#       exit 0 when the router holds exactly the expected routes, else
#       print the differences and exit 1
#   chaos_monitor.py analyze DIR BOUND GRACE
#       merge each prefix's divergent samples into episodes and measure the
#       longest stretch of each outside the disruption windows (DIR/windows:
#       "begin TIME KIND" / "end TIME KIND", each window extended by GRACE
#       seconds); exit 1 when one lasts longer than BOUND seconds

import json
import os
import subprocess
import sys
import time


def attrs_text(attrs):
    """The comparable text of an attribute set: MED and communities."""
    if attrs is None or attrs == "withdraw":
        return "absent"
    med = attrs.get("med")
    comms = sorted("(%s)" % c.replace(":", ",")
                   for c in attrs.get("communities", []))
    return "med=%s comm=%s" % ("-" if med is None else med,
                               ",".join(comms) or "-")


def expected_routes(directory):
    """prefix -> expected attribute text, for every owned prefix."""
    try:
        with open(os.path.join(directory, "running.json")) as f:
            config = json.load(f)
    except (OSError, ValueError):
        return None
    routes = {}
    for service in config["services"]:
        maintenance = service.get("maintenance_file")
        healthy = os.path.exists(service["checks"][0]["path"])
        if maintenance and os.path.exists(maintenance):
            attrs = service.get("disabled", "withdraw")
        elif healthy:
            attrs = service.get("announce", {})
        else:
            attrs = service.get("down", "withdraw")
        for prefix in service["prefixes"]:
            routes[prefix] = attrs_text(attrs)
    return routes


def router_routes(birdc, socket):
    """prefix -> attribute text of the router's route(s), or None."""
    routes = {}
    for table in ("master4", "master6"):
        try:
            out = subprocess.run([birdc, "-s", socket, "show", "route", "all",
                                  "table", table], capture_output=True,
                                 text=True, timeout=5).stdout
        except subprocess.TimeoutExpired:
            return None
        if "Table %s:" % table not in out:
            return None
        prefix = None
        current = {}

        def flush():
            if prefix is not None:
                text = attrs_text(current)
                if prefix in routes:
                    text = "%d routes: %s | %s" % (2, routes[prefix], text)
                routes[prefix] = text

        for line in out.splitlines():
            if not line or line.startswith("BIRD ") or line.startswith("Table "):
                continue
            if not line[0].isspace() and "/" in line.split()[0]:
                flush()
                prefix = line.split()[0]
                current = {}
            # By attribute name: BIRD 2's BGP.med, BIRD 3's bgp_med.
            elif line.lstrip().startswith(("BGP.med:", "bgp_med:")):
                current["med"] = int(line.split()[1])
            elif line.lstrip().startswith(("BGP.community:",
                                           "bgp_community:")):
                current["communities"] = [
                    c.strip("()").replace(",", ":")
                    for c in line.split()[1:]]
            elif " unicast [" in line and line[0].isspace():
                # A second route for the same prefix.
                flush()
                current = {}
        flush()
    return routes


def differences(expected, actual):
    diffs = []
    for prefix in sorted(set(expected) | set(actual)):
        want = expected.get(prefix, "absent")
        got = actual.get(prefix, "absent")
        if want != got:
            diffs.append((prefix, want, got))
    return diffs


def anycheck_usage(pidfile):
    try:
        with open(pidfile) as f:
            pid = f.read().split()[0]
        with open("/proc/%s/status" % pid) as f:
            rss = next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))
        fds = len(os.listdir("/proc/%s/fd" % pid))
        return pid, rss, fds
    except (OSError, IndexError, StopIteration, ValueError):
        return None


def monitor(directory, birdc, socket, pidfile, max_seconds):
    out = open(os.path.join(directory, "samples"), "a", buffering=1)
    stop = os.path.join(directory, "stop")
    deadline = time.time() + max_seconds
    next_at = time.time()
    while not os.path.exists(stop) and time.time() < deadline:
        now = time.time()
        expected = expected_routes(directory)
        actual = router_routes(birdc, socket)
        if expected is not None and actual is not None:
            diffs = differences(expected, actual)
            lines = ["S %.3f %d %d\n" % (now, len(diffs), len(actual))]
            lines += ["D %.3f %s %s | %s\n" % (now, p, w, g)
                      for p, w, g in diffs]
            out.write("".join(lines))
        usage = anycheck_usage(pidfile)
        if usage is not None:
            out.write("R %.3f %s %d %d\n" % (now, *usage))
        next_at += 1.0
        time.sleep(max(0.05, next_at - time.time()))


def compare(directory, birdc, socket):
    expected = expected_routes(directory)
    actual = router_routes(birdc, socket)
    if expected is None or actual is None:
        print("cannot read the expected or the router's routes")
        return 1
    diffs = differences(expected, actual)
    for prefix, want, got in diffs[:20]:
        print("  %s: expected %s, router has %s" % (prefix, want, got))
    if len(diffs) > 20:
        print("  ... and %d more" % (len(diffs) - 20))
    announced = sum(1 for v in expected.values() if v != "absent")
    print("  expected %d prefixes announced; router has %d routes; %d differ"
          % (announced, len(actual), len(diffs)))
    return 1 if diffs else 0


def uncovered_stretch(start, end, windows):
    """Longest part of [start, end] outside every window (sorted, merged)."""
    longest = 0.0
    cursor = start
    for begin, finish in windows:
        if finish <= cursor:
            continue
        if begin >= end:
            break
        longest = max(longest, min(begin, end) - cursor)
        cursor = max(cursor, finish)
        if cursor >= end:
            break
    if cursor < end:
        longest = max(longest, end - cursor)
    return longest


def analyze(directory, bound, grace):
    samples, divergent = [], {}
    with open(os.path.join(directory, "samples")) as f:
        for line in f:
            fields = line.split(None, 3)
            if fields[0] == "S":
                samples.append(float(fields[1]))
            elif fields[0] == "D":
                t, rest = float(fields[1]), fields[2] + " " + fields[3].strip()
                prefix, what = rest.split(" ", 1)
                divergent.setdefault(prefix, {})[t] = what
    windows, opened = [], {}
    path = os.path.join(directory, "windows")
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                kind, t, what = line.split()[:3]
                if kind == "begin":
                    opened[what] = float(t)
                elif kind == "end" and what in opened:
                    windows.append((opened.pop(what), float(t) + grace))
    windows += [(t, float("inf")) for t in opened.values()]
    windows.sort()
    merged = []
    for begin, finish in windows:
        if merged and begin <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], finish))
        else:
            merged.append((begin, finish))
    index = {t: i for i, t in enumerate(samples)}
    episodes = []
    for prefix, times in divergent.items():
        run = []
        for t in sorted(times):
            if run and index[t] != index[run[-1]] + 1:
                episodes.append((prefix, run))
                run = []
            run.append(t)
        if run:
            episodes.append((prefix, run))
    results = []
    for prefix, run in episodes:
        last = index[run[-1]]
        end = samples[last + 1] if last + 1 < len(samples) else run[-1]
        outside = uncovered_stretch(run[0], end, merged)
        results.append((outside, end - run[0], prefix, run[0], end,
                        divergent[prefix][run[0]], divergent[prefix][run[-1]]))
    results.sort(reverse=True)
    bad = [r for r in results if r[0] > bound]
    inside = sum(1 for r in results if r[0] <= 0)
    t0 = samples[0] if samples else 0
    covered = sum(min(f, samples[-1]) - max(b, t0) for b, f in merged
                  if samples and f > t0 and b < samples[-1])
    print("  %d samples, %d divergence episodes (%d entirely inside disruption "
          "windows); the windows (with grace) cover %.0f of %.0f s"
          % (len(samples), len(results), inside, covered,
             samples[-1] - t0 if samples else 0))
    longest = results[0][0] if results else 0
    print("  longest divergence outside the windows: %.1f s (bound %.1f s)"
          % (longest, bound))
    longest_any = max((r[1] for r in results), default=0)
    print("  longest divergence overall: %.1f s" % longest_any)
    for outside, total, prefix, start, end, first, final in (bad or results)[:5]:
        print("  %s %s: %.1f s outside windows (%.1f s in all, t=%.1f..%.1f): "
              "first expected %s; at the end expected %s"
              % ("VIOLATION" if outside > bound else "episode", prefix,
                 outside, total, start - t0, end - t0,
                 first.replace(" | ", ", router has "),
                 final.replace(" | ", ", router has ")))
    with open(os.path.join(directory, "analysis"), "w") as f:
        f.write("%d %d %.1f %.1f\n" % (len(results), len(bad), longest,
                                       longest_any))
        for r in bad:
            f.write("%s %.3f %.3f\n" % (r[2], r[3], r[4]))
    return 1 if bad else 0


def main(argv):
    mode = argv[1] if len(argv) > 1 else ""
    if mode == "monitor" and len(argv) == 7:
        monitor(argv[2], argv[3], argv[4], argv[5], float(argv[6]))
        return 0
    if mode == "compare" and len(argv) == 5:
        return compare(argv[2], argv[3], argv[4])
    if mode == "analyze" and len(argv) == 5:
        return analyze(argv[2], float(argv[3]), float(argv[4]))
    print("usage: see the DOC at the top of %s" % argv[0], file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
