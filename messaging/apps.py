from django.apps import AppConfig


class MessagingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "messaging"

    def ready(self) -> None:
        from accounts.signals import user_deleting
        from messaging.services import member_subscribe_publish, reactions_forget_user
        from rooms.signals import member_added

        member_added.connect(member_subscribe_publish, dispatch_uid="messaging.member_subscribe_publish")
        user_deleting.connect(reactions_forget_user, dispatch_uid="messaging.reactions_forget_user")
