import { X509Certificate as NodeCertificate, createCipheriv, createDecipheriv, createHash, publicEncrypt, constants as cryptoConstants, randomBytes, sign, verify } from "node:crypto";
import {
  Attribute, CertificateChoices, CertificateSet, ContentInfo, EncapsulatedContent, EncapsulatedContentInfo, EncryptedContent, EncryptedContentInfo, EnvelopedData,
  IssuerAndSerialNumber, KeyTransRecipientInfo, RecipientIdentifier, RecipientInfo, RecipientInfos, SignedData, SignerIdentifier, SignerInfo, SignerInfos,
  DigestAlgorithmIdentifiers,
} from "@peculiar/asn1-cms";
import { AsnConvert, OctetString } from "@peculiar/asn1-schema";
import { AlgorithmIdentifier, Certificate } from "@peculiar/asn1-x509";
import * as asn1js from "asn1js";
import forge from "node-forge";

/**
 * SCEP messages (RFC 8894 §3): a PKCSReq or RenewalReq read (CMS SignedData around an
 * EnvelopedData holding the CSR, encrypted to the RA), and the CertRep written back (signed by
 * the RA; on success the issued certificate enveloped for the requester's key). The CMS
 * structures are @peculiar/asn1-cms's; the cryptography is node:crypto's, but for what Node no
 * longer does: RSA PKCS#1 v1.5 decryption (refused since CVE-2023-46809) and single DES, which
 * node-forge does. A key transport that fails to decrypt goes on with a random key (RFC 3218
 * §2.3.2), so the reply does not tell a padding error from any other.
 */

export const MESSAGE_TYPE = { certRep: "3", renewalReq: "17", pkcsReq: "19", certPoll: "20" } as const;
export const FAIL_INFO = { badAlg: "0", badMessageCheck: "1", badRequest: "2", badTime: "3", badCertId: "4" } as const;
export type FailInfo = (typeof FAIL_INFO)[keyof typeof FAIL_INFO];

const OID = {
  messageType: "2.16.840.1.113733.1.9.2", pkiStatus: "2.16.840.1.113733.1.9.3", failInfo: "2.16.840.1.113733.1.9.4", senderNonce: "2.16.840.1.113733.1.9.5",
  recipientNonce: "2.16.840.1.113733.1.9.6", transactionId: "2.16.840.1.113733.1.9.7", contentType: "1.2.840.113549.1.9.3", messageDigest: "1.2.840.113549.1.9.4",
  data: "1.2.840.113549.1.7.1", signedData: "1.2.840.113549.1.7.2", envelopedData: "1.2.840.113549.1.7.3", rsaEncryption: "1.2.840.113549.1.1.1",
  sha256WithRsa: "1.2.840.113549.1.1.11", aes128cbc: "2.16.840.1.101.3.4.1.2",
} as const;
const DIGESTS: Record<string, string> = { "1.3.14.3.2.26": "sha1", "2.16.840.1.101.3.4.2.1": "sha256", "2.16.840.1.101.3.4.2.2": "sha384", "2.16.840.1.101.3.4.2.3": "sha512" };
/** Content encryption: the cipher and its key length. */
const CIPHERS: Record<string, { name: string; keyLength: number }> = {
  "1.3.14.3.2.7": { name: "des-cbc", keyLength: 8 }, "1.2.840.113549.3.7": { name: "des-ede3-cbc", keyLength: 24 },
  "2.16.840.1.101.3.4.1.2": { name: "aes-128-cbc", keyLength: 16 }, "2.16.840.1.101.3.4.1.22": { name: "aes-192-cbc", keyLength: 24 }, "2.16.840.1.101.3.4.1.42": { name: "aes-256-cbc", keyLength: 32 },
};

/** A request that cannot be answered as asked: the failInfo the CertRep carries. */
export class ScepError extends Error {
  constructor(readonly failInfo: FailInfo, message: string) {
    super(message);
  }
}

