-- ARGV: base, worker id, limit, lease_ms, token base -> JSON list of [id, HGETALL...]
-- (one JSON string: the client decodes it in one C call instead of a nested reply per field)
local wid, limit, lease_ms, token_base = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5]
local now = now_ms()
-- Due delayed jobs first become ready, so a retry does not wait for a separate promote.
local due = redis.call('ZRANGEBYSCORE', K_DELAYED, '-inf', now, 'LIMIT', 0, 100)
for _, id in ipairs(due) do
  redis.call('ZREM', K_DELAYED, id)
  local job = job_key(id)
  if redis.call('EXISTS', job) == 1 then
    redis.call('HSET', job, 'state', 'ready', 'ready_at', now, 'updated_at', now)
    redis.call('LPUSH', K_READY, id)
  end
end
local deadline = now + lease_ms
local claimed = {}
local tries = 0
while #claimed < limit and tries < limit * 2 + 10 do
  tries = tries + 1
  local id = redis.call('RPOP', K_READY)
  if not id then break end
  local job = job_key(id)
  if redis.call('HGET', job, 'state') == 'ready' then
    local attempts = redis.call('HINCRBY', job, 'attempts', 1)
    local token = token_base .. '.' .. (#claimed + 1)
    redis.call('HSET', job, 'state', 'leased', 'worker', wid, 'token', token,
      'lease_until', deadline, 'updated_at', now)
    redis.call('ZADD', K_LEASES, deadline, id)
    redis.call('SADD', worker_jobs_key(wid), id)
    local entry = redis.call('HGETALL', job)
    table.insert(entry, 1, id)
    claimed[#claimed + 1] = entry
  end
end
if #claimed > 0 then
  redis.call('SET', worker_key(wid), now, 'PX', lease_ms)
  redis.call('ZADD', K_WORKERS, deadline, wid)
  redis.call('HINCRBY', K_STATS, 'claimed', #claimed)
  return cjson.encode(claimed)
end
return '[]'
