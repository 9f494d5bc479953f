"""Processing queue adapters: RedisQueue (Lua scripts) and SqlQueue (one table), one contract."""
