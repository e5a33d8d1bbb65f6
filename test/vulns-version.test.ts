import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { compareVersions, parseVersion, versionInRange } from "../src/vulns/version.js";
import { parseCveVersion, parseRangeText } from "../src/sources/advisories/version-range-text.js";
import { compareNames, productName } from "../src/vulns/product-name.js";
import { canonicalVendor, makerKey } from "../src/inventory/vendor-names.js";

function cmp(a: string, b: string): number | undefined {
  const x = parseVersion(a);
  const y = parseVersion(b);
  assert.ok(x && y, `${a} and ${b} parse`);
  return compareVersions(x, y);
}

function affected(version: string | undefined, range: string): boolean | undefined {
  return versionInRange(version, parseRangeText(range)).inRange;
}

describe("firmware versions as the field writes them", () => {
  it("compares numbers as numbers, ignoring leading zeros and a version prefix", () => {
    assert.equal(cmp("8.00.01", "8.0.1"), 0);
    assert.equal(cmp("V2.9.4", "2.10"), -1);
    assert.equal(cmp("V2.10.0", "v2.9.9"), 1);
    assert.equal(cmp("R2.02.00", "R2.03.00"), -1);
    assert.equal(cmp("2.4.0", "V2.4"), 0);
    assert.equal(cmp("Ver.2.40", "2.39"), 1);
    assert.equal(cmp("FW_1.2.10.10", "1.2.10.9"), 1);
    assert.equal(cmp("20230219", "20221231"), 1);
    assert.equal(cmp("123456789012345678901", "123456789012345678902"), -1);
  });

  it("orders letters after a version as later builds, pre-release words as earlier", () => {
    assert.equal(cmp("4.1.2b", "4.1.2"), 1);
    assert.equal(cmp("4.1.2b", "4.1.2a"), 1);
    assert.equal(cmp("4.1.2b", "4.1.3"), -1);
    assert.equal(cmp("V3.2 SP1", "V3.2"), 1);
    assert.equal(cmp("V3.2 Service Pack 1", "V3.2 SP1"), 0);
    assert.equal(cmp("V3.2 SP1", "V3.3"), -1);
    assert.equal(cmp("2.4.0-beta", "2.4.0"), -1);
    assert.equal(cmp("2.4.0-rc1", "2.4.0-beta2"), 1);
    assert.equal(cmp("V17 Update 6", "V17_Update_7"), -1);
    assert.equal(cmp("V17", "V17 Update 7"), -1);
    assert.equal(cmp("1.1.3 Build 20220101", "1.14 Build 20230219"), -1);
  });

  it("will not compare versions of different schemes", () => {
    assert.equal(cmp("TitanNit 2.01", "Mx 2.00"), undefined);
    assert.equal(cmp("V3.2 SP1", "3.2.1"), undefined);
    assert.equal(cmp("MX-V5.0.2.14", "MX-V5.0.2.15"), -1);
    assert.equal(cmp("5.0.2.14", "MX-V5.0.2.15"), -1);
    assert.equal(parseVersion("DataHub_RaspberryPi"), undefined);
    assert.equal(parseVersion(""), undefined);
    assert.equal(parseVersion("1".repeat(200)), undefined);
  });
});

