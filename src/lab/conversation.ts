import { ACK, FIN, PSH, SYN, ethernet, ipv4, tcp, udp } from "./craft.js";

/** A host on the lab network: its MAC and IPv4 address. */
export interface Host {
  mac: string;
  ip: string;
}

/** Collects frames with their times; the generator sorts and writes them. */
export type Emit = (tsUs: number, frame: Buffer) => void;

/** Ethernet next hop for traffic between two hosts: the gateway's MAC for off-site addresses. */
export type NextHop = (to: Host) => string;

/**
 * Frames of whole conversations between lab hosts: a TCP session (handshake, the given
 * payloads alternating as client and server speak, close) or a UDP exchange.
 */
export class Conversations {
  constructor(private readonly emit: Emit, private readonly hop: NextHop) {}

  private frame(from: Host, to: Host, l4: Buffer, proto: number, ttl = 64): Buffer {
    return ethernet(this.hop(to), from.mac, 0x0800, ipv4({ src: from.ip, dst: to.ip, proto, ttl }, l4));
  }

  /** A whole TCP session; `stepUs` apart, each segment (a slow session holds its connection longer). */
  tcp(t: number, client: Host, server: Host, sport: number, dport: number, exchange: { c?: Buffer; s?: Buffer }[], stepUs = 800): number {
    let cs = 1000;
    let ss = 50_000;
    let at = t;
    const step = (): number => (at += stepUs);
    this.emit(at, this.frame(client, server, tcp(sport, dport, SYN, cs++), 6));
    this.emit(step(), this.frame(server, client, tcp(dport, sport, SYN | ACK, ss++), 6));
    this.emit(step(), this.frame(client, server, tcp(sport, dport, ACK, cs), 6));
    for (const x of exchange) {
      if (x.c) {
        this.emit(step(), this.frame(client, server, tcp(sport, dport, ACK | PSH, cs, x.c), 6));
        cs += x.c.length;
      }
      if (x.s) {
        this.emit(step(), this.frame(server, client, tcp(dport, sport, ACK | PSH, ss, x.s), 6));
        ss += x.s.length;
      }
    }
    this.emit(step(), this.frame(client, server, tcp(sport, dport, FIN | ACK, cs), 6));
    this.emit(step(), this.frame(server, client, tcp(dport, sport, FIN | ACK, ss), 6));
    this.emit(step(), this.frame(client, server, tcp(sport, dport, ACK, cs + 1), 6));
    return at;
  }

  /** The handshake of a TCP session that stays open (a device's persistent cloud connection). */
  open(t: number, client: Host, server: Host, sport: number, dport: number): void {
    this.emit(t, this.frame(client, server, tcp(sport, dport, SYN, 1000), 6));
    this.emit(t + 800, this.frame(server, client, tcp(dport, sport, SYN | ACK, 50_000), 6));
    this.emit(t + 1600, this.frame(client, server, tcp(sport, dport, ACK, 1001), 6));
  }

  /** One exchange on an open session: the client's segment and the server's answer. */
  segment(t: number, client: Host, server: Host, sport: number, dport: number, c: Buffer, s: Buffer): void {
    this.emit(t, this.frame(client, server, tcp(sport, dport, ACK | PSH, 1001, c), 6));
    this.emit(t + 900, this.frame(server, client, tcp(dport, sport, ACK | PSH, 50_001, s), 6));
  }

  udp(t: number, from: Host, to: Host, sport: number, dport: number, request: Buffer, reply?: Buffer): void {
    this.emit(t, this.frame(from, to, udp(sport, dport, request), 17));
    if (reply) this.emit(t + 1500, this.frame(to, from, udp(dport, sport, reply), 17));
  }

  /** A frame to a broadcast or multicast group address. */
  broadcast(t: number, from: Host, dstMac: string, dstIp: string, sport: number, dport: number, payload: Buffer): void {
    this.emit(t, ethernet(dstMac, from.mac, 0x0800, ipv4({ src: from.ip, dst: dstIp, proto: 17, ttl: dstIp.startsWith("224.") ? 255 : 64 }, udp(sport, dport, payload))));
  }

  /** A TCP SYN that gets a reset: one probe of a scan. */
  probe(t: number, from: Host, to: Host, sport: number, dport: number, flags = SYN): void {
    this.emit(t, this.frame(from, to, tcp(sport, dport, flags, 7), 6));
    this.emit(t + 300, this.frame(to, from, tcp(dport, sport, 0x14, 0), 6));
  }
}