export interface ScepRequest {
  messageType: string;
  /** Why the CSR could not be read from a request whose signature verified: answered with a CertRep FAILURE. */
  refused?: ScepError;
  transactionId: string;
  senderNonce: Buffer;
  /** The certificate the request is signed with (self-signed for a first request, the current one for a renewal), DER. */
  signer: Buffer;
  /** The CSR, DER (PKCSReq, RenewalReq). */
  csr?: Buffer;
}

/** What the RA signs and decrypts with. */
export interface ScepRa {
  cert: Buffer;
  /** Its RSA key, PKCS#8 PEM, in memory only. */
  keyPem: string;
}

const printable = (s: string): ArrayBuffer => new asn1js.PrintableString({ value: s }).toBER();
const octets = (b: Buffer): ArrayBuffer => new asn1js.OctetString({ valueHex: new Uint8Array(b) }).toBER();
const bytes = (a: ArrayBuffer | ArrayBufferView): Buffer => (a instanceof ArrayBuffer ? Buffer.from(a) : Buffer.from(a.buffer, a.byteOffset, a.byteLength));

/** The single value of an attribute, parsed by asn1js; undefined when absent. */
function attributeValue(attrs: readonly Attribute[], oid: string): asn1js.AsnType | undefined {
  const a = attrs.find((x) => x.attrType === oid);
  if (!a || a.attrValues.length !== 1) return undefined;
  const parsed = asn1js.fromBER(a.attrValues[0]);
  return parsed.offset === -1 ? undefined : parsed.result;
}

function stringAttribute(attrs: readonly Attribute[], oid: string): string | undefined {
  const v = attributeValue(attrs, oid);
  return v instanceof asn1js.PrintableString || v instanceof asn1js.Utf8String || v instanceof asn1js.IA5String ? v.valueBlock.value : undefined;
}

function octetAttribute(attrs: readonly Attribute[], oid: string): Buffer | undefined {
  const v = attributeValue(attrs, oid);
  return v instanceof asn1js.OctetString ? bytes(v.valueBlock.valueHexView) : undefined;
}

/**
 * Parses, verifies and decrypts a SCEP request. What fails before the signature is verified
 * throws (ScepError, or a plain Error for what is not SCEP at all): the listener answers 400.
 * An envelope that fails to decrypt after it comes back in `refused`, for a CertRep FAILURE.
 */
/**
 * The signed attributes of a SignerInfo (DER) as they were encoded, tagged as a SET: what the
 * signature covers (RFC 5652 §5.4). Taken from the encoding, not re-encoded, so a sender's
 * order is kept.
 */
function signedAttributesOf(signerInfo: ArrayBuffer | Uint8Array): Buffer | undefined {
  const parsed = asn1js.fromBER(signerInfo);
  if (parsed.offset === -1 || !(parsed.result instanceof asn1js.Sequence)) return undefined;
  const el = parsed.result.valueBlock.value.find((v) => v.idBlock.tagClass === 3 && v.idBlock.tagNumber === 0);
  if (!el) return undefined;
  const raw = Buffer.from(el.valueBeforeDecodeView);
  raw[0] = 0x31;
  return raw;
}

/** The first SignerInfo of a SignedData (DER) as it was encoded. */
function firstSignerInfo(signedData: ArrayBuffer): ArrayBuffer | undefined {
  const parsed = asn1js.fromBER(signedData);
  if (parsed.offset === -1 || !(parsed.result instanceof asn1js.Sequence)) return undefined;
  const infos = parsed.result.valueBlock.value.at(-1);
  const first = infos instanceof asn1js.Set ? infos.valueBlock.value[0] : undefined;
  return first ? new Uint8Array(first.valueBeforeDecodeView).slice().buffer : undefined;
}

