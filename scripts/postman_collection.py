"""Writes docs/chatapp.postman_collection.json: every REST endpoint, in order, with tests.

The collection is generated so its requests and test scripts stay readable in review; run
`.venv/bin/python scripts/postman_collection.py` after changing it, and `make newman` to run it.
Each run registers fresh users (`{{$timestamp}}` plus a random suffix), so it can be rerun
against the same server; the rate-limit folder is last because it exhausts the login limit.
"""

import json
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "docs" / "chatapp.postman_collection.json"


def status(code: int) -> str:
    return f'pm.test("status is {code}", () => pm.response.to.have.status({code}));'


def error_is(text: str) -> str:
    return f'pm.test("error says {text}", () => pm.expect(pm.response.json().error).to.eql({json.dumps(text)}));'


def message_is(text: str) -> str:
    return f'pm.test("message", () => pm.expect(pm.response.json().message).to.eql({json.dumps(text)}));'


def request(
    name: str,
    method: str,
    path: str,
    *,
    body: dict | str | None = None,
    auth: str | None = "token",
    tests: list[str] = (),
    pre: list[str] = (),
    headers: dict[str, str] | None = None,
    form_file: str | None = None,
) -> dict:
    header = [{"key": key, "value": value} for key, value in (headers or {}).items()]
    if auth:
        header.append({"key": "Authorization", "value": f"Bearer {{{{{auth}}}}}"})
    item: dict = {
        "name": name,
        "request": {"method": method, "header": header, "url": "{{base_url}}" + path},
        "event": [],
    }
    if body is not None:
        raw = body if isinstance(body, str) else json.dumps(body, indent=2)
        item["request"]["body"] = {"mode": "raw", "raw": raw, "options": {"raw": {"language": "json"}}}
        if not any(key.lower() == "content-type" for key in (headers or {})):
            header.append({"key": "Content-Type", "value": "application/json"})
    if form_file:
        item["request"]["body"] = {"mode": "formdata", "formdata": [{"key": "file", "type": "file", "src": form_file}]}
    if pre:
        item["event"].append({"listen": "prerequest", "script": {"type": "text/javascript", "exec": list(pre)}})
    if tests:
        item["event"].append({"listen": "test", "script": {"type": "text/javascript", "exec": list(tests)}})
    return item


def folder(name: str, description: str, items: list[dict]) -> dict:
    return {"name": name, "description": description, "item": items}


USER_SHAPE = 'pm.expect(u).to.include.keys("id", "username", "email", "avatar", "status", "is_online", "last_seen");'

health = folder(
    "Health",
    "Liveness and readiness, no auth.",
    [
        request(
            "Health",
            "GET",
            "/health",
            auth=None,
            tests=[
                status(200),
                'pm.test("ok", () => pm.expect(pm.response.json()).to.eql({status: "ok", service: "chatapp"}));',
            ],
        ),
        request(
            "Ready",
            "GET",
            "/health/ready",
            auth=None,
            tests=[status(200), 'pm.test("ready", () => pm.expect(pm.response.json().status).to.eql("ready"));'],
        ),
    ],
)

auth = folder(
    "Auth",
    "Two users for the rest of the run; every refusal the auth endpoints make.",
    [
        request(
            "Register user 1",
            "POST",
            "/api/v1/auth/register",
            auth=None,
            pre=[
                "const run = `${Date.now()}${Math.floor(Math.random() * 1000)}`.slice(-12);",
                'pm.collectionVariables.set("run", run);',
                'pm.collectionVariables.set("username", "pm" + run);',
                'pm.collectionVariables.set("email", "pm" + run + "@example.com");',
                'pm.collectionVariables.set("username2", "pm" + run + "b");',
                'pm.collectionVariables.set("email2", "pm" + run + "b@example.com");',
            ],
            body='{"username": "{{username}}", "email": "{{email}}", "password": "{{password}}"}',
            tests=[
                status(201),
                "const body = pm.response.json();",
                'pm.test("token and own user", () => { const u = body.user; ' + USER_SHAPE + " "
                'pm.expect(u.username).to.eql(pm.collectionVariables.get("username")); '
                'pm.expect(body.token.split(".")).to.have.length(3); });',
                'pm.collectionVariables.set("token", body.token);',
                'pm.collectionVariables.set("user_id", body.user.id);',
            ],
        ),
        request(
            "Register user 2",
            "POST",
            "/api/v1/auth/register",
            auth=None,
            body='{"username": "{{username2}}", "email": "{{email2}}", "password": "{{password}}"}',
            tests=[
                status(201),
                'pm.collectionVariables.set("token2", pm.response.json().token);',
                'pm.collectionVariables.set("user2_id", pm.response.json().user.id);',
            ],
        ),
        request(
            "Register with a taken email (409)",
            "POST",
            "/api/v1/auth/register",
            auth=None,
            body='{"username": "{{username}}x", "email": "{{email}}", "password": "{{password}}"}',
            tests=[status(409), 'pm.test("error", () => pm.expect(pm.response.json().error).to.be.a("string"));'],
        ),
        request(
            "Register with invalid fields (400)",
            "POST",
            "/api/v1/auth/register",
            auth=None,
            body={"username": "x", "email": "not-an-email", "password": "1"},
            tests=[
                status(400),
                'pm.test("field errors", () => pm.expect(pm.response.json().fields).to.include.keys("username", "email", "password"));',
            ],
        ),
        request(
            "Login with a wrong password (401)",
            "POST",
            "/api/v1/auth/login",
            auth=None,
            body='{"email": "{{email}}", "password": "wrong-password"}',
            tests=[status(401), error_is("Invalid credentials")],
        ),
        request(
            "Login",
            "POST",
            "/api/v1/auth/login",
            auth=None,
            body='{"email": "{{email}}", "password": "{{password}}"}',
            tests=[
                status(200),
                'pm.test("same user", () => pm.expect(pm.response.json().user.id).to.eql(pm.collectionVariables.get("user_id")));',
                'pm.collectionVariables.set("token", pm.response.json().token);',
            ],
        ),
        request(
            "Me",
            "GET",
            "/api/v1/auth/me",
            tests=[
                status(200),
                "const u = pm.response.json();",
                'pm.test("own user with email", () => { '
                + USER_SHAPE
                + ' pm.expect(u.email).to.eql(pm.collectionVariables.get("email")); });',
            ],
        ),
        request(
            "Me without a token (401)",
            "GET",
            "/api/v1/auth/me",
            auth=None,
            tests=[status(401), error_is("Authorization header is required")],
        ),
        request(
            "Me with a garbage token (401)",
            "GET",
            "/api/v1/auth/me",
            headers={"Authorization": "Bearer not.a.jwt"},
            auth=None,
            tests=[status(401), error_is("Invalid or expired token")],
        ),
        request(
            "Update status",
            "PATCH",
            "/api/v1/auth/me",
            body={"status": "Testing with Postman"},
            tests=[
                status(200),
                'pm.test("status", () => pm.expect(pm.response.json().status).to.eql("Testing with Postman"));',
            ],
        ),
        request(
            "Change username",
            "PATCH",
            "/api/v1/auth/username",
            body='{"username": "{{username}}_r"}',
            tests=[
                status(200),
                'pm.test("renamed", () => pm.expect(pm.response.json().username).to.eql(pm.collectionVariables.get("username") + "_r"));',
                'pm.collectionVariables.set("username", pm.response.json().username);',
            ],
        ),
        request(
            "Change username to a taken one (409)",
            "PATCH",
            "/api/v1/auth/username",
            body='{"username": "{{username2}}"}',
            tests=[status(409)],
        ),
        request(
            "Change email with a wrong password (401)",
            "PATCH",
            "/api/v1/auth/email",
            body='{"email": "new{{email}}", "current_password": "wrong-password"}',
            tests=[status(401)],
        ),
        request(
            "Change email",
            "PATCH",
            "/api/v1/auth/email",
            body='{"email": "new{{email}}", "current_password": "{{password}}"}',
            tests=[
                status(200),
                'pm.test("email", () => pm.expect(pm.response.json().email).to.eql("new" + pm.collectionVariables.get("email")));',
                'pm.collectionVariables.set("email", pm.response.json().email);',
            ],
        ),
        request(
            "Change password",
            "PATCH",
            "/api/v1/auth/password",
            pre=['pm.collectionVariables.set("old_token", pm.collectionVariables.get("token"));'],
            body='{"current_password": "{{password}}", "new_password": "{{password}}-2"}',
            tests=[
                status(200),
                'pm.test("message and new token", () => { const b = pm.response.json(); '
                'pm.expect(b.message).to.eql("Password updated successfully"); pm.expect(b.token).to.be.a("string"); });',
                'pm.collectionVariables.set("token", pm.response.json().token);',
                'pm.collectionVariables.set("password", pm.collectionVariables.get("password") + "-2");',
            ],
        ),
        request(
            "Token from before the password change (401)",
            "GET",
            "/api/v1/auth/me",
            auth="old_token",
            tests=[status(401), error_is("Token has been revoked. Please log in again.")],
        ),
        request(
            "Logout",
            "POST",
            "/api/v1/auth/logout",
            pre=['pm.collectionVariables.set("old_token", pm.collectionVariables.get("token"));'],
            tests=[status(200), message_is("Logged out successfully")],
        ),
        request(
            "Revoked token (401)",
            "GET",
            "/api/v1/auth/me",
            auth="old_token",
            tests=[status(401), error_is("Token has been revoked. Please log in again.")],
        ),
        request(
            "Re-login by username",
            "POST",
            "/api/v1/auth/login",
            auth=None,
            body='{"username": "{{username}}", "password": "{{password}}"}',
            tests=[status(200), 'pm.collectionVariables.set("token", pm.response.json().token);'],
        ),
    ],
)

