from django.apps import AppConfig


class MessagingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "messaging"

    def ready(self) -> None:
        from accounts.signals import account_deleting
        from messaging.services import member_subscribe_publish, messages_erase_for_deleted_account
        from rooms.signals import member_added

        member_added.connect(member_subscribe_publish, dispatch_uid="messaging.member_subscribe_publish")
        account_deleting.connect(
            messages_erase_for_deleted_account, dispatch_uid="messaging.messages_erase_for_deleted_account"
        )
