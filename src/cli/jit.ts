import { setFlagsFromString } from "node:v8";

/**
 * V8's optimising compiler inlines up to 920 bytes of bytecode into one hot function by
 * default. Cordon's packet path is many small functions under a few hot loops, and at that
 * budget V8's helper threads spent about 2 s of CPU (mostly TurboFan compiling) in a 4 s
 * `analyze` of 2 million packets, on a machine whose second core is all they have. At 300
 * they do about a third less work and the main thread's is unchanged: instructions counted by
 * callgrind on 200,000 bench packets, two runs each, main thread 6.01 and 6.06 billion at 920
 * against 6.02 and 6.03 at 300; helper threads 3.81 and 3.47 billion against 2.56 and 2.58.
 * Imported first by the CLI, before any code is hot, so `serve`'s worker threads have it too;
 * the flag given on the command line wins.
 */
const FLAG = "--max-inlined-bytecode-size-cumulative";
if (!process.execArgv.some((a) => a.startsWith(FLAG))) setFlagsFromString(`${FLAG}=300`);
