/**
 * The layers of src/, lowest first. A file may import its own layer and the ones below it;
 * an import of a layer above is a lint error. Within a layer, folders may import each other
 * one way only (test/imports.test.ts checks that, and that no file imports itself).
 */
export const LAYERS = [
  ["model", "net"], // the records and the ground floor every layer may use
  ["sources"], // bytes in: captures, live capture, NetFlow/IPFIX, Zeek
  ["dissect"], // one file per protocol
  ["flows"],
  ["inventory"],
  ["store"], // the only place that speaks SQL
  ["baseline", "classify", "policy", "vulns", "trust", "pki"], // decide
  ["detect"],
  ["nac", "respond"], // act
  ["pipeline.ts", "lab"], // the pipeline put together; the synthetic site
  ["app"], // the use cases every face calls
  ["cli", "serve"], // the faces
];
