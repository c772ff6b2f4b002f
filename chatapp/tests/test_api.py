import pytest
from django.contrib.auth.models import AnonymousUser
from rest_framework.exceptions import NotAuthenticated

from chatapp.api import signed_in


@pytest.mark.django_db
def test_signed_in_hands_back_the_authenticated_user(user):
    assert signed_in(user) is user


def test_an_anonymous_request_reaching_a_view_is_a_401_not_a_500():
    with pytest.raises(NotAuthenticated) as raised:
        signed_in(AnonymousUser())
    assert raised.value.status_code == 401
