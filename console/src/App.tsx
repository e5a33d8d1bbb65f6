import { useEffect, useState } from "react";
import { type Me, logout, session } from "./api";
import { Login } from "./pages/Login";
import { Overview } from "./pages/Overview";
import { Inventory } from "./pages/Inventory";
import { Device } from "./pages/Device";
import { Alerts } from "./pages/Alerts";
import { Responses } from "./pages/Responses";
import { Policies } from "./pages/Policies";
import { Audit } from "./pages/Audit";
import { Nac } from "./pages/Nac";
import { Vulnerabilities } from "./pages/Vulnerabilities";
import { Trust } from "./pages/Trust";

/** The page the address's hash names: #/devices, #/device/MAC, #/alerts... */
function useRoute(): string[] {
  const read = (): string[] => decodeURIComponent(window.location.hash.replace(/^#\/?/, "")).split("/").filter(Boolean);
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const on = (): void => setRoute(read());
    window.addEventListener("hashchange", on);
    return () => window.removeEventListener("hashchange", on);
  }, []);
  return route;
}


const PAGES: [string, string][] = [["", "Overview"], ["devices", "Inventory"], ["vulnerabilities", "Vulnerabilities"], ["trust", "Trust"], ["alerts", "Alerts"], ["responses", "Responses"], ["policies", "Policies"], ["nac", "NAC"], ["audit", "Audit"]];

export function App() {
  const [me, setMe] = useState<Me | undefined | null>(null);
  const route = useRoute();
  useEffect(() => {
    void session().then(setMe);
  }, []);
  if (me === null) return <p className="loading">Loading…</p>;
  if (me === undefined) return <Login onIn={setMe} />;
  const page = route[0] ?? "";
  return (
    <div className="shell">
      <header>
        <strong className="brand">Cordon</strong>
        <nav aria-label="Pages">
          {PAGES.map(([p, name]) => (
            <a key={p} href={`#/${p}`} aria-current={page === p ? "page" : undefined}>{name}</a>
          ))}
        </nav>
        <span className="who">{me.user} ({me.role})</span>
        <button type="button" onClick={() => void logout().then(() => setMe(undefined))}>Log out</button>
      </header>
      <main>
        {page === "" && <Overview />}
        {page === "devices" && <Inventory />}
        {page === "device" && route[1] && <Device id={route[1]} me={me} />}
        {page === "vulnerabilities" && <Vulnerabilities />}
        {page === "trust" && <Trust me={me} />}
        {page === "alerts" && <Alerts me={me} />}
        {page === "responses" && <Responses me={me} />}
        {page === "policies" && <Policies me={me} />}
        {page === "nac" && <Nac me={me} />}
        {page === "audit" && <Audit />}
      </main>
    </div>
  );
}
