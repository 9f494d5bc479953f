-- ARGV: base, limit, ids... (none: the oldest dead) -> ids moved back to ready, attempts reset
local limit = tonumber(ARGV[2])
local ids = {}
if #ARGV > 2 then
  for i = 3, #ARGV do ids[#ids + 1] = ARGV[i] end
else
  ids = redis.call('ZRANGE', K_DLQ, 0, limit - 1)
end
local now = now_ms()
local replayed = {}
for _, id in ipairs(ids) do
  if #replayed >= limit then break end
  if redis.call('ZSCORE', K_DLQ, id) then
    redis.call('ZREM', K_DLQ, id)
    local job = job_key(id)
    if redis.call('EXISTS', job) == 1 then
      redis.call('HSET', job, 'state', 'ready', 'attempts', 0, 'dead_at', '',
        'ready_at', now, 'updated_at', now)
      redis.call('LPUSH', K_READY, id)
      replayed[#replayed + 1] = id
    end
  end
end
if #replayed > 0 then redis.call('HINCRBY', K_STATS, 'replayed', #replayed) end
wake(#replayed)
return replayed
