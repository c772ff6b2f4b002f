"""The wire shape of a search result: a message as every client sees it, plus where it is and what matched."""

from rest_framework import serializers

from messaging.serializers import MessageSerializer, message_json
from rooms.models import Room
from search.selectors import SearchHit


class SearchRoomSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    type = serializers.ChoiceField(choices=Room.Type.choices)


class SearchResultSerializer(MessageSerializer):
    """For the schema; `search_hit_json` builds it, as `message_json` builds a message."""

    room = SearchRoomSerializer(read_only=True)
    match_ranges = serializers.ListField(
        child=serializers.ListField(child=serializers.IntegerField(min_value=0), min_length=2, max_length=2),
        read_only=True,
        help_text="[start, end) of each matched word in `content`, counted in Unicode code points",
    )

    class Meta(MessageSerializer.Meta):
        fields = [*MessageSerializer.Meta.fields, "room", "match_ranges"]
        read_only_fields = fields


def search_hit_json(hit: SearchHit) -> dict:
    return {
        **message_json(hit.message),
        "room": {"id": str(hit.room.id), "name": hit.room.name, "type": str(hit.room.type)},
        "match_ranges": hit.match_ranges,
    }
