// A real OpenID provider for the tests (the npm package oidc-provider), on PORT with issuer ISSUER.
// One confidential client (CLIENT_ID / CLIENT_SECRET, REDIRECT_URIS comma-separated), PKCE required.
// The development login form takes any login and password; the login names the account:
//   "someone@example.com"            -> that email, verified
//   "unverified-someone@example.com" -> that email, email_verified false
// Prints "ready <port>" once listening.
import Provider from "oidc-provider";

const { PORT, ISSUER, CLIENT_ID, CLIENT_SECRET, REDIRECT_URIS } = process.env;

function claimsFor(login) {
  const unverified = login.startsWith("unverified-");
  const email = unverified ? login.slice("unverified-".length) : login;
  return {
    sub: login,
    email,
    email_verified: !unverified,
    preferred_username: email.split("@")[0],
    name: email.split("@")[0],
  };
}

const provider = new Provider(ISSUER, {
  clients: [
    {
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      redirect_uris: REDIRECT_URIS.split(","),
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_post",
    },
  ],
  pkce: { required: () => true },
  claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["preferred_username", "name"] },
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ["test-only-cookie-key"] },
  async findAccount(_ctx, id) {
    return { accountId: id, claims: async () => claimsFor(id) };
  },
});

const server = provider.listen(Number(PORT), () => {
  console.log(`ready ${server.address().port}`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
