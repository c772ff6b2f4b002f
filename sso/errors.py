"""Why a single sign-on attempt failed, in words fit for the sign-in page."""

from chatapp.errors import DomainError


class SsoRefused(DomainError):
    """The provider vouched for someone this server will not sign in (403)."""

    status_code = 403


class SsoProviderError(DomainError):
    """The provider could not be used: unreachable, or not the issuer configured (502)."""

    status_code = 502