describe("version ranges as advisories write them", () => {
  it("reads CISA's CSAF range names, with the boundaries where they belong", () => {
    assert.equal(affected("V2.4", "<V2.4"), false, "equal to the fixed version");
    assert.equal(affected("2.3.9", "<V2.4"), true, "one below");
    assert.equal(affected("2.4.0", "vers:all/<V2.4.0"), false);
    assert.equal(affected("V2.9.4", "<V2.4"), false);
    assert.equal(affected("1.17.6", "<=1.17.6"), true);
    assert.equal(affected("1.17.7", "<=1.17.6"), false);
    assert.equal(affected("R1.01.00", ">=R1.01.00|<R2.03.00"), true);
    assert.equal(affected("R1.00.99", ">=R1.01.00|<R2.03.00"), false);
    assert.equal(affected("R2.03.00", ">=R1.01.00|<R2.03.00"), false);
    assert.equal(affected("13.0", "12.0|13.0|14.0"), true);
    assert.equal(affected("13.1", "12.0|13.0|14.0"), false);
    assert.equal(affected("anything", "vers:all/*"), true);
    assert.equal(affected(undefined, "vers:all/*"), true);
    assert.equal(affected(undefined, "<V3.1.4"), undefined);
    assert.equal(affected("V3.1.4 SP1", "vers:generic/>=1.0|<2.0|>=3.0|<3.1.5"), true);
    assert.equal(affected("2.5", "vers:generic/>=1.0|<2.0|>=3.0|<3.1.5"), false);
  });

  it("reads per-line fixes: each version against the fix of its own line", () => {
    const range = parseRangeText("<v36.011_v35.013_v34.014");
    assert.deepEqual(range, { kind: "branches", fixed: ["v36.011", "v35.013", "v34.014"] });
    assert.equal(versionInRange("35.012", range).inRange, true);
    assert.equal(versionInRange("35.013", range).inRange, false);
    assert.equal(versionInRange("36.011", range).inRange, false);
    assert.equal(versionInRange("33.015", range).inRange, true, "an older line than every fix");
    assert.equal(versionInRange("37.011", range).inRange, false, "a newer line than every fix");
  });

  it("keeps text that names no version as unparsed, so matches on it are only possible", () => {
    for (const t of ['<=The_first_5_digits_of_serial_No._"26061"', "<with_Palo_Alto_Networks_Virtual_NGFW_V11.0.1", "vers:all/*_installed_on_CP200_devices", "OEL8000III_K/X_ATG_Generation_3.0"]) {
      const r = parseRangeText(t);
      assert.equal(r.kind, "unparsed", t);
      assert.equal(versionInRange("1.0", r).inRange, undefined, t);
    }
    assert.equal(parseRangeText("<=TitanNit_2.01").kind, "constraints");
    assert.equal(affected("TitanNit 2.00", "<=TitanNit_2.01"), true);
  });

  it("reads CVE 5 versions: lessThan, lessThanOrEqual, and the CNAs' prose", () => {
    assert.deepEqual(parseCveVersion({ version: "0", lessThan: "2.4.1" }), { kind: "constraints", constraints: [{ op: "<", version: "2.4.1" }] });
    assert.deepEqual(parseCveVersion({ version: "1.0", lessThanOrEqual: "1.9" }), { kind: "constraints", constraints: [{ op: ">=", version: "1.0" }, { op: "<=", version: "1.9" }] });
    assert.deepEqual(parseCveVersion({ version: "3.0", lessThan: "*" }), { kind: "constraints", constraints: [{ op: ">=", version: "3.0" }] });
    assert.deepEqual(parseCveVersion({ version: "All versions < V2.9.2" }), { kind: "constraints", constraints: [{ op: "<", version: "V2.9.2" }] });
    assert.deepEqual(parseCveVersion({ version: "All versions prior to version 1.14 Build 20230219" }), { kind: "constraints", constraints: [{ op: "<", version: "1.14 Build 20230219" }] });
    assert.deepEqual(parseCveVersion({ version: "All versions" }), { kind: "all" });
    assert.deepEqual(parseCveVersion({ version: "2.1.0" }), { kind: "constraints", constraints: [{ op: "=", version: "2.1.0" }] });
    assert.equal(parseCveVersion({ version: "n/a" }).kind, "unparsed");
  });
});

describe("makers and product names", () => {
  it("gives one maker one name: company forms, case and the alias table", () => {
    assert.equal(canonicalVendor("SIEMENS AG"), "Siemens");
    assert.equal(canonicalVendor("Allen-Bradley"), "Rockwell Automation");
    assert.equal(canonicalVendor("Mitsubishi Electric Corporation"), "Mitsubishi Electric");
    assert.equal(makerKey("Johnson Controls, Inc."), makerKey("Johnson Controls Inc."));
    assert.equal(makerKey("JCI"), makerKey("Johnson Controls"));
    assert.equal(canonicalVendor("Some Maker GmbH"), "Some Maker GmbH", "a maker the table does not know keeps its name");
    assert.notEqual(makerKey("Siemens"), makerKey("Schneider Electric"));
  });

  it("tells one product from its variants and its family", () => {
    const at = (device: string, advisory: string, vendor = "Siemens") => compareNames(productName(device, vendor), productName(advisory, vendor));
    assert.equal(at("SIMATIC S7-1500 CPU 1518-4 PN/DP", "SIMATIC S7-1500 CPU 1518-4 PN/DP (6ES7518-4AP00-0AB0)"), "name");
    assert.equal(at("S7-1500 CPU 1518-4 PN/DP", "SIMATIC S7-1500 CPU 1518-4 PN/DP"), "name", "without the brand word");
    assert.equal(at("SIMATIC S7-1200 CPU 1214C DC/DC/DC", "SIMATIC S7-1200 CPU family (incl. SIPLUS variants)"), "family");
    assert.equal(at("SIMATIC S7-1500 CPU 1518-4 PN/DP", "SIMATIC S7-1500 Software Controller"), undefined);
    assert.equal(at("SIMATIC S7-1500 CPU 1518-4 PN/DP", "SIMATIC S7-1200 CPU family"), undefined);
    assert.equal(at("SCALANCE XC216-4C", "SCALANCE XC216-4C G"), "possible", "the advisory names a variant the device's name does not tell");
    assert.equal(at("SCALANCE XC216-4C G", "SCALANCE XC216-4C"), "possible");
    assert.equal(at("ControlLogix 5580", "ControlLogix 5580 Process", "Rockwell Automation"), "possible");
    assert.equal(at("Siemens SINEC NMS", "SINEC NMS"), "name", "the maker's own name is left out");
    assert.equal(at("Illustra Essentials Gen 4", "Illustra Essential Gen 4", "Johnson Controls"), "name");
    assert.equal(at("SINEC NMS V2.0", "SINEC NMS"), "name", "a version written into the device's name");
    assert.equal(at("TwinCAT 3.1", "TwinCAT", "Beckhoff"), "name");
  });
});
