-- ARGV: base, limit, ids... (none: the oldest dead) -> number of dead jobs deleted
local limit = tonumber(ARGV[2])
local ids = {}
if #ARGV > 2 then
  for i = 3, #ARGV do ids[#ids + 1] = ARGV[i] end
else
  ids = redis.call('ZRANGE', K_DLQ, 0, limit - 1)
end
local count = 0
for _, id in ipairs(ids) do
  if redis.call('ZSCORE', K_DLQ, id) then
    redis.call('ZREM', K_DLQ, id)
    local job = job_key(id)
    local idem = idem_key(job)
    if idem and redis.call('GET', idem) == id then redis.call('DEL', idem) end
    redis.call('DEL', job)
    count = count + 1
  end
end
if count > 0 then redis.call('HINCRBY', K_STATS, 'purged', count) end
return count
