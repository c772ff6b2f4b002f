from django.contrib import admin, messages

from messaging import services
from messaging.models import Message


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ("short_content", "sender", "room", "type", "is_edited", "is_deleted", "created_at")
    list_filter = ("type", "is_deleted", "is_edited")
    search_fields = ("content", "sender__username")
    list_select_related = ("sender", "room")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    readonly_fields = [field.name for field in Message._meta.fields]
    actions = ["soft_delete"]

    @admin.display(description="content")
    def short_content(self, message: Message) -> str:
        return message.content[:80] or ("(deleted)" if message.is_deleted else f"({message.type})")

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        # Messages are never removed from history here: the soft-delete action tells clients.
        return False

    @admin.action(description="Soft-delete (clients see the message as deleted)")
    def soft_delete(self, request, queryset) -> None:
        deleted = sum(
            1
            for message_id in queryset.values_list("id", flat=True)
            if services.message_delete_by_staff(message_id=message_id)
        )
        self.message_user(request, f"Deleted {deleted} message(s).", messages.SUCCESS)
