-- ARGV: base, limit -> {requeued, dead_lettered}: expired leases back to ready, or to the DLQ
local limit = tonumber(ARGV[2])
local now = now_ms()
local requeued, dead = 0, 0
for _, id in ipairs(redis.call('ZRANGEBYSCORE', K_LEASES, '-inf', now, 'LIMIT', 0, limit)) do
  local job = job_key(id)
  if redis.call('EXISTS', job) == 0 then
    redis.call('ZREM', K_LEASES, id)
  else
    local attempts = tonumber(redis.call('HGET', job, 'attempts'))
    local max_attempts = tonumber(redis.call('HGET', job, 'max_attempts'))
    local wid = redis.call('HGET', job, 'worker') or ''
    add_error(job, attempts, 'LeaseExpired', 'lease of worker ' .. wid .. ' expired', now)
    unlease(id, job)
    if attempts >= max_attempts then
      redis.call('HSET', job, 'state', 'dead', 'dead_at', now, 'updated_at', now)
      redis.call('ZADD', K_DLQ, now, id)
      dead = dead + 1
    else
      redis.call('HSET', job, 'state', 'ready', 'ready_at', now, 'updated_at', now)
      redis.call('RPUSH', K_READY, id)
      requeued = requeued + 1
    end
  end
end
if requeued > 0 then redis.call('HINCRBY', K_STATS, 'reclaimed', requeued) end
if dead > 0 then redis.call('HINCRBY', K_STATS, 'dead_lettered', dead) end
wake(requeued)
return {requeued, dead}
