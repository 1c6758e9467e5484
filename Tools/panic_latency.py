#!/usr/bin/env python3
"""The measuring half of Tools/panic-latency.sh (run that, not this).

Starts one `vigil watch --json` per contact home, then, for each defender home, runs
`vigil panic` N times and takes, on a monotonic clock, the time from starting the process to
each watcher having printed that panic (its text is unique per run). Also times the pieces of
the sending side on their own, to show where the time goes:

  * `vigil --version`: starting the process, no keys;
  * `vigil outbox --json`: starting, unlocking the keystore (the passphrase KDF), reading the
    state; no network;
  * `vigil panic`: all of that, plus sealing, writing the outbox, and the deposits.

Prints one table and a verdict against the target; exits 0 whether or not it is met.
"""

import argparse
import json
import math
import os
import resource
import selectors
import statistics
import subprocess
import sys
import time
import uuid


def now_ms():
    return time.monotonic_ns() / 1e6


def children_cpu_ms():
    """User plus system CPU time of the children that have ended, in ms."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (usage.ru_utime + usage.ru_stime) * 1000


def env_for(home, passphrase):
    return {"PATH": "/usr/bin:/bin", "HOME": home, "VIGIL_HOME": home, "VIGIL_PASSPHRASE": passphrase}


class Watcher:
    """One `vigil watch --json`, its stdout read without blocking, each line stamped on arrival."""

    def __init__(self, vigil, home, passphrase, log_dir):
        self.home = home
        self.stderr = open(os.path.join(log_dir, os.path.basename(home) + "-watch.err"), "wb")
        self.process = subprocess.Popen(
            [vigil, "watch", "--json"], env=env_for(home, passphrase), stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=self.stderr)
        self.fd = self.process.stdout.fileno()
        os.set_blocking(self.fd, False)
        self.pending = b""
        self.lines = []  # (time in ms, parsed JSON object or None)

    def read(self, stamp):
        try:
            chunk = os.read(self.fd, 65536)
        except BlockingIOError:
            return
        if not chunk:
            raise SystemExit(f"error: the watch in {self.home} stopped; see its .err log")
        self.pending += chunk
        while b"\n" in self.pending:
            line, self.pending = self.pending.split(b"\n", 1)
            try:
                event = json.loads(line)
            except ValueError:
                event = None
            self.lines.append((stamp, event))

    def panic_seen(self, text, since):
        for stamp, event in self.lines:
            if stamp >= since and event and event.get("event") == "message":
                message = event.get("message", {})
                if message.get("kind") == "panic" and message.get("message") == text:
                    return stamp
        return None

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.stderr.close()


def pump(watchers, selector, timeout_s):
    for key, _ in selector.select(timeout=timeout_s):
        key.data.read(now_ms())


def wait_started(watchers, selector, timeout_s=60):
    deadline = time.monotonic() + timeout_s
    while not all(any(e and e.get("event") == "started" for _, e in w.lines) for w in watchers):
        if time.monotonic() > deadline:
            raise SystemExit("error: the watchers did not start")
        pump(watchers, selector, 0.1)


def one_panic(vigil, defender, passphrase, text, watchers, selector, timeout_s=60):
    """Returns (ms until `vigil panic` exited, [ms until each watcher printed it], its CPU ms)."""
    cpu = children_cpu_ms()
    start = now_ms()
    process = subprocess.Popen(
        [vigil, "panic", text, "--json"], env=env_for(defender, passphrase),
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    exited = None
    arrivals = [None] * len(watchers)
    deadline = time.monotonic() + timeout_s
    while exited is None or None in arrivals:
        if time.monotonic() > deadline:
            process.kill()
            raise SystemExit(f"error: not every watcher printed the panic within {timeout_s} s")
        pump(watchers, selector, 0.001)
        if exited is None and process.poll() is not None:
            exited = now_ms() - start
        for index, watcher in enumerate(watchers):
            if arrivals[index] is None:
                seen = watcher.panic_seen(text, start)
                if seen is not None:
                    arrivals[index] = seen - start
    out, err = process.communicate()
    cpu = children_cpu_ms() - cpu
    if process.returncode != 0:
        raise SystemExit(f"error: vigil panic exited {process.returncode}: {err.decode(errors='replace')}")
    report = json.loads(out)
    if not report.get("all_delivered"):
        raise SystemExit("error: the panic was not delivered to every mailbox")
    return exited, arrivals, cpu


def timed(command, env, runs):
    """Wall-clock and CPU ms of `runs` runs of `command`."""
    samples, cpu = [], []
    for _ in range(runs):
        before = children_cpu_ms()
        start = now_ms()
        result = subprocess.run(command, env=env, stdin=subprocess.DEVNULL, capture_output=True)
        samples.append(now_ms() - start)
        cpu.append(children_cpu_ms() - before)
        if result.returncode != 0:
            raise SystemExit(f"error: {' '.join(command[1:])} exited {result.returncode}: {result.stderr.decode(errors='replace')}")
    return samples, cpu


def p90(samples):
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def row(label, samples):
    return (f"  {label:<44} {min(samples):8.1f} {statistics.median(samples):8.1f} "
            f"{p90(samples):8.1f} {max(samples):8.1f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vigil", required=True)
    parser.add_argument("--work", required=True, help="where logs and the watchers' PID file go")
    parser.add_argument("--defender", action="append", required=True, metavar="LABEL=HOME")
    parser.add_argument("--contact", action="append", required=True, metavar="HOME")
    parser.add_argument("--passphrase", required=True)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--target-ms", type=float, default=300)
    args = parser.parse_args()

    watchers = []
    selector = selectors.DefaultSelector()
    try:
        for home in args.contact:
            watcher = Watcher(args.vigil, home, args.passphrase, args.work)
            watchers.append(watcher)
            selector.register(watcher.fd, selectors.EVENT_READ, watcher)
        with open(os.path.join(args.work, "watchers.pid"), "w") as pids:
            pids.write("\n".join(str(w.process.pid) for w in watchers) + "\n")
        wait_started(watchers, selector)

        load_before = os.getloadavg()[0]
        version, version_cpu = timed([args.vigil, "--version"], env_for(args.work, args.passphrase), args.runs)
        results = []
        for spec in args.defender:
            label, home = spec.split("=", 1)
            env = env_for(home, args.passphrase)
            unlock, unlock_cpu = timed([args.vigil, "outbox", "--json"], env, args.runs)
            # One unmeasured panic first: caches, the relay's first write, TCP set-up paths.
            one_panic(args.vigil, home, args.passphrase, f"warm-up {uuid.uuid4()}", watchers, selector)
            exits, firsts, alls, cpus = [], [], [], []
            for run in range(args.runs):
                # Let the watchers finish acknowledging and sending receipts for the last one.
                time.sleep(0.5)
                pump(watchers, selector, 0)
                exited, arrivals, cpu = one_panic(
                    args.vigil, home, args.passphrase, f"latency probe {label} {run} {uuid.uuid4()}", watchers, selector)
                exits.append(exited)
                firsts.append(min(arrivals))
                alls.append(max(arrivals))
                cpus.append(cpu)
            results.append((label, unlock, unlock_cpu, exits, cpus, firsts, alls))
        load_after = os.getloadavg()[0]
    finally:
        for watcher in watchers:
            watcher.stop()

    print()
    print(f"Panic latency, {args.runs} runs per row after one warm-up; milliseconds on a monotonic clock.")
    print(f"  {'':<44} {'min':>8} {'median':>8} {'p90':>8} {'max':>8}")
    print(row("vigil --version (process start only)", version))
    print(row("  its CPU time (user + system)", version_cpu))
    for label, unlock, unlock_cpu, exits, cpus, firsts, alls in results:
        print(f" {label}:")
        print(row("vigil outbox (start + unlock + read state)", unlock))
        print(row("  its CPU time (user + system)", unlock_cpu))
        print(row("vigil panic, until it exits", exits))
        print(row("  its CPU time (user + system)", cpus))
        print(row("start of panic -> first watcher printed it", firsts))
        print(row(f"start of panic -> all {len(watchers)} watchers printed it", alls))
    print(f"  (load average {load_before:.1f} before, {load_after:.1f} after, on {os.cpu_count()} CPUs: "
          "wall-clock times above CPU times are time spent waiting, for the CPU or for I/O)")
    print()
    print(f"Target: all {len(watchers)} watchers show the panic within {args.target_ms:.0f} ms of `vigil panic` starting (judged on p90).")
    for label, *_, alls in results:
        verdict = "MET" if p90(alls) < args.target_ms else "MISSED"
        print(f"  {label}: {verdict} (median {statistics.median(alls):.1f} ms, p90 {p90(alls):.1f} ms, max {max(alls):.1f} ms)")


if __name__ == "__main__":
    main()
