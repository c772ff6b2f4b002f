"""Wire shapes for direct messages."""

from rest_framework import serializers

from accounts.serializers import PublicUserSerializer
from messaging.serializers import MessageSerializer
from rooms.serializers import RoomSerializer


class DmStartInput(serializers.Serializer):
    recipient_id = serializers.UUIDField()


class ConversationSerializer(serializers.Serializer):
    room = RoomSerializer(read_only=True)
    other_user = PublicUserSerializer(read_only=True)
    last_message = MessageSerializer(read_only=True, allow_null=True)
    unread_count = serializers.IntegerField(read_only=True)