cors = folder(
    "CORS",
    "Preflights: an allowed origin gets the CORS headers, any other origin none (both 204).",
    [
        request(
            "Preflight from an allowed origin",
            "OPTIONS",
            "/api/v1/rooms",
            auth=None,
            headers={
                "Origin": "{{allowed_origin}}",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization, content-type",
            },
            tests=[
                status(204),
                'pm.test("allow origin", () => pm.expect(pm.response.headers.get("Access-Control-Allow-Origin"))'
                '.to.eql(pm.collectionVariables.get("allowed_origin")));',
                'pm.test("allow methods", () => pm.expect(pm.response.headers.get("Access-Control-Allow-Methods")).to.include("PATCH"));',
            ],
        ),
        request(
            "Preflight from another origin",
            "OPTIONS",
            "/api/v1/rooms",
            auth=None,
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
            tests=[
                status(204),
                'pm.test("no allow origin", () => pm.expect(pm.response.headers.has("Access-Control-Allow-Origin")).to.be.false);',
            ],
        ),
    ],
)

users = folder(
    "Users",
    "Search and profiles (public shape: no email).",
    [
        request(
            "Search users",
            "GET",
            "/api/v1/users/search?q={{run}}",
            tests=[
                status(200),
                "const found = pm.response.json().data;",
                'pm.test("finds user 2, not me", () => { const names = found.map(u => u.username); '
                'pm.expect(names).to.include(pm.collectionVariables.get("username2")); '
                'pm.expect(names).to.not.include(pm.collectionVariables.get("username")); });',
                'pm.test("no emails", () => found.forEach(u => pm.expect(u).to.not.have.property("email")));',
            ],
        ),
        request(
            "Search with an empty query (400)",
            "GET",
            "/api/v1/users/search?q=",
            tests=[status(400)],
        ),
        request(
            "User by id",
            "GET",
            "/api/v1/users/{{user2_id}}",
            tests=[
                status(200),
                'pm.test("public user", () => { const u = pm.response.json(); '
                'pm.expect(u.id).to.eql(pm.collectionVariables.get("user2_id")); pm.expect(u).to.not.have.property("email"); });',
            ],
        ),
        request(
            "Unknown user (404)",
            "GET",
            "/api/v1/users/00000000-0000-4000-8000-000000000000",
            tests=[status(404), error_is("User not found")],
        ),
    ],
)

ROOM_SHAPE = (
    'pm.expect(r).to.include.keys("id", "name", "description", "type", "created_by", "creator", "member_count");'
)

rooms = folder(
    "Rooms",
    "User 1 creates a public and a private room; user 2 joins, reads, leaves.",
    [
        request(
            "Create a public room",
            "POST",
            "/api/v1/rooms",
            body='{"name": "Postman {{run}}", "description": "made by newman", "type": "public"}',
            tests=[
                status(201),
                "const r = pm.response.json();",
                'pm.test("room with me as admin", () => { ' + ROOM_SHAPE + " "
                'pm.expect(r.type).to.eql("public"); pm.expect(r.members).to.have.length(1); '
                'pm.expect(r.members[0].role).to.eql("admin"); });',
                'pm.collectionVariables.set("room_id", r.id);',
            ],
        ),
        request(
            "Create a private room",
            "POST",
            "/api/v1/rooms",
            body='{"name": "Secret {{run}}", "type": "private"}',
            tests=[status(201), 'pm.collectionVariables.set("private_room_id", pm.response.json().id);'],
        ),
        request(
            "Create a direct room (400)",
            "POST",
            "/api/v1/rooms",
            body={"name": "not allowed", "type": "direct"},
            tests=[status(400)],
        ),
        request(
            "List public rooms",
            "GET",
            "/api/v1/rooms?page=1&limit=50",
            tests=[
                status(200),
                "const b = pm.response.json();",
                'pm.test("page shape", () => pm.expect(b).to.include.keys("data", "total", "page", "limit", "total_pages"));',
                'pm.test("has the public room, not the private one", () => { const ids = b.data.map(r => r.id); '
                'pm.expect(ids).to.include(pm.collectionVariables.get("room_id")); '
                'pm.expect(ids).to.not.include(pm.collectionVariables.get("private_room_id")); });',
            ],
        ),
        request(
            "Room detail",
            "GET",
            "/api/v1/rooms/{{room_id}}",
            tests=[
                status(200),
                "const r = pm.response.json();",
                'pm.test("detail", () => { ' + ROOM_SHAPE + ' pm.expect(r.members).to.be.an("array"); });',
            ],
        ),
        request(
            "Private room is 404 to an outsider",
            "GET",
            "/api/v1/rooms/{{private_room_id}}",
            auth="token2",
            tests=[status(404), error_is("Room not found")],
        ),
        request(
            "User 2 cannot join the private room (403)",
            "POST",
            "/api/v1/rooms/{{private_room_id}}/join",
            auth="token2",
            tests=[status(403), error_is("This room is private")],
        ),
        request(
            "User 2 joins the public room",
            "POST",
            "/api/v1/rooms/{{room_id}}/join",
            auth="token2",
            tests=[status(200), message_is("Joined room successfully")],
        ),
        request(
            "Admin adds user 2 to the private room",
            "POST",
            "/api/v1/rooms/{{private_room_id}}/members",
            body='{"user_id": "{{user2_id}}"}',
            tests=[
                status(201),
                'pm.test("member", () => { const m = pm.response.json(); '
                'pm.expect(m.user_id).to.eql(pm.collectionVariables.get("user2_id")); pm.expect(m.role).to.eql("member"); });',
            ],
        ),
        request(
            "Adding an existing member (409)",
            "POST",
            "/api/v1/rooms/{{private_room_id}}/members",
            body='{"user_id": "{{user2_id}}"}',
            tests=[status(409)],
        ),
        request(
            "My rooms",
            "GET",
            "/api/v1/rooms/me",
            auth="token2",
            tests=[
                status(200),
                'pm.test("both rooms with unread counts", () => { const rooms = pm.response.json().data; '
                "const ids = rooms.map(r => r.id); "
                'pm.expect(ids).to.include.members([pm.collectionVariables.get("room_id"), pm.collectionVariables.get("private_room_id")]); '
                'rooms.forEach(r => pm.expect(r).to.include.keys("unread_count", "last_message")); });',
            ],
        ),
        request(
            "Plain member cannot delete the room (403)",
            "DELETE",
            "/api/v1/rooms/{{room_id}}",
            auth="token2",
            tests=[status(403)],
        ),
    ],
)

