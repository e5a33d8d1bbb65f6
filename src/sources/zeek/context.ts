import type { FlowRecord } from "../../model/flow-record.js";
import type { Observation } from "../../model/observation.js";
import type { ZeekRecord } from "./format.js";

/** What a Zeek log handler feeds: flows and facts for the pipeline, named by site and source. */
export interface ZeekContext {
  site: string;
  source: string;
  flow(r: FlowRecord): void;
  observe(o: Observation): void;
}

/** Reads one record of a log; returns an error kind when the record cannot be used. */
export type ZeekLogHandler = (r: ZeekRecord, ctx: ZeekContext) => string | undefined;
