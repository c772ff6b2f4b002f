"""What accounts announce to the apps above them, which accounts must not import."""

from django.dispatch import Signal

# Sent inside the transaction that changed a user's public profile, with `user` and `event` (the
# `profile_updated` event to deliver). Who should see it depends on rooms, which sit above
# accounts, so the rooms app connects the receiver (rooms.apps) and publishes after commit.
profile_changed = Signal()

# Sent inside the transaction that deletes a user (staff, in the admin), with `user`, before any row
# goes: apps above accounts tidy what they summarise about the user (messaging: reactions).
user_deleting = Signal()

# Sent inside the transaction deleting an account, before it is anonymised, with `user` and
# `erase_messages`. Messages live in the messaging app above accounts, which soft-deletes them.
account_deleting = Signal()
