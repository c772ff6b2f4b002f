"""Ids in paths are UUIDs: anything else matches no route and gets the API's JSON 404."""

import pytest

pytestmark = pytest.mark.django_db

PATHS_WITH_IDS = [
    ("get", "/api/v1/users/{id}"),
    ("get", "/api/v1/rooms/{id}"),
    ("delete", "/api/v1/rooms/{id}"),
    ("post", "/api/v1/rooms/{id}/join"),
    ("post", "/api/v1/rooms/{id}/leave"),
    ("post", "/api/v1/rooms/{id}/members"),
    ("post", "/api/v1/rooms/{id}/read"),
    ("get", "/api/v1/rooms/{id}/messages"),
    ("post", "/api/v1/rooms/{id}/messages"),
    ("patch", "/api/v1/messages/{id}"),
    ("delete", "/api/v1/messages/{id}"),
]


@pytest.mark.parametrize("method,path", PATHS_WITH_IDS)
# Upper case too: the server writes ids in lower case, the only spelling the converter reads.
@pytest.mark.parametrize(
    "bad_id", ["not-a-uuid", "123", "00000000-0000-0000-0000-00000000000g", "6F9619FF-8B86-D011-B42D-00C04FC964FF"]
)
def test_an_id_that_is_not_a_uuid_is_a_json_404_on_every_path(api_client_for, user, method, path, bad_id):
    response = getattr(api_client_for(user), method)(path.format(id=bad_id), {"content": "hi"}, format="json")
    assert (response.status_code, response.json()) == (404, {"error": "Not Found"})


def test_the_schema_types_every_path_id_as_a_uuid(api_client):
    schema = api_client.get("/api/schema?format=json").json()
    path_ids = [
        parameter
        for operations in schema["paths"].values()
        for operation in operations.values()
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "path" and (parameter["name"] == "id" or parameter["name"].endswith("_id"))
    ]
    assert path_ids
    assert [p for p in path_ids if p["schema"] != {"type": "string", "format": "uuid"}] == []
    # The one path parameter that is not an id (a reaction's emoji) is text, and named so.
    others = {
        parameter["name"]
        for operations in schema["paths"].values()
        for operation in operations.values()
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "path" and parameter not in path_ids
    }
    assert others == {"emoji"}
