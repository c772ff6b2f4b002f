from rest_framework import serializers


class SsoExchangeInput(serializers.Serializer):
    code = serializers.CharField(max_length=128, help_text="The one-time code from the sign-in page's address")


class SsoProviderOutput(serializers.Serializer):
    id = serializers.CharField(help_text="`oidc`")
    # A field named like Field.label (the serializer's metaclass takes it as a field; mypy cannot tell).
    label = serializers.CharField(help_text="The button's text (OIDC_BUTTON_LABEL)")  # type: ignore[assignment]
    start_url = serializers.CharField(help_text="Where the browser goes to start signing in")


class AuthProvidersOutput(serializers.Serializer):
    password = serializers.BooleanField(help_text="Whether sign-in and sign-up with a password are offered")
    sso = SsoProviderOutput(many=True, help_text="Single sign-on providers (none, or one)")
