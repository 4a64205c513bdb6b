-- What the mixed and search benchmarks share: the benchmark city's shape, the requests a
-- rider's app sends (named operations with variables, as a GraphQL client sends them) and
-- the accounting of answers. wrk loads it with `require "common"` once `bench/` is on the
-- package path (bench/run.sh runs wrk from the repository root).
--
-- wrk counts only HTTP errors; a GraphQL error comes back as 200 with an "errors" entry, so
-- `response` counts those too and `done` prints them with the first one's text.

local M = {}

local CENTER_LAT, CENTER_LNG = 36.18, 116.77
local HALF_SIDE = 15000
local METERS_PER_DEGREE = 111195
local COS_LAT = math.cos(math.rad(CENTER_LAT))
local TOWNS = { { 36.245, 116.690 }, { 36.105, 116.862 }, { 36.118, 116.655 } }

local function gaussian()
  local u1 = math.max(math.random(), 1e-12)
  return math.sqrt(-2 * math.log(u1)) * math.cos(2 * math.pi * math.random())
end

-- A point drawn from the shape `yizhan seed --synthetic` places follow: 60 % uniform in a
-- 30 km x 30 km box around (36.18, 116.77), 25 % normal around the centre (sigma 2.5 km),
-- 15 % normal around three towns (sigma 1.2 km).
function M.point()
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

local function pick(list)
  return list[math.random(#list)]
end
M.pick = pick

-- The rider's position as a `LocationInput`: phones with AMap or Tencent maps send
-- `system: GCJ02`; the rest leave `system` out (WGS84, the default).
function M.location()
  local lat, lng = M.point()
  if math.random() < 0.3 then
    return string.format('{"lat":%.6f,"lng":%.6f,"system":"GCJ02"}', lat, lng)
  end
  return string.format('{"lat":%.6f,"lng":%.6f}', lat, lng)
end

-- `"name":value,` for a nullable variable: usually left out, sometimes an explicit null,
-- as generated clients do both.
function M.nullable(name, value, omit, null)
  local roll = math.random()
  if roll < omit then
    return ""
  elseif roll < omit + null then
    return string.format('"%s":null,', name)
  end
  return string.format('"%s":%s,', name, value)
end

-- `"name":null,` or nothing, for a nullable variable the client has no value for.
function M.absent(name, null)
  return math.random() < null and string.format('"%s":null,', name) or ""
end

-- A POST body: `variables` is a list of `"name":value,` pieces (the trailing comma is cut).
function M.body(operation, query, variables)
  variables = variables:gsub(",$", "")
  return string.format('{"operationName":"%s","query":"%s","variables":{%s}}', operation, query, variables)
end

-- The `search` a rider types near where they are: one- and two-character Chinese words
-- from the network's vocabulary, and pinyin (full and initials) for the same words. The
-- synthetic names are "合成{kind}{n}号" and addresses "合成城区第{n}街{m}号", so 合成, 城区,
-- 街 and 号 (which match every place) are left out as no rider types them.
local CHINESE = {
  "药", "站", "堂", "医", "家",
  "驿站", "食堂", "骑手", "网格", "休息", "工会", "商家", "医院", "司机", "环卫", "志愿", "党群", "药堂",
}
local PINYIN = {
  "yaotang", "qishou", "qs", "wgyz", "yizhan", "yz", "shitang", "st", "xiuxi", "wangge", "gonghui",
  "yiyuan", "qsst", "yao",
}
local SEARCH = "query Search($text: String!, $near: LocationInput, $filter: PlaceFilterInput, $first: Int, $after: String) "
  .. "{ search(text: $text, near: $near, filter: $filter, first: $first, after: $after) "
  .. "{ edges { distanceMeters travelMinutes node { id name kind address openNow } } "
  .. "pageInfo { hasNextPage endCursor } } }"

function M.search()
  local text = math.random() < 0.65 and pick(CHINESE) or pick(PINYIN)
  local variables = string.format('"text":"%s","near":%s,"first":10,', text, M.location())
    .. M.nullable("filter", '{"openNow":true}', 0.70, 0.15)
  return M.body("Search", SEARCH, variables)
end

-- Accounting, per wrk thread: answers by operation (the first field under "data"), answers
-- with no result (an empty page, a null place), and errors (HTTP or GraphQL).
answers, empty, errors, first_error = {}, {}, 0, ""

function M.response(status, headers, body)
  if status ~= 200 or string.find(body, '"errors"', 1, true) then
    errors = errors + 1
    if first_error == "" then
      first_error = string.format("HTTP %d %s", status, string.sub(body, 1, 400))
    end
    return nil
  end
  local operation = string.match(body, '^{"data":{"(%w+)"') or "other"
  answers[operation] = (answers[operation] or 0) + 1
  if string.find(body, '"edges":[]', 1, true) or string.find(body, '^{"data":{"%w+":null') then
    empty[operation] = (empty[operation] or 0) + 1
  end
  return operation
end

local threads = {}

function M.setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

-- ACCEPT_ENCODING (for example "gzip", or "gzip, deflate, br" as iOS sends) asks for
-- compressed answers, as phone HTTP stacks do by default. wrk cannot read compressed
-- bodies, so only HTTP errors are counted then.
local ENCODING = os.getenv("ACCEPT_ENCODING") or ""

function M.init()
  math.randomseed(os.time() + id * 7919)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Accept"] = "application/graphql-response+json"
  if ENCODING ~= "" then
    wrk.headers["Accept-Encoding"] = ENCODING
  end
end

local OPERATIONS = { "nearby", "search", "place", "places", "other" }

function M.done(summary, latency, requests)
  local failed, sample, by_operation, without_result = 0, "", {}, {}
  for _, thread in ipairs(threads) do
    failed = failed + thread:get("errors")
    if sample == "" then
      sample = thread:get("first_error")
    end
    local answered, nothing = thread:get("answers"), thread:get("empty")
    for _, operation in ipairs(OPERATIONS) do
      by_operation[operation] = (by_operation[operation] or 0) + (answered[operation] or 0)
      without_result[operation] = (without_result[operation] or 0) + (nothing[operation] or 0)
    end
  end
  io.write(string.format("requests/s %.0f\n", summary.requests / (summary.duration / 1e6)))
  io.write(string.format("p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
  for _, operation in ipairs(OPERATIONS) do
    if by_operation[operation] > 0 then
      io.write(string.format("  %-7s %8d answers, %d without a result\n",
        operation, by_operation[operation], without_result[operation]))
    end
  end
  local transport = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout
  io.write(string.format("graphql or http errors %d of %d requests (socket errors %d)\n",
    failed, summary.requests, transport))
  if failed > 0 then
    io.write("first error: " .. sample .. "\n")
  end
  if ENCODING ~= "" then
    io.write("answers compressed (Accept-Encoding: " .. ENCODING .. "): only HTTP errors counted\n")
  end
end

return M
