-- ARGV: base, worker id, lease_ms -> number of leases extended
local wid, lease_ms = ARGV[2], tonumber(ARGV[3])
local now = now_ms()
local deadline = now + lease_ms
local set = worker_jobs_key(wid)
local count = 0
for _, id in ipairs(redis.call('SMEMBERS', set)) do
  local job = job_key(id)
  local fields = redis.call('HMGET', job, 'state', 'worker')
  if fields[1] == 'leased' and fields[2] == wid then
    redis.call('ZADD', K_LEASES, 'XX', deadline, id)
    redis.call('HSET', job, 'lease_until', deadline)
    count = count + 1
  else
    redis.call('SREM', set, id)
  end
end
redis.call('SET', worker_key(wid), now, 'PX', lease_ms)
redis.call('ZADD', K_WORKERS, deadline, wid)
redis.call('ZREMRANGEBYSCORE', K_WORKERS, '-inf', now - 3600000)
return count
