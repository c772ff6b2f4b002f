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
            "from the repository root). Generated by scripts/postman_collection.py."
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
                "rate_attempts",
            )
        ],
    ],
    "item": [health, auth, cors, users, rooms, messages, dms, uploads, cleanup, rate_limit],
}

if __name__ == "__main__":
    OUT.write_text(json.dumps(collection, indent=2) + "\n")
    print(f"wrote {OUT.relative_to(OUT.parents[1])}")
