#!/usr/bin/env python3
"""Splits a whole-machine profile (bench/run.sh with PERF_DATA) into where the CPU went.

    perf script -i perf.data --no-inline -F comm,ip,sym | bench/profile-split.py

Every sample counts once. Samples of other processes go by process (wrk is the load
generator). A server sample goes to the category of its innermost frame that names one:
walking from the leaf towards the root, allocator, libc, kernel and generic library frames
(hashbrown, core, alloc, futures) are passed over, so a `memcpy` inside serde_json counts as
serialisation and a page fault inside the directory counts as execution.
"""

import re
import sys
from collections import Counter

SERVER = "tokio-rt-worker"

# Checked in this order for each frame; the first category whose pattern a frame matches
# wins, so the specific ones (our `graphql::prepare`) come before the broad ones.
CATEGORIES = [
    ("GraphQL: request JSON decoding", r"serde_json::de|serde::de::|serde_core::de::|async_graphql_value::deserializer|BatchRequest"),
    ("GraphQL: parsing, validation, document copy", r"async_graphql_parser|async_graphql::validation|check_rules|yizhan::graphql::prepare|yizhan::graphql::limits|prepare_request|remove_skipped_selection|ExecutableDocument|async_graphql::request::Request>::set_parsed_query|QueryEnvInner"),
    ("JSON serialisation", r"serde_json::ser|serde::ser::|serde_core::ser::|ryu::|itoa::|async_graphql_value::serializer"),
    ("execution: dropping the response tree", r"drop_in_place<async_graphql_value::ConstValue|drop_in_place<async_graphql::response::Response|drop_in_place<indexmap::map::IndexMap<async_graphql_value"),
    ("execution: directory (nearest, filters, hours)", r"yizhan::domain::directory|yizhan::domain::places|yizhan::domain::geo|yizhan::domain::hours|opening_hours|compact_calendar"),
    ("execution: demand counter", r"yizhan::domain::demand"),
    ("execution: compiled plans (reading arguments, writing JSON)", r"yizhan::graphql::plan"),
    ("execution: our resolvers", r"yizhan::graphql::|yizhan::domain::"),
    ("execution: async-graphql executor", r"async_graphql::|async_graphql_value::"),
    ("metrics", r"yizhan::metrics|yizhan::http::metrics|prometheus_client"),
    ("rate limit", r"yizhan::throttle|governor::|dashmap::"),
    ("request id, tracing, catch-panic", r"uuid::|request_id|tracing::|tracing_core::|tower_http::trace|catch_panic|getrandom"),
    ("compression layer", r"compression|async_compression"),
    ("our HTTP handler (negotiation, response headers)", r"yizhan::http::"),
    ("HTTP and runtime (hyper, axum, tower, tokio, kernel TCP)", r"hyper::|hyper_util::|axum::|axum_core::|tower::|tower_http::|tokio::|mio::|\bhttp::|httparse::|tcp_|sock_|epoll|__sys_sendto|__sys_recvfrom|do_writev|ksys_read|schedule|futex"),
]
COMPILED = [(name, re.compile(pattern)) for name, pattern in CATEGORIES]


def classify(frames):
    for frame in frames:
        for name, pattern in COMPILED:
            if pattern.search(frame):
                return name
    return "unattributed (allocator or libc with a truncated stack)"


def samples(lines):
    comm, frames = None, []
    for line in lines:
        line = line.rstrip("\n")
        if not line:
            if comm is not None:
                yield comm, frames
            comm, frames = None, []
        elif not line[0].isspace():
            comm, frames = line.strip(), []
        else:
            parts = line.strip().split(" ", 1)
            frames.append(parts[1] if len(parts) > 1 else "")
    if comm is not None:
        yield comm, frames


def main():
    machine, server = Counter(), Counter()
    for comm, frames in samples(sys.stdin):
        if comm == SERVER:
            machine["yizhan (server)"] += 1
            server[classify(frames)] += 1
        elif comm == "wrk":
            machine["wrk (load generator)"] += 1
        elif comm == "swapper":
            machine["idle"] += 1
        else:
            machine[f"other processes: {comm}"] += 1
    total, served = sum(machine.values()), sum(server.values())
    print(f"The machine: {total} samples")
    shown = machine.most_common(8)
    for name, count in shown:
        print(f"  {100 * count / total:5.1f} %  {name}")
    rest = total - sum(count for _, count in shown)
    if rest:
        print(f"  {100 * rest / total:5.1f} %  the rest")
    print(f"\nThe server: {served} samples")
    for name, count in server.most_common():
        print(f"  {100 * count / served:5.1f} %  {name}")


if __name__ == "__main__":
    main()
