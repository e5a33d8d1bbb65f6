import { createHash, randomBytes, scryptSync, timingSafeEqual } from "node:crypto";
import type { Store } from "../store/store.js";
import { AuditLog } from "../store/audit.js";
import { type StoredToken, type StoredUser, UserStore } from "../store/users.js";
import { type Actor, recordChange } from "./actor.js";
import { InputError } from "./errors.js";
import { ROLES, type Role, isRole } from "./permissions.js";

/**
 * People who use serve's API (and the console): local users with a role, a scrypt password
 * hash (node:crypto) and API tokens for scripts. A token is `cdn_` and 32 random bytes
 * (base64url); it is shown once, when made, and only its SHA-256 is kept (a token has 256 bits
 * of entropy: a slow hash would add nothing). Tokens expire (90 days unless told, at most a
 * year) and can be revoked; a disabled user's tokens stop working at once.
 */

const SCRYPT = { N: 1 << 15, r: 8, p: 1, keyLength: 64, maxmem: 64 * 1024 * 1024 };
const NAME = /^[a-z][a-z0-9_.-]{1,31}$/;
const TOKEN = /^cdn_[A-Za-z0-9_-]{43}$/;
export const MIN_PASSWORD = 12;

export function hashPassword(password: string): string {
  const salt = randomBytes(16);
  const key = scryptSync(password, salt, SCRYPT.keyLength, { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p, maxmem: SCRYPT.maxmem });
  return `scrypt$${Math.log2(SCRYPT.N)}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString("base64url")}$${key.toString("base64url")}`;
}

/** Whether `password` is the one `stored` was made from; a malformed hash is never a match. */
export function verifyPassword(password: string, stored: string | undefined): boolean {
  const m = /^scrypt\$(\d{1,2})\$(\d{1,2})\$(\d{1,2})\$([A-Za-z0-9_-]{16,64})\$([A-Za-z0-9_-]{40,128})$/.exec(stored ?? "");
  if (!m || Number(m[1]) < 14 || Number(m[1]) > 20) return false;
  const want = Buffer.from(m[5], "base64url");
  const got = scryptSync(password, Buffer.from(m[4], "base64url"), want.length, { N: 1 << Number(m[1]), r: Number(m[2]), p: Number(m[3]), maxmem: 256 * 1024 * 1024 });
  return timingSafeEqual(got, want);
}

function checkPassword(name: string, password: string): void {
  if (password.length < MIN_PASSWORD) throw new InputError(`a password has at least ${MIN_PASSWORD} characters`);
  if (password.length > 1024) throw new InputError("a password has at most 1024 characters");
  if (password.toLowerCase().includes(name.toLowerCase())) throw new InputError("a password does not contain the user's name");
  if (new Set(password).size < 5) throw new InputError("a password has at least 5 different characters");
}

function checkName(name: string): void {
  if (!NAME.test(name)) throw new InputError(`"${name.slice(0, 64)}" is not a user name (2 to 32 of a-z, 0-9, _ . -, starting with a letter)`);
}

function checkRole(role: string): Role {
  if (!isRole(role)) throw new InputError(`role: "${role.slice(0, 64)}" is not one of ${ROLES.join(", ")}`);
  return role;
}

/** A user without the password hash, as lists show it. */
export type UserView = Omit<StoredUser, "passwordHash" | "id"> & { hasPassword: boolean };

const view = (u: StoredUser): UserView => ({ name: u.name, role: u.role, createdAt: u.createdAt, createdBy: u.createdBy, disabledAt: u.disabledAt, hasPassword: u.passwordHash !== undefined });

/** Adds a user; the first one must be an admin (the one who adds the others). */
export function addUser(store: Store, by: Actor, u: { name: string; role: string; password?: string }): UserView {
  checkName(u.name);
  const role = checkRole(u.role);
  const users = new UserStore(store.sql);
  if (users.count() === 0 && role !== "admin") throw new InputError("the first user is an admin: cordon user add NAME --role admin");
  if (users.byName(u.name)) throw new InputError(`there is already a user ${u.name}`);
  if (u.password !== undefined) checkPassword(u.name, u.password);
  users.add({ name: u.name, role, passwordHash: u.password === undefined ? undefined : hashPassword(u.password), createdAt: new Date().toISOString(), createdBy: by.name });
  recordChange(store, by, { action: "user.add", target: `user ${u.name}`, detail: `role ${role}${u.password === undefined ? ", no password (API tokens only)" : ""}` });
  return view(users.byName(u.name)!);
}

