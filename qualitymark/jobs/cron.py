"""The `rq cron` configuration: `rq cron qualitymark.jobs.cron --url $QUALITYMARK_REDIS_URL`.

The jobs go to the same queue the app and `qualitymark jobs worker` use (QUALITYMARK_QUEUE_NAME)."""
import os

from rq import cron

from qualitymark.jobs.periodic import SCHEDULE

QUEUE_NAME = os.environ.get("QUALITYMARK_QUEUE_NAME") or "qualitymark"

for function, interval in SCHEDULE:
    cron.register(function, queue_name=QUEUE_NAME, interval=interval)
