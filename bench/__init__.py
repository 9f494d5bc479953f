"""Queue benchmark: our RedisQueue + Worker against arq, SAQ, taskiq, Dramatiq, RQ and Celery."""
