import json

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_schema_validates_without_warnings(tmp_path):
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    assert target.read_text().startswith("openapi: 3.")


def test_schema_is_public_and_declares_bearer_auth_and_the_error_shape(api_client):
    response = api_client.get("/api/schema?format=json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["components"]["securitySchemes"]["jwtAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": schema["components"]["securitySchemes"]["jwtAuth"]["description"],
    }
    assert schema["components"]["schemas"]["Error"]["required"] == ["error"]
    upload = schema["paths"]["/api/v1/upload"]["post"]
    assert upload["security"] == [{"jwtAuth": []}]
    assert "multipart/form-data" in upload["requestBody"]["content"]
    for status in ("400", "401", "413"):
        assert upload["responses"][status]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Error"
        }
    assert schema["paths"]["/api/v1/auth/login"]["post"]["security"] == [{}]


def test_swagger_ui_is_served_from_the_package_not_a_cdn(api_client):
    response = api_client.get("/api/docs")
    assert response.status_code == 200
    page = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower() and "unpkg" not in page.lower()
    assert finders.find("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
