-- wrk script: POST a different JSON body (one line of BODIES) per request; print a JSON summary.
local bodies = {}
local counter = 0
local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(os.getenv("BODIES")) do table.insert(bodies, line) end
  nthreads = tonumber(os.getenv("THREADS"))
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  local i = counter * nthreads + tid + 1
  counter = counter + 1
  if i > #bodies then i = ((i - 1) % #bodies) + 1 end
  return wrk.format(nil, nil, nil, bodies[i])
end

function done(summary, latency, requests)
  local non2xx = summary.errors.status
  io.write(string.format('{"requests": %d, "seconds": %.3f, "p50_ms": %.2f, "p99_ms": %.2f, "non2xx": %d, "socket_errors": %d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000, non2xx,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
