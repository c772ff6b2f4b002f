"""Background work of accounts: the password-reset mail."""

from django.conf import settings
from django.core.mail import send_mail

import jobs
from accounts.models import User
from accounts.services import password_reset_link


@jobs.handler("password_reset_mail", max_attempts=3, timeout=60)
def password_reset_mail(*, email: str, base_url: str) -> None:
    """Mails a reset link to `email` if an active account has it; nothing otherwise (see
    accounts.services.password_reset_request). A failed send raises, so the job is tried again."""
    user = User.objects.filter(email__iexact=email, is_active=True).first()
    if user is None:
        return
    link = password_reset_link(user=user, base_url=base_url)
    minutes = settings.PASSWORD_RESET_TIMEOUT // 60
    send_mail(
        subject="Reset your chatapp password",
        message=(
            f"Hello {user.username},\n\n"
            f"Someone (hopefully you) asked to reset your chatapp password. Open this link within "
            f"{minutes} minutes to choose a new one:\n\n{link}\n\n"
            "The link works once. If you did not ask, ignore this mail: your password stays as it is.\n"
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[user.email],
    )