messages = folder(
    "Messages",
    "Send, page, scroll back and catch up with cursors, edit, delete.",
    [
        request(
            "Send a message",
            "POST",
            "/api/v1/rooms/{{room_id}}/messages",
            body='{"content": "Hello from Postman", "client_msg_id": "pm-{{run}}-1"}',
            tests=[
                status(201),
                "const m = pm.response.json();",
                'pm.test("message", () => { pm.expect(m.content).to.eql("Hello from Postman"); pm.expect(m.type).to.eql("text"); '
                'pm.expect(m.room_id).to.eql(pm.collectionVariables.get("room_id")); '
                'pm.expect(m.sender.id).to.eql(pm.collectionVariables.get("user_id")); pm.expect(m.is_edited).to.be.false; });',
                'pm.collectionVariables.set("message_id", m.id);',
            ],
        ),
        request(
            "Resend with the same client_msg_id (200, same message)",
            "POST",
            "/api/v1/rooms/{{room_id}}/messages",
            body='{"content": "Hello from Postman", "client_msg_id": "pm-{{run}}-1"}',
            tests=[
                status(200),
                'pm.test("same id", () => pm.expect(pm.response.json().id).to.eql(pm.collectionVariables.get("message_id")));',
            ],
        ),
        request(
            "User 2 replies",
            "POST",
            "/api/v1/rooms/{{room_id}}/messages",
            auth="token2",
            body='{"content": "Hi back", "reply_to_id": "{{message_id}}"}',
            tests=[
                status(201),
                'pm.test("reply_to", () => pm.expect(pm.response.json().reply_to.id).to.eql(pm.collectionVariables.get("message_id")));',
                'pm.collectionVariables.set("message2_id", pm.response.json().id);',
            ],
        ),
        request(
            "Third message",
            "POST",
            "/api/v1/rooms/{{room_id}}/messages",
            body={"content": "Third"},
            tests=[status(201), 'pm.collectionVariables.set("message3_id", pm.response.json().id);'],
        ),
        request(
            "Empty message (400)",
            "POST",
            "/api/v1/rooms/{{room_id}}/messages",
            body={"content": "   "},
            tests=[status(400)],
        ),
        request(
            "History (page)",
            "GET",
            "/api/v1/rooms/{{room_id}}/messages?page=1&limit=2",
            tests=[
                status(200),
                "const b = pm.response.json();",
                'pm.test("newest first, paged", () => { pm.expect(b.total).to.eql(3); pm.expect(b.total_pages).to.eql(2); '
                'pm.expect(b.data.map(m => m.id)).to.eql([pm.collectionVariables.get("message3_id"), pm.collectionVariables.get("message2_id")]); });',
            ],
        ),
        request(
            "Older messages (before cursor)",
            "GET",
            "/api/v1/rooms/{{room_id}}/messages?before={{message2_id}}&limit=10",
            tests=[
                status(200),
                "const b = pm.response.json();",
                'pm.test("only the first", () => { pm.expect(b.data.map(m => m.id)).to.eql([pm.collectionVariables.get("message_id")]); '
                "pm.expect(b.has_more).to.be.false; });",
            ],
        ),
        request(
            "Newer messages (after cursor)",
            "GET",
            "/api/v1/rooms/{{room_id}}/messages?after={{message_id}}&limit=1",
            tests=[
                status(200),
                "const b = pm.response.json();",
                'pm.test("oldest first, more to come", () => { pm.expect(b.data.map(m => m.id)).to.eql([pm.collectionVariables.get("message2_id")]); '
                "pm.expect(b.has_more).to.be.true; pm.expect(b.limit).to.eql(1); });",
            ],
        ),
        request(
            "Both cursors (400)",
            "GET",
            "/api/v1/rooms/{{room_id}}/messages?after={{message_id}}&before={{message3_id}}",
            tests=[status(400)],
        ),
        request(
            "Edit my latest message",
            "PATCH",
            "/api/v1/messages/{{message3_id}}",
            body={"content": "Third (edited)"},
            tests=[
                status(200),
                'pm.test("edited", () => { const m = pm.response.json(); pm.expect(m.content).to.eql("Third (edited)"); pm.expect(m.is_edited).to.be.true; });',
            ],
        ),
        request(
            "Editing someone else's message (403)",
            "PATCH",
            "/api/v1/messages/{{message3_id}}",
            auth="token2",
            body={"content": "not mine"},
            tests=[status(403)],
        ),
        request(
            "User 2 marks the room read",
            "POST",
            "/api/v1/rooms/{{room_id}}/read",
            auth="token2",
            tests=[status(200), message_is("Marked as read")],
        ),
        request(
            "Editing a message another member has read (403)",
            "PATCH",
            "/api/v1/messages/{{message3_id}}",
            body={"content": "too late"},
            tests=[status(403)],
        ),
        request(
            "Room admin deletes user 2's message",
            "DELETE",
            "/api/v1/messages/{{message2_id}}",
            tests=[status(200), message_is("Message deleted successfully")],
        ),
        request(
            "Deleted message keeps its place",
            "GET",
            "/api/v1/rooms/{{room_id}}/messages?after={{message_id}}&limit=1",
            tests=[
                status(200),
                'pm.test("soft-deleted", () => { const m = pm.response.json().data[0]; '
                'pm.expect(m.id).to.eql(pm.collectionVariables.get("message2_id")); pm.expect(m.is_deleted).to.be.true; pm.expect(m.content).to.eql(""); });',
            ],
        ),
        request(
            "Private room messages are 404 to an outsider",
            "GET",
            "/api/v1/rooms/{{private_room_id}}/messages",
            auth="token3",
            pre=[
                "// A third user, registered here, who belongs to no room.",
                "pm.sendRequest({url: pm.variables.get('base_url') + '/api/v1/auth/register', method: 'POST',",
                "  header: {'Content-Type': 'application/json'},",
                "  body: {mode: 'raw', raw: JSON.stringify({username: 'pm' + pm.collectionVariables.get('run') + 'c',",
                "    email: 'pm' + pm.collectionVariables.get('run') + 'c@example.com', password: 'secret123'})}},",
                "  (err, res) => { pm.collectionVariables.set('token3', res.json().token); });",
            ],
            tests=[status(404), error_is("Room not found")],
        ),
    ],
)

dms = folder(
    "Direct messages",
    "One room per pair: created once, then found again.",
    [
        request(
            "Start a DM",
            "POST",
            "/api/v1/dm",
            body='{"recipient_id": "{{user2_id}}"}',
            tests=[
                status(201),
                'pm.test("direct room with both", () => { const r = pm.response.json(); pm.expect(r.type).to.eql("direct"); '
                "pm.expect(r.members).to.have.length(2); });",
                'pm.collectionVariables.set("dm_room_id", pm.response.json().id);',
            ],
        ),
        request(
            "The other side gets the same room (200)",
            "POST",
            "/api/v1/dm",
            auth="token2",
            body='{"recipient_id": "{{user_id}}"}',
            tests=[
                status(200),
                'pm.test("same room", () => pm.expect(pm.response.json().id).to.eql(pm.collectionVariables.get("dm_room_id")));',
            ],
        ),
        request(
            "DM yourself (400)",
            "POST",
            "/api/v1/dm",
            body='{"recipient_id": "{{user_id}}"}',
            tests=[status(400)],
        ),
        request(
            "Send in the DM",
            "POST",
            "/api/v1/rooms/{{dm_room_id}}/messages",
            body={"content": "Psst"},
            tests=[status(201)],
        ),
        request(
            "List my DMs",
            "GET",
            "/api/v1/dm",
            auth="token2",
            tests=[
                status(200),
                'pm.test("conversation with user 1, unread 1", () => { const c = pm.response.json().data.find(c => c.room.id === pm.collectionVariables.get("dm_room_id")); '
                'pm.expect(c.other_user.id).to.eql(pm.collectionVariables.get("user_id")); pm.expect(c.unread_count).to.eql(1); '
                'pm.expect(c.last_message.content).to.eql("Psst"); });',
            ],
        ),
        request(
            "DM history has partner_read_at",
            "GET",
            "/api/v1/rooms/{{dm_room_id}}/messages",
            auth="token2",
            tests=[
                status(200),
                'pm.test("partner_read_at", () => pm.expect(pm.response.json()).to.have.property("partner_read_at"));',
            ],
        ),
        request(
            "A DM cannot be left (400)",
            "POST",
            "/api/v1/rooms/{{dm_room_id}}/leave",
            tests=[status(400)],
        ),
    ],
)

