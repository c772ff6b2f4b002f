"""REST endpoint for uploading a file: parse, call the service, serialize."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chatapp.api import signed_in, validated
from chatapp.openapi import error_responses
from uploads import services
from uploads.serializers import UploadInput, UploadSerializer
from uploads.validation import UploadMultiPartParser, ensure_content_length_allowed


class UploadCreateApi(APIView):
    # Multipart only: other parsers would read the whole body into memory.
    parser_classes = [UploadMultiPartParser]

    @extend_schema(
        summary="Upload an image, file or audio clip (at most 4 MB; images at most 25 megapixels over all frames)",
        request={"multipart/form-data": UploadInput},
        responses={201: UploadSerializer, **error_responses(400, 401, 413, 415, 429, 503)},
    )
    def post(self, request: Request) -> Response:
        ensure_content_length_allowed(request.META)  # before request.data touches the body
        data = validated(UploadInput, request)
        upload = services.upload_create(owner=signed_in(request.user), file=data["file"])
        return Response(UploadSerializer(upload).data, status=status.HTTP_201_CREATED)
