"""The job that makes a message's link preview; messaging queues it (through
previews.services.link_preview_follow) in the transaction of the message's send or edit."""

import jobs
from previews import services


# Retries: a URL another job is fetching at that moment (PreviewInProgress) is taken from its cache
# row 3 s (then 12 s, 48 s) later; a link that fails to preview is a result, not an error.
@jobs.handler("link_preview", max_attempts=4, timeout=60, backoff_seconds=3)
def link_preview(*, message_id: str, room_id: str, sender_id: str, url: str) -> None:
    services.link_preview_make(message_id=message_id, room_id=room_id, sender_id=sender_id, url=url)