uploads = folder(
    "Upload",
    "A small PNG (docs/postman/sample.png; run newman from the repository root), sent as an image message and set as avatar.",
    [
        request(
            "Upload an image",
            "POST",
            "/api/v1/upload",
            form_file="docs/postman/sample.png",
            tests=[
                status(201),
                "const f = pm.response.json();",
                'pm.test("image upload", () => { pm.expect(f.is_image).to.be.true; pm.expect(f.mime).to.eql("image/png"); '
                'pm.expect(f.width).to.eql(8); pm.expect(f.height).to.eql(8); pm.expect(f.file_name).to.eql("sample.png"); '
                'pm.expect(f.url).to.match(/\\/media\\/uploads\\/[0-9a-f]{32}\\.png$/); pm.expect(f.thumbnail_url).to.be.a("string"); });',
                'pm.collectionVariables.set("upload_url", f.url);',
                'pm.collectionVariables.set("upload_path", f.url.replace(/^https?:\\/\\/[^/]+/, ""));',
            ],
        ),
        request(
            "Upload without a file (400)",
            "POST",
            "/api/v1/upload",
            headers={"Content-Type": "multipart/form-data; boundary=x"},
            body="--x--\r\n",
            tests=[status(400)],
        ),
        request(
            "Fetch the stored file",
            "GET",
            "{{upload_path}}",
            auth=None,
            tests=[
                status(200),
                'pm.test("served safely", () => { pm.expect(pm.response.headers.get("Content-Type")).to.eql("image/png"); '
                'pm.expect(pm.response.headers.get("X-Content-Type-Options")).to.eql("nosniff"); '
                'pm.expect(pm.response.headers.get("Content-Security-Policy")).to.include("sandbox"); });',
            ],
        ),
        request(
            "Send it as an image message",
            "POST",
            "/api/v1/rooms/{{room_id}}/messages",
            body='{"type": "image", "content": "a red square", "file_url": "{{upload_url}}", "file_name": "sample.png"}',
            tests=[
                status(201),
                'pm.test("image message", () => { const m = pm.response.json(); pm.expect(m.type).to.eql("image"); pm.expect(m.file_size).to.be.above(0); });',
            ],
        ),
        request(
            "Someone else's upload cannot be sent (400)",
            "POST",
            "/api/v1/rooms/{{room_id}}/messages",
            auth="token2",
            body='{"type": "image", "file_url": "{{upload_url}}", "file_name": "sample.png"}',
            tests=[status(400)],
        ),
        request(
            "Set it as my avatar",
            "PATCH",
            "/api/v1/auth/me",
            body='{"avatar": "{{upload_url}}"}',
            tests=[
                status(200),
                'pm.test("avatar", () => pm.expect(pm.response.json().avatar).to.include("/media/uploads/"));',
            ],
        ),
    ],
)

# Emoji travel URL-encoded in the path; the tests decode the same strings to compare.
THUMBS_UP = "%F0%9F%91%8D"
HEART_UNQUALIFIED = "%E2%9D%A4"
HEART = "%E2%9D%A4%EF%B8%8F"
WOMAN_TECHNOLOGIST_MEDIUM = "%F0%9F%91%A9%F0%9F%8F%BD%E2%80%8D%F0%9F%92%BB"
SKIN_TONE_ALONE = "%F0%9F%8F%BD"


def emoji(encoded: str) -> str:
    return f'decodeURIComponent("{encoded}")'


def reactions_are(*expected: tuple[str, int]) -> str:
    """A test that the message's reactions are exactly these emoji with these counts, in order."""
    pairs = ", ".join(f"[{emoji(encoded)}, {count}]" for encoded, count in expected)
    return (
        'pm.test("reactions", () => pm.expect(pm.response.json().reactions.map(r => [r.emoji, r.count]))'
        f".to.eql([{pairs}]));"
    )


def ids_are(*variables: str) -> str:
    listed = ", ".join(f'pm.collectionVariables.get("{name}")' for name in variables)
    return f'pm.test("messages", () => pm.expect(pm.response.json().data.map(m => m.id)).to.eql([{listed}]));'


# A moment after the previous changed_at (or after the message was sent), as an ISO time.
CHANGED_AT_MOVES = (
    'pm.test("changed_at moves on", () => { const m = pm.response.json(); '
    "pm.expect(m.changed_at).to.match(/^\\d{4}-\\d\\d-\\d\\dT/); "
    'const before = pm.collectionVariables.get("react_changed_at") || m.created_at; '
    "pm.expect(Date.parse(m.changed_at)).to.be.at.least(Date.parse(before)); "
    'pm.collectionVariables.set("react_changed_at", m.changed_at); });'
)
# Reactions and pins are not edits: is_edited and updated_at stay as they were at the send.
NOT_AN_EDIT = (
    'pm.test("not an edit", () => { const m = pm.response.json(); pm.expect(m.is_edited).to.be.false; '
    'pm.expect(m.updated_at).to.eql(pm.collectionVariables.get("react_updated_at")); });'
)

