-- ARGV: base, id, token -> 1 released to the front of ready, 0 stale token
local id, token = ARGV[2], ARGV[3]
local job = job_key(id)
if not holds(job, token) then return 0 end
local now = now_ms()
unlease(id, job)
local attempts = tonumber(redis.call('HGET', job, 'attempts'))
redis.call('HSET', job, 'state', 'ready', 'attempts', math.max(0, attempts - 1),
  'ready_at', now, 'updated_at', now)
redis.call('RPUSH', K_READY, id)
redis.call('HINCRBY', K_STATS, 'released', 1)
wake(1)
return 1
