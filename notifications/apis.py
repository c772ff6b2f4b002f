"""REST endpoints for Web Push: the server's key and the browser's subscription."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import request_token
from chatapp.api import signed_in, validated
from chatapp.errors import NotFound
from chatapp.openapi import ConfirmationSerializer, error_responses
from notifications import services
from notifications.serializers import (
    PushKeyOutput,
    PushSubscribeInput,
    PushSubscriptionOutput,
    PushUnsubscribeInput,
)
from notifications.vapid import vapid_keys


class PushKeyApi(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        summary="The server's VAPID public key (a browser's applicationServerKey)",
        responses={200: PushKeyOutput, **error_responses(404)},
    )
    def get(self, request: Request) -> Response:
        keys = vapid_keys()
        if keys is None:
            raise NotFound(services.PUSH_DISABLED)
        return Response({"public_key": keys.public_key})


class PushSubscriptionsApi(APIView):
    @extend_schema(
        summary="Store this browser's push subscription (201 new, 200 the same endpoint updated)",
        request=PushSubscribeInput,
        responses={201: PushSubscriptionOutput, 200: PushSubscriptionOutput, **error_responses(400, 404)},
    )
    def post(self, request: Request) -> Response:
        data = validated(PushSubscribeInput, request)
        subscription, created = services.push_subscribe(
            user=signed_in(request.user),
            token_jti=request_token(request).jti,
            endpoint=data["endpoint"],
            p256dh=data["keys"]["p256dh"],
            auth=data["keys"]["auth"],
        )
        return Response({"id": subscription.id}, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(
        summary="Remove this browser's push subscription",
        request=PushUnsubscribeInput,
        responses={200: ConfirmationSerializer, **error_responses(400)},
    )
    def delete(self, request: Request) -> Response:
        data = validated(PushUnsubscribeInput, request)
        services.push_unsubscribe(user=signed_in(request.user), endpoint=data["endpoint"])
        return Response({"message": "Push subscription removed"})