reactions_and_pins = folder(
    "Reactions and pins",
    "User 1 sends a message; both users react (one emoji each time, URL-encoded) and pin it; refusals: "
    "not one emoji, outsiders, deleted messages, removing what is not there. `changed_at` is null until "
    "a reaction or a pin changes the message, then moves forward; neither counts as an edit.",
    [
        request(
            "Send a message to react to",
            "POST",
            "/api/v1/rooms/{{room_id}}/messages",
            body={"content": "React to me"},
            tests=[
                status(201),
                "const m = pm.response.json();",
                'pm.test("nothing on it yet", () => { pm.expect(m.reactions).to.eql([]); pm.expect(m.pinned).to.be.false; '
                "pm.expect(m.changed_at).to.be.null; });",
                'pm.collectionVariables.set("react_message_id", m.id);',
                'pm.collectionVariables.set("react_updated_at", m.updated_at);',
                'pm.collectionVariables.set("react_changed_at", "");',
            ],
        ),
        request(
            "User 2 reacts 👍 (201)",
            "PUT",
            f"/api/v1/messages/{{{{react_message_id}}}}/reactions/{THUMBS_UP}",
            auth="token2",
            tests=[
                status(201),
                reactions_are((THUMBS_UP, 1)),
                'pm.test("user_ids", () => pm.expect(pm.response.json().reactions[0].user_ids)'
                '.to.eql([pm.collectionVariables.get("user2_id")]));',
                CHANGED_AT_MOVES,
                NOT_AN_EDIT,
            ],
        ),
        request(
            "The same reaction again (200)",
            "PUT",
            f"/api/v1/messages/{{{{react_message_id}}}}/reactions/{THUMBS_UP}",
            auth="token2",
            tests=[status(200), reactions_are((THUMBS_UP, 1))],
        ),
        request(
            "An unqualified ❤ counts as ❤️",
            "PUT",
            f"/api/v1/messages/{{{{react_message_id}}}}/reactions/{HEART_UNQUALIFIED}",
            tests=[status(201), reactions_are((THUMBS_UP, 1), (HEART, 1)), CHANGED_AT_MOVES],
        ),
        request(
            "A skin tone and ZWJ sequence is one emoji",
            "PUT",
            f"/api/v1/messages/{{{{react_message_id}}}}/reactions/{WOMAN_TECHNOLOGIST_MEDIUM}",
            tests=[status(201), reactions_are((THUMBS_UP, 1), (HEART, 1), (WOMAN_TECHNOLOGIST_MEDIUM, 1))],
        ),
        request(
            "User 2 adds ❤️ too",
            "PUT",
            f"/api/v1/messages/{{{{react_message_id}}}}/reactions/{HEART}",
            auth="token2",
            tests=[
                status(201),
                reactions_are((THUMBS_UP, 1), (HEART, 2), (WOMAN_TECHNOLOGIST_MEDIUM, 1)),
                'pm.test("both reactors", () => pm.expect(pm.response.json().reactions[1].user_ids).to.have.members('
                '[pm.collectionVariables.get("user_id"), pm.collectionVariables.get("user2_id")]));',
            ],
        ),
        request(
            "Text is not an emoji (400)",
            "PUT",
            "/api/v1/messages/{{react_message_id}}/reactions/ok",
            tests=[status(400), error_is("emoji must be a single emoji")],
        ),
        request(
            "Two emoji are not one (400)",
            "PUT",
            f"/api/v1/messages/{{{{react_message_id}}}}/reactions/{THUMBS_UP}{THUMBS_UP}",
            tests=[status(400), error_is("emoji must be a single emoji")],
        ),
        request(
            "A skin tone alone is not an emoji (400)",
            "PUT",
            f"/api/v1/messages/{{{{react_message_id}}}}/reactions/{SKIN_TONE_ALONE}",
            tests=[status(400), error_is("emoji must be a single emoji")],
        ),
        request(
            "An outsider cannot react (404)",
            "PUT",
            f"/api/v1/messages/{{{{react_message_id}}}}/reactions/{THUMBS_UP}",
            auth="token3",
            tests=[status(404), error_is("Message not found")],
        ),
        request(
            "No reactions on a deleted message (400)",
            "PUT",
            f"/api/v1/messages/{{{{message2_id}}}}/reactions/{THUMBS_UP}",
            tests=[status(400), error_is("Message has been deleted")],
        ),
        request(
            "User 2 removes 👍",
            "DELETE",
            f"/api/v1/messages/{{{{react_message_id}}}}/reactions/{THUMBS_UP}",
            auth="token2",
            tests=[
                status(200),
                reactions_are((HEART, 2), (WOMAN_TECHNOLOGIST_MEDIUM, 1)),
                CHANGED_AT_MOVES,
                NOT_AN_EDIT,
            ],
        ),
        request(
            "Removing a reaction you do not have (404)",
            "DELETE",
            f"/api/v1/messages/{{{{react_message_id}}}}/reactions/{THUMBS_UP}",
            auth="token2",
            tests=[status(404), error_is("You have not reacted with this emoji")],
        ),
        request(
            "No pins yet",
            "GET",
            "/api/v1/rooms/{{room_id}}/pins",
            tests=[status(200), 'pm.test("empty", () => pm.expect(pm.response.json().data).to.eql([]));'],
        ),
        request(
            "User 2 pins the message (201)",
            "PUT",
            "/api/v1/rooms/{{room_id}}/pins/{{react_message_id}}",
            auth="token2",
            tests=[
                status(201),
                "const m = pm.response.json();",
                'pm.test("pinned by user 2", () => { pm.expect(m.id).to.eql(pm.collectionVariables.get("react_message_id")); '
                'pm.expect(m.pinned).to.be.true; pm.expect(m.pinned_by.id).to.eql(pm.collectionVariables.get("user2_id")); '
                'pm.expect(m.pinned_at).to.be.a("string"); });',
                CHANGED_AT_MOVES,
                NOT_AN_EDIT,
            ],
        ),
        request(
            "Pinning it again keeps the first pinner (200)",
            "PUT",
            "/api/v1/rooms/{{room_id}}/pins/{{react_message_id}}",
            tests=[
                status(200),
                'pm.test("still user 2\'s pin", () => pm.expect(pm.response.json().pinned_by.id)'
                '.to.eql(pm.collectionVariables.get("user2_id")));',
            ],
        ),
        request(
            "User 1 pins the edited message",
            "PUT",
            "/api/v1/rooms/{{room_id}}/pins/{{message3_id}}",
            tests=[
                status(201),
                'pm.test("pinned by me", () => pm.expect(pm.response.json().pinned_by.id).to.eql(pm.collectionVariables.get("user_id")));',
            ],
        ),
        request(
            "Pins, newest first",
            "GET",
            "/api/v1/rooms/{{room_id}}/pins",
            auth="token2",
            tests=[
                status(200),
                ids_are("message3_id", "react_message_id"),
                'pm.test("each a message with its pin", () => pm.response.json().data.forEach(m => { '
                'pm.expect(m).to.include.keys("content", "reactions", "pinned_by", "pinned_at"); pm.expect(m.pinned).to.be.true; }));',
            ],
        ),
        request(
            "A message of another room cannot be pinned here (404)",
            "PUT",
            "/api/v1/rooms/{{private_room_id}}/pins/{{react_message_id}}",
            tests=[status(404), error_is("Message not found")],
        ),
        request(
            "A deleted message cannot be pinned (400)",
            "PUT",
            "/api/v1/rooms/{{room_id}}/pins/{{message2_id}}",
            tests=[status(400), error_is("Message has been deleted")],
        ),
        request(
            "An outsider cannot see a public room's pins (403)",
            "GET",
            "/api/v1/rooms/{{room_id}}/pins",
            auth="token3",
            tests=[status(403), error_is("You are not a member of this room")],
        ),
        request(
            "A private room's pins are 404 to an outsider",
            "GET",
            "/api/v1/rooms/{{private_room_id}}/pins",
            auth="token3",
            tests=[status(404), error_is("Room not found")],
        ),
        request(
            "User 2 unpins the edited message",
            "DELETE",
            "/api/v1/rooms/{{room_id}}/pins/{{message3_id}}",
            auth="token2",
            tests=[
                status(200),
                'pm.test("unpinned", () => { const m = pm.response.json(); pm.expect(m.id).to.eql(pm.collectionVariables.get("message3_id")); '
                'pm.expect(m.pinned).to.be.false; pm.expect(m.changed_at).to.be.a("string"); });',
            ],
        ),
        request(
            "Unpinning a message that is not pinned (404)",
            "DELETE",
            "/api/v1/rooms/{{room_id}}/pins/{{message3_id}}",
            tests=[status(404), error_is("Message is not pinned")],
        ),
    ],
)

