-- wrk script: a mixed read workload over the Nexus REST API (see bench/http_read_bench.sh).
-- Rotates over project, test list, one test, run list, one run, execution and /me.
local paths = {}
local token = os.getenv("NEXUS_TOKEN")
local p = os.getenv("NEXUS_PROJECT")
local t = os.getenv("NEXUS_TEST")
local r = os.getenv("NEXUS_RUN")
paths[1] = "/api/v1/projects/" .. p
paths[2] = "/api/v1/projects/" .. p .. "/tests?limit=20"
paths[3] = "/api/v1/projects/" .. p .. "/tests/" .. t
paths[4] = "/api/v1/projects/" .. p .. "/runs?limit=20"
paths[5] = "/api/v1/projects/" .. p .. "/runs/" .. r
paths[6] = "/api/v1/me"
paths[7] = "/healthz"
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1], {["Authorization"] = "Bearer " .. token})
end
local non2xx = 0
response = function(status, headers, body)
  if status ~= 200 then non2xx = non2xx + 1 end
end