export function readScepRequest(der: Buffer, ra: ScepRa): ScepRequest {
  let signed: SignedData;
  let signedDer: ArrayBuffer;
  try {
    const info = AsnConvert.parse(der, ContentInfo);
    if (info.contentType !== OID.signedData) throw new Error("not SignedData");
    signedDer = info.content;
    signed = AsnConvert.parse(signedDer, SignedData);
  } catch {
    throw new Error("not a SCEP message (CMS SignedData)");
  }
  if (signed.signerInfos.length !== 1) throw new ScepError(FAIL_INFO.badMessageCheck, "a SCEP request has exactly one signer");
  const si = signed.signerInfos[0];
  const attrs = si.signedAttrs ?? [];
  const messageType = stringAttribute(attrs, OID.messageType);
  const transactionId = stringAttribute(attrs, OID.transactionId);
  const senderNonce = octetAttribute(attrs, OID.senderNonce);
  if (!messageType || !transactionId || !senderNonce) throw new ScepError(FAIL_INFO.badRequest, "messageType, transactionID and senderNonce are required");
  if (transactionId.length > 128) throw new ScepError(FAIL_INFO.badRequest, "transactionID too long");
  // The signer: the certificate whose issuer and serial the SignerInfo names.
  const wanted = si.sid.issuerAndSerialNumber;
  const signerCert = (signed.certificates ?? []).map((c) => c.certificate).find((c): c is Certificate => !!c && !!wanted
    && Buffer.from(c.tbsCertificate.serialNumber).equals(Buffer.from(wanted.serialNumber))
    && Buffer.from(AsnConvert.serialize(c.tbsCertificate.issuer)).equals(Buffer.from(AsnConvert.serialize(wanted.issuer))));
  if (!signerCert) throw new ScepError(FAIL_INFO.badCertId, "the signer's certificate is not in the message");
  const signer = Buffer.from(AsnConvert.serialize(signerCert));
  const hash = DIGESTS[si.digestAlgorithm.algorithm];
  if (!hash) throw new ScepError(FAIL_INFO.badAlg, `digest ${si.digestAlgorithm.algorithm} is not supported`);
  const content = signed.encapContentInfo.eContent?.single ? bytes(signed.encapContentInfo.eContent.single.buffer) : undefined;
  const digest = octetAttribute(attrs, OID.messageDigest);
  if (!content || !digest || !createHash(hash).update(content).digest().equals(digest)) throw new ScepError(FAIL_INFO.badMessageCheck, "the message digest does not match the content");
  const rawInfo = firstSignerInfo(signedDer);
  const signedAttrs = rawInfo ? signedAttributesOf(rawInfo) : undefined;
  if (!signedAttrs) throw new ScepError(FAIL_INFO.badMessageCheck, "the signer's attributes are missing");
  let valid = false;
  try {
    valid = verify(hash, signedAttrs, new NodeCertificate(signer).publicKey, Buffer.from(si.signature.buffer));
  } catch {
    valid = false;
  }
  if (!valid) throw new ScepError(FAIL_INFO.badMessageCheck, "the signature does not verify with the signer's certificate");
  const out: ScepRequest = { messageType, transactionId, senderNonce, signer };
  if (messageType === MESSAGE_TYPE.pkcsReq || messageType === MESSAGE_TYPE.renewalReq) {
    try {
      out.csr = decryptEnvelope(content, ra);
    } catch (e) {
      if (!(e instanceof ScepError)) throw e;
      out.refused = e;
    }
  }
  return out;
}

