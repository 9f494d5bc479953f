-- ARGV: base, id, token -> 1 done, 0 stale token
local id, token = ARGV[2], ARGV[3]
local job = job_key(id)
if not holds(job, token) then return 0 end
unlease(id, job)
local idem = idem_key(job)
if idem and redis.call('GET', idem) == id then redis.call('DEL', idem) end
redis.call('DEL', job)
redis.call('HINCRBY', K_STATS, 'completed', 1)
return 1
