from django import forms
from django.contrib import admin
from django.db.models import Count

from rooms import services
from rooms.models import Room, RoomMember


class RoomMemberInlineForm(forms.ModelForm):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Re-pointing an existing row at another user would move a membership behind the
        # sockets' back; staff delete the row and add a new one (both go through the services).
        if self.instance.pk is not None:
            self.fields["user"].disabled = True


class RoomMemberInline(admin.TabularInline):
    model = RoomMember
    form = RoomMemberInlineForm
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

    def save_formset(self, request, form, formset, change) -> None:
        if formset.model is not RoomMember:
            super().save_formset(request, form, formset, change)
            return
        # Memberships added or removed here go through the services, so the member's open
        # sockets start or stop following the room and the room hears about it.
        formset.save(commit=False)
        for membership in formset.deleted_objects:
            services.room_member_remove_by_staff(membership=membership)
        for membership in formset.new_objects:
            services.room_member_add_by_staff(
                room=membership.room, user=membership.user, role=membership.role, read_at=membership.read_at
            )
        for membership, _fields in formset.changed_objects:
            membership.save()  # role or read mark only (the user cannot change): nothing a socket follows
