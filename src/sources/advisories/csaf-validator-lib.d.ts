/** Types for the part of @secvisogram/csaf-validator-lib Cordon calls (the package ships none). */
declare module "@secvisogram/csaf-validator-lib/lib/schemaTests/csaf_2_0.js" {
  /** Checks a document against the official CSAF 2.0 JSON schema. */
  export default function csaf_2_0(doc: unknown): { isValid: boolean; errors: { message: string; instancePath: string }[] };
}