mentions = folder(
    "Mentions and notifications",
    "User 2's notification level for the room; user 1 mentions user 2 by name and everyone with @room "
    "(not inside code); user 2's unread and mention counts and mentions inbox.",
    [
        request(
            "User 2's level starts at mentions",
            "GET",
            "/api/v1/rooms/me",
            auth="token2",
            tests=[
                status(200),
                'pm.test("mentions", () => pm.expect(pm.response.json().data.find(r => r.id === pm.collectionVariables.get("room_id"))'
                '.notify_level).to.eql("mentions"));',
            ],
        ),
        request(
            "User 2 wants every message",
            "PATCH",
            "/api/v1/rooms/{{room_id}}/notifications",
            auth="token2",
            body={"level": "all"},
            tests=[
                status(200),
                'pm.test("level", () => pm.expect(pm.response.json()).to.eql({room_id: pm.collectionVariables.get("room_id"), level: "all"}));',
            ],
        ),
        request(
            "An unknown level (400)",
            "PATCH",
            "/api/v1/rooms/{{room_id}}/notifications",
            auth="token2",
            body={"level": "loud"},
            tests=[status(400)],
        ),
        request(
            "An outsider cannot set a level (403)",
            "PATCH",
            "/api/v1/rooms/{{room_id}}/notifications",
            auth="token3",
            body={"level": "nothing"},
            tests=[status(403), error_is("You are not a member of this room")],
        ),
        request(
            "Mention user 2",
            "POST",
            "/api/v1/rooms/{{room_id}}/messages",
            body='{"content": "Ping @{{username2}} about the **deploy**"}',
            tests=[
                status(201),
                "const m = pm.response.json();",
                'pm.test("mentions user 2", () => { pm.expect(m.mentions).to.eql([{id: pm.collectionVariables.get("user2_id"), '
                'username: pm.collectionVariables.get("username2")}]); pm.expect(m.mentions_room).to.be.false; });',
                'pm.test("rendered", () => { pm.expect(m.content_html).to.include(`<span class="mention" '
                'data-user-id="${pm.collectionVariables.get("user2_id")}">@${pm.collectionVariables.get("username2")}</span>`); '
                'pm.expect(m.content_html).to.include("<strong>deploy</strong>"); });',
                'pm.collectionVariables.set("mention_message_id", m.id);',
            ],
        ),
        request(
            "Mention the room",
            "POST",
            "/api/v1/rooms/{{room_id}}/messages",
            body={"content": "@room heads up: deploying at noon"},
            tests=[
                status(201),
                'pm.test("@room", () => { const m = pm.response.json(); pm.expect(m.mentions_room).to.be.true; pm.expect(m.mentions).to.eql([]); });',
                'pm.collectionVariables.set("room_mention_id", pm.response.json().id);',
            ],
        ),
        request(
            "No mention inside code",
            "POST",
            "/api/v1/rooms/{{room_id}}/messages",
            body='{"content": "Not a ping: `@{{username2}}`"}',
            tests=[
                status(201),
                'pm.test("nobody", () => { const m = pm.response.json(); pm.expect(m.mentions).to.eql([]); pm.expect(m.mentions_room).to.be.false; });',
                'pm.collectionVariables.set("code_message_id", pm.response.json().id);',
            ],
        ),
        request(
            "User 2's unread and mention counts",
            "GET",
            "/api/v1/rooms/me",
            auth="token2",
            tests=[
                status(200),
                'const r = pm.response.json().data.find(r => r.id === pm.collectionVariables.get("room_id"));',
                "// Unread since user 2's read mark: the image, the reacted-to message and the three just sent.",
                'pm.test("counts", () => { pm.expect(r.unread_count).to.eql(5); pm.expect(r.mention_count).to.eql(2); '
                'pm.expect(r.notify_level).to.eql("all"); });',
                'pm.test("last message", () => pm.expect(r.last_message.id).to.eql(pm.collectionVariables.get("code_message_id")));',
            ],
        ),
        request(
            "User 2's mentions, newest first",
            "GET",
            "/api/v1/mentions",
            auth="token2",
            tests=[
                status(200),
                ids_are("room_mention_id", "mention_message_id"),
                'pm.test("with their room", () => { const b = pm.response.json(); pm.expect(b.has_more).to.be.false; '
                'b.data.forEach(m => pm.expect(m.room).to.include({id: pm.collectionVariables.get("room_id"), type: "public"})); });',
            ],
        ),
        request(
            "Mentions, one per page",
            "GET",
            "/api/v1/mentions?limit=1",
            auth="token2",
            tests=[
                status(200),
                ids_are("room_mention_id"),
                'pm.test("more", () => { pm.expect(pm.response.json().has_more).to.be.true; pm.expect(pm.response.json().limit).to.eql(1); });',
            ],
        ),
        request(
            "Older mentions (before cursor)",
            "GET",
            "/api/v1/mentions?before={{room_mention_id}}&limit=1",
            auth="token2",
            tests=[
                status(200),
                ids_are("mention_message_id"),
                'pm.test("no more", () => pm.expect(pm.response.json().has_more).to.be.false);',
            ],
        ),
        request(
            "A cursor that is not a mention (404)",
            "GET",
            "/api/v1/mentions?before={{code_message_id}}",
            auth="token2",
            tests=[status(404)],
        ),
        request(
            "User 2 marks the room read again",
            "POST",
            "/api/v1/rooms/{{room_id}}/read",
            auth="token2",
            tests=[status(200), message_is("Marked as read")],
        ),
    ],
)

search = folder(
    "Search and history",
    "User 2 searches the rooms they belong to: words (stemmed, the last one as a prefix), operators, "
    "sorting, pages with next_cursor, refusals; then a link to a message: history around it.",
    [
        request(
            "Search a word",
            "GET",
            "/api/v1/search?q=deploy",
            auth="token2",
            tests=[
                status(200),
                "const b = pm.response.json();",
                "// deploying stems to deploy; newest first.",
                ids_are("room_mention_id", "mention_message_id"),
                'pm.test("page", () => { pm.expect(b.limit).to.eql(20); pm.expect(b.next_cursor).to.be.null; });',
                'pm.test("room and match ranges", () => { const m = b.data[1]; '
                'pm.expect(m.room).to.include({id: pm.collectionVariables.get("room_id"), type: "public"}); '
                "const [start, end] = m.match_ranges[0]; "
                'pm.expect(Array.from(m.content).slice(start, end).join("")).to.eql("deploy"); });',
            ],
        ),
        request(
            "The last word matches as a prefix",
            "GET",
            "/api/v1/search?q=heads%20dep",
            auth="token2",
            tests=[status(200), ids_are("room_mention_id")],
        ),
        request(
            "from: a user",
            "GET",
            "/api/v1/search?q=from:{{username}}%20deploy",
            auth="token2",
            tests=[status(200), ids_are("room_mention_id", "mention_message_id")],
        ),
        request(
            "from: someone else finds nothing",
            "GET",
            "/api/v1/search?q=from:{{username2}}%20deploy",
            auth="token2",
            tests=[status(200), 'pm.test("none", () => pm.expect(pm.response.json().data).to.eql([]));'],
        ),
        request(
            'in: a room name with a space, -"exact phrase"',
            "GET",
            "/api/v1/search?q=in:%22Postman%20{{run}}%22%20deploy%20-%22heads%20up%22",
            auth="token2",
            tests=[status(200), ids_are("mention_message_id")],
        ),
        request(
            "has:image",
            "GET",
            "/api/v1/search?q=has:image",
            auth="token2",
            tests=[
                status(200),
                'pm.test("the image message", () => { const d = pm.response.json().data; pm.expect(d).to.have.length(1); '
                'pm.expect(d[0].type).to.eql("image"); pm.expect(d[0].content).to.eql("a red square"); });',
            ],
        ),
        request(
            "is:mention",
            "GET",
            "/api/v1/search?q=is:mention",
            auth="token2",
            tests=[status(200), ids_are("room_mention_id", "mention_message_id")],
        ),
        request(
            "Operators in a page of 2, sorted by relevance",
            "GET",
            "/api/v1/search?q=from:{{username}}%20in:%22Postman%20{{run}}%22&sort=relevance&limit=2",
            auth="token2",
            tests=[
                status(200),
                "const b = pm.response.json();",
                "// Operators alone sort newest first, whatever sort says.",
                ids_are("code_message_id", "room_mention_id"),
                'pm.test("a cursor", () => pm.expect(b.next_cursor).to.be.a("string"));',
                'pm.collectionVariables.set("search_cursor", encodeURIComponent(b.next_cursor));',
            ],
        ),
        request(
            "The next page",
            "GET",
            "/api/v1/search?q=from:{{username}}%20in:%22Postman%20{{run}}%22&sort=relevance&limit=2&cursor={{search_cursor}}",
            auth="token2",
            tests=[status(200), ids_are("mention_message_id", "react_message_id")],
        ),
        request(
            "Another query's cursor (400)",
            "GET",
            "/api/v1/search?q=deploy&sort=relevance&limit=2&cursor={{search_cursor}}",
            auth="token2",
            tests=[status(400)],
        ),
        request(
            "A bad operator value (400)",
            "GET",
            "/api/v1/search?q=has:banana",
            auth="token2",
            tests=[status(400)],
        ),
        request(
            "An unknown sort (400)",
            "GET",
            "/api/v1/search?q=deploy&sort=oldest",
            auth="token2",
            tests=[status(400)],
        ),
        request(
            "An empty query (400)",
            "GET",
            "/api/v1/search?q=",
            auth="token2",
            tests=[status(400)],
        ),
        request(
            "History around a message",
            "GET",
            "/api/v1/rooms/{{room_id}}/messages?around={{react_message_id}}&limit=3",
            auth="token2",
            tests=[
                status(200),
                "const b = pm.response.json();",
                'pm.test("one before, one after, oldest first", () => { pm.expect(b.data).to.have.length(3); '
                'pm.expect(b.data[0].type).to.eql("image"); '
                'pm.expect(b.data.slice(1).map(m => m.id)).to.eql([pm.collectionVariables.get("react_message_id"), '
                'pm.collectionVariables.get("mention_message_id")]); '
                "pm.expect(b.has_more_before).to.be.true; pm.expect(b.has_more_after).to.be.true; pm.expect(b.limit).to.eql(3); });",
                'pm.test("the message as it is now", () => { const m = b.data[1]; pm.expect(m.pinned).to.be.true; '
                "pm.expect(m.reactions.map(r => [r.emoji, r.count])).to.eql("
                f"[[{emoji(HEART)}, 2], [{emoji(WOMAN_TECHNOLOGIST_MEDIUM)}, 1]]); "
                'pm.expect(m.changed_at).to.eql(pm.collectionVariables.get("react_changed_at")); });',
            ],
        ),
        request(
            "around with another cursor (400)",
            "GET",
            "/api/v1/rooms/{{room_id}}/messages?around={{react_message_id}}&before={{react_message_id}}",
            tests=[status(400), error_is("Use only one of before, after and around")],
        ),
        request(
            "around a message of another room (404)",
            "GET",
            "/api/v1/rooms/{{private_room_id}}/messages?around={{react_message_id}}",
            tests=[status(404)],
        ),
    ],
)

