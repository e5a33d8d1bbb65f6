/**
 * The floor of any Node.js analyser on a capture: frames read (the same reader as `analyze`),
 * each decoded to the transport header and counted on a bidirectional flow, nothing else kept,
 * dissected or stored. The analyze bench times it beside ndpiReader to show how much of
 * ndpiReader's wall time this part alone uses. Usage: analyze-floor CAPTURE
 */
import "../src/cli/jit.js";
import { decodeFrame } from "../src/dissect/decode.js";
import { newPacket } from "../src/dissect/packet.js";
import { FlowTable } from "../src/flows/table.js";
import { readCapture } from "../src/sources/capture.js";

const pkt = newPacket();
let ended = 0;
let nowUs = 0;
const table = new FlowTable(() => void ended++);
const r = await readCapture(process.argv[2], (frame) => {
  if (frame.tsUs > nowUs) nowUs = frame.tsUs;
  if (decodeFrame(frame, pkt) !== undefined || pkt.ipVersion === 0 || pkt.fragment) return;
  table.advance(nowUs);
  table.update(pkt, nowUs, pkt.ipLen);
});
table.flush();
process.stdout.write(`${r.frames} frames, ${ended} flows\n`);
