-- Shared by every script (prepended when the scripts are loaded).
-- KEYS: 1 ready, 2 delayed, 3 leases, 4 dlq, 5 stats, 6 wake, 7 workers. ARGV[1]: key base.
local K_READY, K_DELAYED, K_LEASES, K_DLQ, K_STATS, K_WAKE, K_WORKERS =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7]
local BASE = ARGV[1]
local WAKE_CAP = 16
local MAX_ERRORS = 50

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function job_key(id) return BASE .. 'job:' .. id end
local function worker_key(wid) return BASE .. 'worker:' .. wid end
local function worker_jobs_key(wid) return BASE .. 'wjobs:' .. wid end

local function idem_key(job)
  local note = redis.call('HGET', job, 'note_id')
  local version = redis.call('HGET', job, 'version')
  if not note or not version then return nil end
  return BASE .. 'idem:' .. note .. ':' .. version
end

-- Wake up to n idle workers; the list is capped so it cannot grow while nobody listens.
local function wake(n)
  if n <= 0 then return end
  for _ = 1, math.min(n, WAKE_CAP) do redis.call('LPUSH', K_WAKE, '1') end
  redis.call('LTRIM', K_WAKE, 0, WAKE_CAP - 1)
end

local function add_error(job, attempt, class, message, at)
  local ok, errors = pcall(cjson.decode, redis.call('HGET', job, 'errors') or '[]')
  if not ok or type(errors) ~= 'table' then errors = {} end
  errors[#errors + 1] = {attempt = attempt, class = class, message = message, at_ms = at}
  while #errors > MAX_ERRORS do table.remove(errors, 1) end
  redis.call('HSET', job, 'errors', cjson.encode(errors))
end

-- Drop the lease of a job (its deadline, the worker's set, token and worker fields).
local function unlease(id, job)
  local wid = redis.call('HGET', job, 'worker')
  if wid and wid ~= '' then redis.call('SREM', worker_jobs_key(wid), id) end
  redis.call('ZREM', K_LEASES, id)
  redis.call('HSET', job, 'token', '', 'worker', '', 'lease_until', '')
end

-- True when the job is leased and carries this token (the fencing check).
local function holds(job, token)
  if token == '' then return false end
  local fields = redis.call('HMGET', job, 'state', 'token')
  return fields[1] == 'leased' and fields[2] == token
end
