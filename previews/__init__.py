"""Link previews: the first link of a message, fetched after the message commits, through the
outbound guard, by a job; its title, description, site name and a stored copy of its image are
shown with the message.

Below messaging: messaging calls `services.link_preview_follow` in its send, edit and delete
transactions and reads the `link_preview` of a message it loads; this app never imports
messaging (a message is known here by its id, the room it is in and its sender).
"""
