from django.apps import AppConfig


class MessagingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "messaging"

    def ready(self) -> None:
        from messaging.services import member_subscribe_publish
        from rooms.signals import member_added

        member_added.connect(member_subscribe_publish, dispatch_uid="messaging.member_subscribe_publish")
