"""The browser's side of single sign-on: two pages outside /api/ (they answer with redirects and
HTML, not JSON). The library runs the protocol; failures become a page that says what went wrong.
"""

import logging

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.generic import View
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from chatapp.errors import DomainError
from sso import services
from sso.selectors import sso_provider_metadata

logger = logging.getLogger("chatapp.sso")

NOT_CONFIGURED = "Single sign-on is not configured on this server"
STATE_MISMATCH = (
    "This sign-in did not start here, or was already used (the state or nonce did not match). Please start again."
)
FAILED = "The identity provider did not complete the sign-in. Please try again."


def sso_error_page(request: HttpRequest, message: str, *, status: int) -> HttpResponse:
    return render(request, "sso/error.html", {"message": message}, status=status)


class SsoStartView(OIDCAuthenticationRequestView):
    """GET /sso/start: redirects to the provider with state, nonce and a PKCE challenge."""

    def __init__(self, **kwargs: object) -> None:
        # Not the parent's __init__, which reads the endpoint from settings: it comes from discovery.
        View.__init__(self, **kwargs)

    def get(self, request: HttpRequest) -> HttpResponse:
        if not settings.OIDC_ENABLED:
            return sso_error_page(request, NOT_CONFIGURED, status=404)
        try:
            metadata = sso_provider_metadata()
        except DomainError as error:
            logger.warning("sso start refused", extra={"error": error.message})
            return sso_error_page(request, error.message, status=error.status_code)
        self.OIDC_OP_AUTH_ENDPOINT = metadata.authorization_endpoint
        self.OIDC_RP_CLIENT_ID = settings.OIDC_CLIENT_ID
        return super().get(request)


class SsoCallbackView(OIDCAuthenticationCallbackView):
    """GET /sso/callback: the provider sends the browser back here with a code and the state.

    On success the browser goes to the sign-in page with a one-time code in the fragment (never
    sent to a server, nor in a Referer); the page trades it for a token over POST. No token and
    no Django session login come out of this view.
    """

    def get(self, request: HttpRequest) -> HttpResponse:
        if not settings.OIDC_ENABLED:
            return sso_error_page(request, NOT_CONFIGURED, status=404)
        if request.GET.get("error"):
            super().get(request)  # forgets the state
            description = request.GET.get("error_description") or request.GET["error"]
            return sso_error_page(request, f"The identity provider refused: {description[:200]}", status=403)
        try:
            return super().get(request)
        except SuspiciousOperation as error:
            # Unknown state, nonce mismatch, a token from another issuer or client, a bad signature.
            logger.warning("sso callback refused", extra={"error": str(error)})
            text = str(error)
            mismatch = "state" in text or "Nonce" in text
            return sso_error_page(request, STATE_MISMATCH if mismatch else text, status=400)
        except DomainError as error:
            logger.warning("sso callback refused", extra={"error": error.message})
            return sso_error_page(request, error.message, status=error.status_code)

    def login_failure(self) -> HttpResponse:
        if "oidc_states" not in self.request.session:
            return sso_error_page(self.request, STATE_MISMATCH, status=400)
        return sso_error_page(self.request, FAILED, status=403)

    def login_success(self) -> HttpResponse:
        code = services.sso_code_issue(user=self.user)
        return HttpResponseRedirect(f"/login#sso_code={code}")
