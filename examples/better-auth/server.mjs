// A minimal Better Auth server for trying todo-api with real Better Auth tokens:
// email and password sign-up, the jwt() plugin (EdDSA keys, 15-minute tokens), SQLite.
// docs/better-auth.md ("Try it locally") walks through it.
//
//   BETTER_AUTH_SECRET   signs Better Auth's session cookies and encrypts its private keys
//                        (at least 32 characters); default: a random one, made on the first
//                        start and kept in AUTH_DB + ".secret", so sessions survive restarts
//   BETTER_AUTH_URL      this server's own URL, as todo-api's BETTER_AUTH_URL must be too
//                        (default http://localhost:3000); the JWTs' iss and aud are its origin
//   PORT                 default: the port of BETTER_AUTH_URL
//   AUTH_DB              SQLite file (default auth.db beside this file)
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { fileURLToPath } from "node:url";

import Database from "better-sqlite3";
import { betterAuth } from "better-auth";
import { getMigrations } from "better-auth/db/migration";
import { toNodeHandler } from "better-auth/node";
import { jwt } from "better-auth/plugins";

const baseURL = process.env.BETTER_AUTH_URL ?? "http://localhost:3000";
const port = Number(process.env.PORT ?? (new URL(baseURL).port || 3000));
const file = process.env.AUTH_DB ?? fileURLToPath(new URL("auth.db", import.meta.url));

function secret() {
  const given = process.env.BETTER_AUTH_SECRET;
  if (given) {
    if (given.length < 32) {
      console.error("BETTER_AUTH_SECRET must be at least 32 characters long");
      process.exit(2);
    }
    return given;
  }
  const path = `${file}.secret`;
  try {
    return readFileSync(path, "utf8").trim();
  } catch (error) {
    if (error.code !== "ENOENT") throw error;
  }
  const made = randomBytes(32).toString("base64url");
  writeFileSync(path, `${made}\n`, { mode: 0o600, flag: "wx" });
  return made;
}

export const auth = betterAuth({
  baseURL,
  secret: secret(),
  database: new Database(file),
  emailAndPassword: { enabled: true },
  telemetry: { enabled: false },
  plugins: [jwt()],
});

// Creates the user, session, account, verification and jwks tables, or adds what is missing
// (what `npx @better-auth/cli migrate` does), so that one command starts everything.
const { runMigrations } = await getMigrations(auth.options);
await runMigrations();

const server = createServer(toNodeHandler(auth));
server.listen(port, "127.0.0.1", () => {
  console.log(`Better Auth on ${baseURL} (listening on 127.0.0.1:${port}, database ${file})`);
});
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => process.exit(0));
}
