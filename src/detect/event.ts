import type { Observation } from "../model/observation.js";

/**
 * An observation as it happened, for detectors: every occurrence (the inventory keeps each
 * fact once; detectors count), with the packet's ends.
 */
export interface PacketEvent extends Observation {
  packet: number;
  srcMac?: string;
  dstMac?: string;
  srcIp?: string;
  dstIp?: string;
  srcPort?: number;
  dstPort?: number;
  /** IP protocol number (0 for link-layer packets). */
  proto: number;
  /** Whether the observation is about the packet's source (else its destination, or a device named in the payload). */
  aboutSource: boolean;
}
