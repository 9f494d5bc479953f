-- ARGV: base, limit -> number of due delayed jobs made ready
local limit = tonumber(ARGV[2])
local now = now_ms()
local count = 0
for _, id in ipairs(redis.call('ZRANGEBYSCORE', K_DELAYED, '-inf', now, 'LIMIT', 0, limit)) do
  redis.call('ZREM', K_DELAYED, id)
  local job = job_key(id)
  if redis.call('EXISTS', job) == 1 then
    redis.call('HSET', job, 'state', 'ready', 'ready_at', now, 'updated_at', now)
    redis.call('LPUSH', K_READY, id)
    count = count + 1
  end
end
wake(count)
return count
