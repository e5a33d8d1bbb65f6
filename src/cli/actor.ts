import { userInfo } from "node:os";

/**
 * Who acts when the CLI changes something: the operating-system user running it (the one
 * the database file's permissions already trust), never a name the caller types.
 */
export function cliActor(): string {
  let name: string;
  try {
    name = userInfo().username;
  } catch {
    name = `uid-${process.getuid?.() ?? "unknown"}`;
  }
  return name.replace(/[^A-Za-z0-9_.@-]/g, "_").slice(0, 64) || "unknown";
}

