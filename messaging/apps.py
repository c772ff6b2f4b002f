from django.apps import AppConfig


class MessagingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "messaging"

    def ready(self) -> None:
        from accounts.signals import account_deleting, user_deleting
        from messaging.services import (
            member_subscribe_publish,
            message_changed_by_preview,
            messages_erase_for_deleted_account,
            reactions_forget_user,
        )
        from previews.signals import preview_ready
        from rooms.signals import member_added

        preview_ready.connect(message_changed_by_preview, dispatch_uid="messaging.message_changed_by_preview")
        member_added.connect(member_subscribe_publish, dispatch_uid="messaging.member_subscribe_publish")
        user_deleting.connect(reactions_forget_user, dispatch_uid="messaging.reactions_forget_user")
        account_deleting.connect(
            messages_erase_for_deleted_account, dispatch_uid="messaging.messages_erase_for_deleted_account"
        )
