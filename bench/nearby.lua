-- wrk script: `nearby` for the 20 nearest places within 1 km of points drawn from the
-- benchmark city's shape (the same shape `yizhan seed --synthetic` places follow):
-- 60 % uniform in a 30 km x 30 km box around (36.18, 116.77), 25 % normal around the
-- centre (sigma 2.5 km), 15 % normal around three towns (sigma 1.2 km).

package.path = "bench/?.lua;" .. package.path
local common = require "common"

local QUERY = "query Nearby($lat: Float!, $lng: Float!) { nearby(near: { lat: $lat, lng: $lng }, "
  .. "within: { meters: 1000 }, first: 20) { edges { distanceMeters node { id name kind } } } }"

local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(os.time() + id * 7919)
  errors = 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Accept"] = "application/graphql-response+json"
  -- As in common.lua: compressed answers on request; then only HTTP errors are counted.
  local encoding = os.getenv("ACCEPT_ENCODING") or ""
  if encoding ~= "" then
    wrk.headers["Accept-Encoding"] = encoding
  end
end

function request()
  local lat, lng = common.point()
  local body = string.format('{"query":"%s","variables":{"lat":%.6f,"lng":%.6f}}', QUERY, lat, lng)
  return wrk.format(nil, "/graphql", nil, body)
end

function response(status, headers, body)
  if status ~= 200 or string.find(body, '"errors"', 1, true) then
    errors = errors + 1
  end
end

function done(summary, latency, requests)
  local failed = 0
  for _, thread in ipairs(threads) do
    failed = failed + thread:get("errors")
  end
  io.write(string.format("requests/s %.0f\n", summary.requests / (summary.duration / 1e6)))
  io.write(string.format("p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
  io.write(string.format("graphql or http errors %d of %d requests\n", failed, summary.requests))
  if (os.getenv("ACCEPT_ENCODING") or "") ~= "" then
    io.write("answers compressed: only HTTP errors counted\n")
  end
end
