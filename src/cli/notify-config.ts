import { NotifyConfigError, type Output, validateOutputs } from "../respond/notify/notify.js";
import { readListFile } from "../app/list-file.js";

/** Reads a notify file (YAML or JSON: a list of outputs, or an object with a "notify" list). */
export const readOutputs = (path: string): Output[] => readListFile(path, "notify", validateOutputs, NotifyConfigError);