/** The CSR inside the request's EnvelopedData, decrypted with the RA's key. */
function decryptEnvelope(content: Buffer, ra: ScepRa): Buffer {
  let env: EnvelopedData;
  try {
    const info = AsnConvert.parse(content, ContentInfo);
    if (info.contentType !== OID.envelopedData) throw new Error("not EnvelopedData");
    env = AsnConvert.parse(info.content, EnvelopedData);
  } catch {
    throw new ScepError(FAIL_INFO.badRequest, "the request holds no CMS EnvelopedData");
  }
  const raCert = AsnConvert.parse(ra.cert, Certificate);
  const mine = env.recipientInfos.map((r) => r.ktri).find((k): k is KeyTransRecipientInfo => !!k && !!k.rid.issuerAndSerialNumber
    && Buffer.from(k.rid.issuerAndSerialNumber.serialNumber).equals(Buffer.from(raCert.tbsCertificate.serialNumber)));
  if (!mine) throw new ScepError(FAIL_INFO.badCertId, "the request is not encrypted to Cordon's SCEP RA");
  if (mine.keyEncryptionAlgorithm.algorithm !== OID.rsaEncryption) throw new ScepError(FAIL_INFO.badAlg, "the key transport is not RSA PKCS#1 v1.5");
  const eci = env.encryptedContentInfo;
  const cipher = CIPHERS[eci.contentEncryptionAlgorithm.algorithm];
  if (!cipher) throw new ScepError(FAIL_INFO.badAlg, `content encryption ${eci.contentEncryptionAlgorithm.algorithm} is not supported`);
  const ivParam = eci.contentEncryptionAlgorithm.parameters ? asn1js.fromBER(eci.contentEncryptionAlgorithm.parameters).result : undefined;
  const iv = ivParam instanceof asn1js.OctetString ? bytes(ivParam.valueBlock.valueHexView) : undefined;
  const encrypted = eci.encryptedContent?.value ? bytes(eci.encryptedContent.value.buffer)
    : Buffer.concat((eci.encryptedContent?.constructedValue ?? []).map((o) => bytes(o.buffer)));
  if (!iv || encrypted.length === 0) throw new ScepError(FAIL_INFO.badRequest, "the envelope has no IV or no content");
  // RFC 3218: a key that fails to decrypt is replaced by a random one, and the content then fails to decrypt like any other.
  let key: Buffer;
  try {
    const k = forge.pki.privateKeyFromPem(ra.keyPem) as forge.pki.rsa.PrivateKey;
    key = Buffer.from(k.decrypt(bytes(mine.encryptedKey.buffer).toString("binary"), "RSAES-PKCS1-V1_5"), "binary");
    if (key.length !== cipher.keyLength) key = randomBytes(cipher.keyLength);
  } catch {
    key = randomBytes(cipher.keyLength);
  }
  try {
    if (cipher.name === "des-cbc") {
      const d = forge.cipher.createDecipher("DES-CBC", forge.util.createBuffer(key.toString("binary")));
      d.start({ iv: forge.util.createBuffer(iv.toString("binary")) });
      d.update(forge.util.createBuffer(encrypted.toString("binary")));
      if (!d.finish()) throw new Error("padding");
      return Buffer.from(d.output.getBytes(), "binary");
    }
    const d = createDecipheriv(cipher.name, key, iv);
    return Buffer.concat([d.update(encrypted), d.final()]);
  } catch {
    throw new ScepError(FAIL_INFO.badMessageCheck, "the envelope cannot be decrypted with Cordon's SCEP RA key");
  }
}

/** An EnvelopedData (ContentInfo) of `content` for the holder of `recipient` (RSA), AES-128-CBC. */
function envelope(content: Buffer, recipient: Buffer): Buffer {
  const cert = AsnConvert.parse(recipient, Certificate);
  const key = randomBytes(16);
  const iv = randomBytes(16);
  const c = createCipheriv("aes-128-cbc", key, iv);
  const encrypted = Buffer.concat([c.update(content), c.final()]);
  const encryptedKey = publicEncrypt({ key: new NodeCertificate(recipient).publicKey, padding: cryptoConstants.RSA_PKCS1_PADDING }, key);
  const env = new EnvelopedData({
    version: 0,
    recipientInfos: new RecipientInfos([new RecipientInfo({
      ktri: new KeyTransRecipientInfo({
        version: 0, rid: new RecipientIdentifier({ issuerAndSerialNumber: new IssuerAndSerialNumber({ issuer: cert.tbsCertificate.issuer, serialNumber: cert.tbsCertificate.serialNumber }) }),
        keyEncryptionAlgorithm: new AlgorithmIdentifier({ algorithm: OID.rsaEncryption, parameters: null }), encryptedKey: new OctetString(encryptedKey),
      }),
    })]),
    encryptedContentInfo: new EncryptedContentInfo({
      contentType: OID.data, contentEncryptionAlgorithm: new AlgorithmIdentifier({ algorithm: OID.aes128cbc, parameters: octets(iv) }),
      encryptedContent: new EncryptedContent({ value: new OctetString(encrypted) }),
    }),
  });
  return Buffer.from(AsnConvert.serialize(new ContentInfo({ contentType: OID.envelopedData, content: AsnConvert.serialize(env) })));
}

