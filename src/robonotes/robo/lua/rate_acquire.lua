-- Reserve one request and ARGV[5] tokens in a sliding window, or say how long to wait.
-- KEYS[1] log zset (member "<id>|<tokens>", score = reservation time in ms)
-- KEYS[2] observed remaining requests (string with expiry), KEYS[3] observed remaining tokens
-- ARGV: now_ms ("" = Redis server TIME), window_ms, rpm, tpm, tokens, id
-- Returns {1, now_ms} when reserved, {0, wait_ms} when not.
local now
if ARGV[1] == '' then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
else
  now = tonumber(ARGV[1])
end
local window = tonumber(ARGV[2])
local rpm = tonumber(ARGV[3])
local tpm = tonumber(ARGV[4])
local tokens = tonumber(ARGV[5])
local id = ARGV[6]

-- an entry counts while its score > now - window
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local entries = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
local count = #entries / 2
local wait = 0

local function amount(member)
  return tonumber(string.match(member, '|(%d+)$')) or 0
end

if count >= rpm then
  local k = count - rpm + 1
  wait = tonumber(entries[2 * k]) + window - now
end

local used = 0
for i = 1, #entries, 2 do
  used = used + amount(entries[i])
end
if used + tokens > tpm then
  local freed = 0
  for i = 1, #entries, 2 do
    freed = freed + amount(entries[i])
    if used - freed + tokens <= tpm then
      local w = tonumber(entries[i + 1]) + window - now
      if w > wait then wait = w end
      break
    end
  end
end

local obs_req = redis.call('GET', KEYS[2])
if obs_req and tonumber(obs_req) <= 0 then
  local ttl = redis.call('PTTL', KEYS[2])
  if ttl > wait then wait = ttl end
end
local obs_tok = redis.call('GET', KEYS[3])
if obs_tok and tonumber(obs_tok) < tokens then
  local ttl = redis.call('PTTL', KEYS[3])
  if ttl > wait then wait = ttl end
end

if wait > 0 then
  return {0, wait}
end

redis.call('ZADD', KEYS[1], now, id .. '|' .. ARGV[5])
redis.call('PEXPIRE', KEYS[1], window * 2)
if obs_req then redis.call('DECR', KEYS[2]) end
if obs_tok then redis.call('DECRBY', KEYS[3], ARGV[5]) end
return {1, now}
