/** The console's calls to serve's API: same origin, the session cookie, and the CSRF token for changes. */

let csrf: string | undefined;

export interface Me {
  user: string;
  role: string;
  /** The actions this person's role allows (serve's table, app/permissions.ts). */
  may: string[];
}

export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

async function call<T>(method: "GET" | "POST", path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers["content-type"] = "application/json";
  if (method === "POST" && csrf) headers["x-csrf-token"] = csrf;
  const r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: "same-origin" });
  const data = (await r.json().catch(() => ({}))) as { error?: string };
  if (!r.ok) throw new ApiError(r.status, data.error ?? `${r.status}`);
  return data as T;
}

export const get = <T>(path: string): Promise<T> => call<T>("GET", path);
export const post = <T>(path: string, body: unknown = {}): Promise<T> => call<T>("POST", path, body);

export async function login(name: string, password: string): Promise<Me | undefined> {
  const r = await post<{ csrf: string }>("/api/login", { name, password });
  csrf = r.csrf;
  return session();
}

/** Who the session cookie belongs to, if it is still good (a reload keeps the session). */
export async function session(): Promise<Me | undefined> {
  try {
    const r = await get<Me & { csrf: string | null }>("/api/session");
    csrf = r.csrf ?? csrf;
    return { user: r.user, role: r.role, may: r.may };
  } catch {
    return undefined;
  }
}

export async function logout(): Promise<void> {
  await post("/api/logout");
  csrf = undefined;
}

/** Every item of a paged list, following its cursors (at most `max`). */
export async function all<T>(path: string, max = 100_000): Promise<T[]> {
  const out: T[] = [];
  let after: string | null = null;
  do {
    const sep = path.includes("?") ? "&" : "?";
    const page: { items: T[]; next: string | null } = await get(`${path}${sep}limit=10000${after ? `&after=${encodeURIComponent(after)}` : ""}`);
    out.push(...page.items);
    after = page.next;
  } while (after && out.length < max);
  return out;
}

export const may = (me: Me, action: string): boolean => me.may.includes(action);
