import type { AppDissector } from "./context.js";
import { bacnet } from "./bacnet.js";
import { dhcp } from "./dhcp.js";
import { coap } from "./coap.js";
import { dhcpv6 } from "./dhcpv6.js";
import { finsTcp, finsUdp } from "./fins.js";
import { fox } from "./fox.js";
import { hartIpTcp, hartIpUdp } from "./hart-ip.js";
import { dnp3Tcp, dnp3Udp } from "./dnp3.js";
import { dnsTcp, dnsUdp } from "./dns.js";
import { cipIo, enipTcp, enipUdp } from "./enip.js";
import { http } from "./http.js";
import { iec104 } from "./iec104.js";
import { knxnetIp } from "./knxnet-ip.js";
import { llmnr } from "./llmnr.js";
import { mdns } from "./mdns.js";
import { mms } from "./mms.js";
import { modbus } from "./modbus.js";
import { mqtt } from "./mqtt.js";
import { ntp } from "./ntp.js";
import { opcua } from "./opcua.js";
import { rtsp } from "./rtsp.js";
import { s7comm } from "./s7comm.js";
import { sipTcp, sipUdp } from "./sip.js";
import { snmp } from "./snmp.js";
import { ssdp } from "./ssdp.js";
import { tls } from "./tls.js";
import { tuya } from "./tuya.js";
import { ftp } from "./ftp.js";
import { mining } from "./mining.js";
import { telnet } from "./telnet.js";
import { beckhoffAds } from "./beckhoff-ads.js";
import { c1222Tcp, c1222Udp } from "./c1222.js";
import { c37118Tcp, c37118Udp } from "./c37118.js";
import { dlmsTcp, dlmsUdp } from "./dlms.js";
import { dropboxLanSync } from "./dropbox-lan-sync.js";
import { dahuaDhip } from "./dahua-dhip.js";
import { edimaxCloud } from "./edimax-cloud.js";
import { hikvisionSadp } from "./hikvision-sadp.js";
import { gigeVision } from "./gige-vision.js";
import { hidDiscoveryd } from "./hid-discoveryd.js";
import { yeelight } from "./yeelight.js";
import { wiz } from "./wiz.js";
import { govee } from "./govee.js";
import { daikin } from "./daikin.js";
import { dicom } from "./dicom.js";
import { pcworx } from "./pcworx.js";
import { egd } from "./egd.js";
import { ldap } from "./ldap.js";
import { natPmp } from "./nat-pmp.js";
import { nestLogSink } from "./nest-log-sink.js";
import { netbiosDgm, netbiosNs, netbiosSsn } from "./netbios.js";
import { profinetIo } from "./profinet-io.js";
import { ptp } from "./ptp.js";
import { quic } from "./quic.js";
import { rmcp } from "./rmcp.js";
import { slpTcp, slpUdp } from "./slp.js";
import { smtp } from "./smtp.js";
import { syslog, syslogTcp } from "./syslog.js";
import { tftp } from "./tftp.js";
import { tivoConnectTcp, tivoConnectUdp } from "./tivo-connect.js";
import { tplinkShpTcp, tplinkShpUdp } from "./tplink-shp.js";
import { ubntDiscovery } from "./ubnt-discovery.js";
import { vnc } from "./vnc.js";
import { wsDiscovery } from "./ws-discovery.js";

/** Every application dissector. A new protocol is one file and one line here. */
export const APP_DISSECTORS: readonly AppDissector[] = [
  dnsUdp, dnsTcp, mdns, llmnr, dhcp, dhcpv6, ssdp, ntp, http, tls,
  modbus, s7comm, mms, enipTcp, enipUdp, cipIo, bacnet, dnp3Tcp, dnp3Udp, iec104, fox, finsUdp, finsTcp,
  hartIpUdp, hartIpTcp, opcua, knxnetIp, mqtt, snmp, rtsp, sipUdp, sipTcp, coap, tuya, telnet, ftp, mining,
  slpUdp, slpTcp, syslog, syslogTcp, netbiosNs, netbiosDgm, netbiosSsn, smtp, ldap, vnc, tftp, rmcp, natPmp, quic,
  ubntDiscovery, tplinkShpUdp, tplinkShpTcp, dropboxLanSync, tivoConnectUdp, tivoConnectTcp, wsDiscovery, nestLogSink,
  ptp, c37118Tcp, c37118Udp, dlmsTcp, dlmsUdp, c1222Tcp, c1222Udp, egd, profinetIo, beckhoffAds, edimaxCloud,
  hikvisionSadp, dahuaDhip, gigeVision, hidDiscoveryd, yeelight, wiz, govee, daikin, dicom, pcworx,
];

/**
 * Picks candidate dissectors cheaply: first those registered for either port, then those
 * whose payload test recognises the first bytes on any port (nDPI's guess-then-confirm).
 */
export class DissectorRegistry {
  private readonly byPort: [Map<number, AppDissector[]>, Map<number, AppDissector[]>] = [new Map(), new Map()];
  private readonly testers: [AppDissector[], AppDissector[]] = [[], []];

  constructor(dissectors: readonly AppDissector[] = APP_DISSECTORS) {
    for (const d of dissectors) {
      const t = d.transport === "tcp" ? 0 : 1;
      for (const port of d.ports) {
        const list = this.byPort[t].get(port);
        if (list) list.push(d);
        else this.byPort[t].set(port, [d]);
      }
      if (d.test) this.testers[t].push(d);
    }
  }

  /** Dissectors registered for a port, if any. */
  forPort(tcp: boolean, port: number): readonly AppDissector[] | undefined {
    return this.byPort[tcp ? 0 : 1].get(port);
  }

  /** The protocol a well-known port names, for flows whose payload named none. */
  byPortName(tcp: boolean, serverPort: number, clientPort: number): string | undefined {
    return this.forPort(tcp, serverPort)?.[0]?.name ?? this.forPort(tcp, clientPort)?.[0]?.name;
  }

  /** The first dissector whose payload test matches. */
  guess(tcp: boolean, b: Buffer, off: number, len: number): AppDissector | undefined {
    for (const d of this.testers[tcp ? 0 : 1]) if (d.test!(b, off, len)) return d;
    return undefined;
  }
}