/**
 * The CertRep for a request: SUCCESS with `issued` (a certs-only PKCS#7, DER) enveloped for the
 * requester, or FAILURE with `failInfo`. Signed by the RA with SHA-256; the RA's certificate
 * travels with it.
 */
export function certRep(req: Pick<ScepRequest, "transactionId" | "senderNonce" | "signer">, ra: ScepRa, outcome: { issued: Buffer } | { failInfo: FailInfo }): Buffer {
  const content = "issued" in outcome ? envelope(outcome.issued, req.signer) : undefined;
  const attrs = [
    new Attribute({ attrType: OID.contentType, attrValues: [new asn1js.ObjectIdentifier({ value: OID.data }).toBER()] }),
    new Attribute({ attrType: OID.messageType, attrValues: [printable(MESSAGE_TYPE.certRep)] }),
    new Attribute({ attrType: OID.transactionId, attrValues: [printable(req.transactionId)] }),
    new Attribute({ attrType: OID.pkiStatus, attrValues: [printable("issued" in outcome ? "0" : "2")] }),
    ...("failInfo" in outcome ? [new Attribute({ attrType: OID.failInfo, attrValues: [printable(outcome.failInfo)] })] : []),
    new Attribute({ attrType: OID.senderNonce, attrValues: [octets(randomBytes(16))] }),
    new Attribute({ attrType: OID.recipientNonce, attrValues: [octets(req.senderNonce)] }),
    new Attribute({ attrType: OID.messageDigest, attrValues: [octets(createHash("sha256").update(content ?? Buffer.alloc(0)).digest())] }),
  ].map((a) => ({ a, der: Buffer.from(AsnConvert.serialize(a)) })).sort((x, y) => Buffer.compare(x.der, y.der)).map((x) => x.a);
  // In DER order (X.690 §11.6): verifiers that encode the SET again (Go's pkcs7) sign-check that order.
  // The signature is over the signed attributes as encoded in the SignerInfo, tagged as a SET: encoded once with no signature, read back, signed.
  const raCert = AsnConvert.parse(ra.cert, Certificate);
  const info = new SignerInfo({
    version: 1, sid: new SignerIdentifier({ issuerAndSerialNumber: new IssuerAndSerialNumber({ issuer: raCert.tbsCertificate.issuer, serialNumber: raCert.tbsCertificate.serialNumber }) }),
    digestAlgorithm: new AlgorithmIdentifier({ algorithm: "2.16.840.1.101.3.4.2.1", parameters: null }), signedAttrs: attrs,
    signatureAlgorithm: new AlgorithmIdentifier({ algorithm: OID.rsaEncryption, parameters: null }), signature: new OctetString(0),
  });
  const set = signedAttributesOf(AsnConvert.serialize(info));
  if (!set) throw new Error("the signed attributes were not encoded");
  info.signature = new OctetString(sign("sha256", set, ra.keyPem));
  const signed = new SignedData({
    version: 1, digestAlgorithms: new DigestAlgorithmIdentifiers([new AlgorithmIdentifier({ algorithm: "2.16.840.1.101.3.4.2.1", parameters: null })]),
    encapContentInfo: new EncapsulatedContentInfo({ eContentType: OID.data, ...(content ? { eContent: new EncapsulatedContent({ single: new OctetString(content) }) } : {}) }),
    certificates: new CertificateSet([new CertificateChoices({ certificate: raCert })]), signerInfos: new SignerInfos([info]),
  });
  return Buffer.from(AsnConvert.serialize(new ContentInfo({ contentType: OID.signedData, content: AsnConvert.serialize(signed) })));
}
