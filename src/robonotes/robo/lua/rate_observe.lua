-- Record the provider's remaining requests/tokens until its reset; acquire honours them too.
-- KEYS[1] observed remaining requests, KEYS[2] observed remaining tokens
-- ARGV: remaining_requests ("" = unknown), reset_requests_ms, remaining_tokens ("" = unknown), reset_tokens_ms
if ARGV[1] ~= '' and tonumber(ARGV[2]) > 0 then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
end
if ARGV[3] ~= '' and tonumber(ARGV[4]) > 0 then
  redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[4])
end
return 1
