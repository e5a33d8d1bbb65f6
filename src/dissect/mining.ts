import { type AppDissector, packetAddress } from "./context.js";

/**
 * Crypto-mining pool protocols: Stratum (mining.subscribe, mining.authorize, ...), its
 * Ethereum variant (eth_submitLogin, eth_getWork, ...) and the Monero pools' JSON-RPC login,
 * all newline-framed JSON over TCP. The method a miner used is recorded on it (what pools
 * push, such as mining.notify, only recognises the protocol).
 */
const METHOD = /"method"\s*:\s*"(mining\.(?:subscribe|authorize|submit|extranonce\.subscribe|get_transactions|suggest_difficulty)|eth_submitLogin|eth_getWork|eth_submitWork|eth_submitHashrate|login|submit|getjob)"/;
/** What pools push to miners: recognises the protocol but names no miner. */
const POOL_METHOD = /"method"\s*:\s*"(mining\.(?:notify|set_difficulty|set_extranonce|set_target)|job)"/;

function json(b: Buffer, off: number, len: number): string | undefined {
  if (len < 12 || b[off] !== 0x7b) return undefined;
  return b.toString("latin1", off, off + Math.min(len, 1024));
}

export const mining: AppDissector = {
  name: "mining",
  transport: "tcp",
  ports: [3333, 4444, 5555, 7777, 8008, 9999, 14444, 14433, 45560, 45700],
  test(b, off, len) {
    const s = json(b, off, len);
    return s !== undefined && (POOL_METHOD.test(s) || (METHOD.test(s) && (!/"method"\s*:\s*"(login|submit|getjob)"/.test(s) || /"(agent|pass|algo)"/.test(s))));
  },
  dissect(b, off, len, ctx) {
    const s = json(b, off, len);
    if (s === undefined) return /^\{|^\[/.test(b.toString("latin1", off, off + 1));
    const m = METHOD.exec(s);
    if (m) ctx.emit("mining.method", "src", `${m[1]} to ${packetAddress(ctx.pkt, "dst")}:${ctx.pkt.dstPort}`);
    return /"(jsonrpc|method|result|id)"/.test(s);
  },
};
