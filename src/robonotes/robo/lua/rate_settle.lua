-- Replace a reservation's token estimate with the real usage, keeping its place in the window.
-- KEYS[1] log zset; ARGV: id, estimated tokens, actual tokens. Returns 1 if it was still in the window.
local old = ARGV[1] .. '|' .. ARGV[2]
local score = redis.call('ZSCORE', KEYS[1], old)
if not score then
  return 0
end
redis.call('ZREM', KEYS[1], old)
redis.call('ZADD', KEYS[1], score, ARGV[1] .. '|' .. ARGV[3])
return 1
