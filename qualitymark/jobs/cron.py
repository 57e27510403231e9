"""The `rq cron` configuration: `rq cron qualitymark.jobs.cron --url $QUALITYMARK_REDIS_URL`."""
from rq import cron

from qualitymark.jobs.periodic import SCHEDULE

for function, interval in SCHEDULE:
    cron.register(function, queue_name="qualitymark", interval=interval)
