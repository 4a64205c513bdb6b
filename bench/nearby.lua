-- wrk script: `nearby` for the 20 nearest places within 1 km of points drawn from the
-- benchmark city's shape (the same shape `yizhan seed --synthetic` places follow):
-- 60 % uniform in a 30 km x 30 km box around (36.18, 116.77), 25 % normal around the
-- centre (sigma 2.5 km), 15 % normal around three towns (sigma 1.2 km).

local CENTER_LAT, CENTER_LNG = 36.18, 116.77
local HALF_SIDE = 15000
local METERS_PER_DEGREE = 111195
local COS_LAT = math.cos(math.rad(CENTER_LAT))
local TOWNS = { { 36.245, 116.690 }, { 36.105, 116.862 }, { 36.118, 116.655 } }
local QUERY = "query Nearby($lat: Float!, $lng: Float!) { nearby(near: { lat: $lat, lng: $lng }, "
  .. "within: { meters: 1000 }, first: 20) { edges { distanceMeters node { id name kind } } } }"

local function gaussian()
  local u1 = math.max(math.random(), 1e-12)
  return math.sqrt(-2 * math.log(u1)) * math.cos(2 * math.pi * math.random())
end

local function point()
  while true do
    local roll, north, east = math.random(), 0, 0
    if roll < 0.60 then
      north = (math.random() * 2 - 1) * HALF_SIDE
      east = (math.random() * 2 - 1) * HALF_SIDE
    else
      local lat, lng, sigma = CENTER_LAT, CENTER_LNG, 2500
      if roll >= 0.85 then
        local town = TOWNS[math.random(#TOWNS)]
        lat, lng, sigma = town[1], town[2], 1200
      end
      north = (lat - CENTER_LAT) * METERS_PER_DEGREE + gaussian() * sigma
      east = (lng - CENTER_LNG) * METERS_PER_DEGREE * COS_LAT + gaussian() * sigma
    end
    if math.abs(north) <= HALF_SIDE and math.abs(east) <= HALF_SIDE then
      return CENTER_LAT + north / METERS_PER_DEGREE, CENTER_LNG + east / (METERS_PER_DEGREE * COS_LAT)
    end
  end
end

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
  local lat, lng = point()
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
