import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ServiceTable, ServiceTableError, serviceTable } from "../src/flows/services.js";

describe("well-known services by host name", () => {
  it("the longest listed suffix names the service: a product before its company", () => {
    const t = serviceTable();
    assert.equal(t.serviceOf("alexa.amazon.com"), "amazon-alexa");
    assert.equal(t.serviceOf("pitangui.amazon.com"), "amazon");
    assert.equal(t.serviceOf("mobileanalytics.us-east-1.amazonaws.com"), "amazon-aws");
    assert.equal(t.serviceOf("a2.tuyaeu.com"), "tuya");
    assert.equal(t.serviceOf("mtalk.google.com"), "google-services");
    assert.equal(t.serviceOf("www.google.com"), "google");
  });

  it("an HTTP Host's port and a trailing dot do not matter; addresses and unlisted names have no service", () => {
    const t = serviceTable();
    assert.equal(t.serviceOf("ecx.images-amazon.com:8080"), "amazon");
    assert.equal(t.serviceOf("www.amazon.com."), "amazon");
    assert.equal(t.serviceOf("notamazon.com"), undefined, "a suffix is whole labels");
    assert.equal(t.serviceOf("[2001:db8::1]:443"), undefined);
    assert.equal(t.serviceOf("10.0.0.1"), undefined);
    assert.equal(t.serviceOf(""), undefined);
    assert.equal(t.serviceOf(`${"a.".repeat(200)}example`), undefined);
  });

  it("a bad table is refused at load with the place named", () => {
    const bad: [unknown, RegExp][] = [
      [{}, /"services" must be a list/],
      [{ services: [{ service: "Amazon", domains: ["amazon.com"] }] }, /services\[0\]\.service/],
      [{ services: [{ service: "x", domains: [] }] }, /services\[0\]\.domains/],
      [{ services: [{ service: "x", domains: ["Amazon.com"] }] }, /"Amazon\.com" is not a lower-case domain/],
      [{ services: [{ service: "x", domains: ["a.com"] }, { service: "y", domains: ["a.com"] }] }, /services\[1\]: a\.com is already x's/],
      [{ services: [null] }, /services\[0\]\.service/],
    ];
    for (const [data, message] of bad) assert.throws(() => new ServiceTable(data, "t.json"), (e: Error) => e instanceof ServiceTableError && message.test(e.message) && e.message.startsWith("t.json"));
  });
});
