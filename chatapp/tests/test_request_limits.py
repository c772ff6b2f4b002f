from chatapp import request_limits
from uploads import validation


def test_the_upload_body_limit_is_the_file_limit_plus_the_multipart_overhead():
    assert request_limits.MAX_UPLOAD_BODY_BYTES == validation.MAX_UPLOAD_BYTES + validation.MULTIPART_OVERHEAD_BYTES
    assert request_limits.UPLOAD_TOO_LARGE.error == validation.FILE_TOO_LARGE


def test_a_percent_escaped_upload_path_gets_the_upload_limit_like_the_router_sees_it():
    path = request_limits.request_path(b"/api/v1/uplo%61d?x=1")
    assert request_limits.body_limit(path) == request_limits.MAX_UPLOAD_BODY_BYTES


def test_multipart_is_refused_on_json_endpoints_only():
    def refused(path: str) -> request_limits.Refusal | None:
        return request_limits.refusal_for_head(path=path, content_type="Multipart/Form-Data; b=1", content_length=10)

    assert refused("/api/v1/auth/login") == request_limits.NOT_MULTIPART
    assert refused("/health") == request_limits.NOT_MULTIPART
    assert refused("/api/v1/upload") is None
    assert refused("/admin/login/") is None
