import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { BEHAVIOUR_FEATURES } from "../flows/behaviour.js";
import { CATEGORIES } from "./taxonomy.js";

/**
 * The learned behavioural model: multinomial logistic regression over standardised behaviour
 * features. Small (a few kilobytes of JSON), deterministic to train, and explainable: each
 * prediction names the features that pushed it most.
 */
export interface BehaviourModel {
  format: typeof MODEL_FORMAT;
  features: string[];
  classes: string[];
  mean: number[];
  scale: number[];
  /** weights[class][feature] */
  weights: number[][];
  bias: number[];
  trained: { devices: number; perClass: Record<string, number>; sources: string[] };
}

export const MODEL_FORMAT = "cordon-behaviour-model/1";

/** The model shipped with Cordon, trained on lab sites by `npm run train-model`. */
export const DEFAULT_MODEL_PATH = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "data", "models", "behaviour.json");

export interface Sample {
  x: readonly number[];
  y: string;
}

export interface TrainOptions {
  epochs?: number;
  learningRate?: number;
  /** L2 penalty: keeps weights small, so probabilities stay modest on unfamiliar devices. */
  l2?: number;
  sources?: string[];
}

/**
 * The smallest spread a feature is standardised by. A feature almost constant in training (a
 * lab where no device took its address by DHCP: uses_dhcp deviation 0.001) would otherwise turn
 * an ordinary value in the field (DHCP a tenth of a device's flows during setup) into a hundred
 * deviations, and the softmax into certainty about whatever class its small weight favours.
 * Features are shares in [0, 1] and logarithms, so a tenth is a small step for both.
 */
export const MIN_SCALE = 0.1;

