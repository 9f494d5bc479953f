"""The processing queue adapters: RedisQueue (Lua scripts) and SqlQueue (one table), same contract."""
