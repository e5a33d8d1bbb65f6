import { useEffect, useState } from "react";

/** A counter that goes up on every live event of the kinds given (GET /api/events): pages reload their data on it. */
export function useLive(kinds: string[]): number {
  const [n, setN] = useState(0);
  const key = kinds.join(",");
  useEffect(() => {
    const es = new EventSource("/api/events");
    const on = (): void => setN((x) => x + 1);
    for (const k of key.split(",")) es.addEventListener(k, on);
    return () => es.close();
  }, [key]);
  return n;
}
