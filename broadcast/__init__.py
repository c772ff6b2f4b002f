"""Realtime plumbing every app shares: channel-group names, the publisher, pre-built WebSocket frames
and the Redis channel layer.

A leaf: it imports no app, so a service anywhere can publish without depending on `realtime`'s
consumers (import-linter, `.importlinter`, keeps it so).
"""
