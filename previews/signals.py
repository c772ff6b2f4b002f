"""What previews announce to the apps above them, which previews must not import."""

from django.dispatch import Signal

# Sent inside the transaction that made a message's link preview ready (`message_id`, `at`), with
# `link_preview_ready` published. Messaging sits above previews and connects the receiver
# (messaging.apps) that stamps the message's `changed_at`: a client that was away when the event
# went out gets the message with its preview from `resume`.
preview_ready = Signal()
