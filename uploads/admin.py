from django.contrib import admin
from django.core.files.storage import default_storage
from django.utils.html import format_html

from uploads.models import Upload


@admin.register(Upload)
class UploadAdmin(admin.ModelAdmin):
    """Read-only list for moderation; deleting a row also deletes its files."""

    list_display = ("preview_small", "original_name", "kind", "mime", "size", "owner", "created_at")
    list_filter = ("kind", "created_at")
    search_fields = ("original_name", "owner__username", "file")
    list_select_related = ("owner",)
    date_hierarchy = "created_at"
    fields = (
        "preview",
        "id",
        "owner",
        "original_name",
        "file",
        "thumbnail",
        "kind",
        "mime",
        "size",
        "width",
        "height",
        "created_at",
    )
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="Preview")
    def preview(self, obj: Upload) -> str:
        if not obj.is_image:
            return "-"
        return format_html(
            '<a href="{}"><img src="{}" alt="" style="max-width:320px;max-height:320px"></a>',
            obj.url,
            obj.thumbnail_url or obj.url,
        )

    @admin.display(description="Preview")
    def preview_small(self, obj: Upload) -> str:
        if not obj.is_image:
            return "-"
        return format_html('<img src="{}" alt="" style="max-width:64px;max-height:64px">', obj.thumbnail_url or obj.url)

    def delete_model(self, request, obj: Upload) -> None:
        names = [obj.file.name, obj.thumbnail.name]
        super().delete_model(request, obj)
        _delete_files(names)

    def delete_queryset(self, request, queryset) -> None:
        names = [name for pair in queryset.values_list("file", "thumbnail") for name in pair]
        super().delete_queryset(request, queryset)
        _delete_files(names)


def _delete_files(names: list[str | None]) -> None:
    for name in names:
        if name:
            default_storage.delete(name)
