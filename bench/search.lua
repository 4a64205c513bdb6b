-- wrk script: `search` alone, the same requests as the mix's 20 % (bench/common.lua): a
-- one- or two-character Chinese word (65 %) or pinyin, full or initials (35 %), near a
-- point drawn from the city's shape, first 10; the filter left out (70 %), null (15 %) or
-- `{ openNow: true }` (15 %).

package.path = "bench/?.lua;" .. package.path
local common = require "common"

setup = common.setup
init = common.init
done = common.done

function request()
  return wrk.format(nil, "/graphql", nil, common.search())
end

function response(status, headers, body)
  common.response(status, headers, body)
end