odds_and_ends = folder(
    "Odds and ends",
    "Ranges of a stored file, request ids, ids that are not UUIDs, paging limits, an unknown DM "
    "partner, the API's own documentation.",
    [
        request(
            "A range of the stored file (206)",
            "GET",
            "{{upload_path}}",
            auth=None,
            headers={"Range": "bytes=0-7"},
            tests=[
                status(206),
                'pm.test("the PNG signature", () => { pm.expect(pm.response.headers.get("Content-Range")).to.match(/^bytes 0-7\\/\\d+$/); '
                "pm.expect(pm.response.stream.length).to.eql(8); "
                'pm.expect(pm.response.stream.toString("hex")).to.eql("89504e470d0a1a0a"); });',
            ],
        ),
        request(
            "A range past the end (416)",
            "GET",
            "{{upload_path}}",
            auth=None,
            headers={"Range": "bytes=99999999-"},
            tests=[status(416)],
        ),
        request(
            "X-Request-ID comes back",
            "GET",
            "/health",
            auth=None,
            headers={"X-Request-ID": "pm-{{run}}"},
            tests=[
                status(200),
                'pm.test("same id", () => pm.expect(pm.response.headers.get("X-Request-ID")).to.eql("pm-" + pm.collectionVariables.get("run")));',
            ],
        ),
        request(
            "An id that is not a UUID names nothing (404)",
            "GET",
            "/api/v1/rooms/not-a-uuid",
            tests=[status(404), error_is("Not Found")],
        ),
        request(
            "A limit that is not a number (400)",
            "GET",
            "/api/v1/rooms?limit=many",
            tests=[status(400)],
        ),
        request(
            "A limit above the maximum is lowered",
            "GET",
            "/api/v1/rooms?limit=1000",
            tests=[status(200), 'pm.test("50", () => pm.expect(pm.response.json().limit).to.eql(50));'],
        ),
        request(
            "A DM with an unknown user (404)",
            "POST",
            "/api/v1/dm",
            body={"recipient_id": "00000000-0000-4000-8000-000000000000"},
            tests=[status(404)],
        ),
        request(
            "A form on a JSON-only endpoint (415)",
            "POST",
            "/api/v1/rooms",
            headers={"Content-Type": "multipart/form-data; boundary=x"},
            body="--x--\r\n",
            tests=[status(415)],
        ),
        request(
            "Swagger UI",
            "GET",
            "/api/docs",
            auth=None,
            tests=[
                status(200),
                'pm.test("HTML", () => pm.expect(pm.response.headers.get("Content-Type")).to.include("text/html"));',
            ],
        ),
    ],
)

# The first account on an empty server is its owner: on a fresh database (`make newman` the first
# time) user 1 is, and the owner's requests run; against a server that had users before, they are
# skipped and only what a member is refused is checked.
OWNER_ONLY = ['if (pm.collectionVariables.get("owner") !== "true") pm.execution.skipRequest();']

administration = folder(
    "Workspace administration",
    "Runs in full when user 1 is the server's owner (the first account on an empty server, as with a "
    "fresh `make newman` database); otherwise the owner's requests are skipped. The owner makes user 2 "
    "an admin, creates and revokes an invite, cannot step down as the last owner, and deactivates user 2.",
    [
        request(
            "Is user 1 the owner?",
            "GET",
            "/api/v1/auth/me",
            tests=[
                status(200),
                "const role = pm.response.json().role;",
                'pm.test("a role", () => pm.expect(role).to.be.oneOf(["owner", "admin", "member"]));',
                'pm.collectionVariables.set("owner", String(role === "owner"));',
            ],
        ),
        request(
            "A member cannot list users (403)",
            "GET",
            "/api/v1/admin/users",
            auth="token2",
            tests=[status(403)],
        ),
        request(
            "A member cannot create invites (403)",
            "POST",
            "/api/v1/invites",
            auth="token2",
            body={},
            tests=[status(403)],
        ),
        request(
            "Workspace users",
            "GET",
            "/api/v1/admin/users?q={{run}}&limit=10",
            pre=OWNER_ONLY,
            tests=[
                status(200),
                "const b = pm.response.json();",
                'pm.test("the run\'s users, with emails and roles", () => { '
                'pm.expect(b).to.include.keys("data", "total", "page", "limit", "total_pages"); '
                'const me = b.data.find(u => u.id === pm.collectionVariables.get("user_id")); '
                'pm.expect(me).to.include({role: "owner", is_active: true, email: pm.collectionVariables.get("email")}); '
                'pm.expect(b.data.map(u => u.id)).to.include(pm.collectionVariables.get("user2_id")); });',
            ],
        ),
        request(
            "The owner makes user 2 an admin",
            "PATCH",
            "/api/v1/admin/users/{{user2_id}}",
            pre=OWNER_ONLY,
            body={"role": "admin"},
            tests=[
                status(200),
                'pm.test("admin", () => pm.expect(pm.response.json()).to.include({id: pm.collectionVariables.get("user2_id"), role: "admin"}));',
            ],
        ),
        request(
            "An admin cannot change roles (403)",
            "PATCH",
            "/api/v1/admin/users/{{user_id}}",
            pre=OWNER_ONLY,
            auth="token2",
            body={"role": "member"},
            tests=[status(403), error_is("Only owners can change roles")],
        ),
        request(
            "An admin reads the audit log",
            "GET",
            "/api/v1/admin/audit?limit=5",
            pre=OWNER_ONLY,
            auth="token2",
            tests=[
                status(200),
                'pm.test("the role change, newest first", () => { const e = pm.response.json().data[0]; '
                'pm.expect(e.action).to.eql("role_changed"); pm.expect(e.actor.id).to.eql(pm.collectionVariables.get("user_id")); '
                'pm.expect(e.target.id).to.eql(pm.collectionVariables.get("user2_id")); '
                'pm.expect(e.detail).to.eql({old: "member", new: "admin"}); });',
            ],
        ),
        request(
            "The last owner cannot step down (409)",
            "PATCH",
            "/api/v1/admin/users/{{user_id}}",
            pre=OWNER_ONLY,
            body={"role": "member"},
            tests=[
                status(409),
                error_is("The last owner cannot be demoted, deactivated or deleted: make someone else owner first"),
            ],
        ),
        request(
            "Create an invite",
            "POST",
            "/api/v1/invites",
            pre=OWNER_ONLY,
            body={"max_uses": 2, "expires_in_hours": 24},
            tests=[
                status(201),
                "const i = pm.response.json();",
                'pm.test("code shown once, in the link", () => { pm.expect(i.code).to.be.a("string"); '
                'pm.expect(i.url).to.match(new RegExp("/join/" + i.code + "$")); pm.expect(i).to.include({max_uses: 2, uses: 0}); });',
                'pm.collectionVariables.set("invite_id", i.id);',
            ],
        ),
        request(
            "Invites, without their codes",
            "GET",
            "/api/v1/invites",
            pre=OWNER_ONLY,
            tests=[
                status(200),
                'pm.test("listed", () => { const i = pm.response.json().data.find(i => i.id === pm.collectionVariables.get("invite_id")); '
                'pm.expect(i).to.be.an("object"); pm.expect(i).to.not.have.property("code"); });',
            ],
        ),
        request(
            "Revoke the invite",
            "DELETE",
            "/api/v1/invites/{{invite_id}}",
            pre=OWNER_ONLY,
            tests=[status(200), message_is("Invite revoked")],
        ),
        request(
            "A revoked invite is gone (404)",
            "DELETE",
            "/api/v1/invites/{{invite_id}}",
            pre=OWNER_ONLY,
            tests=[status(404), error_is("Invite not found")],
        ),
        request(
            "The owner deactivates user 2",
            "PATCH",
            "/api/v1/admin/users/{{user2_id}}",
            pre=OWNER_ONLY,
            body={"is_active": False},
            tests=[status(200), 'pm.test("inactive", () => pm.expect(pm.response.json().is_active).to.be.false);'],
        ),
        request(
            "A deactivated user's token is refused (401)",
            "GET",
            "/api/v1/auth/me",
            pre=OWNER_ONLY,
            auth="token2",
            tests=[status(401)],
        ),
    ],
)

