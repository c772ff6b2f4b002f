"""What rooms announce to the apps above them, which rooms must not import."""

from django.dispatch import Signal

# Sent inside the transaction that made `user` a member of `room`, before `user_joined` is
# published. The new member's sockets start following the room from its stream position, which is
# read from the room's messages; messaging sits above rooms, so it connects the receiver
# (messaging.apps) that publishes `room_subscribe` after commit.
member_added = Signal()
