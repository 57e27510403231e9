-- wrk script: cycle through the request paths in a file (one per line), and print the figures as
-- one JSON line that bench/run.py reads.
--   wrk ... -s bench/wrk/paths.lua http://127.0.0.1:PORT -- PATHS_FILE [spread]
-- "spread" sends X-Bench-Client with one of 4,096 addresses (see bench/wsgi.py).
local paths = {}
local counter = 1
local spread = false
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("thread_id", threads)
end

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then paths[#paths + 1] = line end
  end
  spread = args[2] == "spread"
  math.randomseed(os.time() * 16 + (thread_id or 0))
  counter = math.random(#paths)
end

function request()
  local path = paths[counter]
  counter = counter % #paths + 1
  if spread then
    wrk.headers["X-Bench-Client"] = string.format("10.0.%d.%d", math.random(0, 15), math.random(1, 254))
  end
  return wrk.format("GET", path)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"p50_us":%d,"p90_us":%d,"p95_us":%d,"p99_us":%d,' ..
    '"max_us":%d,"mean_us":%.1f,"errors_connect":%d,"errors_read":%d,"errors_write":%d,"errors_status":%d,' ..
    '"errors_timeout":%d}\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50), latency:percentile(90),
    latency:percentile(95), latency:percentile(99), latency.max, latency.mean, e.connect, e.read, e.write,
    e.status, e.timeout))
end
