-- ARGV: base -> {ready, delayed, leased, dead, oldest ready_at or '', overdue leases, live workers, now}
local now = now_ms()
local oldest = ''
local tail = redis.call('LINDEX', K_READY, -1)
if tail then oldest = redis.call('HGET', job_key(tail), 'ready_at') or '' end
return {
  redis.call('LLEN', K_READY),
  redis.call('ZCARD', K_DELAYED),
  redis.call('ZCARD', K_LEASES),
  redis.call('ZCARD', K_DLQ),
  oldest,
  redis.call('ZCOUNT', K_LEASES, '-inf', '(' .. now),
  redis.call('ZCOUNT', K_WORKERS, '(' .. now, '+inf'),
  now,
}
