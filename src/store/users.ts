import type { Sql } from "./sql.js";

/** A person who may use the API and the console (app/users.ts decides what each may do). */
export interface StoredUser {
  id: number;
  name: string;
  role: string;
  passwordHash?: string;
  createdAt: string;
  createdBy: string;
  disabledAt?: string;
}

/** An API token of a user: only its hash is kept (the token is shown once, when made). */
export interface StoredToken {
  id: number;
  user: string;
  role: string;
  name: string;
  createdAt: string;
  expiresAt?: string;
  revokedAt?: string;
  lastUsedAt?: string;
  userDisabledAt?: string;
}

const opt = (v: unknown): string | undefined => (v === null || v === undefined ? undefined : String(v));

function userOf(r: Record<string, unknown>): StoredUser {
  return {
    id: Number(r.id), name: String(r.name), role: String(r.role), passwordHash: opt(r.password_hash), createdAt: String(r.created_at),
    createdBy: String(r.created_by), disabledAt: opt(r.disabled_at),
  };
}

function tokenOf(r: Record<string, unknown>): StoredToken {
  return {
    id: Number(r.id), user: String(r.user_name), role: String(r.role), name: String(r.name), createdAt: String(r.created_at),
    expiresAt: opt(r.expires_at), revokedAt: opt(r.revoked_at), lastUsedAt: opt(r.last_used_at), userDisabledAt: opt(r.disabled_at),
  };
}

const TOKEN_COLUMNS = `t.id, u.name AS user_name, u.role, t.name, t.created_at, t.expires_at, t.revoked_at, t.last_used_at, u.disabled_at`;

/** Users and their API tokens. */
export class UserStore {
  constructor(private readonly sql: Sql) {}

  add(u: { name: string; role: string; passwordHash?: string; createdAt: string; createdBy: string }): number {
    return this.sql.column<number>(`INSERT INTO users (name, role, password_hash, created_at, created_by) VALUES (?, ?, ?, ?, ?) RETURNING id`,
      u.name, u.role, u.passwordHash ?? null, u.createdAt, u.createdBy)[0];
  }

  byName(name: string): StoredUser | undefined {
    const r = this.sql.get<Record<string, unknown>>(`SELECT * FROM users WHERE name = ?`, name);
    return r ? userOf(r) : undefined;
  }

  list(): StoredUser[] {
    return this.sql.all<Record<string, unknown>>(`SELECT * FROM users ORDER BY name`).map(userOf);
  }

  update(name: string, f: { role?: string; passwordHash?: string; disabledAt?: string | null }): boolean {
    const u = this.byName(name);
    if (!u) return false;
    this.sql.run(`UPDATE users SET role = ?, password_hash = ?, disabled_at = ? WHERE id = ?`,
      f.role ?? u.role, f.passwordHash ?? u.passwordHash ?? null, f.disabledAt === undefined ? u.disabledAt ?? null : f.disabledAt, u.id);
    return true;
  }

  count(): number {
    return this.sql.column<number>(`SELECT COUNT(*) FROM users`)[0];
  }

  addToken(t: { userId: number; name: string; tokenHash: string; createdAt: string; expiresAt?: string }): number {
    return this.sql.column<number>(`INSERT INTO api_tokens (user_id, name, token_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
      t.userId, t.name, t.tokenHash, t.createdAt, t.expiresAt ?? null)[0];
  }

  /** The token with this hash, with its user's name, role and state. */
  tokenByHash(hash: string): StoredToken | undefined {
    const r = this.sql.get<Record<string, unknown>>(`SELECT ${TOKEN_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = ?`, hash);
    return r ? tokenOf(r) : undefined;
  }

  tokens(): StoredToken[] {
    return this.sql.all<Record<string, unknown>>(`SELECT ${TOKEN_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id ORDER BY t.id`).map(tokenOf);
  }

  revokeToken(id: number, at: string): boolean {
    return this.sql.run(`UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, at, id) > 0;
  }

  tokenUsed(id: number, at: string): void {
    this.sql.run(`UPDATE api_tokens SET last_used_at = ? WHERE id = ?`, at, id);
  }

  /** A failed login: the count goes up, and past `limit` the user is locked until `lockUntil`. */
  loginFailed(id: number, limit: number, lockUntil: string): number {
    this.sql.run(`UPDATE users SET failed_logins = failed_logins + 1 WHERE id = ?`, id);
    const n = this.sql.column<number>(`SELECT failed_logins FROM users WHERE id = ?`, id)[0];
    if (n >= limit) this.sql.run(`UPDATE users SET locked_until = ?, failed_logins = 0 WHERE id = ?`, lockUntil, id);
    return n;
  }

  loginWorked(id: number): void {
    this.sql.run(`UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = ?`, id);
  }

  lockedUntil(id: number): string | undefined {
    return opt(this.sql.column<string | null>(`SELECT locked_until FROM users WHERE id = ?`, id)[0]);
  }

  addSession(s: { tokenHash: string; userId: number; csrf: string; createdAt: string; expiresAt: string }): void {
    this.sql.run(`INSERT INTO login_sessions (token_hash, user_id, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`, s.tokenHash, s.userId, s.csrf, s.createdAt, s.expiresAt);
  }

  /** The session with this hash, with its user's name, role and state. */
  session(tokenHash: string): { user: string; role: string; csrf: string; expiresAt: string; disabledAt?: string } | undefined {
    const r = this.sql.get<Record<string, unknown>>(`SELECT u.name, u.role, u.disabled_at, s.csrf, s.expires_at FROM login_sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?`, tokenHash);
    return r ? { user: String(r.name), role: String(r.role), csrf: String(r.csrf), expiresAt: String(r.expires_at), disabledAt: opt(r.disabled_at) } : undefined;
  }

  endSession(tokenHash: string): boolean {
    return this.sql.run(`DELETE FROM login_sessions WHERE token_hash = ?`, tokenHash) > 0;
  }

  endExpiredSessions(now: string): void {
    this.sql.run(`DELETE FROM login_sessions WHERE expires_at <= ?`, now);
  }
}