function softmax(z: number[]): number[] {
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

function standardise(m: Pick<BehaviourModel, "mean" | "scale">, x: readonly number[]): number[] {
  return x.map((v, i) => (v - m.mean[i]) / Math.max(m.scale[i], MIN_SCALE));
}

/**
 * Full-batch gradient descent on the softmax cross-entropy, classes weighted by inverse
 * frequency (a site has many workstations and one NVR; both should be learned). Pure and
 * deterministic: the same samples give the same model.
 */
export function trainModel(samples: readonly Sample[], o: TrainOptions = {}): BehaviourModel {
  if (samples.length === 0) throw new Error("no labelled devices with enough flows to train on");
  const dims = BEHAVIOUR_FEATURES.length;
  for (const s of samples) if (s.x.length !== dims) throw new Error(`sample has ${s.x.length} features, expected ${dims}`);
  const classes = [...new Set(samples.map((s) => s.y))].sort();
  const perClass: Record<string, number> = {};
  for (const s of samples) perClass[s.y] = (perClass[s.y] ?? 0) + 1;
  const mean = new Array<number>(dims).fill(0);
  for (const s of samples) for (let i = 0; i < dims; i++) mean[i] += s.x[i] / samples.length;
  const scale = new Array<number>(dims).fill(0);
  for (const s of samples) for (let i = 0; i < dims; i++) scale[i] += (s.x[i] - mean[i]) ** 2 / samples.length;
  for (let i = 0; i < dims; i++) scale[i] = Math.max(Math.sqrt(scale[i]), MIN_SCALE);
  const xs = samples.map((s) => standardise({ mean, scale }, s.x));
  const ys = samples.map((s) => classes.indexOf(s.y));
  const classWeight = classes.map((c) => samples.length / (classes.length * perClass[c]));
  const weights = classes.map(() => new Array<number>(dims).fill(0));
  const bias = new Array<number>(classes.length).fill(0);
  const epochs = o.epochs ?? 500;
  const lr = o.learningRate ?? 0.5;
  const l2 = o.l2 ?? 0.03;
  const norm = samples.reduce((a, _, i) => a + classWeight[ys[i]], 0);
  for (let epoch = 0; epoch < epochs; epoch++) {
    const gw = classes.map(() => new Array<number>(dims).fill(0));
    const gb = new Array<number>(classes.length).fill(0);
    for (let n = 0; n < xs.length; n++) {
      const x = xs[n];
      const p = softmax(weights.map((w, k) => bias[k] + w.reduce((a, wi, i) => a + wi * x[i], 0)));
      const cw = classWeight[ys[n]] / norm;
      for (let k = 0; k < classes.length; k++) {
        const err = (p[k] - (k === ys[n] ? 1 : 0)) * cw;
        gb[k] += err;
        for (let i = 0; i < dims; i++) gw[k][i] += err * x[i];
      }
    }
    for (let k = 0; k < classes.length; k++) {
      bias[k] -= lr * gb[k];
      for (let i = 0; i < dims; i++) weights[k][i] -= lr * (gw[k][i] + l2 * weights[k][i]);
    }
  }
  const round = (v: number): number => Math.round(v * 1e6) / 1e6;
  return {
    format: MODEL_FORMAT,
    features: [...BEHAVIOUR_FEATURES],
    classes,
    mean: mean.map(round),
    scale: scale.map(round),
    weights: weights.map((w) => w.map(round)),
    bias: bias.map(round),
    trained: { devices: samples.length, perClass, sources: o.sources ?? [] },
  };
}

export interface ModelPrediction {
  category: string;
  probability: number;
  /** The features that pushed most towards the category: name, the device's value, the push. */
  because: { feature: string; value: number; push: number }[];
  /**
   * The feature furthest outside what the model was trained on, when one lies more than
   * FAMILIAR_Z standard deviations from the training mean: the model has never seen such a
   * device, and a linear model's probability there is an extrapolation, not knowledge.
   */
  unfamiliar?: { feature: string; value: number; z: number };
}

/**
 * How far (in the training set's standard deviations, at least MIN_SCALE) a feature may lie from
 * the training mean before the model's answer is an extrapolation rather than knowledge.
 */
export const FAMILIAR_Z = 6;

/** The most probable category for a feature vector, with the features behind it. Pure. */
export function predict(m: BehaviourModel, x: readonly number[]): ModelPrediction {
  const z = standardise(m, x);
  let far = -1;
  for (let i = 0; i < z.length; i++) if (Math.abs(z[i]) > FAMILIAR_Z && (far < 0 || Math.abs(z[i]) > Math.abs(z[far]))) far = i;
  const p = softmax(m.weights.map((w, k) => m.bias[k] + w.reduce((a, wi, i) => a + wi * z[i], 0)));
  let best = 0;
  for (let k = 1; k < p.length; k++) if (p[k] > p[best]) best = k;
  const because = m.weights[best]
    .map((w, i) => ({ feature: m.features[i], value: Math.round(x[i] * 1000) / 1000, push: w * z[i] }))
    .filter((c) => c.push > 0)
    .sort((a, b) => b.push - a.push)
    .slice(0, 4)
    .map((c) => ({ ...c, push: Math.round(c.push * 100) / 100 }));
  const unfamiliar = far < 0 ? undefined : { feature: m.features[far], value: Math.round(x[far] * 1000) / 1000, z: Math.round(z[far] * 10) / 10 };
  return { category: m.classes[best], probability: p[best], because, ...(unfamiliar ? { unfamiliar } : {}) };
}

/** Checks a parsed model file; the message names what is wrong. */
export function validateModel(v: unknown, where: string): BehaviourModel {
  const m = v as Partial<BehaviourModel> | null;
  const fail = (why: string): never => {
    throw new Error(`${where}: ${why}`);
  };
  if (!m || typeof m !== "object") return fail("not a JSON object");
  if (m.format !== MODEL_FORMAT) return fail(`format is ${JSON.stringify(m.format)}, expected "${MODEL_FORMAT}"`);
  if (!Array.isArray(m.features) || m.features.join() !== BEHAVIOUR_FEATURES.join()) {
    return fail("trained on other behaviour features than this version computes; retrain it with `cordon train`");
  }
  const dims = m.features.length;
  if (!Array.isArray(m.classes) || m.classes.length === 0) return fail("no classes");
  for (const c of m.classes) if (!(CATEGORIES as readonly string[]).includes(c)) return fail(`class "${c}" is not a category of the taxonomy`);
  const vec = (a: unknown, n: number): boolean => Array.isArray(a) && a.length === n && a.every((x) => typeof x === "number" && Number.isFinite(x));
  if (!vec(m.mean, dims) || !vec(m.scale, dims) || m.scale!.some((s) => s <= 0)) return fail("mean/scale do not match the features");
  if (!vec(m.bias, m.classes.length) || !Array.isArray(m.weights) || m.weights.length !== m.classes.length
    || !m.weights.every((w) => vec(w, dims))) return fail("weights do not match classes and features");
  return m as BehaviourModel;
}

/** Reads a model file; undefined when the file does not exist. */
export function loadModel(path = DEFAULT_MODEL_PATH): BehaviourModel | undefined {
  if (!existsSync(path)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`);
  }
  return validateModel(parsed, path);
}