export const listUsers = (store: Store): UserView[] => new UserStore(store.sql).list().map(view);

/** A person changes a user's role, password, or whether it may log in at all. */
export function changeUser(store: Store, by: Actor, name: string, c: { role?: string; password?: string; disabled?: boolean }): UserView {
  const users = new UserStore(store.sql);
  const u = users.byName(name);
  if (!u) throw new InputError(`no user ${name.slice(0, 64)}`);
  const role = c.role === undefined ? undefined : checkRole(c.role);
  if (c.password !== undefined) checkPassword(name, c.password);
  // The last admin who can log in stays: otherwise nobody could add users again but through the database.
  const admins = users.list().filter((x) => x.role === "admin" && x.disabledAt === undefined && x.name !== name);
  if (u.role === "admin" && admins.length === 0 && ((role !== undefined && role !== "admin") || c.disabled === true)) throw new InputError(`${name} is the last admin`);
  users.update(name, { role, passwordHash: c.password === undefined ? undefined : hashPassword(c.password), disabledAt: c.disabled === undefined ? undefined : c.disabled ? new Date().toISOString() : null });
  const what = [role && `role ${role}`, c.password !== undefined && "password changed", c.disabled === true && "disabled", c.disabled === false && "enabled"].filter(Boolean).join("; ");
  recordChange(store, by, { action: "user.change", target: `user ${name}`, detail: what });
  return view(users.byName(name)!);
}

const tokenHash = (token: string): string => createHash("sha256").update(token).digest("hex");

/** Makes an API token for a user; the token itself is in the answer and nowhere else. */
export function createToken(store: Store, by: Actor, t: { user: string; name: string; expiresDays?: number }): { id: number; token: string; expiresAt: string } {
  const users = new UserStore(store.sql);
  const u = users.byName(t.user);
  if (!u) throw new InputError(`no user ${t.user.slice(0, 64)}`);
  if (u.disabledAt) throw new InputError(`${t.user} is disabled`);
  if (!/^[\w .:@-]{1,64}$/.test(t.name)) throw new InputError("a token's name is 1 to 64 letters, digits, spaces and _ . : @ -");
  const days = t.expiresDays ?? 90;
  if (!Number.isInteger(days) || days < 1 || days > 365) throw new InputError("a token expires in 1 to 365 days");
  const token = `cdn_${randomBytes(32).toString("base64url")}`;
  const now = Date.now();
  const expiresAt = new Date(now + days * 86_400_000).toISOString();
  const id = users.addToken({ userId: u.id, name: t.name, tokenHash: tokenHash(token), createdAt: new Date(now).toISOString(), expiresAt });
  recordChange(store, by, { action: "token.add", target: `user ${u.name}`, detail: `token ${id} "${t.name}", expires ${expiresAt}` });
  return { id, token, expiresAt };
}

export const listTokens = (store: Store): StoredToken[] => new UserStore(store.sql).tokens();

export function revokeToken(store: Store, by: Actor, id: number): void {
  if (!Number.isSafeInteger(id) || !new UserStore(store.sql).revokeToken(id, new Date().toISOString())) throw new InputError(`no token ${Number.isSafeInteger(id) ? id : ""} that is not revoked already`);
  recordChange(store, by, { action: "token.revoke", target: `token ${id}`, detail: "" });
}

/** Whether the text has the shape of a user's API token (the service token has another). */
export const looksLikeUserToken = (t: string): boolean => TOKEN.test(t);

/** How fresh a token's "last used" time is kept. */
export const TOKEN_USE_RESOLUTION_MS = 60_000;

/** The user and role a token stands for now: not revoked, not expired, its user not disabled. */
export function authenticateToken(store: Store, token: string, now = new Date()): { user: string; role: Role; tokenId: number } | undefined {
  if (!TOKEN.test(token)) return undefined;
  const users = new UserStore(store.sql);
  const t = users.tokenByHash(tokenHash(token));
  if (!t || t.revokedAt || t.userDisabledAt || !isRole(t.role)) return undefined;
  if (t.expiresAt !== undefined && t.expiresAt <= now.toISOString()) return undefined;
  // Last use to the minute: a write per request would also drop the API reader's page cache at every call.
  if (t.lastUsedAt === undefined || now.getTime() - Date.parse(t.lastUsedAt) >= TOKEN_USE_RESOLUTION_MS) users.tokenUsed(t.id, now.toISOString());
  return { user: t.user, role: t.role, tokenId: t.id };
}

