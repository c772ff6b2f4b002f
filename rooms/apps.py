from django.apps import AppConfig


class RoomsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "rooms"

    def ready(self) -> None:
        from accounts.signals import profile_changed
        from rooms.services import member_profile_publish

        profile_changed.connect(member_profile_publish, dispatch_uid="rooms.member_profile_publish")
