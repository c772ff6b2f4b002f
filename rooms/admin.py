from django.contrib import admin
from django.db.models import Count

from rooms import services
from rooms.models import Room, RoomMember


class RoomMemberInline(admin.TabularInline):
    model = RoomMember
    extra = 0
    fields = ("user", "role", "read_at", "joined_at")
    readonly_fields = ("joined_at",)
    raw_id_fields = ("user",)


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ("name", "type", "member_count", "created_by", "last_message_at", "created_at")
    list_filter = ("type",)
    search_fields = ("name", "description", "created_by__username")
    list_select_related = ("created_by",)
    readonly_fields = (
        "id",
        "type",
        "direct_user_low",
        "direct_user_high",
        "last_message_at",
        "created_at",
        "updated_at",
    )
    raw_id_fields = ("created_by",)
    inlines = [RoomMemberInline]
    ordering = ("-created_at",)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_count=Count("memberships", distinct=True))

    @admin.display(ordering="member_count", description="members")
    def member_count(self, room: Room) -> int:
        return room.member_count

    def delete_model(self, request, obj: Room) -> None:
        # Through the service, so open sockets hear `room_deleted`.
        services.room_delete_by_staff(room=obj)

    def delete_queryset(self, request, queryset) -> None:
        for room in queryset:
            services.room_delete_by_staff(room=room)
