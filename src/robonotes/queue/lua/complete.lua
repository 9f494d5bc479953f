-- ARGV: base, id, token[, id, token ...] -> per pair 1 done, 0 stale token
-- Several pairs: the acks of jobs that finished together share one round trip. The job hash is
-- deleted, so one HMGET replaces holds(), unlease() and idem_key() and their field writes.
local done, completed = {}, 0
for i = 2, #ARGV - 1, 2 do
  local id, token = ARGV[i], ARGV[i + 1]
  local job = job_key(id)
  local f = redis.call('HMGET', job, 'state', 'token', 'worker', 'note_id', 'version')
  if token ~= '' and f[1] == 'leased' and f[2] == token then
    if f[3] and f[3] ~= '' then redis.call('SREM', worker_jobs_key(f[3]), id) end
    redis.call('ZREM', K_LEASES, id)
    if f[4] and f[5] then
      local idem = BASE .. 'idem:' .. f[4] .. ':' .. f[5]
      if redis.call('GET', idem) == id then redis.call('DEL', idem) end
    end
    redis.call('DEL', job)
    completed = completed + 1
    done[#done + 1] = 1
  else
    done[#done + 1] = 0
  end
end
if completed > 0 then redis.call('HINCRBY', K_STATS, 'completed', completed) end
return done
