"""Ending the old password's sessions whenever a password is changed, by any path."""

from accounts.models import User


class EndSessionsOnPasswordChange:
    """Listed in AUTH_PASSWORD_VALIDATORS for its `password_changed` hook, not to judge passwords.

    Django calls `password_changed` on every configured validator once a user whose password was
    set with `set_password()` is saved: through the API, the admin's password form,
    `manage.py changepassword` or a shell alike. That makes it the one place that catches every
    path, without a signal or logic in `User.save()`.
    """

    def validate(self, password: str, user: User | None = None) -> None:
        return None

    def password_changed(self, password: str, user: User | None = None) -> None:
        from accounts.services import user_password_changed  # services import the realtime layer

        if user is not None and user.pk is not None:
            user_password_changed(user=user)

    def get_help_text(self) -> str:
        return "Setting a new password signs out every session that uses the old one."
