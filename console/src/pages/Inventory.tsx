import { useEffect, useMemo, useRef, useState } from "react";
import { useVirtualizer } from "@tanstack/react-virtual";
import { all } from "../api";

interface DeviceRow { site: string; mac: string | null; ips: string[]; category: string; vendor: string | null; model: string | null; criticality: string; identity: string; hostnames: string[]; vlan: string | null; last_seen: string }

const COLUMNS: [keyof DeviceRow, string][] = [["mac", "MAC"], ["ips", "Addresses"], ["category", "Category"], ["criticality", "Criticality"], ["identity", "Identity"], ["vendor", "Vendor"], ["model", "Model"], ["hostnames", "Host names"], ["vlan", "VLAN"], ["site", "Site"], ["last_seen", "Last seen"]];

const FILTERS = ["site", "category", "criticality", "identity", "vendor", "vlan"] as const;

const text = (v: unknown): string => (Array.isArray(v) ? v.join(" ") : v === null || v === undefined ? "" : String(v));

/** A CSV cell a spreadsheet reads as text: quoted, and a leading = + - @ defused (as the CLI's csvCell). */
const csvCell = (s: string): string => `"${(/^[=+\-@\t\r]/.test(s) ? `'${s}` : s).replace(/"/g, '""')}"`;

export function Inventory() {
  const [devices, setDevices] = useState<DeviceRow[]>([]);
  const [error, setError] = useState("");
  const [q, setQ] = useState("");
  const [filter, setFilter] = useState<Record<string, string>>({});
  useEffect(() => {
    all<DeviceRow>("/api/devices?view=row").then(setDevices, (e: Error) => setError(e.message));
  }, []);
  const options = useMemo(() => Object.fromEntries(FILTERS.map((k) => [k, [...new Set(devices.map((d) => text(d[k])).filter(Boolean))].sort()])), [devices]);
  const shown = useMemo(() => {
    const needle = q.trim().toLowerCase();
    return devices.filter((d) => Object.entries(filter).every(([k, v]) => !v || text(d[k as keyof DeviceRow]) === v)
      && (!needle || COLUMNS.some(([k]) => text(d[k]).toLowerCase().includes(needle))));
  }, [devices, q, filter]);
  const scroller = useRef<HTMLDivElement>(null);
  const rows = useVirtualizer({ count: shown.length, getScrollElement: () => scroller.current, estimateSize: () => 32, overscan: 20 });
  const exportCsv = (): void => {
    const lines = [COLUMNS.map(([, h]) => csvCell(h)).join(","), ...shown.map((d) => COLUMNS.map(([k]) => csvCell(text(d[k]))).join(","))];
    const a = document.createElement("a");
    a.href = URL.createObjectURL(new Blob([`${lines.join("\r\n")}\r\n`], { type: "text/csv" }));
    a.download = "cordon-devices.csv";
    a.click();
    URL.revokeObjectURL(a.href);
  };
  return (
    <>
      <h1>Inventory</h1>
      {error && <p role="alert" className="error">{error}</p>}
      <div className="filters" role="search">
        <label>Search <input type="search" value={q} onChange={(e) => setQ(e.target.value)} placeholder="MAC, address, name, vendor…" /></label>
        {FILTERS.map((k) => (
          <label key={k}>{k === "vlan" ? "VLAN" : k[0].toUpperCase() + k.slice(1)}
            <select value={filter[k] ?? ""} onChange={(e) => setFilter({ ...filter, [k]: e.target.value })}>
              <option value="">all</option>
              {options[k]?.map((o) => <option key={o} value={o}>{o}</option>)}
            </select>
          </label>
        ))}
        <button type="button" onClick={exportCsv}>Export CSV</button>
        <span className="muted" aria-live="polite">{shown.length} of {devices.length} devices</span>
      </div>
      <div className="grid" role="table" aria-label="Devices" aria-rowcount={shown.length + 1}>
        <div className="row head" role="row">{COLUMNS.map(([k, h]) => <span key={k} role="columnheader" className={`c-${k}`}>{h}</span>)}</div>
        <div className="body" ref={scroller}>
          <div style={{ height: rows.getTotalSize(), position: "relative" }}>
            {rows.getVirtualItems().map((v) => {
              const d = shown[v.index];
              const id = d.mac ?? d.ips[0] ?? "";
              return (
                <div key={v.key} className="row" role="row" aria-rowindex={v.index + 2} style={{ position: "absolute", top: 0, left: 0, right: 0, transform: `translateY(${v.start}px)` }}>
                  {COLUMNS.map(([k]) => (
                    <span key={k} role="cell" className={`c-${k}`} title={text(d[k])}>
                      {k === "mac" ? <a href={`#/device/${encodeURIComponent(id)}`}>{text(d.mac) || text(d.ips[0])}</a> : text(d[k])}
                    </span>
                  ))}
                </div>
              );
            })}
          </div>
        </div>
      </div>
    </>
  );
}
