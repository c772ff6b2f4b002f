"""Wire shapes for uploads."""

from rest_framework import serializers

from uploads.models import Upload


class UploadInput(serializers.Serializer):
    file = serializers.FileField()


class UploadSerializer(serializers.Serializer):
    url = serializers.CharField()
    file_name = serializers.CharField(source="original_name")
    file_size = serializers.IntegerField(source="size")
    mime = serializers.CharField()
    is_image = serializers.BooleanField()
    is_audio = serializers.BooleanField()
    uploaded_by = serializers.UUIDField(source="owner_id")
    width = serializers.IntegerField(required=False, help_text="Images only")
    height = serializers.IntegerField(required=False, help_text="Images only")
    thumbnail_url = serializers.CharField(required=False, help_text="Images only: at most 320x320 px")

    def to_representation(self, instance: Upload) -> dict:
        data = super().to_representation(instance)
        if not instance.is_image:
            for key in ("width", "height", "thumbnail_url"):
                data.pop(key, None)
        return data
