-- ARGV: base, id, token[, id, token ...] -> per pair 1 done, 0 stale token
-- Several pairs: the acks of jobs that finished together share one round trip.
local done, completed = {}, 0
for i = 2, #ARGV - 1, 2 do
  local id, token = ARGV[i], ARGV[i + 1]
  local job = job_key(id)
  if holds(job, token) then
    unlease(id, job)
    local idem = idem_key(job)
    if idem and redis.call('GET', idem) == id then redis.call('DEL', idem) end
    redis.call('DEL', job)
    completed = completed + 1
    done[#done + 1] = 1
  else
    done[#done + 1] = 0
  end
end
if completed > 0 then redis.call('HINCRBY', K_STATS, 'completed', completed) end
return done
