-- ARGV: base, worker id -> 1. A worker that stopped is no longer alive for `health` at once;
-- the leases it still holds (none after a clean drain) expire and are reaped as usual.
local wid = ARGV[2]
redis.call('DEL', worker_key(wid))
redis.call('ZREM', K_WORKERS, wid)
return 1
