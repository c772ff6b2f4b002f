"""Wire shapes for rooms and the inputs of the room endpoints."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import User
from accounts.serializers import UserSummarySerializer
from rooms.models import Room, RoomMember


class MemberUserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "username", "avatar", "status", "is_online", "last_seen"]
        read_only_fields = fields


class RoomMemberSerializer(serializers.ModelSerializer):
    """A membership. `notify_level` is shown only in the viewer's own entry (context `viewer_id`):
    whether someone muted a room is theirs to know, not the other members'."""

    user_id = serializers.UUIDField(read_only=True)
    user = MemberUserSerializer(read_only=True)
    notify_level = serializers.SerializerMethodField()

    class Meta:
        model = RoomMember
        fields = ["user_id", "user", "role", "read_at", "joined_at", "notify_level"]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=RoomMember.NotifyLevel.choices, allow_null=True))
    def get_notify_level(self, member: RoomMember) -> str | None:
        viewer_id = self.context.get("viewer_id")
        return member.notify_level if viewer_id is not None and member.user_id == viewer_id else None


class RoomSerializer(serializers.ModelSerializer):
    """A room in lists. Needs `member_count` set on it (the selectors annotate it)."""

    created_by = serializers.UUIDField(source="created_by_id", read_only=True, allow_null=True)
    creator = UserSummarySerializer(source="created_by", read_only=True, allow_null=True)
    member_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Room
        fields = [
            "id",
            "name",
            "description",
            "type",
            "created_by",
            "creator",
            "member_count",
            "last_message_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class RoomDetailSerializer(RoomSerializer):
    """A room with its members (load `memberships` with their users prefetched)."""

    members = RoomMemberSerializer(source="memberships", many=True, read_only=True)

    class Meta(RoomSerializer.Meta):
        fields = [*RoomSerializer.Meta.fields, "members"]
        read_only_fields = fields


class RoomCreateInput(serializers.Serializer):
    name = serializers.CharField(min_length=3, max_length=50)
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)
    type = serializers.ChoiceField(
        choices=[Room.Type.PUBLIC, Room.Type.PRIVATE],
        required=False,
        default=Room.Type.PUBLIC,
        error_messages={"invalid_choice": "Room type must be 'public' or 'private'"},
    )


class RoomAddMemberInput(serializers.Serializer):
    user_id = serializers.UUIDField()


class RoomNotifyLevelInput(serializers.Serializer):
    level = serializers.ChoiceField(
        choices=RoomMember.NotifyLevel.choices,
        error_messages={"invalid_choice": "level must be one of: all, mentions, nothing"},
    )


class RoomNotifyLevelSerializer(serializers.Serializer):
    room_id = serializers.UUIDField(read_only=True)
    level = serializers.ChoiceField(choices=RoomMember.NotifyLevel.choices, read_only=True)