/** Failed logins in a row that lock a user, and for how long. */
export const LOGIN_LIMIT = 5;
export const LOCK_MINUTES = 15;
/** A console session lasts this long from login (then the person logs in again). */
export const SESSION_HOURS = 12;
const SESSION = /^[A-Za-z0-9_-]{43}$/;

export class LoginRefused extends Error {}

/**
 * A person logs in with name and password: a session token (for an httpOnly cookie) and a
 * CSRF token (the console sends it back in a header with every change). Five failures in a
 * row lock the user for 15 minutes, whatever password comes next; every attempt is audited.
 * The same answer for an unknown name and a wrong password.
 */
export function login(store: Store, name: string, password: string, peer: string, now = new Date()): { session: string; csrf: string; user: string; role: Role; expiresAt: string } {
  const users = new UserStore(store.sql);
  const u = NAME.test(name) ? users.byName(name) : undefined;
  const by: Actor = { principal: `user:${u?.name ?? "unknown"}`, name: u?.name ?? name.slice(0, 32).replace(/[^\w.@-]/g, "?"), via: "api", peer, ...(u ? { role: u.role } : {}) };
  const refuse = (why: string, audited: string): never => {
    new AuditLog(store.sql).append({ at: now.toISOString(), principal: by.principal, actor: by.name, via: "api", peer, action: "login", target: `user ${by.name}`, outcome: "refused", detail: audited, ...(u ? { role: u.role } : {}) });
    throw new LoginRefused(why);
  };
  if (!u || u.passwordHash === undefined) {
    // As slow as a real check, so a name's existence does not show in the time taken.
    verifyPassword(password, (dummyHash ??= hashPassword(randomBytes(16).toString("hex"))));
    return refuse("wrong name or password", u ? "no password set" : "no such user");
  }
  if (u.disabledAt) return refuse("wrong name or password", "user disabled");
  const locked = users.lockedUntil(u.id);
  if (locked !== undefined && locked > now.toISOString()) return refuse(`too many failed logins: locked until ${locked}`, `locked until ${locked}`);
  if (!verifyPassword(password, u.passwordHash)) {
    const n = users.loginFailed(u.id, LOGIN_LIMIT, new Date(now.getTime() + LOCK_MINUTES * 60_000).toISOString());
    return refuse(n >= LOGIN_LIMIT ? `too many failed logins: locked for ${LOCK_MINUTES} minutes` : "wrong name or password", `wrong password (${n} in a row)`);
  }
  if (!isRole(u.role)) return refuse("wrong name or password", `unknown role ${u.role}`);
  users.loginWorked(u.id);
  users.endExpiredSessions(now.toISOString());
  const session = randomBytes(32).toString("base64url");
  const csrf = randomBytes(32).toString("base64url");
  const expiresAt = new Date(now.getTime() + SESSION_HOURS * 3_600_000).toISOString();
  users.addSession({ tokenHash: tokenHash(session), userId: u.id, csrf, createdAt: now.toISOString(), expiresAt });
  recordChange(store, by, { action: "login", target: `user ${u.name}`, detail: `session until ${expiresAt}` });
  return { session, csrf, user: u.name, role: u.role, expiresAt };
}

/** The person a console session stands for now, with its CSRF token; undefined once it ended, expired or its user was disabled. */
export function sessionUser(store: Store, session: string, now = new Date()): { user: string; role: Role; csrf: string } | undefined {
  if (!SESSION.test(session)) return undefined;
  const s = new UserStore(store.sql).session(tokenHash(session));
  if (!s || s.disabledAt || s.expiresAt <= now.toISOString() || !isRole(s.role)) return undefined;
  return { user: s.user, role: s.role, csrf: s.csrf };
}

export function logout(store: Store, session: string): boolean {
  return SESSION.test(session) && new UserStore(store.sql).endSession(tokenHash(session));
}

/** A hash no password matches, made when first needed (scrypt takes tens of milliseconds). */
let dummyHash: string | undefined;
