-- ARGV: base, new id, note_id, version, max_attempts, payload JSON -> {id, created 0|1}
local id, note, version, max_attempts, payload = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6]
local idem = BASE .. 'idem:' .. note .. ':' .. version
local existing = redis.call('GET', idem)
if existing and redis.call('EXISTS', job_key(existing)) == 1 then
  return {existing, 0}
end
local now = now_ms()
redis.call('HSET', job_key(id),
  'payload', payload, 'note_id', note, 'version', version,
  'attempts', 0, 'max_attempts', max_attempts, 'state', 'ready',
  'worker', '', 'token', '', 'errors', '[]',
  'enqueued_at', now, 'updated_at', now, 'ready_at', now)
redis.call('SET', idem, id)
redis.call('LPUSH', K_READY, id)
redis.call('HINCRBY', K_STATS, 'enqueued', 1)
wake(1)
return {id, 1}