account = folder(
    "Sign-in providers and account deletion",
    "What the login page offers (no single sign-on configured here), a sign-in code that is not one, "
    "and user 3 deleting their account.",
    [
        request(
            "Sign-in providers",
            "GET",
            "/api/v1/auth/providers",
            auth=None,
            tests=[
                status(200),
                'pm.test("password, no SSO", () => pm.expect(pm.response.json()).to.eql({password: true, sso: []}));',
            ],
        ),
        request(
            "A sign-in code that is not one (401)",
            "POST",
            "/api/v1/auth/sso/exchange",
            auth=None,
            body={"code": "not-a-code"},
            tests=[status(401), error_is("Invalid or expired sign-in code")],
        ),
        request(
            "Deleting an account needs the password (401)",
            "DELETE",
            "/api/v1/auth/me",
            auth="token3",
            body={"current_password": "wrong-password"},
            tests=[status(401), error_is("Current password is incorrect")],
        ),
        request(
            "User 3 deletes their account",
            "DELETE",
            "/api/v1/auth/me",
            auth="token3",
            body={"current_password": "secret123"},
            tests=[status(200), message_is("Account deleted")],
        ),
        request(
            "A deleted account's token is refused (401)",
            "GET",
            "/api/v1/auth/me",
            auth="token3",
            tests=[status(401)],
        ),
        request(
            "The last owner cannot delete their account (409)",
            "DELETE",
            "/api/v1/auth/me",
            pre=OWNER_ONLY,
            body='{"current_password": "{{password}}"}',
            tests=[status(409)],
        ),
    ],
)

cleanup = folder(
    "Leave and delete",
    "User 2 leaves; the creator deletes the room; it is gone.",
    [
        request(
            "User 2 leaves the public room",
            "POST",
            "/api/v1/rooms/{{room_id}}/leave",
            auth="token2",
            tests=[status(200), message_is("Left room successfully")],
        ),
        request(
            "Creator deletes the room",
            "DELETE",
            "/api/v1/rooms/{{room_id}}",
            tests=[status(200), message_is("Room deleted successfully")],
        ),
        request(
            "Deleted room is 404",
            "GET",
            "/api/v1/rooms/{{room_id}}",
            tests=[status(404)],
        ),
        request(
            "API schema",
            "GET",
            "/api/schema",
            auth=None,
            headers={"Accept": "application/vnd.oai.openapi+json"},
            tests=[status(200), 'pm.test("OpenAPI 3", () => pm.expect(pm.response.text()).to.include("openapi"));'],
        ),
    ],
)

rate_limit = folder(
    "Rate limiter",
    "Last, because it uses up this address's login allowance (RATE_LIMIT_AUTH, 10/m by default): "
    "logins are repeated until one is refused with 429 and Retry-After.",
    [
        request(
            "Login until 429",
            "POST",
            "/api/v1/auth/login",
            auth=None,
            body='{"email": "{{email}}", "password": "wrong-password"}',
            pre=[
                'const n = Number(pm.collectionVariables.get("rate_attempts") || 0) + 1;',
                'pm.collectionVariables.set("rate_attempts", n);',
            ],
            tests=[
                'const n = Number(pm.collectionVariables.get("rate_attempts"));',
                "if (pm.response.code === 401 && n < 25) {",
                '  pm.execution.setNextRequest("Login until 429");',
                "} else {",
                "  " + status(429),
                "  " + error_is("Too many requests"),
                '  pm.test("Retry-After", () => pm.expect(Number(pm.response.headers.get("Retry-After"))).to.be.above(0));',
                "  // 10 logins per fixed window; the loop may straddle one window boundary, hence 2 x 10 + 1.",
                '  pm.test("within the configured 10 per minute", () => pm.expect(n).to.be.at.most(21));',
                '  pm.collectionVariables.set("rate_attempts", 0);',
                "}",
            ],
        ),
    ],
)

collection = {
    "info": {
        "name": "chatapp",
        "description": (
            "Every REST endpoint of chatapp, in order, with tests. Run against a live server with "
            "`make newman` (or `newman run docs/chatapp.postman_collection.json --env-var base_url=http://localhost:8080` "
            "from the repository root). A run makes about 140 API calls in a few seconds: the server's "
            "RATE_LIMIT_API must allow them (`make newman` sets 600/m). Generated by scripts/postman_collection.py."
        ),
        "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json",
    },
    "variable": [
        {"key": "base_url", "value": "http://localhost:8080"},
        {"key": "allowed_origin", "value": "http://localhost:8080"},
        {"key": "password", "value": "secret123"},
        *[
            {"key": key, "value": ""}
            for key in (
                "run",
                "username",
                "email",
                "username2",
                "email2",
                "token",
                "token2",
                "token3",
                "old_token",
                "user_id",
                "user2_id",
                "room_id",
                "private_room_id",
                "message_id",
                "message2_id",
                "message3_id",
                "dm_room_id",
                "upload_url",
                "upload_path",
                "react_message_id",
                "react_updated_at",
                "react_changed_at",
                "mention_message_id",
                "room_mention_id",
                "code_message_id",
                "search_cursor",
                "owner",
                "invite_id",
                "rate_attempts",
            )
        ],
    ],
    "item": [
        health,
        auth,
        cors,
        users,
        rooms,
        messages,
        dms,
        uploads,
        reactions_and_pins,
        mentions,
        search,
        odds_and_ends,
        cleanup,
        administration,
        account,
        rate_limit,
    ],
}

if __name__ == "__main__":
    OUT.write_text(json.dumps(collection, indent=2) + "\n")
    print(f"wrote {OUT.relative_to(OUT.parents[1])}")
