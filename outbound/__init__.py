"""The one way the server makes an HTTP request on a user's behalf (push endpoints, later link
previews and webhooks): every URL a user can influence is checked, resolved once and pinned here.

A leaf: it imports no app (import-linter, `.importlinter`, keeps it so).
"""

from outbound.guard import Failed, Policy, Refused, Response, check_url, request

__all__ = ["Failed", "Policy", "Refused", "Response", "check_url", "request"]
