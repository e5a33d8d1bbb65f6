import "reflect-metadata";
import { webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";

/**
 * @peculiar/x509, ready to use: its dependency injection (tsyringe) needs the Reflect metadata
 * polyfill loaded first, and it signs with Node's WebCrypto. Every pki file imports X.509
 * from here, never from the package.
 */
x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export { x509 };
