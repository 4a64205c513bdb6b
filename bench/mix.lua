-- wrk script: the riders' real mix, each request drawn independently:
--   55 % `nearby`: open now with one or two amenities, within a 10-minute e-bike ride
--        (`within: { minutes: 10, mode: EBIKE }`, 1,786 m by default), first 10;
--   20 % `search` near the rider (one- and two-character Chinese words and pinyin, as in
--        search.lua);
--   15 % `place(id:)`: a place's page with its status and offers, ids 1..PLACES;
--   10 % `places` of one kind, 20 a page: a first page, or (three times in ten, once a first
--        page of that kind has come back) the page after the last one this thread received
--        for the kind, with its `endCursor` as `after`, as a rider scrolling the list does.
-- Every request is a named operation with variables; nullable variables are sometimes left
-- out and sometimes sent as null. PLACES (default 100000) must match the seeded city.

package.path = "bench/?.lua;" .. package.path
local common = require "common"

local PLACES = tonumber(os.getenv("PLACES") or "100000")

local AMENITIES = { "DRINKING_WATER", "HOT_WATER", "PHONE_CHARGING", "SEATING", "WIFI", "EBIKE_CHARGING" }
local KINDS = {
  "PARTY_SERVICE_CENTER", "GRID_STATION", "UNION_STATION", "RIDER_STATION", "CITY_STATION",
  "SANITATION_REST_ROOM", "DRIVER_STATION", "FRIENDLY_MERCHANT", "RIDER_CANTEEN", "RIDER_PHARMACY",
  "RIDER_CLINIC", "VOLUNTEER_HOME",
}

local NEARBY = "query NearbyOpen($near: LocationInput!, $within: WithinInput!, $filter: PlaceFilterInput, $first: Int, $after: String) "
  .. "{ nearby(near: $near, within: $within, filter: $filter, first: $first, after: $after) "
  .. "{ edges { distanceMeters travelMinutes node { id name kind address openNow nextChange phone "
  .. "amenities location(system: GCJ02) { lat lng } status { state seatsFree } } } "
  .. "pageInfo { hasNextPage endCursor } } }"

local PLACE = "query PlaceDetail($id: ID!, $includeUpcoming: Boolean) { place(id: $id) "
  .. "{ id name kind address description openingHours openNow nextChange todayHours { opens closes } "
  .. "amenities servesGroups phone location(system: GCJ02) { lat lng } "
  .. "status { state seatsFree note updatedAt expiresAt } "
  .. "offers(includeUpcoming: $includeUpcoming) { id title description groups forMe validFrom validUntil } } }"

local PLACES_BY_KIND = "query PlacesByKind($first: Int, $after: String, $filter: PlaceFilterInput) "
  .. "{ places(first: $first, after: $after, filter: $filter) { totalCount "
  .. "edges { cursor node { id name kind address openingHours openNow amenities } } "
  .. "pageInfo { hasNextPage endCursor } } }"

-- Relay ids are URL-safe base64 without padding of "Place:<row>".
local ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
local function base64url(text)
  local out = {}
  for i = 1, #text, 3 do
    local a, b, c = string.byte(text, i, i + 2)
    local n = a * 65536 + (b or 0) * 256 + (c or 0)
    local chars = b == nil and 2 or (c == nil and 3 or 4)
    for k = 1, chars do
      local index = math.floor(n / 2 ^ (6 * (4 - k))) % 64
      out[#out + 1] = string.sub(ALPHABET, index + 1, index + 1)
    end
  end
  return table.concat(out)
end

local function nearby()
  local amenities = '"' .. common.pick(AMENITIES) .. '"'
  if math.random() < 0.5 then
    local second = common.pick(AMENITIES)
    if not string.find(amenities, second, 1, true) then
      amenities = amenities .. ',"' .. second .. '"'
    end
  end
  local variables = string.format('"near":%s,"within":{"minutes":10,"mode":"EBIKE"},', common.location())
    .. string.format('"filter":{"openNow":true,"amenities":[%s]},"first":10,', amenities)
    .. common.absent("after", 0.2)
  return common.body("NearbyOpen", NEARBY, variables)
end

local function place()
  local id = base64url("Place:" .. math.random(PLACES))
  local variables = string.format('"id":"%s",', id) .. common.nullable("includeUpcoming", "false", 0.8, 0.1)
  return common.body("PlaceDetail", PLACE, variables)
end

-- The last `endCursor` this thread received for each kind, while that list had more pages.
local next_page = {}

local function places()
  local kind = common.pick(KINDS)
  local filter = string.format('{"kinds":["%s"]}', kind)
  if math.random() < 0.3 then
    filter = string.format('{"kinds":["%s"],"groups":["COURIER"]}', kind)
  end
  local after = common.absent("after", 0.3)
  if next_page[kind] and math.random() < 0.3 then
    after = string.format('"after":"%s",', next_page[kind])
  end
  return common.body("PlacesByKind", PLACES_BY_KIND,
    string.format('"first":20,"filter":%s,', filter) .. after)
end

setup = common.setup
init = common.init
done = common.done

function request()
  local roll, body = math.random()
  if roll < 0.55 then
    body = nearby()
  elseif roll < 0.75 then
    body = common.search()
  elseif roll < 0.90 then
    body = place()
  else
    body = places()
  end
  return wrk.format(nil, "/graphql", nil, body)
end

function response(status, headers, body)
  if common.response(status, headers, body) == "places" then
    local kind = string.match(body, '"kind":"([A-Z_]+)"')
    if kind then
      if string.find(body, '"hasNextPage":true', 1, true) then
        next_page[kind] = string.match(body, '"endCursor":"([^"]+)"')
      else
        next_page[kind] = nil
      end
    end
  end
end
