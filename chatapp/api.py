"""Small helpers shared by every app's DRF views."""

from typing import TypeVar

from django.contrib.auth.models import AnonymousUser
from rest_framework import serializers
from rest_framework.exceptions import NotAuthenticated
from rest_framework.request import Request

_User = TypeVar("_User")


def validated(serializer_class: type[serializers.Serializer], request: Request, **kwargs) -> dict:
    """Parses the request body with `serializer_class`; bad input raises a 400 with `fields`."""
    serializer = serializer_class(data=request.data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def signed_in(user: _User | AnonymousUser) -> _User:
    """`request.user` of a view behind `IsAuthenticated` (the default), typed as the user model.

    DRF types it as the user model or AnonymousUser whatever the permissions. Generic rather than
    returning `accounts.models.User` because chatapp sits below accounts (and uploads) in the layers.
    A view that let anonymous requests through by mistake answers 401 here, never a 500 further on.
    """
    if isinstance(user, AnonymousUser):
        raise NotAuthenticated()
    return user
