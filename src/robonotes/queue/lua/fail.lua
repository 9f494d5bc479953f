-- ARGV: base, id, token, kind (retry|defer|dead), error class, message, delay_ms
-- -> 'retry_scheduled' | 'dead_lettered' | 'stale'
local id, token, kind, class, message, delay_ms =
  ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], tonumber(ARGV[7])
local job = job_key(id)
if not holds(job, token) then return 'stale' end
local now = now_ms()
local attempts = tonumber(redis.call('HGET', job, 'attempts'))
local max_attempts = tonumber(redis.call('HGET', job, 'max_attempts'))
add_error(job, attempts, class, message, now)
unlease(id, job)
if kind == 'dead' or (kind == 'retry' and attempts >= max_attempts) then
  redis.call('HSET', job, 'state', 'dead', 'dead_at', now, 'updated_at', now)
  redis.call('ZADD', K_DLQ, now, id)
  redis.call('HINCRBY', K_STATS, 'dead_lettered', 1)
  return 'dead_lettered'
end
if kind == 'defer' then
  redis.call('HSET', job, 'attempts', math.max(0, attempts - 1))
  redis.call('HINCRBY', K_STATS, 'deferred', 1)
else
  redis.call('HINCRBY', K_STATS, 'retried', 1)
end
local due = now + math.max(0, delay_ms)
redis.call('HSET', job, 'state', 'delayed', 'due_at', due, 'updated_at', now)
redis.call('ZADD', K_DELAYED, due, id)
if delay_ms <= 0 then wake(1) end
return 'retry_scheduled'
